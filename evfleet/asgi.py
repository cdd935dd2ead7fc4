"""ASGI entry point: HTTP through Django, WebSockets through Channels (dashboard live updates)."""

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "evfleet.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402  (needs the Django app loaded first)
from django.urls import path, re_path  # noqa: E402

from accounts.consumers import DashboardConsumer  # noqa: E402
from accounts.socket_auth import LiveSocketAuth  # noqa: E402
from evfleet import realtime  # noqa: E402
from evfleet.sockets import NoSuchSocket  # noqa: E402
from stations.ocpp.consumer import OcppConsumer  # noqa: E402

realtime.mark_server_process()

# Long-lived objects (Django, the URL map, the OCPP schemas, a thousand station sockets) would be walked by
# every full garbage collection, pausing all stations at once. Move what start-up created out of the
# collector's sight and collect the young generation less often: the tail latency of station traffic.
gc.freeze()
gc.set_threshold(50_000, 20, 100)

# Browsers: session-authenticated, same-origin only; programs: an API token, from anywhere (accounts/socket_auth.py).
dashboard = LiveSocketAuth(DashboardConsumer.as_asgi())

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": URLRouter(
            [
                # Charge points: no browser origin; identity, subprotocol and password are checked by the consumer.
                # Everything after /ocpp/ (decoded: "/", "..", NUL included) reaches it, and it refuses what is
                # not an identity; a path that matches no route is refused too (Channels would answer 500).
                re_path(r"^ocpp/(?P<identity>[\s\S]*?)/?\Z", OcppConsumer.as_asgi()),
                path("ws/dashboard/", dashboard),
                re_path(r"", NoSuchSocket.as_asgi()),
            ]
        ),
    }
)
