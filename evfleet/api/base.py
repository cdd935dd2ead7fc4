"""Base classes every API viewset and serializer builds on: scoping, services, strict input."""

from typing import Any

from django.db import models
from rest_framework import serializers, viewsets

from accounts.audit import model_create, model_delete, model_update
from accounts.middleware import activate_time_zone
from accounts.scoping import scoped


class StrictFieldsMixin:
    """A serializer that rejects unknown input fields and offers only in-scope related objects.

    Unknown names are errors (a typo like `priority` for `priority_class` must not pass silently);
    read-only fields sent back from a GET are ignored. Related-object choices are department-scoped,
    so a user cannot attach an object to a department outside their own subtree.
    """

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is None:
            return fields
        for field in fields.values():
            target = field.child_relation if isinstance(field, serializers.ManyRelatedField) else field
            queryset = getattr(target, "queryset", None)
            is_related = isinstance(target, serializers.RelatedField) and queryset is not None
            if is_related and hasattr(queryset.model, "scope_field"):
                target.queryset = scoped(queryset, user)
        return fields

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                writable = sorted(name for name, f in self.fields.items() if not f.read_only)
                raise serializers.ValidationError(
                    {
                        name: [
                            serializers.ErrorDetail(
                                f"Unknown field '{name}'; writable fields are: {', '.join(writable)}.",
                                code="unknown_field",
                            )
                        ]
                        for name in unknown
                    }
                )
        return super().to_internal_value(data)


class StrictModelSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    """A model serializer with the strict input rules above."""


class StrictSerializer(StrictFieldsMixin, serializers.Serializer):
    """A plain (non-model) input serializer with the strict input rules above."""


class ScopedViewSetMixin:
    """Department scoping of the queryset, and the user's local time zone once the API has authenticated."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        activate_time_zone(request.user)

    def get_base_queryset(self) -> models.QuerySet:
        return self.queryset.all()

    def get_queryset(self):
        queryset = self.get_base_queryset()
        if hasattr(queryset.model, "scope_field"):
            queryset = scoped(queryset, self.request.user)
        return queryset


class ScopedReadOnlyModelViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """List and retrieve over a department-scoped queryset."""


class ScopedModelViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    """CRUD over a department-scoped queryset; writes go through the app's service functions.

    Subclasses set `queryset` (or override `get_base_queryset`) and, where the app has its own
    services, the hooks `create_object`, `update_object`, `delete_object`. Everything outside the
    user's departments is 404.
    """

    queryset: models.QuerySet

    def perform_create(self, serializer):
        serializer.instance = self.create_object(serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = self.update_object(serializer.instance, serializer.validated_data)

    def perform_destroy(self, instance):
        self.delete_object(instance)

    # Defaults: the generic validated-and-logged save; apps with their own rules override these.
    def create_object(self, data: dict[str, Any]) -> models.Model:
        return model_create(model=self.get_base_queryset().model, data=data, actor=self.request.user)

    def update_object(self, instance: models.Model, data: dict[str, Any]) -> models.Model:
        return model_update(instance=instance, data=data, actor=self.request.user)

    def delete_object(self, instance: models.Model) -> None:
        model_delete(instance=instance, actor=self.request.user)
