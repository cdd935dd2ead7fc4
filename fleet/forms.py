from django import forms

from accounts.scoping import visible_departments
from fleet.models import Vehicle, VehicleModel


class VehicleForm(forms.ModelForm):
    """Dashboard form for a vehicle; the department choice is limited to the user's subtree."""

    class Meta:
        model = Vehicle
        fields = [
            "vin",
            "fleet_number",
            "license_plate",
            "department",
            "vehicle_model",
            "status",
            "priority_class",
            "state_of_health_percent",
        ]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = visible_departments(user)
        self.fields["vehicle_model"].queryset = VehicleModel.objects.all()
        # charging is shown while a station charges the vehicle, never set (fleet.selectors.current_status)
        self.fields["status"].choices = [c for c in Vehicle.Status.choices if c[0] != Vehicle.Status.CHARGING]


class FleetFilterForm(forms.Form):
    q = forms.CharField(
        required=False, label="Search", widget=forms.TextInput(attrs={"placeholder": "VIN, plate or fleet number"})
    )
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *Vehicle.Status.choices])
    priority_class = forms.ChoiceField(
        required=False, choices=[("", "Any priority"), *Vehicle.PriorityClass.choices], label="Priority"
    )
    department = forms.ModelChoiceField(required=False, queryset=None, empty_label="All my departments")
    make = forms.ChoiceField(required=False, choices=[("", "Any make")])

    def __init__(self, *args, user, makes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = visible_departments(user)
        self.fields["make"].choices = [("", "Any make"), *((m, m) for m in makes)]
