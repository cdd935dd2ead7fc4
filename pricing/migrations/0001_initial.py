"""Pricing's models, moved here from charging in issue 15. Their tables stay charging's (db_table), and the
database has them already (charging 0003 to 0019 made them): this migration only tells Django's state that the
models are pricing's now. Charging 0020 then removes them from charging's state."""

import django.core.validators
import django.db.models.deletion
import pricing.models.calendars
import pricing.models.money
from decimal import Decimal
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('charging', '0019_grid_signal_and_notification_updated_at'),
        ('accounts', '0006_idempotency_keys_and_user_updated_at'),
        ('stations', '0012_alert_updated_at'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='HolidayCalendar',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                        ('name', models.CharField(max_length=80, unique=True, verbose_name='name')),
                        ('country', models.CharField(blank=True, help_text='ISO 3166 code, e.g. DE.', max_length=2, validators=[pricing.models.calendars.validate_country], verbose_name='country')),
                        ('subdivision', models.CharField(blank=True, help_text="The region's code within the country, e.g. BY for Bavaria.", max_length=10, verbose_name='region')),
                        ('priced_as', models.PositiveSmallIntegerField(choices=[(0, 'Monday'), (1, 'Tuesday'), (2, 'Wednesday'), (3, 'Thursday'), (4, 'Friday'), (5, 'Saturday'), (6, 'Sunday')], default=6, help_text="Which day's prices a holiday gets.", verbose_name='priced as')),
                    ],
                    options={
                        'db_table': 'charging_holidaycalendar',
                        'ordering': ['name'],
                    },
                ),
                migrations.CreateModel(
                    name='Customer',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                        ('name', models.CharField(max_length=120, verbose_name='name')),
                        ('kind', models.CharField(choices=[('company', 'Company'), ('internal', 'Internal department')], default='company', max_length=10, verbose_name='kind')),
                        ('billing_email', models.EmailField(blank=True, max_length=254, verbose_name='billing email')),
                        ('tax_id', models.CharField(blank=True, help_text='VAT or other tax registration number.', max_length=40, verbose_name='tax id')),
                        ('is_active', models.BooleanField(default=True, verbose_name='active')),
                        ('billed_department', models.ForeignKey(blank=True, help_text='For an internal customer: the department charged internally.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.department')),
                        ('department', models.ForeignKey(help_text='The department that manages this customer (who may see and bill it).', on_delete=django.db.models.deletion.PROTECT, related_name='customers', to='accounts.department')),
                    ],
                    options={
                        'db_table': 'charging_customer',
                        'ordering': ['name'],
                    },
                ),
                migrations.CreateModel(
                    name='GridSignal',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('starts_at', models.DateTimeField(verbose_name='starts at')),
                        ('ends_at', models.DateTimeField(verbose_name='ends at')),
                        ('price_per_kwh', models.DecimalField(blank=True, decimal_places=6, max_digits=12, null=True, verbose_name='grid price (per kWh)')),
                        ('load_percent', models.DecimalField(blank=True, decimal_places=2, max_digits=6, null=True, validators=[django.core.validators.MinValueValidator(Decimal('0')), django.core.validators.MaxValueValidator(Decimal('200'))], verbose_name='grid load (%)')),
                        ('source', models.CharField(help_text="Who published it, e.g. the grid operator's feed.", max_length=60, verbose_name='source')),
                        ('received_at', models.DateTimeField(auto_now_add=True, verbose_name='received at')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                        ('site', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='grid_signals', to='stations.site')),
                    ],
                    options={
                        'db_table': 'charging_gridsignal',
                        'ordering': ['site', 'starts_at'],
                    },
                ),
                migrations.CreateModel(
                    name='Holiday',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('date', models.DateField(verbose_name='date')),
                        ('name', models.CharField(max_length=80, verbose_name='name')),
                        ('calendar', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='extra_days', to='pricing.holidaycalendar')),
                    ],
                    options={
                        'db_table': 'charging_holiday',
                        'ordering': ['date'],
                    },
                ),
                migrations.CreateModel(
                    name='LoadPricing',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                        ('is_active', models.BooleanField(default=True, verbose_name='active')),
                        ('curve', models.JSONField(help_text='Points [load %, price multiplier], load rising, e.g. [[0, 0.9], [50, 1.0], [90, 1.4]]; linear in between, flat beyond.', verbose_name='curve')),
                        ('floor_price', models.DecimalField(blank=True, decimal_places=6, max_digits=12, null=True, validators=[django.core.validators.MinValueValidator(Decimal('0'))], verbose_name='floor (per kWh)')),
                        ('cap_price', models.DecimalField(blank=True, decimal_places=6, max_digits=12, null=True, validators=[django.core.validators.MinValueValidator(Decimal('0'))], verbose_name='cap (per kWh)')),
                        ('use_grid_load', models.BooleanField(default=True, help_text="When a grid load figure is present, price by the higher of it and the site's own load.", verbose_name="use the grid's load signal")),
                        ('grid_price_reference', models.DecimalField(blank=True, decimal_places=6, help_text='A grid price above this adds to the energy price, below it takes off (by the share below).', max_digits=12, null=True, verbose_name='grid price reference (per kWh)')),
                        ('grid_price_share_percent', models.DecimalField(decimal_places=2, default=Decimal('0'), max_digits=5, validators=[django.core.validators.MinValueValidator(Decimal('0')), django.core.validators.MaxValueValidator(Decimal('100'))], verbose_name='grid price passed on (%)')),
                        ('site', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='load_pricing', to='stations.site')),
                    ],
                    options={
                        'verbose_name': 'load-based pricing',
                        'verbose_name_plural': 'load-based pricing',
                        'db_table': 'charging_loadpricing',
                        'ordering': ['site'],
                    },
                ),
                migrations.CreateModel(
                    name='PriceInterval',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('starts_at', models.DateTimeField(verbose_name='starts at')),
                        ('ends_at', models.DateTimeField(verbose_name='ends at')),
                        ('site_load_kw', models.DecimalField(decimal_places=2, help_text='Average power drawn in the interval before.', max_digits=10, verbose_name='site load (kW)')),
                        ('load_percent', models.DecimalField(decimal_places=2, max_digits=7, verbose_name='site load (% of the grid limit)')),
                        ('grid_load_percent', models.DecimalField(blank=True, decimal_places=2, max_digits=6, null=True, verbose_name='grid load (%)')),
                        ('grid_price_per_kwh', models.DecimalField(blank=True, decimal_places=6, max_digits=12, null=True, verbose_name='grid price (per kWh)')),
                        ('multiplier', models.DecimalField(decimal_places=4, max_digits=8, verbose_name='price multiplier')),
                        ('adder', models.DecimalField(decimal_places=6, default=Decimal('0'), max_digits=12, verbose_name='added per kWh')),
                        ('floor_price', models.DecimalField(blank=True, decimal_places=6, max_digits=12, null=True, verbose_name='floor (per kWh)')),
                        ('cap_price', models.DecimalField(blank=True, decimal_places=6, max_digits=12, null=True, verbose_name='cap (per kWh)')),
                        ('recorded_at', models.DateTimeField(auto_now_add=True, verbose_name='recorded at')),
                        ('site', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='price_intervals', to='stations.site')),
                    ],
                    options={
                        'db_table': 'charging_priceinterval',
                        'ordering': ['site', '-starts_at'],
                    },
                ),
                migrations.CreateModel(
                    name='Tariff',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                        ('name', models.CharField(max_length=120, verbose_name='name')),
                        ('currency', models.CharField(help_text='ISO 4217 code, e.g. EUR.', max_length=3, validators=[pricing.models.money.validate_currency], verbose_name='currency')),
                        ('valid_until', models.DateTimeField(blank=True, help_text="Empty: open-ended. After it, the next less specific tariff applies (e.g. the site's after a connector's promotion).", null=True, verbose_name='valid until')),
                        ('demand_charge_per_kw', models.DecimalField(blank=True, decimal_places=4, help_text='What the site pays per kW of its highest 15-minute demand in a period; smart charging weighs it against energy prices. Empty: none.', max_digits=10, null=True, validators=[django.core.validators.MinValueValidator(Decimal('0'))], verbose_name='demand charge (per kW)')),
                        ('charge_point', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='tariffs', to='stations.chargepoint')),
                        ('connector', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='tariffs', to='stations.connector')),
                        ('department', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='tariffs', to='accounts.department')),
                        ('site', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='tariffs', to='stations.site')),
                    ],
                    options={
                        'db_table': 'charging_tariff',
                        'ordering': ['name'],
                    },
                ),
                migrations.CreateModel(
                    name='Contract',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                        ('name', models.CharField(max_length=120, verbose_name='name')),
                        ('kind', models.CharField(choices=[('tariff', 'Separate tariff'), ('discount', 'Percentage discount'), ('energy_price', 'Per-kWh price'), ('volume', 'Monthly volume tiers')], max_length=12, verbose_name='kind')),
                        ('valid_from', models.DateTimeField(verbose_name='valid from')),
                        ('valid_until', models.DateTimeField(blank=True, help_text='Empty: open-ended.', null=True, verbose_name='valid until')),
                        ('discount_percent', models.DecimalField(blank=True, decimal_places=2, help_text='Taken off every price of the tariff in force, after dynamic pricing.', max_digits=5, null=True, validators=[django.core.validators.MinValueValidator(Decimal('0.01')), django.core.validators.MaxValueValidator(Decimal('100'))], verbose_name='discount (%)')),
                        ('energy_price', models.DecimalField(blank=True, decimal_places=6, help_text="Replaces the tariff's energy price (excluding tax); time and parking fees still apply.", max_digits=12, null=True, validators=[django.core.validators.MinValueValidator(Decimal('0'))], verbose_name='energy price (per kWh)')),
                        ('customer', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='contracts', to='pricing.customer')),
                        ('tariff', models.ForeignKey(blank=True, help_text='For a separate tariff: the tariff the customer pays everywhere instead of the posted one.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='contracts', to='pricing.tariff')),
                    ],
                    options={
                        'db_table': 'charging_contract',
                        'ordering': ['customer', '-valid_from'],
                    },
                ),
                migrations.CreateModel(
                    name='TariffVersion',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('number', models.PositiveIntegerField(verbose_name='version')),
                        ('valid_from', models.DateTimeField(verbose_name='valid from')),
                        ('tax_percent', models.DecimalField(decimal_places=3, help_text='Added to the prices, which are all excluding tax.', max_digits=6, validators=[django.core.validators.MinValueValidator(Decimal('0')), django.core.validators.MaxValueValidator(Decimal('100'))], verbose_name='tax rate (%)')),
                        ('elements', models.JSONField(help_text='OCPI 2.2.1 tariff elements: price_components and restrictions; prices excluding tax.', verbose_name='elements')),
                        ('note', models.CharField(blank=True, help_text='What changed, for the record.', max_length=200, verbose_name='note')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('tariff', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='versions', to='pricing.tariff')),
                    ],
                    options={
                        'db_table': 'charging_tariffversion',
                        'ordering': ['tariff', '-valid_from'],
                    },
                ),
                migrations.CreateModel(
                    name='ContractVolumeTier',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('from_kwh', models.DecimalField(decimal_places=3, max_digits=12, validators=[django.core.validators.MinValueValidator(Decimal('0'))], verbose_name='from (kWh this month)')),
                        ('energy_price', models.DecimalField(blank=True, decimal_places=6, max_digits=12, null=True, validators=[django.core.validators.MinValueValidator(Decimal('0'))], verbose_name='energy price (per kWh)')),
                        ('discount_percent', models.DecimalField(blank=True, decimal_places=2, max_digits=5, null=True, validators=[django.core.validators.MinValueValidator(Decimal('0')), django.core.validators.MaxValueValidator(Decimal('100'))], verbose_name='discount (%)')),
                        ('contract', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='tiers', to='pricing.contract')),
                    ],
                    options={
                        'db_table': 'charging_contractvolumetier',
                        'ordering': ['contract', 'from_kwh'],
                        'constraints': [models.UniqueConstraint(fields=('contract', 'from_kwh'), name='volume_tier_unique_start'), models.CheckConstraint(condition=models.Q(models.Q(('discount_percent__isnull', False), ('energy_price__isnull', True)), models.Q(('discount_percent__isnull', True), ('energy_price__isnull', False)), _connector='OR'), name='volume_tier_price_or_discount')],
                    },
                ),
                migrations.AddConstraint(
                    model_name='customer',
                    constraint=models.UniqueConstraint(fields=('department', 'name'), name='customer_unique_name_per_department'),
                ),
                migrations.AddConstraint(
                    model_name='customer',
                    constraint=models.CheckConstraint(condition=models.Q(('kind', 'internal'), ('billed_department__isnull', True), _connector='OR'), name='customer_billed_department_internal_only'),
                ),
                migrations.AddIndex(
                    model_name='gridsignal',
                    index=models.Index(fields=['site', 'starts_at', 'ends_at'], name='grid_signal_site_time_idx'),
                ),
                migrations.AddConstraint(
                    model_name='gridsignal',
                    constraint=models.UniqueConstraint(fields=('site', 'source', 'starts_at'), name='grid_signal_unique_interval'),
                ),
                migrations.AddConstraint(
                    model_name='gridsignal',
                    constraint=models.CheckConstraint(condition=models.Q(('ends_at__gt', models.F('starts_at'))), name='grid_signal_ends_after_start'),
                ),
                migrations.AddConstraint(
                    model_name='gridsignal',
                    constraint=models.CheckConstraint(condition=models.Q(('price_per_kwh__isnull', False), ('load_percent__isnull', False), _connector='OR'), name='grid_signal_has_a_value'),
                ),
                migrations.AddConstraint(
                    model_name='holiday',
                    constraint=models.UniqueConstraint(fields=('calendar', 'date'), name='holiday_unique_day'),
                ),
                migrations.AddConstraint(
                    model_name='loadpricing',
                    constraint=models.CheckConstraint(condition=models.Q(('floor_price__isnull', True), ('cap_price__isnull', True), ('cap_price__gte', models.F('floor_price')), _connector='OR'), name='load_pricing_cap_above_floor'),
                ),
                migrations.AddConstraint(
                    model_name='priceinterval',
                    constraint=models.UniqueConstraint(fields=('site', 'starts_at'), name='price_interval_unique_start'),
                ),
                migrations.AddConstraint(
                    model_name='tariff',
                    constraint=models.UniqueConstraint(fields=('department', 'name'), name='tariff_unique_name_per_department'),
                ),
                migrations.AddConstraint(
                    model_name='tariff',
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(('charge_point__isnull', True), ('site__isnull', True)), models.Q(('connector__isnull', True), ('site__isnull', True)), models.Q(('charge_point__isnull', True), ('connector__isnull', True)), _connector='OR'), name='tariff_one_attachment'),
                ),
                migrations.AddConstraint(
                    model_name='tariff',
                    constraint=models.UniqueConstraint(condition=models.Q(('site__isnull', False)), fields=('site',), name='tariff_one_per_site'),
                ),
                migrations.AddConstraint(
                    model_name='tariff',
                    constraint=models.UniqueConstraint(condition=models.Q(('charge_point__isnull', False)), fields=('charge_point',), name='tariff_one_per_charge_point'),
                ),
                migrations.AddConstraint(
                    model_name='tariff',
                    constraint=models.UniqueConstraint(condition=models.Q(('connector__isnull', False)), fields=('connector',), name='tariff_one_per_connector'),
                ),
                migrations.AddIndex(
                    model_name='contract',
                    index=models.Index(fields=['customer', 'valid_from'], name='contract_customer_start_idx'),
                ),
                migrations.AddConstraint(
                    model_name='contract',
                    constraint=models.CheckConstraint(condition=models.Q(('valid_until__isnull', True), ('valid_until__gt', models.F('valid_from')), _connector='OR'), name='contract_ends_after_start'),
                ),
                migrations.AddConstraint(
                    model_name='contract',
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(('kind', 'tariff'), ('tariff__isnull', False)), models.Q(('discount_percent__isnull', False), ('kind', 'discount')), models.Q(('energy_price__isnull', False), ('kind', 'energy_price')), ('kind', 'volume'), _connector='OR'), name='contract_rate_matches_kind'),
                ),
                migrations.AddConstraint(
                    model_name='tariffversion',
                    constraint=models.UniqueConstraint(fields=('tariff', 'number'), name='tariff_version_unique_number'),
                ),
                migrations.AddConstraint(
                    model_name='tariffversion',
                    constraint=models.UniqueConstraint(fields=('tariff', 'valid_from'), name='tariff_version_unique_start'),
                ),
            ],
            database_operations=[],
        ),
    ]
