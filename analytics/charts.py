"""Plotly figures of the analytics pages, built server-side (JSON) and drawn by the locally served plotly.js."""

import plotly.graph_objects as go

from evfleet import formatting
from evfleet.charts import mark_empty

LAYOUT = dict(margin=dict(l=55, r=20, t=45, b=60), height=330, template="plotly_white", hovermode="x unified")
COLORS = ["#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#d62728", "#17becf", "#8c564b", "#e377c2"]


def _fig(traces, title: str, *, period: dict | None = None, **layout) -> str:
    """A figure as JSON; with no data it says so over its axes (a time axis over `period`, {"start", "end"})."""
    figure = go.Figure(traces, layout=dict(LAYOUT, title=title, **layout))
    return mark_empty(figure, **({"start": period["start"], "end": period["end"]} if period else {})).to_json()


def dashboard_figures(data: dict) -> dict[str, str]:
    currency = data["currency"]
    daily = data["daily"]
    days = [d["day"] for d in daily]
    figures = {
        "daily": _fig(
            [
                go.Bar(x=days, y=[d["energy_charged_kwh"] for d in daily], name="Energy (kWh)", marker_color=COLORS[0]),
                go.Scatter(
                    x=days,
                    y=[d["sessions"] for d in daily],
                    name="Sessions",
                    yaxis="y2",
                    mode="lines+markers",
                    line=dict(color=COLORS[2]),
                ),
            ],
            "Energy charged and sessions per day",
            period=data.get("period"),
            yaxis=dict(title="kWh"),
            yaxis2=dict(title="sessions", overlaying="y", side="right", rangemode="tozero"),
            legend=dict(orientation="h", y=-0.25),
        ),
        "cost": _fig(
            [go.Bar(x=days, y=[float(d["cost"] or 0) for d in daily], name="Cost", marker_color=COLORS[3])],
            f"Charging cost per day ({currency or 'no priced sessions'})",
            period=data.get("period"),
            yaxis=dict(title=currency),
        ),
    }
    vehicles = data["vehicles"]
    labels = [str(v["label"]) for v in vehicles]
    figures["vehicles"] = _fig(
        [
            go.Bar(
                x=labels, y=[v["energy_charged_kwh"] for v in vehicles], name="Charged (kWh)", marker_color=COLORS[0]
            ),
            go.Bar(
                x=labels, y=[v["energy_consumed_kwh"] for v in vehicles], name="Consumed (kWh)", marker_color=COLORS[1]
            ),
        ],
        f"Energy by vehicle (top {len(vehicles)} of {data['vehicle_count']})",
        barmode="group",
        yaxis=dict(title="kWh"),
        legend=dict(orientation="h", y=-0.3),
    )
    models = [m for m in data["models"] if m["efficiency_kwh_per_100km"] is not None]
    figures["efficiency"] = _fig(
        [
            go.Bar(
                x=[str(m["label"]) for m in models],
                y=[m["efficiency_kwh_per_100km"] for m in models],
                name="kWh/100 km",
                marker_color=COLORS[5],
            )
        ],
        "Efficiency by model (kWh/100 km)",
        yaxis=dict(title="kWh/100 km"),
    )
    sites = data["sites"]
    site_labels = [str(s["label"]) for s in sites]
    figures["utilization"] = _fig(
        [
            go.Bar(
                x=site_labels,
                y=[s["connector_utilization_percent"] for s in sites],
                name="Utilization (%)",
                marker_color=COLORS[0],
            ),
            go.Bar(
                x=site_labels,
                y=[s["connector_availability_percent"] for s in sites],
                name="Availability (%)",
                marker_color=COLORS[1],
            ),
        ],
        "Connector utilization and availability by site",
        barmode="group",
        yaxis=dict(title="%", range=[0, 100]),
        legend=dict(orientation="h", y=-0.3),
    )
    peak_traces = []
    for index, site in enumerate(data["site_peaks"][:8]):
        color = COLORS[index % len(COLORS)]
        peak_traces.append(
            go.Scatter(
                x=site["days"],
                y=site["peak_kw"],
                name=f"{site['site']} peak",
                mode="lines+markers",
                line=dict(color=color),
            )
        )
        if site["grid_limit_kw"]:
            peak_traces.append(
                go.Scatter(
                    x=site["days"],
                    y=[site["grid_limit_kw"]] * len(site["days"]),
                    name=f"{site['site']} limit",
                    mode="lines",
                    line=dict(color=color, dash="dash"),
                )
            )
    figures["peaks"] = _fig(
        peak_traces,
        "Daily peak site demand against the grid limit (15-minute average)",
        yaxis=dict(title="kW", rangemode="tozero"),
        legend=dict(orientation="h", y=-0.3),
    )
    soc = data["soc_distribution"]
    figures["soc"] = _fig(
        [
            go.Bar(
                x=[b["band"] for b in soc],
                y=[b["vehicles"] for b in soc],
                name="Vehicles",
                marker_color=[("#d62728" if i < 2 else "#ff7f0e" if i < 5 else "#2ca02c") for i in range(len(soc))],
            )
        ],
        "State of charge now",
        yaxis=dict(title="vehicles"),
        hovermode="closest",
    )
    return figures


def comparison_figure(result, metric: str) -> str:
    rows = result.rows[:25]
    column = next(c for c in result.columns if c.key == metric)
    before = next((c for c in result.columns if c.key == f"{metric}__before"), None)
    traces = [
        go.Bar(
            x=[str(r["label"]) for r in rows],
            y=[_num(r.get(metric)) for r in rows],
            name=f"{result.period_start:%d %b %Y} – {result.period_end:%d %b %Y}",
            marker_color=COLORS[0],
        )
    ]
    if before is not None:
        traces.append(
            go.Bar(
                x=[str(r["label"]) for r in rows],
                y=[_num(r.get(f"{metric}__before")) for r in rows],
                name=before.label.split(", ", 1)[-1],
                marker_color="#9fb7cf",
            )
        )
    return _fig(
        traces, column.heading, barmode="group", yaxis=dict(title=column.unit), legend=dict(orientation="h", y=-0.3)
    )


def _num(value):
    return float(value) if value is not None else None


def trend_figure(history: dict, forecast: dict | None, key: str, title: str, unit: str) -> str:
    # money arrives as Decimal: Plotly draws floats
    history = {**history, key: [float(v) for v in history[key]]}
    if forecast:
        forecast = {**forecast, **{k: [float(v) for v in forecast[k]] for k in ("mean", "lower", "upper")}}
    traces = [go.Scatter(x=history["days"], y=history[key], name="Actual", mode="lines", line=dict(color=COLORS[0]))]
    if forecast:
        traces += [
            go.Scatter(
                x=forecast["days"],
                y=forecast["upper"],
                mode="lines",
                line=dict(width=0),
                showlegend=False,
                hoverinfo="skip",
            ),
            go.Scatter(
                x=forecast["days"],
                y=forecast["lower"],
                mode="lines",
                line=dict(width=0),
                fill="tonexty",
                fillcolor="rgba(255,127,14,0.2)",
                name=f"{forecast['level_percent']} % band",
            ),
            go.Scatter(
                x=forecast["days"],
                y=forecast["mean"],
                name="Forecast",
                mode="lines",
                line=dict(color=COLORS[2], dash="dash"),
            ),
        ]
    return _fig(traces, title, yaxis=dict(title=unit, rangemode="tozero"), legend=dict(orientation="h", y=-0.25))


def environment_figure(data: dict) -> str:
    months = [m["month"] for m in data["by_month"]]
    rows = data["by_month"]
    return _fig(
        [
            go.Bar(
                x=months, y=[r["ice_baseline_kg"] for r in rows], name="Combustion baseline", marker_color="#9e9e9e"
            ),
            go.Bar(
                x=months,
                y=[r["charging_emissions_kg"] for r in rows],
                name="Charging emissions",
                marker_color=COLORS[2],
            ),
            go.Scatter(
                x=months,
                y=[r["net_emissions_kg"] for r in rows],
                name="Net after offsets",
                mode="lines+markers",
                line=dict(color=COLORS[1]),
            ),
        ],
        "Emissions by month (kg CO2e)",
        barmode="group",
        yaxis=dict(title="kg CO2e"),
        legend=dict(orientation="h", y=-0.25),
    )


def consumption_figures(data: dict, unit: str) -> dict[str, str]:
    """kWh per 100 of the distance unit, expected against actual, by temperature band and by vehicle (the 25 furthest
    above their model). Actual here is over the days with an expectation, so the bars compare the same days."""

    def per_100(value):
        converted = formatting.per_km_to(value, unit)
        return float(converted) if converted is not None else None

    bands = [b for b in data["bands"] if b["band"] != "unknown"]
    labels = [b["label"] for b in bands]
    title_unit = f"kWh/100 {unit}"
    figures = {
        "bands": _fig(
            [
                go.Bar(
                    x=labels,
                    y=[per_100(b["expected_kwh_per_100km"]) for b in bands],
                    name="Expected by the model",
                    marker_color="#9fb7cf",
                ),
                go.Bar(
                    x=labels,
                    y=[per_100(b["actual_modelled_kwh_per_100km"]) for b in bands],
                    name="Actual",
                    marker_color=COLORS[0],
                ),
            ],
            f"Consumption by outside temperature ({title_unit})",
            barmode="group",
            xaxis=dict(title="Outside temperature (°C)"),
            yaxis=dict(title=title_unit, rangemode="tozero"),
            legend=dict(orientation="h", y=-0.35),
            margin=dict(l=55, r=20, t=45, b=120),
            height=420,
        )
    }
    compared = [v for v in data["vehicles"] if v["ratio"] is not None]
    vehicles = compared[:25]
    labels = [str(v["label"]) for v in vehicles]
    # The flagged vehicles' actual bars in red, as a trace of their own in the same slot, so the legend names both
    actual = [per_100(v["actual_modelled_kwh_per_100km"]) for v in vehicles]
    traces = [
        go.Bar(x=labels, y=[per_100(v["expected_kwh_per_100km"]) for v in vehicles], name="Expected by the model",
               marker_color="#9fb7cf", offsetgroup="expected"),
        go.Bar(x=labels, y=[None if v["flagged"] else a for v, a in zip(vehicles, actual, strict=True)],
               name="Actual", marker_color=COLORS[0], offsetgroup="actual"),
    ]  # fmt: skip
    if any(v["flagged"] for v in vehicles):
        traces.append(
            go.Bar(
                x=labels,
                y=[a if v["flagged"] else None for v, a in zip(vehicles, actual, strict=True)],
                name="Actual, flagged",
                marker_color="#d62728",
                offsetgroup="actual",
            )  # fmt: skip
        )
    title = f"The {len(vehicles)} vehicles furthest above their model" if len(compared) > len(vehicles) else "Vehicles"
    figures["vehicles"] = _fig(
        traces,
        f"{title} ({title_unit})",
        barmode="group",
        xaxis=dict(title="Vehicle, highest actual ÷ expected first", tickangle=-45),
        yaxis=dict(title=title_unit, rangemode="tozero"),
        legend=dict(orientation="h", y=-0.5),
        margin=dict(l=55, r=20, t=45, b=120),
        height=420,
    )
    return figures
