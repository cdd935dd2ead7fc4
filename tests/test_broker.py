"""The embedded mode's broker (evfleet/broker.py): a message appears in its queue folder only when written whole, so
a worker never takes a half-written file (kombu's filesystem transport: celery/kombu#1551)."""

import json
import os

import pytest
from django.conf import settings
from kombu import Connection

from evfleet import broker


@pytest.fixture
def channel(tmp_path):
    for sub in ("queue", "processed", "control"):
        (tmp_path / sub).mkdir()
    options = {
        "data_folder_in": str(tmp_path / "queue"),
        "data_folder_out": str(tmp_path / "queue"),
        "processed_folder": str(tmp_path / "processed"),
        "control_folder": str(tmp_path / "control"),
        "store_processed": False,
    }
    with Connection(f"{broker.SCHEME}://", transport_options=options) as connection:
        yield connection.default_channel, tmp_path / "queue"


def test_the_embedded_mode_uses_this_transport_and_production_does_not():
    configured = getattr(settings, "CELERY_BROKER_URL")  # noqa: B009 (ruff would read the setting as a constant)
    assert configured == (settings.REDIS_URL or f"{broker.SCHEME}://")
    with Connection(f"{broker.SCHEME}://") as connection:
        assert isinstance(connection.transport, broker.Transport)


def test_a_message_is_only_visible_to_readers_once_it_is_written_whole(channel, monkeypatch):
    channel, folder = channel
    seen_while_writing = []
    real_replace = os.replace

    def replace(src, dst):
        # the moment before the rename: what a worker listing the folder would find
        seen_while_writing.append([name for name in os.listdir(folder) if name.partition(".")[2] == "celery.msg"])
        with open(src, "rb") as written:
            assert json.loads(written.read()) == {"body": "x" * 100_000}
        real_replace(src, dst)

    monkeypatch.setattr(broker.os, "replace", replace)
    channel._put("celery", {"body": "x" * 100_000})
    assert seen_while_writing == [[]]  # kombu's own transport would show the file being written
    assert channel._get("celery") == {"body": "x" * 100_000}
    assert os.listdir(folder) == []


def test_a_failed_write_leaves_nothing_behind(channel, monkeypatch):
    channel, folder = channel

    def broken(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(broker.os, "replace", broken)
    with pytest.raises(Exception, match="Cannot add file"):
        channel._put("celery", {"body": "y"})
    assert os.listdir(folder) == []
