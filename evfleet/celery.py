"""The Celery application: configured from Django settings (CELERY_*), tasks found in each app."""

import os

from celery import Celery
from kombu.transport import TRANSPORT_ALIASES

# the embedded mode's broker (evfleet/broker.py): kombu's filesystem transport writing each message whole
TRANSPORT_ALIASES["evfleet-filesystem"] = "evfleet.broker:Transport"

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "evfleet.settings")

app = Celery("evfleet")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
