"""Plotly figures of pricing, built server-side and drawn by the locally served plotly.js."""

import plotly.graph_objects as go
from django.utils import timezone

from charging import services
from evfleet.charts import mark_empty


def price_day_figure(preview: dict, *, title: str) -> str:
    """A step chart of the energy price per kWh (incl. tax) through one local day, hour by hour."""
    hours = preview["hours"]
    x = [h["hour"] for h in hours] + ["24:00"]
    y = [float(h["energy_price_incl_tax"]) for h in hours]
    y.append(y[-1] if y else 0.0)  # the last hour's step runs to midnight
    figure = go.Figure(
        go.Scatter(
            x=x,
            y=y,
            mode="lines",
            line={"shape": "hv", "color": "#0b7a75", "width": 3},
            fill="tozeroy",
            name="Energy price",
            hovertemplate="%{x}: %{y:.4f} " + preview["currency"] + "/kWh<extra></extra>",
        ),
        layout={
            "title": title,
            "template": "plotly_white",
            "height": 320,
            "margin": {"l": 60, "r": 20, "t": 50, "b": 40},
            "xaxis": {"title": f"Local time ({preview['time_zone']})", "type": "category"},
            "yaxis": {
                "title": f"{preview['currency']} per kWh incl. {preview['tax_percent']} % tax",
                "rangemode": "tozero",
            },
        },
    )
    return figure.to_json()


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


def price_day_chart(version, site, choices: dict) -> tuple[dict, str]:
    """A tariff version's price per kWh through one local day (`choices`: day, customer, load_percent), as
    the hourly points and the step chart's Plotly JSON."""
    hours = services.price_preview(version=version, site=site, **choices)
    preview = {
        "hours": hours,
        "currency": version.tariff.currency,
        "time_zone": site.time_zone if site else "UTC",
        "tax_percent": str(version.tax_percent.normalize()),
    }
    who = f" for {choices['customer']}" if choices["customer"] else ""
    load = f" at {choices['load_percent']} % site load" if choices["load_percent"] is not None else ""
    label = f"v{version.number}" if version.number else "draft"
    title = f"{version.tariff.name} {label}, {choices['day']:%a %d %b %Y}{who}{load}"
    return preview, price_day_figure(preview, title=title)
