from csp.decorators import csp_update
from django.contrib import admin
from django.http import HttpResponsePermanentRedirect
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from accounts.api import urls as accounts_api
from analytics.api import urls as analytics_api
from charging.api import urls as charging_api
from evfleet import realtime, views
from fleet.api import urls as fleet_api
from pricing.api import urls as pricing_api
from stations.api import urls as stations_api

# ReDoc (templates/drf_spectacular/redoc.html: its start-up script with the nonce, no web fonts) needs two things the
# site's policy refuses, for this page only: its search index runs in a web worker made from a blob: URL, and its
# "API docs by Redocly" footer shows a logo from Redocly's CDN (which ReDoc has no option to leave out).
redoc = csp_update({"worker-src": ["blob:"], "img-src": ["https://cdn.redoc.ly"]})(
    SpectacularRedocView.as_view(url_name="schema")
)

# Models that moved out of charging to an app of their own (issue 15): their old admin addresses (bookmarks, links in
# mails and notes) redirect to the new ones, /admin/charging/<model>/... to /admin/<app>/<model>/..., query and all.
MOVED_ADMIN_MODELS = {
    "tariff": "pricing",
    "tariffversion": "pricing",
    "customer": "pricing",
    "contract": "pricing",
    "holidaycalendar": "pricing",
    "loadpricing": "pricing",
    "gridsignal": "pricing",
    "priceinterval": "pricing",
}


def moved_admin(request, app: str, rest: str = ""):
    return HttpResponsePermanentRedirect(request.get_full_path().replace("/admin/charging/", f"/admin/{app}/", 1))


moved_admin_urls = [
    path(f"admin/charging/{model}/{rest}", moved_admin, {"app": app})
    for model, app in MOVED_ADMIN_MODELS.items()
    for rest in ("", "<path:rest>")
]

router = DefaultRouter()
for prefix, viewset in [
    *accounts_api.routes,
    *fleet_api.routes,
    *stations_api.routes,
    *pricing_api.routes,
    *charging_api.routes,
    *analytics_api.routes,
]:
    router.register(prefix, viewset)

api_v1 = [
    *accounts_api.urlpatterns,
    *stations_api.urlpatterns,
    *pricing_api.urlpatterns,
    *charging_api.urlpatterns,
    *analytics_api.urlpatterns,
    *router.urls,
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("accounts/", include("accounts.urls")),
    path("fleet/", include("fleet.urls")),
    path("stations/", include("stations.urls")),
    path("analytics/", include("analytics.urls")),
    path("pricing/", include("pricing.urls")),
    path("", include("charging.urls")),
    *moved_admin_urls,
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view loads Swagger UI's start-up script from a URL instead of an inline <script>: the site's policy.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", redoc, name="redoc"),
    path("api/guide/", views.api_guide, name="api-guide"),
    path("internal/relay/", realtime.relay_view, name="realtime-relay"),
]

# Under /api/ an unknown address and a server error answer in the API's JSON error shape too.
handler404 = "evfleet.api.errors.page_not_found"
handler500 = "evfleet.api.errors.server_error"
