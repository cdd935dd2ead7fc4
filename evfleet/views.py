from pathlib import Path

import markdown
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render


def home(request):
    return redirect("fleet:overview")


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
