"""Department scoping: the one mechanism every API viewset, page and admin class and consumer uses.

A model opts in with a class attribute `scope_field`: the lookup path from the model to its
Department ("department", "vehicle__department", or "pk" for Department itself). A user sees the
rows whose department lies in the subtree of their own department; administrators see all.

A model may also name `also_scope_fields`: departments that see a row without owning it (a charging
session is its site's department's, and its vehicle's department sees it too). `scoped(...,
owner_only=True)` leaves those out, for what only the owner may change.
"""

from django.db.models import Model, Q, QuerySet

from accounts.models import Department, User


def department_lookup(model: type[Model]) -> str:
    field = getattr(model, "scope_field", None)
    if field is None:
        raise TypeError(f"{model.__name__} has no scope_field, so it cannot be department-scoped.")
    return "path" if field == "pk" else f"{field}__path"


def department_lookups(model: type[Model], *, owner_only: bool = False) -> list[str]:
    """The owner's lookup first, then those of the departments that also see the rows."""
    also = () if owner_only else getattr(model, "also_scope_fields", ())
    return [department_lookup(model), *(f"{field}__path" for field in also)]


def scoped(queryset: QuerySet, user: User, *, owner_only: bool = False) -> QuerySet:
    """Restrict `queryset` to what `user` may see. One SQL query, whatever the tree's depth."""
    if not user.is_authenticated or not user.is_active:
        return queryset.none()
    if user.is_admin:
        return queryset
    if user.department_id is None:
        return queryset.none()
    condition = Q()
    for lookup in department_lookups(queryset.model, owner_only=owner_only):
        condition |= Q(**{f"{lookup}__startswith": user.department.path})
    return queryset.filter(condition)


def visible_departments(user: User) -> QuerySet[Department]:
    return scoped(Department.objects.all(), user)
