"""Roaming policies, and on each session the vehicle's department (who sees it too) and what the station was
told about its id tag. Sessions so far get the department of their vehicle, else of their RFID token."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def vehicle_departments(apps, schema_editor):
    ChargingSession = apps.get_model("charging", "ChargingSession")
    IdToken = apps.get_model("charging", "IdToken")
    Vehicle = apps.get_model("fleet", "Vehicle")
    ChargingSession.objects.filter(vehicle__isnull=False).update(
        vehicle_department_id=Subquery(Vehicle.objects.filter(pk=OuterRef("vehicle_id")).values("department_id")[:1])
    )
    ChargingSession.objects.filter(vehicle__isnull=True).exclude(id_tag="").update(
        vehicle_department_id=Subquery(IdToken.objects.filter(token=OuterRef("id_tag")).values("department_id")[:1])
    )


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_verbose_names_in_local_time'),
        ('charging', '0016_verbose_names_in_local_time'),
        ('fleet', '0007_verbose_names_in_local_time'),
    ]

    operations = [
        migrations.AddField(
            model_name='chargingsession',
            name='authorization_status',
            field=models.CharField(blank=True, help_text='What the central system answered the station for the id tag (OCPP idTagInfo / idTokenInfo status): Accepted, or the refusal, e.g. Invalid, Blocked, NotAtThisLocation; empty: no tag (yet).', max_length=20, verbose_name='authorization'),
        ),
        migrations.AddField(
            model_name='chargingsession',
            name='vehicle_department',
            field=models.ForeignKey(blank=True, help_text="The department of the vehicle (else of the RFID token) that charged, when it started: it sees the session too, also at another department's site.", null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='accounts.department', verbose_name="vehicle's department"),
        ),
        migrations.CreateModel(
            name='RoamingPolicy',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                ('mode', models.CharField(choices=[('none', 'No other department'), ('listed', 'The listed departments (and their teams)'), ('organisation', 'Any department of the same organisation (top-level department)'), ('any', 'Any department')], default='none', help_text="Whose vehicles, besides this department's own, its teams' and its parents', may charge here.", max_length=12, verbose_name='visiting vehicles allowed')),
                ('allowed_departments', models.ManyToManyField(blank=True, help_text="With 'the listed departments': these departments and their teams may charge here.", related_name='+', to='accounts.department', verbose_name='listed departments')),
                ('department', models.OneToOneField(help_text='The department whose sites this policy opens to visiting vehicles.', on_delete=django.db.models.deletion.CASCADE, related_name='roaming_policy', to='accounts.department', verbose_name='host department')),
            ],
            options={
                'verbose_name_plural': 'roaming policies',
                'ordering': ['department__path'],
            },
        ),
        migrations.RunPython(vehicle_departments, migrations.RunPython.noop),
    ]
