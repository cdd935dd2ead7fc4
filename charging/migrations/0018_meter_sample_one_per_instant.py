# One meter reading per connector and instant: readings a station sent twice were stored twice. The repeats
# already stored are deleted first, keeping of each set the row linked to a session (else the first stored);
# the connector-time index is replaced by the constraint's own.

from django.db import migrations, models
from django.db.models import Exists, OuterRef


def delete_repeated_readings(apps, schema_editor):
    MeterSample = apps.get_model("charging", "MeterSample")
    same_instant = MeterSample.objects.filter(connector_id=OuterRef("connector_id"), sampled_at=OuterRef("sampled_at"))
    # a row without session where the same reading is linked to one
    MeterSample.objects.filter(Exists(same_instant.filter(session__isnull=False)), session__isnull=True).delete()
    # then, of what is left (all with a session, or all without), every row but the first stored
    MeterSample.objects.filter(Exists(same_instant.filter(pk__lt=OuterRef("pk")))).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("charging", "0017_roaming"),
        ("stations", "0009_verbose_names_in_local_time"),
    ]

    operations = [
        migrations.RunPython(delete_repeated_readings, migrations.RunPython.noop, elidable=True),
        migrations.RemoveIndex(
            model_name="metersample",
            name="meter_connector_time_idx",
        ),
        migrations.AddConstraint(
            model_name="metersample",
            constraint=models.UniqueConstraint(fields=("connector", "sampled_at"), name="meter_sample_one_per_instant"),
        ),
    ]
