"""Embedded mode's relay (evfleet/realtime.py): how an unreachable server is reported."""

import logging
import socket

from evfleet import realtime


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again when the block ends: nothing listens there


def test_an_unreachable_server_is_warned_about_once_then_quietly(settings, caplog, monkeypatch):
    settings.EVFLEET_RELAY_URL = f"http://127.0.0.1:{_closed_port()}/internal/relay/"
    monkeypatch.setattr(realtime, "_relay_down", False)
    with caplog.at_level(logging.DEBUG, logger="evfleet.realtime"):
        assert not realtime._post_to_relay(["g"], {"type": "live.event"})
        assert not realtime._post_to_relay(["g"], {"type": "live.event"})
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "not relayed" in warnings[0].getMessage()


def test_a_command_run_before_the_server_starts_does_not_warn(settings, caplog, monkeypatch):
    settings.EVFLEET_RELAY_URL = f"http://127.0.0.1:{_closed_port()}/internal/relay/"
    monkeypatch.setattr(realtime, "_relay_down", False)
    with caplog.at_level(logging.DEBUG, logger="evfleet.realtime"), realtime.no_server_expected():
        assert not realtime._post_to_relay(["g"], {"type": "live.event"})
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert realtime._relay_down is False  # a later outage is warned about again
