"""The embedded mode's Celery broker: kombu's filesystem transport, each message written whole before it appears.

kombu's own transport creates a message's file in the queue folder and then writes it, so a worker listing the
folder at that moment takes a file still empty or half written and fails to decode it (JSONDecodeError, which
stops the worker: celery/kombu#1551, seen in the demo when the simulated fleet sends many tasks). Here a message
is written under a name the reader skips (`….msg.part`) and then renamed to its queue name, atomic within one
folder, so a reader sees either nothing or the whole message. Registered as the `evfleet-filesystem://` transport
by evfleet/celery.py; production mode uses Redis and never this."""

import contextlib
import os
import uuid
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

SCHEME = "evfleet-filesystem"


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        """Put `payload` onto `queue`: written under a temporary name, then renamed into the queue."""
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        # the reader takes only files whose name after the first dot is exactly "<queue>.msg"
        partial = final + ".part"
        try:
            with open(partial, "wb") as f:
                f.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.remove(partial)
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel
