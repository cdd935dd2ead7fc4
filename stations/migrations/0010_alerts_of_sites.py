# Alerts about a whole site (site_offline) besides those about a station (never_connected is new too): an
# alert names its site, set for the alerts already stored from their station, and is scoped by it.

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def site_from_station(apps, schema_editor):
    Alert = apps.get_model("stations", "Alert")
    ChargePoint = apps.get_model("stations", "ChargePoint")
    Alert.objects.update(site=Subquery(ChargePoint.objects.filter(pk=OuterRef("charge_point_id")).values("site_id")[:1]))


class Migration(migrations.Migration):

    dependencies = [
        ('stations', '0009_verbose_names_in_local_time'),
    ]

    operations = [
        migrations.AddField(
            model_name='alert',
            name='site',
            field=models.ForeignKey(blank=True, help_text="Where it happened: the station's site when it was raised (empty for a station without one).", null=True, on_delete=django.db.models.deletion.CASCADE, related_name='alerts', to='stations.site'),
        ),
        migrations.RunPython(site_from_station, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name='alert',
            name='charge_point',
            field=models.ForeignKey(blank=True, help_text='Empty for an alert about the whole site.', null=True, on_delete=django.db.models.deletion.CASCADE, related_name='alerts', to='stations.chargepoint'),
        ),
        migrations.AlterField(
            model_name='alert',
            name='kind',
            field=models.CharField(choices=[('missed_heartbeat', 'Missed heartbeats'), ('connector_fault', 'Connector fault'), ('stuck_preparing', 'Stuck in Preparing'), ('stuck_finishing', 'Stuck in Finishing'), ('no_energy_flow', 'Charging without energy flow'), ('meter_backwards', 'Meter reading went backwards'), ('power_above_max', "Power above the connector's maximum"), ('repeated_failures', 'Repeated failed sessions'), ('never_connected', 'Never connected'), ('site_offline', 'Whole site offline')], max_length=20, verbose_name='kind'),
        ),
        migrations.AddConstraint(
            model_name='alert',
            constraint=models.CheckConstraint(condition=models.Q(('charge_point__isnull', False), models.Q(('connector__isnull', True), ('site__isnull', False)), _connector='OR'), name='alert_at_a_station_or_a_site'),
        ),
        migrations.AddConstraint(
            model_name='alert',
            constraint=models.UniqueConstraint(condition=models.Q(('charge_point__isnull', True), ('resolved_at__isnull', True)), fields=('kind', 'site'), name='alert_one_open_per_site'),
        ),
    ]
