"""Plotly figures for the vehicle page, built server-side and drawn by the locally served plotly.js."""

import plotly.graph_objects as go
from django.utils import timezone

from evfleet.charts import mark_empty

MAX_POINTS = 4000


def _thin(rows: list) -> list:
    step = max(1, len(rows) // MAX_POINTS)
    return rows[::step]


def vehicle_telemetry_figures(rows: list[dict], window: tuple | None = None) -> dict[str, str]:
    """SoC and power over time (local wall time of the active time zone), as Plotly JSON; without readings,
    empty axes over `window` (start, end) saying so."""
    rows = _thin(rows)
    times = [timezone.localtime(r["recorded_at"]).strftime("%Y-%m-%d %H:%M:%S") for r in rows]
    layout = dict(
        margin=dict(l=50, r=20, t=40, b=40),
        height=320,
        hovermode="x unified",
        template="plotly_white",
        xaxis=dict(title=f"Local time ({timezone.get_current_timezone_name()})"),
    )
    soc = go.Figure(
        go.Scatter(
            x=times,
            y=[r["soc_percent"] for r in rows],
            mode="lines",
            name="SoC",
            line=dict(color="#1f77b4"),
            connectgaps=False,
        ),
        layout=dict(layout, title="State of charge (%)", yaxis=dict(title="%", range=[0, 100])),
    )
    power = go.Figure(
        go.Scatter(
            x=times,
            y=[r["power_kw"] for r in rows],
            mode="lines",
            name="Power",
            line=dict(color="#2ca02c", shape="hv"),
            fill="tozeroy",
        ),
        layout=dict(layout, title="Battery power (kW; + charging, − driving)", yaxis=dict(title="kW")),
    )
    span = {"start": timezone.localtime(window[0]), "end": timezone.localtime(window[1])} if window else {}
    return {name: mark_empty(figure, **span).to_json() for name, figure in (("soc", soc), ("power", power))}
