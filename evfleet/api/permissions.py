from rest_framework import permissions


class RolePermission(permissions.DjangoModelPermissions):
    """Model permissions from the user's role (accounts/roles.py), reading included.

    Which rows a user reaches is decided separately by department scoping in the queryset,
    so another department's object answers 404, never 403.
    """

    perms_map = {
        **permissions.DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
    }
