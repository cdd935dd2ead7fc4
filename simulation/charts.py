"""The state-of-health chart of the vehicle page (Plotly JSON, built server-side, drawn by the local plotly.js):
the history (the model's SoH and the filtered estimate with its band), the capacity observations as points, and the
prediction with its 95 % band and the threshold."""

import math

import plotly.graph_objects as go

from evfleet.charts import mark_empty

BLUE, GREY, GREEN, RED = "#1f77b4", "#9ca3af", "#2ca02c", "#d62728"


def health_figure(*, history: list[dict], observations: list[dict], prediction: dict, threshold_percent: float) -> str:
    """History rows (HealthDay values), observations (CapacityObservation values) and a prediction
    (selectors.health.prediction_until) as one figure."""
    days = [str(r["day"]) for r in history]
    sd = [1.96 * math.sqrt(max(r["variance"], 0.0)) for r in history]
    figure = go.Figure()
    if history:
        figure.add_trace(
            go.Scatter(
                x=days + days[::-1],
                y=[r["soh_percent"] + s for r, s in zip(history, sd, strict=True)]
                + [r["soh_percent"] - s for r, s in zip(history[::-1], sd[::-1], strict=True)],
                fill="toself",
                fillcolor="rgba(31,119,180,0.15)",
                line=dict(width=0),
                hoverinfo="skip",
                name="estimate, 95 %",
            )
        )
    figure.add_trace(
        go.Scatter(
            x=days,
            y=[r["model_soh_percent"] for r in history],
            mode="lines",
            name="aging model",
            line=dict(color=GREY, dash="dot"),
        )  # fmt: skip
    )
    figure.add_trace(
        go.Scatter(
            x=days,
            y=[r["soh_percent"] for r in history],
            mode="lines",
            name="state of health (filtered)",
            line=dict(color=BLUE),
        )  # fmt: skip
    )
    believed = [o for o in observations if not o.get("rejected")]
    rejected = [o for o in observations if o.get("rejected")]
    figure.add_trace(
        go.Scatter(
            x=[o["observed_at"].date().isoformat() for o in believed],
            y=[o["soh_percent"] for o in believed],
            error_y=dict(type="data", array=[1.96 * math.sqrt(max(o["variance"], 0.0)) for o in believed]),
            mode="markers",
            name="capacity observations",
            marker=dict(color=GREEN, size=7),
        )
    )
    if rejected:  # set aside by the filter's outlier gate: shown, hollow, not believed
        figure.add_trace(
            go.Scatter(
                x=[o["observed_at"].date().isoformat() for o in rejected],
                y=[o["soh_percent"] for o in rejected],
                mode="markers",
                name="observations set aside (outliers)",
                marker=dict(color=GREEN, size=7, symbol="circle-open"),
            )
        )
    points = prediction.get("points", [])
    if points:
        ahead = [str(p["date"]) for p in points]
        figure.add_trace(
            go.Scatter(
                x=ahead + ahead[::-1],
                y=[p["high_percent"] for p in points] + [p["low_percent"] for p in points[::-1]],
                fill="toself",
                fillcolor="rgba(214,39,40,0.12)",
                line=dict(width=0),
                hoverinfo="skip",
                name="prediction, 95 %",
            )
        )
        figure.add_trace(
            go.Scatter(
                x=ahead,
                y=[p["mean_percent"] for p in points],
                mode="lines",
                name="prediction",
                line=dict(color=RED, dash="dash"),
            )  # fmt: skip
        )
    figure.add_hline(y=threshold_percent, line=dict(color=RED, width=1), annotation_text=f"{threshold_percent:g} %")
    figure.update_layout(
        title="State of health (%)",
        margin=dict(l=60, r=20, t=40, b=90),
        height=400,
        hovermode="x unified",
        template="plotly_white",
        xaxis=dict(title="Date"),
        yaxis=dict(title="State of health (%)"),
        legend=dict(orientation="h", y=-0.25),
    )
    return mark_empty(figure, note="No state of health computed yet").to_json()
