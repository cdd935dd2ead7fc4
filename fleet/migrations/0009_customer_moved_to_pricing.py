"""A vehicle's customer is pricing's model now (issue 15); the column and its foreign key are unchanged."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('fleet', '0008_vehicle_status_charging_is_derived'),
        ('pricing', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='vehicle',
                    name='customer',
                    field=models.ForeignKey(blank=True, help_text='Who is billed for its charging (a fleet customer with its contract rates).', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='vehicles', to='pricing.customer'),
                ),
            ],
            database_operations=[],
        ),
    ]
