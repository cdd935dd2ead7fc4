"""Analytics pages: the fleet dashboard, comparisons, trends with forecasts, the environmental report, ad-hoc
downloads, and the report builder with its history."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Max
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.scoping import scoped
from analytics import charts, services
from analytics.consumption import consumption_report
from analytics.dashboard import compare, dashboard, environment, trends
from analytics.forms import PeriodForm, ReportQueryForm, SavedReportForm
from analytics.metrics import GROUPINGS, METRICS, compute, metric_groupings
from analytics.models import ReportRun, SavedReport
from analytics.summary import export_report
from evfleet import formatting
from fleet.views import _dashboard_user

VIEW = "analytics.view_vehicleday"
ENVIRONMENT_REPORT_METRICS = "distance_km,energy_charged_kwh,charging_emissions_kg,ice_baseline_kg,avoided_emissions_kg,renewable_share_percent,gco2e_per_km,offsets_kg,net_emissions_kg"  # noqa: E501


def local_today(user) -> datetime.date:
    zone = ZoneInfo(user.department.time_zone) if user.department_id else timezone.get_current_timezone()
    return timezone.now().astimezone(zone).date()


def _period_form(request, form_class=PeriodForm, defaults: dict | None = None):
    data = request.GET.copy()
    for key, value in (defaults or {}).items():
        data.setdefault(key, value)
    data.setdefault("period", "last_30_days")
    form = form_class(data, user=request.user, today=local_today(request.user))
    return form, form.is_valid()


def _query_string(request, **overrides) -> str:
    params = request.GET.copy()
    for key, value in overrides.items():
        params[key] = value
    return params.urlencode()


@_dashboard_user
@permission_required(VIEW, raise_exception=True)
def analytics_dashboard(request):
    form, valid = _period_form(request)
    context = {"form": form, "tab": "dashboard"}
    if valid:
        period, department = form.cleaned_data["period_obj"], form.cleaned_data.get("department")
        data = dashboard(request.user, period, department)
        context.update(
            data=data,
            period=period,
            figures={f"fig-{k}": v for k, v in charts.dashboard_figures(data).items()},
            metrics=METRICS,
            export_query=_query_string(
                request,
                metrics="energy_charged_kwh,energy_consumed_kwh,"
                "distance_km,cost,cost_per_km,efficiency_kwh_per_100km,sessions",
                grouping="vehicle",
                sort_by="energy_charged_kwh",
            ),
        )
    return render(request, "analytics/dashboard.html", context)


@_dashboard_user
@permission_required(VIEW, raise_exception=True)
def analytics_compare(request):
    defaults = {
        "metrics": "energy_charged_kwh,cost,cost_per_km",
        "grouping": "vehicle",
        "compare_to": "previous",
        "period": "last_month",
    }
    form, valid = _period_form(request, ReportQueryForm, defaults)
    context = {"form": form, "tab": "compare", "groupings": GROUPINGS, "metrics": METRICS}
    if valid:
        spec = form.cleaned_data["spec"]
        how = form.cleaned_data.get("compare_to")
        result = compare(spec, how, request.user) if how else compute(spec, request.user)
        if not how and not spec.sort_by:
            result.rows.sort(key=lambda r: -(float(r[spec.metrics[0]] or 0)))
        context.update(
            result=result,
            figure=charts.comparison_figure(result, spec.metrics[0]),
            export_query=request.GET.urlencode(),
        )
    return render(request, "analytics/compare.html", context)


@_dashboard_user
@permission_required(VIEW, raise_exception=True)
def analytics_trends(request):
    form, valid = _period_form(request)
    context = {"form": form, "tab": "trends"}
    if valid:
        department = form.cleaned_data.get("department")
        data = trends(request.user, department, local_today(request.user) - timedelta(days=1))
        context.update(
            data=data,
            energy_figure=charts.trend_figure(
                data["history"], data["energy"], "energy_kwh", "Energy charged per day, with the next 4 weeks", "kWh"
            ),
            cost_figure=charts.trend_figure(
                data["history"],
                data["cost"],
                "cost",
                f"Charging cost per day ({data['currency']}), with the next 4 weeks",
                data["currency"],
            ),
        )
    return render(request, "analytics/trends.html", context)


@_dashboard_user
@permission_required(VIEW, raise_exception=True)
def analytics_environment(request):
    form, valid = _period_form(request, defaults={"period": "last_12_months"})
    context = {"form": form, "tab": "environment"}
    if valid:
        data = environment(request.user, form.cleaned_data["period_obj"], form.cleaned_data.get("department"))
        context.update(
            data=data,
            figure=charts.environment_figure(data),
            period=form.cleaned_data["period_obj"],
            export_query=_query_string(request, metrics=ENVIRONMENT_REPORT_METRICS, grouping="month"),
        )
    return render(request, "analytics/environment.html", context)


@_dashboard_user
@permission_required(VIEW, raise_exception=True)
def analytics_consumption(request):
    """Expected against actual consumption by temperature band and by vehicle, with the vehicles flagged."""
    form, valid = _period_form(request)
    context = {"form": form, "tab": "consumption"}
    if valid:
        period = form.cleaned_data["period_obj"]
        data = consumption_report(request.user, period, form.cleaned_data.get("department"))
        figures = charts.consumption_figures(data, formatting.current_distance_unit())
        context.update(data=data, period=period, figures={f"fig-consumption-{k}": v for k, v in figures.items()})
    return render(request, "analytics/consumption.html", context)


@_dashboard_user
@permission_required(VIEW, raise_exception=True)
def analytics_export(request, fmt: str):
    """Any table of the pages as a file: the same query string, plus the format."""
    form, valid = _period_form(request, ReportQueryForm, {"grouping": "vehicle"})
    if not valid:
        errors = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in form.errors.items())
        return HttpResponse(f"The report cannot be made: {errors}", status=400, content_type="text/plain")
    spec = form.cleaned_data["spec"]
    how = form.cleaned_data.get("compare_to")
    result = compare(spec, how, request.user) if how else compute(spec, request.user)
    try:
        content, content_type, extension = export_report(result, spec, fmt, request.user, how)
    except ValueError as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain")
    response = HttpResponse(content, content_type=content_type)
    name = f"evfleet-{spec.grouping}-{spec.period.first:%Y%m%d}-{spec.period.last:%Y%m%d}.{extension}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- Saved reports --------------------------------------------------------------------------------------------


def _reports(user):
    return scoped(SavedReport.objects.select_related("department", "owner"), user)


@_dashboard_user
@permission_required("analytics.view_savedreport", raise_exception=True)
def report_list(request):
    reports = _reports(request.user).annotate(run_count=Count("runs"), last_run=Max("runs__created_at"))
    return render(request, "analytics/report_list.html", {"reports": reports, "tab": "reports", "metrics": METRICS})


@_dashboard_user
@permission_required("analytics.add_savedreport", raise_exception=True)
def report_create(request):
    return _report_form(request, SavedReport())


@_dashboard_user
@permission_required("analytics.change_savedreport", raise_exception=True)
def report_edit(request, pk: int):
    report = get_object_or_404(_reports(request.user), pk=pk)
    if not services.saved_report_may_edit(report, request.user):
        raise PermissionDenied("Only its owner or a fleet manager may change this report.")
    return _report_form(request, report)


def _report_form(request, report: SavedReport):
    form = SavedReportForm(request.POST or None, instance=report, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            report = services.saved_report_save(
                actor=request.user, instance=report if report.pk else None, **form.report_data()
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, f"Report “{report.name}” saved.")
            return redirect("analytics:report-detail", pk=report.pk)
    groupings = {key: sorted(metric_groupings(m)) for key, m in METRICS.items()}
    return render(
        request,
        "analytics/report_form.html",
        {"form": form, "report": report, "tab": "reports", "metric_groupings": groupings},
    )


@_dashboard_user
@permission_required("analytics.view_savedreport", raise_exception=True)
def report_detail(request, pk: int):
    report = get_object_or_404(_reports(request.user), pk=pk)
    runs = report.runs.all()[:50]
    preview, error = None, ""
    try:
        spec = services.saved_report_spec(report, local_today(request.user))
        preview = compute(spec, request.user)
    except ValidationError as exc:
        error = "; ".join(" ".join(m) for m in exc.message_dict.values())
    return render(
        request,
        "analytics/report_detail.html",
        {
            "report": report,
            "runs": runs,
            "preview": preview,
            "error": error,
            "tab": "reports",
            "metrics": METRICS,
            "groupings": GROUPINGS,
        },
    )


@_dashboard_user
@permission_required("analytics.view_savedreport", raise_exception=True)
def report_download(request, pk: int, fmt: str):
    report = get_object_or_404(_reports(request.user), pk=pk)
    if fmt not in SavedReport.Format.values:
        return HttpResponse(f"Unknown format {fmt!r}: choose csv, xlsx, json or pdf.", status=400)
    try:
        content, content_type, filename = services.report_render(
            report=report, fmt=fmt, today=local_today(request.user), user=request.user
        )
    except ValidationError as exc:
        messages.error(request, "; ".join(" ".join(m) for m in exc.message_dict.values()))
        return redirect("analytics:report-detail", pk=report.pk)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@_dashboard_user
@permission_required("analytics.view_reportrun", raise_exception=True)
def run_download(request, pk: int):
    run = get_object_or_404(scoped(ReportRun.objects.select_related("report"), request.user), pk=pk)
    if not run.file:
        return HttpResponse(services.no_file_reason(run), status=404)
    return FileResponse(run.file.open("rb"), as_attachment=True, filename=run.filename)


@_dashboard_user
@require_POST
@permission_required("analytics.change_savedreport", raise_exception=True)
def report_send(request, pk: int):
    report = get_object_or_404(_reports(request.user), pk=pk)
    from analytics.tasks import saved_report_send

    saved_report_send.delay(report_id=report.pk, trigger="manual")
    messages.success(request, f"“{report.name}” is being generated and sent; its run appears below.")
    return redirect("analytics:report-detail", pk=report.pk)


@_dashboard_user
@require_POST
@permission_required("analytics.delete_savedreport", raise_exception=True)
def report_delete(request, pk: int):
    report = get_object_or_404(_reports(request.user), pk=pk)
    services.saved_report_delete(report=report, actor=request.user)
    messages.success(request, f"Report “{report.name}” deleted.")
    return redirect("analytics:report-list")
