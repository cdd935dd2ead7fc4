"""Roaming pages: for each of the user's departments, whose vehicles may charge at its sites, and its policy's form."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render

from accounts.scoping import visible_departments
from charging.forms import RoamingPolicyForm
from charging.models import RoamingPolicy
from charging.services import roaming
from fleet.views import _dashboard_user


@_dashboard_user
@permission_required("charging.view_roamingpolicy", raise_exception=True)
def roaming_list(request):
    """Each department of the user's with the policy its sites follow: its own, else its nearest parent's. Three
    queries."""
    departments = list(visible_departments(request.user).order_by("path"))
    ids = {i for department in departments for i in roaming.path_ids(department.path)}
    policies = {
        policy.department_id: policy
        for policy in RoamingPolicy.objects.filter(department_id__in=ids).prefetch_related("allowed_departments")
    }
    rows = []
    for department in departments:
        chain = reversed(roaming.path_ids(department.path))
        policy = next((policies[i] for i in chain if i in policies), None)
        rows.append(
            {"department": department, "policy": policy, "own": policy and policy.department_id == department.pk}
        )
    return render(request, "charging/roaming_list.html", {"rows": rows})


@_dashboard_user
@permission_required("charging.change_roamingpolicy", raise_exception=True)
@permission_required("charging.add_roamingpolicy", raise_exception=True)
def roaming_edit(request, department_pk: int):
    department = get_object_or_404(visible_departments(request.user), pk=department_pk)
    policy = RoamingPolicy.objects.filter(department=department).first()
    form = RoamingPolicyForm(
        request.POST or None, instance=policy or RoamingPolicy(department=department), department=department
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            roaming.roaming_policy_save(
                actor=request.user,
                department=department,
                mode=data["mode"],
                allowed_departments=list(data["allowed_departments"]),
                policy=RoamingPolicy.objects.filter(pk=policy.pk).first() if policy else None,
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, f"Roaming policy of {department} saved.")
            return redirect("charging:roaming")
    context = {"form": form, "title": f"Who may charge at {department}'s sites", "back": "/roaming/"}
    return render(request, "form_page.html", context)
