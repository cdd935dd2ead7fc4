"""Dashboard and admin forms of charging: roaming policies."""

from django import forms
from django.core.exceptions import ValidationError

from accounts.models import Department
from charging.models import RoamingPolicy


class RoamingPolicyForm(forms.ModelForm):
    """A department's roaming policy: in the admin with its department, on the page for the department its
    address names. Any department may be listed (naming one shows nothing of it); the service's rules apply."""

    class Meta:
        model = RoamingPolicy
        fields = ["department", "mode", "allowed_departments"]

    def __init__(self, *args, department: Department | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.department = department
        if department is not None:
            del self.fields["department"]
        names = dict(Department.objects.values_list("pk", "name"))
        listed = self.fields["allowed_departments"]
        listed.queryset = Department.objects.order_by("path")
        listed.label_from_instance = lambda d: " › ".join(names.get(int(i), "?") for i in d.path.strip("/").split("/"))

    def clean(self):
        from charging.services.roaming import roaming_policy_check

        data = super().clean()
        department = self.department or data.get("department")
        if department is not None and data.get("mode"):
            try:
                roaming_policy_check(
                    department=department,
                    mode=data["mode"],
                    allowed_departments=list(data.get("allowed_departments") or []),
                )
            except ValidationError as exc:
                for field, errors in exc.error_dict.items():
                    self.add_error(field if field in self.fields else None, errors)
        return data
