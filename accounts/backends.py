"""Authentication that loads the user's department with the user, and answers permissions by role."""

from django.contrib.auth.backends import ModelBackend
from rest_framework import authentication

from accounts.models import User
from accounts.roles import permissions_for


class RoleBackend(ModelBackend):
    """Username/password sign-in; permissions come from the role table in accounts/roles.py."""

    def get_user(self, user_id):
        user = User._default_manager.select_related("department").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        return set(permissions_for(user_obj.role))

    # AnonymousUser has no role: every question about it is answered before the role is read (the admin's
    # sign-in page asks has_module_perms for each app while nobody is signed in).
    def has_perm(self, user_obj, perm, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous:
            return False
        if user_obj.is_admin:
            return True
        return perm in self.get_all_permissions(user_obj, obj)

    def has_module_perms(self, user_obj, app_label):
        if not user_obj.is_active or user_obj.is_anonymous:
            return False
        if user_obj.is_admin:
            return True
        return any(p.startswith(f"{app_label}.") for p in self.get_all_permissions(user_obj))


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF token authentication that fetches user and department in the same query."""

    def authenticate_credentials(self, key):
        model = self.get_model()
        token = model.objects.select_related("user__department").filter(key=key).first()
        if token is None:
            raise authentication.exceptions.AuthenticationFailed("Invalid token.", code="invalid_token")
        if not token.user.is_active:
            raise authentication.exceptions.AuthenticationFailed("User inactive or deleted.", code="user_inactive")
        return token.user, token
