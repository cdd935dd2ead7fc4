import django_filters
from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema
from rest_framework import permissions
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.api.serializers import (
    ActivityLogSerializer,
    DepartmentSerializer,
    TokenRequestSerializer,
    TokenResponseSerializer,
    UserSerializer,
)
from accounts.lockout import SignInLocked, attempts_forget, locked_until
from accounts.models import ActivityLog, Department, User
from evfleet.api.base import ScopedModelViewSet, ScopedReadOnlyModelViewSet
from evfleet.api.errors import ErrorSerializer
from evfleet.api.filters import AwareIsoDateTimeFilter as IsoDateTimeFilter
from evfleet.api.filters import FilterSet


class DepartmentViewSet(ScopedModelViewSet):
    """Departments and teams (a department with a parent). Users see their own subtree."""

    queryset = Department.objects.all()
    serializer_class = DepartmentSerializer
    filterset_fields = ["parent", "depth"]
    search_fields = ["name"]
    ordering_fields = ["name", "path", "created_at"]

    def create_object(self, data):
        return services.department_create(actor=self.request.user, **data)

    def update_object(self, instance, data):
        return services.department_update(actor=self.request.user, department=instance, **data)

    def delete_object(self, instance):
        services.department_delete(actor=self.request.user, department=instance)


class UserViewSet(ScopedModelViewSet):
    """User accounts (administrators only). The role decides permissions, the department the scope."""

    queryset = User.objects.select_related("department")
    serializer_class = UserSerializer
    filterset_fields = ["role", "department", "is_active"]
    search_fields = ["username", "email", "first_name", "last_name"]
    ordering_fields = ["username", "date_joined", "last_login"]

    def create_object(self, data):
        return services.user_create(actor=self.request.user, **data)

    def update_object(self, instance, data):
        return services.user_update(actor=self.request.user, user=instance, **data)

    def delete_object(self, instance):
        services.user_delete(actor=self.request.user, user=instance)


class ActivityLogFilter(FilterSet):
    timestamp_after = IsoDateTimeFilter(field_name="timestamp", lookup_expr="gte")
    timestamp_before = IsoDateTimeFilter(field_name="timestamp", lookup_expr="lt")
    object_type = django_filters.CharFilter(
        method="filter_object_type", help_text="app_label.model, e.g. fleet.vehicle"
    )

    class Meta:
        model = ActivityLog
        fields = ["actor", "action", "source", "object_id", "department", "ip_address"]

    def filter_object_type(self, queryset, name, value):
        app_label, _, model = value.lower().partition(".")
        return queryset.filter(content_type__app_label=app_label, content_type__model=model)


class ActivityLogViewSet(ScopedReadOnlyModelViewSet):
    """Who changed what, when and from where (administrators)."""

    queryset = ActivityLog.objects.select_related("content_type")
    serializer_class = ActivityLogSerializer
    filterset_class = ActivityLogFilter
    search_fields = ["object_repr", "actor_username"]
    ordering_fields = ["timestamp"]
    sync_field = "timestamp"  # entries never change


class TokenView(APIView):
    """Exchange a username and password for an API token."""

    permission_classes = [permissions.AllowAny]
    authentication_classes = []

    @extend_schema(
        request=TokenRequestSerializer,
        responses={200: TokenResponseSerializer, 429: ErrorSerializer},
        auth=[],
        description=(
            "After EVFLEET_LOGIN_FAILURE_LIMIT wrong passwords for a username from one address, that username is "
            "locked there for EVFLEET_LOGIN_COOLOFF seconds: 429 `sign_in_locked` with Retry-After, even for the "
            "right password."
        ),
    )
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        credentials = serializer.validated_data
        # django-axes (the first authentication backend) counts the failure and flags this request when the
        # username is locked at the caller's address; the flag is on DRF's request, so the answer is ours (429).
        user = authenticate(request, **credentials)
        if user is None and getattr(request, "axes_locked_out", False):
            raise SignInLocked(locked_until(request, {"username": credentials["username"]}))
        if user is None:
            raise ValidationError(
                {"non_field_errors": [ErrorDetail("Wrong username or password.", code="invalid_credentials")]}
            )
        attempts_forget(request, {"username": credentials["username"]})
        token, _ = Token.objects.select_related("user").get_or_create(user=user)
        return Response(TokenResponseSerializer.for_token(token))
