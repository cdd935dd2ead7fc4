from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.db import transaction

from accounts import tasks


class DashboardLoginForm(AuthenticationForm):
    """Sign-in for people; integrator accounts are for the API and are turned away with a reason."""

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if user.is_api_only:
            raise forms.ValidationError(
                "This is an integrator account for the REST API; use an API token (see /api/guide/).",
                code="api_only",
            )


class PasswordResetRequestForm(PasswordResetForm):
    """Asks for an email address; the link goes out through a task, whether or not an account has that address the
    page says the same (no account enumeration)."""

    def save(self, **kwargs):
        for user in self.get_users(self.cleaned_data["email"]):
            transaction.on_commit(lambda user_id=user.pk: tasks.password_reset_email_send.delay(user_id=user_id))
