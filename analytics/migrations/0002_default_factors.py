"""Starting values for the combustion baselines and a few grid zones; every figure is editable in the admin.

Baselines: typical fuel economy per class, and tank-to-wheel emission factors (petrol 2.31, diesel 2.68 kg CO2e
per litre, CNG 2.54 per kg). Zones: approximate 2023 yearly averages of grid carbon intensity and renewable share.
"""

from django.db import migrations

BASELINES = [
    ("car", "petrol", 6.5, 2.31),
    ("van", "diesel", 8.5, 2.68),
    ("truck", "diesel", 25.0, 2.68),
    ("bus", "diesel", 35.0, 2.68),
]
ZONES = [
    ("DE", "Germany", 380.0, 52.0),
    ("FR", "France", 56.0, 27.0),
    ("GB", "Great Britain", 207.0, 45.0),
    ("NL", "Netherlands", 330.0, 48.0),
    ("PL", "Poland", 660.0, 26.0),
    ("ES", "Spain", 150.0, 50.0),
    ("NO", "Norway", 30.0, 98.0),
    ("US-CAL-CISO", "California (CAISO)", 220.0, 55.0),
]


def seed(apps, schema_editor):
    IceBaseline = apps.get_model("analytics", "IceBaseline")
    CarbonZone = apps.get_model("analytics", "CarbonZone")
    for vehicle_class, fuel, economy, factor in BASELINES:
        IceBaseline.objects.get_or_create(
            vehicle_class=vehicle_class,
            defaults={"fuel": fuel, "litres_per_100km": economy, "kg_co2e_per_litre": factor},
        )
    for code, name, grams, renewable in ZONES:
        CarbonZone.objects.get_or_create(
            code=code, defaults={"name": name, "gco2e_per_kwh": grams, "renewable_percent": renewable}
        )


class Migration(migrations.Migration):
    dependencies = [("analytics", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
