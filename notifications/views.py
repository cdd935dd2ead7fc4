"""The notifications page: the list (read and unread), the channel choices per event, browser push."""

from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import cache_control

from accounts.decorators import dashboard_user
from notifications import services
from notifications.models import Channel, Event, Notification
from notifications.selectors import preferences_of


@dashboard_user
def notification_list(request):
    user = request.user
    if request.method == "POST":
        if "read_all" in request.POST:
            services.notification_mark_read(user=user)
        elif "preferences" in request.POST:
            services.preferences_set(
                user=user,
                choices={
                    (event, channel): f"pref:{event}:{channel}" in request.POST
                    for event in Event.values
                    for channel in Channel.values
                },
            )
            messages.success(request, "Your notification choices are saved.")
        return redirect("notifications:list")
    page = Paginator(Notification.objects.filter(user=user, shown_in_app=True), 50).get_page(request.GET.get("page"))
    chosen = preferences_of(user)
    matrix = [
        (event, label, [(channel, chosen[event, channel]) for channel in Channel.values])
        for event, label in Event.choices
    ]
    return render(
        request,
        "notifications/notification_list.html",
        {"page": page, "matrix": matrix, "channels": Channel.choices},
    )


@cache_control(no_cache=True)
def service_worker(request):
    """The push service worker, served from the site root so that its scope is the whole dashboard."""
    source = Path(settings.BASE_DIR) / "static" / "js" / "sw.js"
    response = HttpResponse(source.read_text(), content_type="application/javascript")
    response["Service-Worker-Allowed"] = "/"
    return response
