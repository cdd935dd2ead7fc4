from django import forms

from accounts.scoping import scoped, visible_departments
from stations.models import ChargePoint, Connector, Site


class SiteForm(forms.ModelForm):
    class Meta:
        model = Site
        fields = ["name", "department", "address", "latitude", "longitude", "time_zone", "grid_limit_kw",
                  "smart_charging", "carbon_zone", "holiday_calendar"]  # fmt: skip

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = visible_departments(user)


class ChargePointForm(forms.ModelForm):
    password = forms.CharField(
        required=False,
        min_length=16,
        max_length=40,
        widget=forms.PasswordInput(render_value=False),
        help_text="OCPP basic-auth password, 16 to 40 characters; leave empty to keep the current one.",
    )

    class Meta:
        model = ChargePoint
        fields = ["identity", "site", "registration_status", "heartbeat_interval_s", "circuit", "max_power_kw"]

    def __init__(self, *args, user=None, **kwargs):
        """With a user (the dashboard), only their sites and a site is required; without one (the admin,
        which scopes the choices itself), an administrator may leave a pending station unassigned."""
        super().__init__(*args, **kwargs)
        if user is not None:
            self.fields["site"].queryset = scoped(Site.objects.all(), user)
            self.fields["site"].required = True
            self.fields["circuit"].queryset = scoped(self.fields["circuit"].queryset, user)

    def clean(self):
        data = super().clean()
        circuit, site = data.get("circuit"), data.get("site")
        if circuit is not None and site is not None and circuit.site_id != site.pk:
            self.add_error("circuit", f"{circuit.name} is a circuit of {circuit.site}, not of {site}.")
        return data


class ConnectorForm(forms.ModelForm):
    class Meta:
        model = Connector
        fields = [
            "evse_id",
            "connector_id",
            "connector_type",
            "current_type",
            "max_power_kw",
            "max_current_a",
            "nominal_voltage_v",
            "bidirectional",
        ]
