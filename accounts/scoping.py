"""Department scoping: the one mechanism every API viewset, page, admin class and consumer uses.

A model opts in with a class attribute `scope_field`: the lookup path from the model to its
Department ("department", "vehicle__department", or "pk" for Department itself). A user sees the
rows whose department lies in the subtree of their own department; administrators see all.
"""

from django.db.models import Model, QuerySet

from accounts.models import Department, User


def department_lookup(model: type[Model]) -> str:
    field = getattr(model, "scope_field", None)
    if field is None:
        raise TypeError(f"{model.__name__} has no scope_field, so it cannot be department-scoped.")
    return "path" if field == "pk" else f"{field}__path"


def scoped(queryset: QuerySet, user: User) -> QuerySet:
    """Restrict `queryset` to what `user` may see. One SQL query, whatever the tree's depth."""
    if not user.is_authenticated or not user.is_active:
        return queryset.none()
    if user.is_admin:
        return queryset
    if user.department_id is None:
        return queryset.none()
    return queryset.filter(**{f"{department_lookup(queryset.model)}__startswith": user.department.path})


def visible_departments(user: User) -> QuerySet[Department]:
    return scoped(Department.objects.all(), user)
