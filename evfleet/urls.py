from csp.decorators import csp_update
from django.contrib import admin
from django.http import HttpResponsePermanentRedirect
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from accounts.api import urls as accounts_api
from analytics.api import urls as analytics_api
from charging.api import urls as charging_api
from evfleet import realtime, views
from fleet.api import urls as fleet_api
from notifications.api import urls as notifications_api
from operations.api import urls as operations_api
from pricing.api import urls as pricing_api
from routing.api import urls as routing_api
from simulation.api import urls as simulation_api
from stations.api import urls as stations_api

# ReDoc (templates/drf_spectacular/redoc.html: its start-up script with the nonce, no web fonts) needs two things the
# site's policy refuses, for this page only: its search index runs in a web worker made from a blob: URL, and its
# "API docs by Redocly" footer shows a logo from Redocly's CDN (which ReDoc has no option to leave out).
redoc = csp_update({"worker-src": ["blob:"], "img-src": ["https://cdn.redoc.ly"]})(
    SpectacularRedocView.as_view(url_name="schema")
)

router = DefaultRouter()
for prefix, viewset in [
    *accounts_api.routes,
    *fleet_api.routes,
    *stations_api.routes,
    *simulation_api.routes,
    *pricing_api.routes,
    *charging_api.routes,
    *notifications_api.routes,
    *analytics_api.routes,
    *operations_api.routes,
    *routing_api.routes,
]:
    router.register(prefix, viewset)

api_v1 = [
    *accounts_api.urlpatterns,
    *stations_api.urlpatterns,
    *simulation_api.urlpatterns,
    *pricing_api.urlpatterns,
    *charging_api.urlpatterns,
    *notifications_api.urlpatterns,
    *analytics_api.urlpatterns,
    *routing_api.urlpatterns,
    *router.urls,
]

# Admin pages of the models that moved out of `charging` (issue 15): model name -> its new app. Their old
# addresses (bookmarks, links in emails and logs) redirect to the new ones, with the rest of the path and the query.
MOVED_ADMIN_MODELS = {
    **dict.fromkeys(
        (
            "tariff",
            "tariffversion",
            "customer",
            "contract",
            "holidaycalendar",
            "loadpricing",
            "gridsignal",
            "priceinterval",
        ),
        "pricing",
    ),
    "notification": "notifications",
    "notificationpreference": "notifications",
    "pushsubscription": "notifications",
    "delivery": "notifications",
    "thresholdrule": "notifications",
    "sessionreport": "notifications",
    "sessionreportrun": "notifications",
}


def moved_admin_page(request, model: str, rest: str = ""):
    new = request.path.replace(f"/admin/charging/{model}", f"/admin/{MOVED_ADMIN_MODELS[model]}/{model}", 1)
    query = request.META.get("QUERY_STRING", "")
    return HttpResponsePermanentRedirect(f"{new}?{query}" if query else new)


moved_admin = [
    re_path(rf"^(?P<model>{'|'.join(MOVED_ADMIN_MODELS)})(?P<rest>/.*)?$", moved_admin_page, name="moved-admin-page"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("accounts/", include("accounts.urls")),
    path("fleet/", include("fleet.urls")),
    path("dispatch/", include("dispatch.urls")),
    path("stations/", include("stations.urls")),
    path("analytics/", include("analytics.urls")),
    path("pricing/", include("pricing.urls")),
    path("simulation/", include("simulation.urls")),
    path("operations/", include("operations.urls")),
    path("routing/", include("routing.urls")),
    path("", include("notifications.urls")),
    path("", include("charging.urls")),
    path("admin/charging/", include(moved_admin)),
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
