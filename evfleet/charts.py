"""What every Plotly figure of the pages shares: a chart without data still shows its axes, a time axis over the
period asked for, and says so ("No data in this period") rather than drawing an empty box."""

from datetime import date, datetime

import plotly.graph_objects as go

NO_DATA = "No data in this period"


def has_data(figure: go.Figure) -> bool:
    """Some trace has a value other than nothing or zero (a period of days with zeros has no data either)."""
    return any(v is not None and v != 0 for trace in figure.data for v in (getattr(trace, "y", None) or ()))


def mark_empty(figure: go.Figure, *, start: date | datetime | str | None = None,
               end: date | datetime | str | None = None, note: str = NO_DATA) -> go.Figure:  # fmt: skip
    """If no trace has a value: the note in the middle, both axes drawn, the x axis a time axis over
    [start, end] when they are given (wall-clock times of the page's zone, or days)."""
    if has_data(figure):
        return figure
    figure.add_annotation(text=note, xref="paper", yref="paper", x=0.5, y=0.5, showarrow=False,
                          font={"size": 14, "color": "#6b7280"})  # fmt: skip
    xaxis = {"visible": True, "showline": True, "showgrid": True, "zeroline": False}
    if start is not None and end is not None:
        fmt = "%Y-%m-%d %H:%M:%S"
        xaxis.update(type="date", range=[v.strftime(fmt) if isinstance(v, datetime) else str(v) for v in (start, end)])
    elif not any(getattr(trace, "x", None) for trace in figure.data):
        xaxis.update(showticklabels=False)  # categories (vehicles, sites) without any: no made-up numbers
    figure.update_layout(xaxis=xaxis, yaxis={"visible": True, "showline": True, "zeroline": False, "range": [0, 1]})
    return figure
