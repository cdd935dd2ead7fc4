"""Roaming rules, the read side: whether a department's vehicles may charge at another department's sites, by
the host's roaming policy (its own, else the nearest one above it). Asked by remote starts, the start page's
options and the stations' RFID checks (charging.services.roaming)."""

from accounts.models import Department
from charging.models import RoamingPolicy


def path_ids(path: str) -> list[int]:
    """A department's materialized path as ids, from the top: "/1/4/9/" → [1, 4, 9]."""
    return [int(part) for part in path.strip("/").split("/") if part]


def is_home(host: Department, guest: Department) -> bool:
    """A department's own vehicles, its teams' and its parents' charge at its sites whatever its policy."""
    return guest.path.startswith(host.path) or host.path.startswith(guest.path)


def policy_for(host: Department) -> RoamingPolicy | None:
    """The host department's roaming policy, else that of its nearest parent with one (None: no other
    department may charge there). One query, two with the listed departments."""
    policies = RoamingPolicy.objects.filter(department_id__in=path_ids(host.path)).select_related("department")
    nearest = max(policies, key=lambda policy: policy.department.depth, default=None)
    return nearest


def roaming_refusal(host: Department, guest: Department) -> str | None:
    """None when `guest`'s vehicles may charge at `host`'s sites, else why not."""
    if is_home(host, guest):
        return None
    policy = policy_for(host)
    mode = policy.mode if policy is not None else RoamingPolicy.Mode.NONE
    if mode == RoamingPolicy.Mode.ANY:
        return None
    if mode == RoamingPolicy.Mode.ORGANISATION and path_ids(guest.path)[:1] == path_ids(host.path)[:1]:
        return None
    if mode == RoamingPolicy.Mode.LISTED and any(
        guest.path.startswith(listed.path) for listed in policy.allowed_departments.all()
    ):
        return None
    whose = f"{policy.department}'s roaming policy" if policy is not None else "no roaming policy"
    return f"{guest}'s vehicles may not charge at {host}'s sites ({whose}: {RoamingPolicy.Mode(mode).label.lower()})"
