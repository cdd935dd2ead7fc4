"""Create, edit and delete pages for sites, charge points and connectors; writes go through the services."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render

from accounts.audit import model_create, model_delete, model_update
from fleet.views import _dashboard_user
from stations import selectors, services
from stations.forms import ChargePointForm, ConnectorForm, SiteForm
from stations.models import ChargePoint, Connector


def _edit(request, *, form, title: str, save, back: str):
    """Show `form`; on a valid POST call `save(cleaned_data)`; a service's ValidationError returns to the form."""
    if request.method == "POST" and form.is_valid():
        try:
            saved = save(form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"{saved} saved.")
            return redirect(back)
    return render(request, "form_page.html", {"form": form, "title": title, "back": back})


def _delete(request, *, obj, back_on_cancel: str, back: str, delete):
    if request.method == "POST":
        try:
            delete()
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(back_on_cancel)
        messages.success(request, f"{obj} deleted.")
        return redirect(back)
    return render(request, "stations/confirm_delete.html", {"obj": obj, "back": back_on_cancel})


def _changes(form) -> dict:
    return {name: form.cleaned_data[name] for name in form.changed_data if name != "password"}


@_dashboard_user
@permission_required("stations.add_site", raise_exception=True)
def site_create(request):
    form = SiteForm(request.POST or None, user=request.user)
    return _edit(
        request,
        form=form,
        title="New site",
        back="/stations/",
        save=lambda data: model_create(model=form._meta.model, data=data, actor=request.user),
    )


@_dashboard_user
@permission_required("stations.change_site", raise_exception=True)
def site_edit(request, pk: int):
    site = get_object_or_404(selectors.site_list(user=request.user), pk=pk)
    original = type(site).objects.get(pk=pk)
    form = SiteForm(request.POST or None, instance=site, user=request.user)
    return _edit(
        request,
        form=form,
        title=f"Edit {site}",
        back="/stations/",
        save=lambda data: model_update(instance=original, data=_changes(form), actor=request.user),
    )


@_dashboard_user
@permission_required("stations.delete_site", raise_exception=True)
def site_delete(request, pk: int):
    site = get_object_or_404(selectors.site_list(user=request.user), pk=pk)
    return _delete(
        request,
        obj=site,
        back_on_cancel="/stations/",
        back="/stations/",
        delete=lambda: services.site_delete(actor=request.user, site=site),
    )


@_dashboard_user
@permission_required("stations.add_chargepoint", raise_exception=True)
def charge_point_create(request):
    form = ChargePointForm(request.POST or None, user=request.user, initial={"site": request.GET.get("site")})

    def save(data):
        fields = {k: v for k, v in data.items() if k != "password"}
        return services.charge_point_create(actor=request.user, password=data["password"] or None, **fields)

    return _edit(request, form=form, title="New charge point", back="/stations/", save=save)


@_dashboard_user
@permission_required("stations.change_chargepoint", raise_exception=True)
def charge_point_edit(request, pk: int):
    charge_point = get_object_or_404(selectors.charge_point_list(user=request.user), pk=pk)
    original = ChargePoint.objects.get(pk=pk)
    form = ChargePointForm(request.POST or None, instance=charge_point, user=request.user)
    back = f"/stations/charge-points/{pk}/"
    return _edit(
        request,
        form=form,
        title=f"Edit {charge_point}",
        back=back,
        save=lambda data: services.charge_point_update(
            actor=request.user, charge_point=original, password=data["password"] or None, **_changes(form)
        ),
    )


@_dashboard_user
@permission_required("stations.delete_chargepoint", raise_exception=True)
def charge_point_delete(request, pk: int):
    charge_point = get_object_or_404(selectors.charge_point_list(user=request.user), pk=pk)
    return _delete(
        request,
        obj=charge_point,
        back_on_cancel=f"/stations/charge-points/{pk}/",
        back="/stations/",
        delete=lambda: model_delete(instance=charge_point, actor=request.user),
    )


@_dashboard_user
@permission_required("stations.add_connector", raise_exception=True)
def connector_create(request, charge_point_pk: int):
    charge_point = get_object_or_404(selectors.charge_point_list(user=request.user), pk=charge_point_pk)
    form = ConnectorForm(request.POST or None)
    back = f"/stations/charge-points/{charge_point.pk}/"
    return _edit(
        request,
        form=form,
        title=f"New connector on {charge_point}",
        back=back,
        save=lambda data: model_create(
            model=Connector, data={**data, "charge_point": charge_point}, actor=request.user
        ),
    )


@_dashboard_user
@permission_required("stations.change_connector", raise_exception=True)
def connector_edit(request, pk: int):
    connector = get_object_or_404(selectors.connector_list(user=request.user), pk=pk)
    original = Connector.objects.get(pk=pk)
    form = ConnectorForm(request.POST or None, instance=connector)
    back = f"/stations/charge-points/{connector.charge_point_id}/"
    return _edit(
        request,
        form=form,
        title=f"Edit {connector.label()}",
        back=back,
        save=lambda data: model_update(instance=original, data=_changes(form), actor=request.user),
    )


@_dashboard_user
@permission_required("stations.delete_connector", raise_exception=True)
def connector_delete(request, pk: int):
    connector = get_object_or_404(selectors.connector_list(user=request.user), pk=pk)
    back = f"/stations/charge-points/{connector.charge_point_id}/"
    return _delete(
        request,
        obj=connector,
        back_on_cancel=back,
        back=back,
        delete=lambda: model_delete(instance=connector, actor=request.user),
    )
