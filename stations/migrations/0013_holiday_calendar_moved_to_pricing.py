"""A site's holiday calendar is pricing's model now (issue 15); the column and its foreign key are unchanged."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('pricing', '0001_initial'),
        ('stations', '0012_alert_updated_at'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='site',
                    name='holiday_calendar',
                    field=models.ForeignKey(blank=True, help_text='Public holidays here, which tariffs price as the calendar says (a Sunday by default).', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='sites', to='pricing.holidaycalendar'),
                ),
            ],
            database_operations=[],
        ),
    ]
