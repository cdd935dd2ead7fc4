"""Password reset by email: Django's views with the project's templates, a throttle and the user service."""

from django.contrib.auth import views as auth_views
from django.shortcuts import redirect
from django.urls import reverse_lazy

from accounts import services
from accounts.forms import PasswordResetRequestForm
from accounts.lockout import password_reset_throttled, password_reset_throttled_message
from accounts.middleware import client_ip


class PasswordResetView(auth_views.PasswordResetView):
    """Asks for an email address and mails a link to the active accounts that have it (none: nothing is sent, and
    the page says the same). At most EVFLEET_LOGIN_FAILURE_LIMIT requests per client address and per email address
    within EVFLEET_LOGIN_COOLOFF; more get the form again with a 429."""

    template_name = "accounts/password_reset_form.html"
    form_class = PasswordResetRequestForm
    success_url = reverse_lazy("accounts:password-reset-sent")

    def form_valid(self, form):
        if password_reset_throttled(address=client_ip(self.request), email=form.cleaned_data["email"]):
            form.add_error(None, password_reset_throttled_message())
            return self.render_to_response(self.get_context_data(form=form), status=429)
        form.save()
        return redirect(self.success_url)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """The emailed link: a new password, set through the user service (validators, activity log)."""

    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password-reset-complete")

    def form_valid(self, form):
        services.password_reset_complete(user=form.user, password=form.cleaned_data["new_password1"])
        del self.request.session[auth_views.INTERNAL_RESET_SESSION_TOKEN]
        return redirect(self.success_url)
