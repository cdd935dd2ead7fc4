"""The CSV import page: upload trips or duty schedules, "Check" runs a dry run listing every row's errors, and
"Import" (offered once the file checks clean) stores them, re-checking every row."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render

from accounts.decorators import dashboard_user
from operations import imports

KINDS = {
    "trips": ("Trips", "operations.add_trip", imports.import_trips, imports.TRIP_COLUMNS, imports.TRIP_REQUIRED),
    "schedules": (
        "Duty schedules", "operations.add_dutyschedule", imports.import_schedules, imports.SCHEDULE_COLUMNS,
        imports.SCHEDULE_REQUIRED,
    ),
}  # fmt: skip
EXAMPLES = {
    "trips": (
        "vehicle,depot,departs_at,returns_at,distance_km,route,road_mix,notes\n"
        "WB-001,Westbrook Depot,2027-01-13 06:30,2027-01-13 15:00,140,,mixed,Early round\n"
        "WVWZZZE1ZPP000042,Westbrook Depot,2027-01-13T07:00:00+01:00,2027-01-13T12:00:00+01:00,,Ring North,,\n"
    ),
    "schedules": (
        "name,vehicle,depot,weekdays,departs_local,returns_local,distance_km,route,road_mix,valid_from,valid_until,"
        "active\n"
        'Early round,WB-001,Westbrook Depot,"mon,tue,wed,thu,fri",06:30,15:00,140,,mixed,2027-01-11,,true\n'
        "Saturday ring,WB-002,Westbrook Depot,sat,07:00,12:00,,Ring North,,2027-01-16,2027-06-30,true\n"
    ),
}


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        label="What the file holds", choices=[(k, v[0]) for k, v in KINDS.items()], widget=forms.RadioSelect
    )
    file = forms.FileField(label="CSV file", help_text="UTF-8, comma- or semicolon-separated, at most 5 MB.")


@dashboard_user
@permission_required("operations.view_trip", raise_exception=True)
def import_page(request):
    """GET: the form and the columns. POST "check": a dry run of the upload. POST "import": store the checked text."""
    form = ImportForm(request.POST or None, request.FILES or None, initial={"kind": request.GET.get("kind", "trips")})
    result = checked_text = None
    kind = request.POST.get("kind") if request.method == "POST" else form["kind"].value()
    kind = kind if kind in KINDS else "trips"
    label, permission, run, columns, required = KINDS[kind]
    if request.method == "POST":
        if not request.user.has_perm(permission):
            raise PermissionDenied
        if request.POST.get("step") == "import":
            text = request.POST.get("csv_text", "")
            result = run(actor=request.user, user=request.user, csv_text=text, dry_run=False)
            if result.ok:
                messages.success(request, f"{label} imported: {result.stored} row{'' if result.stored == 1 else 's'}.")
                return redirect("operations:import")
            checked_text = None
        elif form.is_valid():
            raw = form.cleaned_data["file"].read(imports.MAX_BYTES + 1)
            result = run(actor=request.user, user=request.user, csv_text=raw, dry_run=True)
            if result.ok:
                checked_text, _ = imports.decode(raw)
    context = {
        "form": form, "kind": kind, "label": label, "result": result, "checked_text": checked_text,
        "kinds": [
            {"key": k, "label": v[0], "columns": v[3], "required": v[4], "example": EXAMPLES[k]}
            for k, v in KINDS.items()
        ],
        "preview": _preview(result) if result is not None and result.ok else [],
        "can_import": request.user.has_perm(permission),
    }  # fmt: skip
    return render(request, "operations/import.html", context)


def _preview(result: imports.ImportResult) -> list[dict]:
    """What a clean file would create, for the table under "Check" (the objects of the rolled-back dry run)."""
    rows = []
    for item in result.created[:500]:
        if hasattr(item, "required_soc_percent"):  # a trip
            rows.append({"name": str(item.vehicle), "depot": item.depot, "starts": item.departs_at,
                         "ends": item.returns_at, "distance_km": item.effective_distance_km(),
                         "required_soc_percent": item.required_soc_percent, "zone": item.depot.time_zone})  # fmt: skip
        else:
            distance = item.distance_km if item.route_id is None else item.route.distance_km
            times = f"{item.departs_local:%H:%M}–{item.returns_local:%H:%M}"
            rows.append({"name": f"{item.name} ({item.vehicle})", "depot": item.depot, "weekdays": item.weekdays,
                         "times": times, "distance_km": distance})  # fmt: skip
    return rows
