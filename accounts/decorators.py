"""View decorators every app's pages share."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect


def dashboard_user(view):
    """Pages are for people: integrator accounts are sent to the API guide."""
    decorated = login_required(view)

    def wrapper(request, *args, **kwargs):
        if request.user.is_authenticated and request.user.is_api_only:
            messages.error(request, "Integrator accounts use the REST API, not the dashboard.")
            return redirect("api-guide")
        return decorated(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    return wrapper
