from rest_framework import serializers
from rest_framework.authtoken.models import Token

from accounts.models import ActivityLog, Department, User
from evfleet.api.base import StrictModelSerializer, StrictSerializer


class DepartmentSerializer(StrictModelSerializer):
    class Meta:
        model = Department
        fields = ["id", "name", "parent", "path", "depth", "time_zone", "created_at", "updated_at"]
        read_only_fields = ["path", "depth", "created_at", "updated_at"]


class UserSerializer(StrictModelSerializer):
    password = serializers.CharField(
        write_only=True,
        required=False,
        style={"input_type": "password"},
        help_text=(
            "At least 8 characters, not common, not all digits. Omit to create an API-only user without a password."
        ),
    )

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "email",
            "first_name",
            "last_name",
            "role",
            "department",
            "is_active",
            "password",
            "date_joined",
            "last_login",
        ]
        read_only_fields = ["date_joined", "last_login"]


class ActivityLogSerializer(serializers.ModelSerializer):
    object_type = serializers.SerializerMethodField(
        help_text="app_label.model of the changed object, e.g. fleet.vehicle."
    )

    class Meta:
        model = ActivityLog
        fields = [
            "id",
            "timestamp",
            "actor",
            "actor_username",
            "source",
            "ip_address",
            "action",
            "object_type",
            "object_id",
            "object_repr",
            "changes",
            "department",
        ]
        read_only_fields = fields

    def get_object_type(self, entry: ActivityLog) -> str:
        return f"{entry.content_type.app_label}.{entry.content_type.model}"


class TokenRequestSerializer(StrictSerializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as `Authorization: Token <token>`.")
    username = serializers.CharField()
    role = serializers.ChoiceField(choices=User.Role.choices)

    @staticmethod
    def for_token(token: Token) -> dict:
        return {"token": token.key, "username": token.user.username, "role": token.user.role}
