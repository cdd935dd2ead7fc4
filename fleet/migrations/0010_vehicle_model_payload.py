"""Vehicle models get their payload (kg), for route planning; the catalogue's models are filled from
fleet/catalogue.py PAYLOAD_KG (a model added by hand stays empty until someone gives it)."""

import django.core.validators
from django.db import migrations, models


def fill_payloads(apps, schema_editor):
    from fleet.catalogue import PAYLOAD_KG

    VehicleModel = apps.get_model("fleet", "VehicleModel")
    for (make, name, variant, year), payload in PAYLOAD_KG.items():
        VehicleModel.objects.filter(make=make, name=name, variant=variant, model_year=year).update(payload_kg=payload)


class Migration(migrations.Migration):
    dependencies = [
        ("fleet", "0009_customer_moved_to_pricing"),
    ]

    operations = [
        migrations.AddField(
            model_name="vehiclemodel",
            name="payload_kg",
            field=models.PositiveIntegerField(
                blank=True,
                help_text="Load the vehicle may carry in kg (gross vehicle weight minus kerb weight, maker's sheet); "
                "route planning fills vehicles up to it. Empty: not known, the model is not offered for planning.",
                null=True,
                validators=[
                    django.core.validators.MinValueValidator(1),
                    django.core.validators.MaxValueValidator(40000),
                ],
                verbose_name="payload (kg)",
            ),
        ),
        migrations.RunPython(fill_payloads, migrations.RunPython.noop),
    ]
