"""The `smtp` fixture: a local SMTP server (aiosmtpd on 127.0.0.1) that Django sends mail to."""

import socket

import pytest
from aiosmtpd.controller import Controller


@pytest.fixture
def smtp(settings):
    """A local SMTP server on 127.0.0.1 that Django sends to; yields the envelopes it received."""
    received = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802  (aiosmtpd's hook name)
            received.append(envelope)
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    yield received
    controller.stop()
