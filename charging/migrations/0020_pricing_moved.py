"""Pricing's models left charging for the pricing app (issue 15): sessions and RFID tokens point at pricing's
Customer and TariffVersion, and the models leave charging's state. Nothing changes in the database: the tables keep
their names (pricing's models set db_table) and every row stays. Sites and vehicles are repointed first (stations
0013, fleet 0009), so no model still points at charging's copies when they go."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('fleet', '0009_customer_moved_to_pricing'),
        ('stations', '0013_holiday_calendar_moved_to_pricing'),
        ('charging', '0019_grid_signal_and_notification_updated_at'),
        ('pricing', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='contractvolumetier',
                    name='contract',
                ),
                migrations.RemoveField(
                    model_name='customer',
                    name='billed_department',
                ),
                migrations.RemoveField(
                    model_name='customer',
                    name='department',
                ),
                migrations.AlterField(
                    model_name='chargingsession',
                    name='customer',
                    field=models.ForeignKey(blank=True, help_text="Who is billed: the RFID token's customer, else the vehicle's.", null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='sessions', to='pricing.customer'),
                ),
                migrations.AlterField(
                    model_name='idtoken',
                    name='customer',
                    field=models.ForeignKey(blank=True, help_text="Who is billed for sessions started with it (else the vehicle's customer).", null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='id_tokens', to='pricing.customer'),
                ),
                migrations.RemoveField(
                    model_name='gridsignal',
                    name='site',
                ),
                migrations.RemoveField(
                    model_name='holiday',
                    name='calendar',
                ),
                migrations.RemoveField(
                    model_name='loadpricing',
                    name='site',
                ),
                migrations.RemoveField(
                    model_name='priceinterval',
                    name='site',
                ),
                migrations.RemoveField(
                    model_name='tariff',
                    name='charge_point',
                ),
                migrations.RemoveField(
                    model_name='tariff',
                    name='connector',
                ),
                migrations.RemoveField(
                    model_name='tariff',
                    name='department',
                ),
                migrations.RemoveField(
                    model_name='tariff',
                    name='site',
                ),
                migrations.RemoveField(
                    model_name='tariffversion',
                    name='tariff',
                ),
                migrations.RemoveField(
                    model_name='tariffversion',
                    name='created_by',
                ),
                migrations.AlterField(
                    model_name='chargingsession',
                    name='tariff_version',
                    field=models.ForeignKey(blank=True, help_text='The tariff version the session was priced with; it keeps it when the tariff changes.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='sessions', to='pricing.tariffversion'),
                ),
                migrations.DeleteModel(
                    name='Contract',
                ),
                migrations.DeleteModel(
                    name='ContractVolumeTier',
                ),
                migrations.DeleteModel(
                    name='Customer',
                ),
                migrations.DeleteModel(
                    name='GridSignal',
                ),
                migrations.DeleteModel(
                    name='Holiday',
                ),
                migrations.DeleteModel(
                    name='HolidayCalendar',
                ),
                migrations.DeleteModel(
                    name='LoadPricing',
                ),
                migrations.DeleteModel(
                    name='PriceInterval',
                ),
                migrations.DeleteModel(
                    name='Tariff',
                ),
                migrations.DeleteModel(
                    name='TariffVersion',
                ),
            ],
            database_operations=[],
        ),
    ]
