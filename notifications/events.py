"""What a caller tells: a `Notice`, built by the app that knows the news and handed to
`notifications.services.notify(event=...)`, the one entrance of this app.

notifications knows nothing of sessions, reservations or alerts: the Notice carries all the message needs. Its
`kind` is an `Event` value (the catalogue of what can be told, with each user's channel choices per kind); its
audience is either explicit users or a department (the people of its tree above it, down to it, whose role holds
`permission`); a title or body that shows a time may be a function of the reader's time zone, and is then
composed once per zone."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from notifications.models import Event

__all__ = ["Event", "Notice", "Text"]

# A text as it is, or composed for the zone its readers read times in (their department's).
Text = str | Callable[[ZoneInfo], str]


@dataclass(frozen=True)
class Notice:
    kind: str  # an Event value
    title: Text
    body: Text = ""
    link: str = ""  # a dashboard page about it
    data: Mapping = field(default_factory=dict)  # JSON, for the API and the live event
    dedup_key: str = ""  # the same kind and key for the same user within the folding window adds a repeat
    users: tuple = ()  # who hears it; else the department's people below
    department_id: int | None = None
    permission: str = ""  # what a department's reader's role must hold, e.g. "charging.add_reservation"

    def __post_init__(self):
        if self.kind not in Event.values:
            raise ValueError(f"{self.kind!r} is not a kind of notification (notifications.models.Event)")
        object.__setattr__(self, "users", tuple(self.users))
        if self.users and self.department_id is not None:
            raise ValueError("a notice goes to its users or to a department's people, not both")
        if self.department_id is not None and not self.permission:
            raise ValueError("a notice to a department's people names the permission its readers need")

    @property
    def per_zone(self) -> bool:
        """Whether its words depend on the reader's time zone."""
        return callable(self.title) or callable(self.body)

    def title_in(self, zone: ZoneInfo | None) -> str:
        return self.title(zone) if callable(self.title) else self.title

    def body_in(self, zone: ZoneInfo | None) -> str:
        return self.body(zone) if callable(self.body) else self.body
