from django import forms
from django.contrib.auth.forms import AuthenticationForm


class DashboardLoginForm(AuthenticationForm):
    """Sign-in for people; integrator accounts are for the API and are turned away with a reason."""

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if user.is_api_only:
            raise forms.ValidationError(
                "This is an integrator account for the REST API; use an API token (see /api/guide/).",
                code="api_only",
            )
