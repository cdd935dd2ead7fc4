"""Ships the vehicle model catalogue (fleet/catalogue.py) so every fresh database has it."""

from decimal import Decimal

from django.db import migrations


def load_catalogue(apps, schema_editor):
    from fleet.catalogue import VEHICLE_MODELS

    VehicleModel = apps.get_model("fleet", "VehicleModel")
    for entry in VEHICLE_MODELS:
        identity = {k: entry[k] for k in ("make", "name", "variant", "model_year")}
        values = {k: v for k, v in entry.items() if k not in identity}
        for key in ("usable_battery_kwh", "max_ac_kw", "max_dc_kw"):
            values[key] = Decimal(values[key]) if values[key] is not None else None
        VehicleModel.objects.update_or_create(**identity, defaults=values)


class Migration(migrations.Migration):
    dependencies = [("fleet", "0001_initial")]

    operations = [migrations.RunPython(load_catalogue, migrations.RunPython.noop)]
