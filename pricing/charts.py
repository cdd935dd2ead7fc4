"""Plotly figures of pricing, built server-side and drawn by the locally served plotly.js."""

import plotly.graph_objects as go

from pricing import services


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
