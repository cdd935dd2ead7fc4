from pathlib import Path

import markdown
from django.conf import settings
from django.contrib.staticfiles import finders
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

FAVICON = "img/favicon.svg"


def home(request):
    """The readiness board (dispatch) is the home page; the fleet overview stays at /fleet/."""
    return redirect("dispatch:board")


@require_safe
@cache_control(public=True, max_age=86400)
def favicon(request):
    """/favicon.ico, where browsers and bookmark tools look unasked: the site's SVG icon (pages link it too)."""
    return HttpResponse(Path(finders.find(FAVICON)).read_bytes(), content_type="image/svg+xml")


def healthz(request):
    """Liveness and database reachability, for load balancers and `make run`."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "database": connection.vendor})


def api_guide(request):
    """docs/api.md, the integrators' guide, rendered inside the dashboard layout."""
    text = (Path(settings.BASE_DIR) / "docs" / "api.md").read_text()
    html = markdown.markdown(text, extensions=["fenced_code", "tables", "toc"])
    return render(request, "api_guide.html", {"guide": html})
