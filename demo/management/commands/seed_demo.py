from django.core.management.base import BaseCommand

from demo.build import build_demo
from evfleet import realtime
from fleet.demo import DEMO_PASSWORD


class Command(BaseCommand):
    help = (
        "Build (or complete) the demo fleet: departments, one user per role, 69 vehicles, eight weeks of telemetry "
        "(the last week every 10 minutes), charging history, stations (three DC corridor sites between Berlin and "
        "Hamburg among them), the depots' rounds (Helsinki's on the routing demo's streets) and analytics."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=7,
            help="Days of 10-minute telemetry per new vehicle (eight weeks at 30 minutes before them).",
        )

    def handle(self, *args, days, **options):
        with realtime.no_server_expected():
            summary = build_demo(days=days)
        self.stdout.write(
            f"Demo fleet ready: {summary.departments} departments, {summary.vehicles} vehicles, "
            f"{summary.telemetry_points} new telemetry points, {summary.stations} simulated charge points."
        )
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, role, scope in summary.users:
            self.stdout.write(f"  {username:<12} {role:<24} {scope}")
        self.stdout.write(f"Integrator API token: {summary.integrator_token}")
