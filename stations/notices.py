"""What stations tell people: an alert raised at a station or a whole site reaches the people who look after
the site's stations, through notifications' one entrance."""

from notifications.events import Event, Notice
from notifications.services import notify


def alert_event(alert) -> None:
    """A station, or a whole site, raised an alert: the people who look after the site's stations hear it."""
    charge_point, site = alert.charge_point, alert.site
    if site is None:
        return
    if charge_point is not None:
        where, link = charge_point.identity, f"/stations/charge-points/{charge_point.pk}/"
        dedup_key = f"alert-{alert.kind}-{charge_point.pk}-{alert.connector_id or 0}"
    else:  # the whole site
        where, link, dedup_key = site.name, "/stations/", f"alert-{alert.kind}-site-{site.pk}"
    notify(
        event=Notice(
            kind=Event.STATION_ALERT,
            department_id=site.department_id,
            permission="stations.change_alert",
            title=f"{alert.get_severity_display()} at {where}: {alert.get_kind_display()}",
            body=alert.message,
            link=link,
            data={"alert": alert.pk},
            dedup_key=dedup_key,
        )
    )
