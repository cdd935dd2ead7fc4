"""Pricing and notifications moved out of charging into apps of their own (issue 15) with their tables: a database
at the schema before the move, filled, keeps every row through the migration. The only changes are the two the
move means: the moved models' content types carry their new app's label (same ids, so their permissions, admin log
and activity log entries stay theirs), and stored beat entries run the tasks under their new names (the old names
still run too: a message queued before the upgrade).

The database is filled with the code of today (demo stations and prices on the demo's departments, one object of
every kind the API serves, priced sessions, notifications, beat entries synced from the settings as beat stores
them), taken back to the schema before the move, filled some more there through the models of that schema, and
migrated forward. On PostgreSQL in CI, on SQLite in `make test`.
"""

from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from accounts.models import ActivityLog
from charging.models import ChargingSession
from charging.services import session_costs, transactions
from evfleet.celery import app as celery_app
from evfleet.jobs import task_named
from evfleet.schedules import BeatScheduler
from fleet.demo import _departments, _users
from notifications.models import Notification
from pricing.demo import build_demo_pricing
from pricing.models import Tariff
from stations.demo import build_demo_stations
from stations.models import Connector
from tests.fuzz_seed import build_world

pytestmark = pytest.mark.django_db(transaction=True)

# Apps whose tables came after the move (issue 16 on): not in the schema before it, created when migrated to now.
LATER_APPS = ("simulation", "operations", "dispatch")
# Later apps that BEFORE leaves to the executor: routing's migrations depend on the moved ones, so unapplying the
# move unapplies them too (naming the app in BEFORE as well makes the executor's "before" state lose charging's
# moved models)
LATER_DEPENDENT_APPS = ("routing",)
# The schema before the move: charging at its last migration of issue 14, the two new apps not there yet.
BEFORE = [
    ("charging", "0019_grid_signal_and_notification_updated_at"), ("pricing", None), ("notifications", None),
    *((app, None) for app in LATER_APPS),
]  # fmt: skip
MOVED = {
    "pricing": {"contract", "contractvolumetier", "customer", "gridsignal", "holiday", "holidaycalendar",
                "loadpricing", "priceinterval", "tariff", "tariffversion"},
    "notifications": {"notification", "notificationpreference", "pushsubscription", "delivery", "thresholdrule",
                      "sessionreport", "sessionreportrun"},
}  # fmt: skip
RENAMED_TASKS = {
    "charging.tasks.price_intervals_record": "pricing.tasks.price_intervals_record",
    "charging.tasks.grid_signals_fetch": "pricing.tasks.grid_signals_fetch",
    "charging.tasks.session_report_send": "notifications.tasks.session_report_send",
    "charging.tasks.deliver": "notifications.tasks.deliver",
}
# What the migration may change: the content types, the beat entries' task, beat's "schedule changed" marker.
CHANGED_TABLES = {"django_content_type", "django_celery_beat_periodictask", "django_celery_beat_periodictasks"}
# Columns later issues added to tables that were there before the move (not part of the move): left out of the
# comparison, every other column and row must be as it was.
LATER_COLUMNS = {"fleet_vehiclemodel": {"payload_kg"}}  # issue 18: a vehicle model's payload


def _without(table: tuple[list[str], list[tuple]], columns: set[str]) -> tuple[list[str], list[tuple]]:
    names, rows = table
    keep = [i for i, name in enumerate(names) if name not in columns]
    return [names[i] for i in keep], sorted((tuple(row[i] for i in keep) for row in rows), key=repr)


def _rows() -> dict[str, tuple[list[str], list[tuple]]]:
    """Every row of every table (the migration log aside), by table: its column names and its rows, sorted."""
    found = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            if table == "django_migrations":
                continue
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            columns = [column[0] for column in cursor.description]
            found[table] = (columns, sorted((tuple(row) for row in cursor.fetchall()), key=repr))
    return found


def _by_id(table: tuple[list[str], list[tuple]]) -> dict:
    columns, rows = table
    return {row[columns.index("id")]: dict(zip(columns, row)) for row in rows}


def _priced_sessions(connector: Connector) -> list[int]:
    """Two sessions metered on a demo connector with a tariff, stopped and priced as a station's stop prices them."""
    ids = []
    for number, start_hour in ((1, 6), (2, 18)):
        started = timezone.now().replace(hour=start_hour, minute=0, second=0, microsecond=0) - timezone.timedelta(
            days=2
        )
        session = transactions.transaction_start(
            charge_point_id=connector.charge_point_id, evse_id=connector.evse_id, connector_id=connector.connector_id,
            id_tag="", meter_start_wh=1000.0 * number, timestamp=started,
        )  # fmt: skip
        transactions.transaction_stop(
            charge_point_id=connector.charge_point_id, transaction_id=session.transaction_id,
            meter_stop_wh=1000.0 * number + 12_500, timestamp=started + timezone.timedelta(hours=2), reason="Local",
        )  # fmt: skip
        session_costs.session_price(session_id=session.pk)
        ids.append(session.pk)
    return ids


def test_a_database_from_before_the_move_keeps_every_row_priced_session_and_beat_entry(org):
    departments = _departments(actor=None)  # the demo's, each with its session reports and their beat entries
    _users(departments)
    build_demo_stations(departments)
    build_demo_pricing(departments)
    build_world(org)  # one object of every kind the API serves, notifications included
    depot = Connector.objects.filter(charge_point__identity="SIM-BN-01").first()
    priced = _priced_sessions(depot)
    breakdowns = dict(ChargingSession.objects.filter(pk__in=priced).values_list("pk", "cost_breakdown"))
    assert all(breakdown.get("lines") for breakdown in breakdowns.values()), breakdowns
    BeatScheduler(app=celery_app).setup_schedule()  # the settings' entries, stored as beat stores them
    tariff_type = ContentType.objects.get_for_model(Tariff).pk
    notification_type = ContentType.objects.get_for_model(Notification).pk

    executor = MigrationExecutor(connection)
    try:
        old = executor.migrate(BEFORE).apps  # the models of the schema before the move
        # As the old code left it: the moved models' content types are charging's, beat runs the old task names.
        labels = ContentType.objects.filter(pk__in=[tariff_type, notification_type]).values_list("app_label", "model")
        assert set(labels) == {("charging", "tariff"), ("charging", "notification")}
        stored_tasks = set(PeriodicTask.objects.values_list("task", flat=True))
        assert {"charging.tasks.price_intervals_record", "charging.tasks.session_report_send"} <= stored_tasks
        assert not any(task.startswith(("pricing.", "notifications.")) for task in stored_tasks)
        # Filled some more through the old schema's own models.
        OldTariff = old.get_model("charging", "Tariff")
        OldNotification = old.get_model("charging", "Notification")
        OldTask, OldInterval = (old.get_model("django_celery_beat", m) for m in ("PeriodicTask", "IntervalSchedule"))
        OldTariff.objects.create(department_id=org.a.pk, name="Old schema tariff", currency="EUR",
                                 created_at=timezone.now(), updated_at=timezone.now())  # fmt: skip
        OldNotification.objects.create(user_id=org.fleet_manager_a.pk, event="session.completed", title="Before",
                                       last_at=timezone.now(), updated_at=timezone.now())  # fmt: skip
        every_minute, _ = OldInterval.objects.get_or_create(every=60, period="seconds")
        OldTask.objects.create(name="grid signals, added by hand", task="charging.tasks.grid_signals_fetch",
                               interval=every_minute)  # fmt: skip
        before = _rows()

        MigrationExecutor(connection).migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
        after = _rows()
    finally:  # the latest schema again, whatever happened
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())

    added = after.keys() - before.keys()
    assert before.keys() <= after.keys()  # no table of the schema before the move is gone
    assert all(table.startswith(tuple(f"{app}_" for app in LATER_APPS + LATER_DEPENDENT_APPS)) for table in added), (
        added
    )
    for table in before.keys() - CHANGED_TABLES:
        assert _without(after[table], LATER_COLUMNS.get(table, set())) == before[table], f"{table} changed in the move"
    assert sum(len(rows) for _, rows in before.values()) > 500  # a filled database, not an empty one

    types_before, types_after = _by_id(before["django_content_type"]), _by_id(after["django_content_type"])
    assert types_before.keys() == types_after.keys()  # the same ids: nothing pointing at them moved
    for pk, row in types_before.items():
        moved_to = next((app for app, models in MOVED.items() if row["model"] in models), None)
        expected = moved_to if row["app_label"] == "charging" and moved_to else row["app_label"]
        assert (types_after[pk]["app_label"], types_after[pk]["model"]) == (expected, row["model"])
    assert {row["app_label"] for row in types_after.values() if row["model"] in MOVED["pricing"]} == {"pricing"}

    tasks_before = _by_id(before["django_celery_beat_periodictask"])
    tasks_after = _by_id(after["django_celery_beat_periodictask"])
    assert tasks_before.keys() == tasks_after.keys()
    for pk, row in tasks_before.items():
        assert tasks_after[pk] == {**row, "task": RENAMED_TASKS.get(row["task"], row["task"])}
    for task in {row["task"] for row in tasks_after.values()}:
        task_named(task)  # every stored entry runs a registered task
    for old_name in RENAMED_TASKS:
        assert old_name in celery_app.tasks  # a message queued under the old name still runs

    # Through today's models: the priced sessions with their breakdown, the rows added before the move, the logs.
    assert dict(ChargingSession.objects.filter(pk__in=priced).values_list("pk", "cost_breakdown")) == breakdowns
    for session in ChargingSession.objects.filter(pk__in=priced).select_related("tariff_version__tariff"):
        assert isinstance(session.tariff_version.tariff, Tariff) and session.cost_total > Decimal(0)
    assert Tariff.objects.filter(name="Old schema tariff").exists()
    assert Notification.objects.filter(title="Before").exists()
    assert PeriodicTask.objects.get(name="grid signals, added by hand").task == "pricing.tasks.grid_signals_fetch"
    assert ContentType.objects.get_for_model(Tariff).pk == tariff_type
    logged = ActivityLog.objects.filter(content_type_id=tariff_type)
    assert logged.exists() and all(isinstance(entry.content_type.model_class()(), Tariff) for entry in logged)
