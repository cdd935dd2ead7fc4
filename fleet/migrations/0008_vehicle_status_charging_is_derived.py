"""Charging is no stored status any more: it is derived from an open session on a connector in use
(fleet.selectors.current_status). Vehicles stored as charging (the demo set them from telemetry) become active."""

from django.db import migrations, models


def charging_to_active(apps, schema_editor):
    apps.get_model("fleet", "Vehicle").objects.filter(status="charging").update(status="active")


class Migration(migrations.Migration):
    dependencies = [("fleet", "0007_verbose_names_in_local_time")]

    operations = [
        migrations.AlterField(
            model_name="vehicle",
            name="status",
            field=models.CharField(
                choices=[
                    ("active", "Active"),
                    ("charging", "Charging"),
                    ("maintenance", "In maintenance"),
                    ("retired", "Retired"),
                ],
                default="active",
                help_text="Set active, maintenance or retired. Reads show charging while an active vehicle has an "
                "open session on a connector in use (Charging, or Occupied in OCPP 2.0.1); charging cannot be set.",
                max_length=12,
                verbose_name="status",
            ),
        ),
        migrations.RunPython(charging_to_active, migrations.RunPython.noop),
    ]
