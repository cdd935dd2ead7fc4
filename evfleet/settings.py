"""Settings for every mode, driven by environment variables (each one is documented in README.md).

Embedded default (nothing set): SQLite, the in-memory channel layer, Celery on kombu's
filesystem transport with beat beside the worker. Production mode: DATABASE_URL (PostgreSQL)
and REDIS_URL (channel layer, Celery broker and cache) switch to real services.
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.core.management.utils import get_random_secret_key

from evfleet.env import env_bool, env_float, env_int, env_list, env_str, env_tile_url, env_url

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("EVFLEET_DATA_DIR") or BASE_DIR / "var")
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DJANGO_DEBUG", False)


def _secret_key() -> str:
    """DJANGO_SECRET_KEY, or a random key kept in DATA_DIR so sessions survive restarts."""
    key = env_str("DJANGO_SECRET_KEY")
    if key:
        return key
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(get_random_secret_key())
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "django_celery_beat",
    "axes",
    "csp",
    "evfleet",
    "accounts",
    "notifications",
    "fleet",
    "stations",
    "pricing",
    "charging",
    "v2g",
    "simulation",
    "operations",
    "routing",
    "dispatch",
    "analytics",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "accounts.middleware.RequestContextMiddleware",
    # Last, as django-axes asks: turns a sign-in refused for too many failures into the locked-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "evfleet.urls"
ASGI_APPLICATION = "evfleet.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "notifications.context_processors.notifications",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env_url("DATABASE_URL", schemes=("postgres", "postgresql", "pgsql"))
if DATABASE_URL:
    # Under ASGI a request's sync code runs in a thread of its own that ends with the request, and Django keeps
    # a persistent connection per thread: with CONN_MAX_AGE > 0 every request would leave one connection open
    # until max_connections is exhausted. So connections live in a pool per process (psycopg_pool), shared by
    # every thread: each request, OCPP message and task takes one and gives it back (CONN_MAX_AGE must be 0).
    DATABASE_CONN_MAX_AGE_S = env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0)
    DATABASE_POOL_MAX_SIZE = env_int("DATABASE_POOL_MAX_SIZE", 10, minimum=1)
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL,
            conn_max_age=0,
            # With the pool: a connection is checked with a round trip each time it is taken from it (one more
            # per OCPP message); without, a connection the server dropped fails one request and is replaced.
            conn_health_checks=env_bool("DATABASE_CONN_HEALTH_CHECKS", False),
        )
    }
    if DATABASE_CONN_MAX_AGE_S:
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": env_int("DATABASE_POOL_MIN_SIZE", 2, minimum=0, maximum=DATABASE_POOL_MAX_SIZE),
            "max_size": DATABASE_POOL_MAX_SIZE,
            # A caller waits this long for a free connection, then fails (500 for a request, a retry for a task).
            "timeout": env_int("DATABASE_POOL_TIMEOUT", 10, minimum=1),
            # How long a connection is reused before the pool replaces it (DATABASE_CONN_MAX_AGE's old meaning).
            "max_lifetime": DATABASE_CONN_MAX_AGE_S,
        }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "db.sqlite3",
            "OPTIONS": {
                # The server, the worker and beat write concurrently: WAL lets readers go on while
                # one writer works, IMMEDIATE takes the write lock up front so two writers queue
                # instead of deadlocking, and the timeout is how long a writer waits its turn.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
            },
            # The test database is a file too: the live-server tests write from several threads, and an
            # in-memory database's table locks fail at once where a file's writers wait their turn.
            "TEST": {"NAME": DATA_DIR / "test-db.sqlite3"},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: channel layer, Celery broker, cache ----------------------------------------------
REDIS_URL = env_url("REDIS_URL", schemes=("redis", "rediss", "unix"))
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": env_str("EVFLEET_CHANNEL_PREFIX", "evfleet")},
        }
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# In the embedded default the in-memory channel layer lives inside the ASGI server process only;
# workers, beat and commands hand live updates to the server through this URL (see evfleet/realtime.py).
EVFLEET_RELAY_URL = env_str("EVFLEET_RELAY_URL", "http://127.0.0.1:8000/internal/relay/")

# --- Celery ----------------------------------------------------------------------------------
CELERY_BROKER_DIR = DATA_DIR / "celery-broker"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
else:
    CELERY_BROKER_URL = "evfleet-filesystem://"  # kombu's filesystem transport, messages written whole (broker.py)
    for _sub in ("queue", "processed", "control"):
        (CELERY_BROKER_DIR / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "evfleet.schedules:BeatScheduler"  # django-celery-beat's, waiting out a broker outage
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

FLEET_SUMMARY_INTERVAL_S = env_int("EVFLEET_FLEET_SUMMARY_INTERVAL", 30, minimum=1)
# An open dashboard socket re-reads its user this often and closes when the user was deactivated or given another
# role or department (the services and the admin announce such a change at once; this catches any other write).
DASHBOARD_ACCESS_CHECK_INTERVAL_S = env_int("EVFLEET_DASHBOARD_ACCESS_CHECK_INTERVAL", 30, minimum=1)
# Every periodic job, defined in code; DatabaseScheduler copies them into django-celery-beat's
# tables on start, so a fresh database has all of them and admins can pause or retime them.
CELERY_BEAT_SCHEDULE = {
    "fleet-summary-broadcast": {
        "task": "fleet.tasks.fleet_summary_broadcast",
        "schedule": timedelta(seconds=FLEET_SUMMARY_INTERVAL_S),
        "options": {"expires": max(FLEET_SUMMARY_INTERVAL_S - 1, 1)},
    },
    "station-watchdog": {
        "task": "stations.tasks.station_watchdog",
        "schedule": timedelta(seconds=env_int("EVFLEET_STATION_WATCHDOG_INTERVAL", 30, minimum=1)),
        "options": {"expires": 25},
    },
    "ocpp-message-prune": {
        "task": "stations.tasks.ocpp_message_prune",
        "schedule": timedelta(hours=24),
        "options": {"expires": 60 * 60 * 23},
    },
    "price-intervals-record": {
        "task": "pricing.tasks.price_intervals_record",
        "schedule": timedelta(minutes=1),  # records each 15-minute interval once, within a minute of its start
        "options": {"expires": 50},
    },
    "reservations-tick": {
        "task": "charging.tasks.reservations_tick",
        "schedule": timedelta(minutes=1),
        "options": {"expires": 50},
    },
    "grid-signals-fetch": {
        "task": "pricing.tasks.grid_signals_fetch",
        "schedule": timedelta(minutes=15),
        "options": {"expires": 60 * 14},
    },
    "report-files-prune": {
        "task": "analytics.tasks.report_files_prune",
        "schedule": timedelta(hours=24),
        "options": {"expires": 60 * 60 * 23},
    },
    "analytics-rollup": {
        "task": "analytics.tasks.analytics_rollup",
        "schedule": timedelta(minutes=env_int("EVFLEET_ANALYTICS_ROLLUP_INTERVAL", 15, minimum=1)),
        "options": {"expires": 60 * 10},
    },
    "smart-charging-replan": {
        "task": "charging.tasks.smart_charging_tick",
        "schedule": timedelta(minutes=5),  # rolls the horizon on, and re-plans sites whose meters are off the plan
        "options": {"expires": 60 * 4},
    },
    "smart-charging-prune": {
        "task": "charging.tasks.smart_charging_prune",
        "schedule": timedelta(hours=24),
        "options": {"expires": 60 * 60 * 23},
    },
    "readiness-alerts": {
        "task": "charging.tasks.readiness_alerts",
        "schedule": timedelta(minutes=5),  # vehicles at risk or not plugged in for a trip within the alert hours
        "options": {"expires": 60 * 4},
    },
    "activity-log-prune": {
        "task": "accounts.tasks.activity_log_prune",
        "schedule": timedelta(hours=24),
        "options": {"expires": 60 * 60 * 23},
    },
    "weather-fetch": {
        "task": "simulation.tasks.weather_fetch",
        "schedule": timedelta(hours=1),
        "options": {"expires": 60 * 50},
    },
    "traffic-fetch": {
        "task": "simulation.tasks.traffic_fetch",
        "schedule": timedelta(minutes=15),
        "options": {"expires": 60 * 14},
    },
    "simulation-health-update": {
        "task": "simulation.tasks.health_update",
        # nightly, after the day (UTC) has ended and the late telemetry is in: ages every vehicle by yesterday
        "schedule": crontab(hour=1, minute=30),
        "options": {"expires": 60 * 60 * 20},
    },
    "trip-needs-refresh": {
        "task": "operations.tasks.trip_needs_refresh",
        "schedule": timedelta(hours=1),  # planned trips leaving within 48 h, from the latest forecast
        "options": {"expires": 60 * 50},
    },
    "duty-schedules-generate": {
        "task": "operations.tasks.schedules_generate",
        "schedule": timedelta(hours=24),  # each active schedule's trips up to its department's horizon
        "options": {"expires": 60 * 60 * 23},
    },
    "idempotency-keys-purge": {
        "task": "accounts.tasks.idempotency_keys_purge",
        "schedule": timedelta(hours=1),  # keys live 24 h; hourly keeps the table at about a day's POSTs
        "options": {"expires": 60 * 50},
    },
}

# --- Auth ------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
# AxesStandaloneBackend first: it refuses a locked-out sign-in before the password is even checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "accounts.backends.RoleBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "dispatch:board"  # the readiness board, the home page
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Sign-in throttling (django-axes; accounts/lockout.py), for the sign-in page, the admin's and POST auth/token/.
# After EVFLEET_LOGIN_FAILURE_LIMIT wrong passwords for one username from one client address, that pair is locked
# for EVFLEET_LOGIN_COOLOFF seconds, counted from the last failure: the right password is refused too, the page
# says until when and the API answers 429 with Retry-After. By username AND address: a depot's staff share one
# address behind its NAT, so locking an address would lock out the whole depot for one person's typos, and
# locking a username alone would let anyone lock any account (an administrator's) from anywhere; the pair stops a
# guesser at one account and leaves its owner, at their own address, signing in. Administrators unlock early in
# the admin (Axes > Access attempts) or with `manage.py axes_reset_username <name>` / `axes_reset`.
AXES_FAILURE_LIMIT = env_int("EVFLEET_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(seconds=env_int("EVFLEET_LOGIN_COOLOFF", 900, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"  # shared by every process; the admin lists it
AXES_CLIENT_IP_CALLABLE = "accounts.middleware.client_ip"  # X-Forwarded-For only behind declared proxies
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_RESET_ON_SUCCESS = True  # a successful sign-in forgets that pair's earlier failures
# Attempts while locked are refused without moving the end of the lock, so "try again at" stays true.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_DISABLE_ACCESS_LOG = True  # successful sign-ins: User.last_login; the access log would grow without end

# --- Internationalisation: store UTC, show the department's local time -------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
EVFLEET_DEFAULT_TIME_ZONE = env_str("EVFLEET_DEFAULT_TIME_ZONE", "Europe/Berlin")

# --- Static files: served by WhiteNoise, Plotly's JS straight from the installed package ------
# Collected files get their content's hash in their name and are cached by browsers for good; pages link those
# names once `collectstatic` has run (evfleet/staticfiles.py), and the plain names otherwise.
STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "evfleet.staticfiles.PackageAssetFinder",
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "evfleet.staticfiles.HashedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True  # plain names straight from their sources: pages work before collectstatic
# Seconds a browser keeps a file under its plain name (hashed names are immutable: ten years, WhiteNoise's own).
WHITENOISE_MAX_AGE = 0 if DEBUG else 60

# --- Security: HTTPS is terminated by the reverse proxy; DJANGO_HTTPS=true tells Django so -----
HTTPS = env_bool("DJANGO_HTTPS", False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000 if HTTPS else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_SSL_REDIRECT = False  # the proxy redirects plain HTTP; Django would loop behind it
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
# The live map (/dispatch/map/): an offline Natural Earth basemap always (static/basemap/); with a tile server set,
# its tiles on top, and the server's origin in the policy's img-src below (and only then).
EVFLEET_MAP_TILES_URL, EVFLEET_MAP_TILES_SOURCE = env_tile_url("EVFLEET_MAP_TILES_URL")
EVFLEET_MAP_ATTRIBUTION = env_str("EVFLEET_MAP_ATTRIBUTION")
# Content-Security-Policy (django-csp): only this site's own files run. A page's inline <script> carries the
# request's nonce (`nonce="{{ request.csp_nonce }}"`); no inline event handlers, no eval (Plotly's SVG charts
# need none). Styles may be inline: plotly.js inserts <style> elements at run time (its global rules and the
# bundled MapLibre stylesheet) and takes no nonce, and ReDoc does the same; CSS runs no script, so scripts stay
# strict. ReDoc loosens the policy for itself (evfleet/urls.py says why). WebSockets: 'self' covers ws(s):// to
# the same host and port.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:", *([EVFLEET_MAP_TILES_SOURCE] if EVFLEET_MAP_TILES_SOURCE else [])],
        "font-src": [SELF],
        "connect-src": [SELF],
        "worker-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# Client addresses (the activity log, sign-in throttling) come from X-Forwarded-For only when a proxy is declared.
EVFLEET_TRUSTED_PROXY_COUNT = env_int("EVFLEET_TRUSTED_PROXY_COUNT", 0, minimum=0)

# --- Email ------------------------------------------------------------------------------------
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1, maximum=65535)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "EV Fleet <fleet@localhost>")

# --- REST API ---------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: its WWW-Authenticate header turns a missing login into 401, not 403.
        "accounts.backends.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["evfleet.api.permissions.RolePermission"],
    "DEFAULT_PAGINATION_CLASS": "evfleet.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    # Strict: an unknown parameter, ordering field or filter value is a 400 naming it (evfleet/api/filters.py).
    "DEFAULT_FILTER_BACKENDS": [
        "evfleet.api.filters.FilterBackend",
        "evfleet.api.filters.SearchFilter",
        "evfleet.api.filters.OrderingFilter",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "evfleet.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "evfleet.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "evfleet.api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DATETIME_FORMAT": "iso-8601",
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "EV Fleet API",
    "DESCRIPTION": (
        "Fleet, stations, charging and analytics for electric vehicle depots. "
        "Authenticate with `Authorization: Token <key>` (or a dashboard session). "
        "Every error has the same shape: see the `Error` schema and docs/api.md."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "",  # the site's own, linked by templates/drf_spectacular/swagger_ui.html
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "ConnectorTypeEnum": "fleet.connectors.ConnectorType",
        "VehicleStatusEnum": "fleet.models.Vehicle.Status",
        "PriorityClassEnum": "fleet.models.Vehicle.PriorityClass",
        "RoleEnum": "accounts.models.User.Role",
        "ChargePointStatusEnum": "stations.models.ChargePoint.Status",
        "ConnectorStatusEnum": "stations.models.Connector.Status",
        "CommandStateEnum": "stations.models.OcppCommand.State",
        "SessionStatusEnum": "charging.models.ChargingSession.Status",
        "CustomerKindEnum": "pricing.models.Customer.Kind",
        "ContractKindEnum": "pricing.models.Contract.Kind",
        "ReservationStatusEnum": "charging.models.Reservation.Status",
        "VehicleClassEnum": "fleet.models.VehicleModel.VehicleClass",
        "TariffDimensionEnum": "pricing.engine.DIMENSIONS",
        "WeekdayNameEnum": "pricing.engine.DAYS",
    },
}

# --- OCPP central system ----------------------------------------------------------------------
# An unknown identity is refused at the handshake ("reject") or admitted and held as pending
# ("pending") until an administrator assigns it to a site and accepts it.
OCPP_UNKNOWN_STATIONS = env_str("EVFLEET_OCPP_UNKNOWN_STATIONS", "reject")
if OCPP_UNKNOWN_STATIONS not in ("reject", "pending"):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("EVFLEET_OCPP_UNKNOWN_STATIONS must be reject or pending.")
OCPP_MESSAGE_RETENTION_DAYS = env_int("EVFLEET_OCPP_MESSAGE_RETENTION_DAYS", 30, minimum=1)
OCPP_COMMAND_TIMEOUT_S = env_int("EVFLEET_OCPP_COMMAND_TIMEOUT", 30, minimum=1)
# The largest WebSocket message a station may send; a larger one closes its socket with 1009 (message too big).
# `manage.py serve` gives uvicorn the same --ws-max-size, so the server never reads more than this.
OCPP_MAX_FRAME_BYTES = env_int("EVFLEET_OCPP_MAX_FRAME_BYTES", 65536, minimum=1024, maximum=16 * 1024 * 1024)
# The message log keeps at most this many characters of a frame (the rest is cut, and the cut is marked).
OCPP_MESSAGE_LOG_MAX_CHARS = env_int("EVFLEET_OCPP_MESSAGE_LOG_MAX_CHARS", 16384, minimum=256)
# Each server process confirms its open station sockets this often and marks stations whose socket it lost as
# disconnected; the watchdog does so for stations no process has confirmed for three intervals.
OCPP_SOCKET_CHECK_INTERVAL_S = env_int("EVFLEET_OCPP_SOCKET_CHECK_INTERVAL", 30, minimum=1)
STUCK_CONNECTOR_AFTER_S = env_int("EVFLEET_STUCK_CONNECTOR_AFTER", 900, minimum=60)
NO_ENERGY_FLOW_AFTER_S = env_int("EVFLEET_NO_ENERGY_FLOW_AFTER", 600, minimum=60)
# A station registered this long ago that has never connected raises an alert (before, it may not be installed yet).
NEVER_CONNECTED_AFTER_S = env_int("EVFLEET_NEVER_CONNECTED_AFTER", 86400, minimum=60)
# A station that booted this long ago and has said nothing of a transaction open before its boot forgot it.
REBOOT_GRACE_S = env_int("EVFLEET_REBOOT_GRACE", 300, minimum=30)
REPEATED_FAILURES_COUNT = env_int("EVFLEET_REPEATED_FAILURES", 3, minimum=2)

# --- Pricing ----------------------------------------------------------------------------------
# A grid operator's feed of prices and load per interval (JSON over HTTP, see pricing/gridsignals.py).
# Empty, the offline default: no feed is read, and integrators may still POST /api/v1/grid-signals/.
GRID_SIGNAL_URL = env_url("EVFLEET_GRID_SIGNAL_URL", schemes=("http", "https"))
GRID_SIGNAL_TIMEOUT_S = env_int("EVFLEET_GRID_SIGNAL_TIMEOUT", 10, minimum=1)
# Weather and traffic feeds of the simulation models (simulation/feeds/). No URL: the offline defaults, the sites'
# climate normals and the typical speed profiles. Weather: Open-Meteo's /v1/forecast; traffic: TomTom's
# flowSegmentData (the key goes in EVFLEET_TRAFFIC_KEY, never in the URL).
WEATHER_URL = env_url("EVFLEET_WEATHER_URL", schemes=("http", "https"))
WEATHER_TIMEOUT_S = env_int("EVFLEET_WEATHER_TIMEOUT_S", 10, minimum=1, maximum=120)
TRAFFIC_URL = env_url("EVFLEET_TRAFFIC_URL", schemes=("http", "https"))
TRAFFIC_KEY = env_str("EVFLEET_TRAFFIC_KEY")
TRAFFIC_TIMEOUT_S = env_int("EVFLEET_TRAFFIC_TIMEOUT_S", 10, minimum=1, maximum=120)

# --- Routing ----------------------------------------------------------------------------------
# External route servers compared with the built-in road graph (routing/providers/): an OSRM server's base URL
# (GET /route/v1/driving/...) and a Valhalla server's (POST /route). Empty, the offline default: only the imported
# road graphs answer. A provider that fails is reported next to the graph's routes, which still show.
OSRM_URL = env_url("EVFLEET_OSRM_URL", schemes=("http", "https"))
VALHALLA_URL = env_url("EVFLEET_VALHALLA_URL", schemes=("http", "https"))
ROUTING_PROVIDER_TIMEOUT_S = env_int("EVFLEET_ROUTING_PROVIDER_TIMEOUT_S", 5, minimum=1, maximum=60)

# --- Notifications ----------------------------------------------------------------------------
# The same thing told to the same user again within this window is folded into the first notification.
# The address people open the dashboard at, for links in emails.
EVFLEET_BASE_URL = env_str("EVFLEET_BASE_URL", "http://127.0.0.1:8000")
NOTIFICATION_FOLD_WINDOW_S = env_int("EVFLEET_NOTIFICATION_FOLD_WINDOW", 600, minimum=0)
# a vehicle at risk or not plugged in is told of when its next trip leaves within this many hours
READINESS_ALERT_HOURS = env_int("EVFLEET_READINESS_ALERT_HOURS", 12, minimum=1, maximum=168)
# Web Push: the VAPID key pair that signs pushes. Unset: one is made once and kept in the data directory
# (every process must share it: set EVFLEET_VAPID_PRIVATE_KEY_FILE to the same PEM file in production).
VAPID_PRIVATE_KEY_FILE = env_str("EVFLEET_VAPID_PRIVATE_KEY_FILE") or str(DATA_DIR / "vapid_private.pem")
VAPID_SUBJECT = env_str("EVFLEET_VAPID_SUBJECT", "mailto:fleet@localhost")

# --- Analytics and reports ---------------------------------------------------------------------
# Generated report files (the history of scheduled reports). In production every worker and web process
# must see the same directory (a shared volume), or set DEFAULT_FILE_STORAGE-style storage in STORAGES.
MEDIA_ROOT = Path(env_str("EVFLEET_MEDIA_ROOT") or DATA_DIR / "media")
MEDIA_URL = "media/"
# The longest period a dashboard, comparison or report may cover, in days.
ANALYTICS_MAX_PERIOD_DAYS = env_int("EVFLEET_ANALYTICS_MAX_PERIOD_DAYS", 731, minimum=31)
# Vehicles count as at risk when their expected SoC at departure is below this (and no department threshold
# rule for "SoC at departure" says otherwise).
ANALYTICS_DEPARTURE_SOC_TARGET = env_int("EVFLEET_ANALYTICS_DEPARTURE_SOC_TARGET", 80, minimum=1)
# Carbon intensity of a site with no grid zone, in g CO2e/kWh (roughly the EU average of 2024).
ANALYTICS_DEFAULT_GCO2E_PER_KWH = float(env_int("EVFLEET_ANALYTICS_DEFAULT_GCO2E_PER_KWH", 250, minimum=0))
REPORT_MAX_ATTEMPTS = env_int("EVFLEET_REPORT_MAX_ATTEMPTS", 3, minimum=1)
# Report files older than this are deleted by the daily job (the run, who got it and when, stays).
REPORT_FILE_RETENTION_DAYS = env_int("EVFLEET_REPORT_FILE_RETENTION_DAYS", 90, minimum=1)

# --- Smart charging ----------------------------------------------------------------------------
SMART_CHARGING_HORIZON = env_int("EVFLEET_SMART_CHARGING_HORIZON", 96, minimum=4, maximum=672)  # 15-minute intervals
# What a kg of CO2e weighs against money in the plan's objective (0: carbon plays no part in the plan).
SMART_CHARGING_CARBON_PRICE_PER_KG = env_float("EVFLEET_SMART_CHARGING_CARBON_PRICE_PER_KG", 0.0, minimum=0.0)
# A session drawing this share more or less than planned (and at least 1 kW) is "off the plan": re-plan.
SMART_CHARGING_OFF_PLAN_SHARE = 0.2
# Plans older than this are deleted by the daily job (each site's current plan is kept); what-ifs after a day.
SMART_CHARGING_PLAN_RETENTION_DAYS = env_int("EVFLEET_SMART_CHARGING_PLAN_RETENTION_DAYS", 30, minimum=1)

# --- Domain limits ----------------------------------------------------------------------------
TELEMETRY_BULK_MAX_POINTS = 10_000
TELEMETRY_MAX_CLOCK_SKEW_S = env_int("EVFLEET_TELEMETRY_MAX_CLOCK_SKEW", 300, minimum=0)
TELEMETRY_ODOMETER_TOLERANCE_KM = 1.0
TELEMETRY_STALE_AFTER_S = env_int("EVFLEET_TELEMETRY_STALE_AFTER", 3600, minimum=60)
ACTIVITY_LOG_RETENTION_DAYS = env_int("EVFLEET_ACTIVITY_LOG_RETENTION_DAYS", 730, minimum=1)
DATA_UPLOAD_MAX_MEMORY_SIZE = 16 * 1024 * 1024  # a 10,000-point telemetry batch is ~2 MB

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", "INFO").upper()},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "ocpp": {"level": "WARNING"},  # the library logs every frame at INFO; the message log keeps them
        "axes": {"level": "WARNING"},  # its INFO start-up banner would open every manage.py command's output
    },
}
