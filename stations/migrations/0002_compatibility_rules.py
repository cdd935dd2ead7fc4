"""Seeds the compatibility rules: every inlet fits its own connector type; adapters are added by admins.

One adapter is shipped, inactive, as an example an administrator can switch on: North American
vehicles with a NACS (SAE J3400) inlet can use CCS1 fast chargers through a CCS1-to-NACS adapter.
"""

from django.db import migrations

TYPES = ["ccs1", "ccs2", "chademo", "type1", "type2", "nacs", "gbt"]


def seed(apps, schema_editor):
    Rule = apps.get_model("stations", "CompatibilityRule")
    for connector_type in TYPES:
        Rule.objects.get_or_create(inlet=connector_type, connector_type=connector_type, adapter="")
    Rule.objects.get_or_create(
        inlet="nacs", connector_type="ccs1", adapter="CCS1-to-NACS adapter", defaults={"is_active": False}
    )


class Migration(migrations.Migration):
    dependencies = [("stations", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
