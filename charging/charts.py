"""Plotly figures of charging, built server-side and drawn by the locally served plotly.js."""

import plotly.graph_objects as go
from django.utils import timezone

from evfleet.charts import mark_empty


def session_figures(samples: list[dict], meter_start_wh: float, window: tuple | None = None) -> dict[str, str]:
    """A session's power (kW) and state of charge (%) over local time, from its meter samples; without samples,
    empty axes over `window` (its start and end or now) saying so."""
    times = [timezone.localtime(s["sampled_at"]).strftime("%Y-%m-%d %H:%M:%S") for s in samples]
    layout = {
        "template": "plotly_white",
        "height": 300,
        "margin": {"l": 50, "r": 20, "t": 40, "b": 40},
        "hovermode": "x unified",
        "xaxis": {"title": f"Local time ({timezone.get_current_timezone_name()})"},
    }
    power = go.Figure(
        go.Scatter(x=times, y=[s["power_kw"] for s in samples], mode="lines", line={"shape": "hv", "color": "#2ca02c"},
                   fill="tozeroy", name="Power"),
        layout={**layout, "title": "Power (kW)", "yaxis": {"title": "kW", "rangemode": "tozero"}},
    )  # fmt: skip
    energy = [None if s["energy_wh"] is None else (s["energy_wh"] - meter_start_wh) / 1000 for s in samples]
    soc = go.Figure(
        [
            go.Scatter(x=times, y=[s["soc_percent"] for s in samples], mode="lines", name="SoC (%)",
                       line={"color": "#1f77b4"}, connectgaps=True),
            go.Scatter(x=times, y=energy, mode="lines", name="Energy (kWh)", yaxis="y2", line={"color": "#ff7f0e"}),
        ],
        layout={**layout, "title": "State of charge and energy delivered",
                "yaxis": {"title": "%", "range": [0, 100]},
                "yaxis2": {"title": "kWh", "overlaying": "y", "side": "right", "rangemode": "tozero"}},
    )  # fmt: skip
    span = {"start": timezone.localtime(window[0]), "end": timezone.localtime(window[1])} if window else {}
    note = "No meter readings yet"
    return {
        "power": mark_empty(power, note=note, **span).to_json(),
        "soc": mark_empty(soc, note=note, **span).to_json(),
    }
