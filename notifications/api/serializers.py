from rest_framework import serializers

from evfleet.api.base import StrictSerializer
from notifications.models import Channel, Event, Notification


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "event", "title", "body", "link", "data", "repeats", "created_at", "last_at", "read_at"]
        read_only_fields = fields


class PreferenceSerializer(StrictSerializer):
    event = serializers.ChoiceField(choices=Event.choices)
    channel = serializers.ChoiceField(choices=Channel.choices)
    enabled = serializers.BooleanField()


class PushSubscriptionSerializer(StrictSerializer):
    """What the browser's PushSubscription.toJSON() gives."""

    endpoint = serializers.URLField(max_length=600)
    keys = serializers.DictField(child=serializers.CharField(max_length=200), help_text="p256dh and auth, base64url.")
    expirationTime = serializers.IntegerField(required=False, allow_null=True)  # noqa: N815  (the browser's name)

    def validate_keys(self, keys):
        missing = [k for k in ("p256dh", "auth") if not keys.get(k)]
        if missing:
            raise serializers.ValidationError(f"Missing {', '.join(missing)}: send PushSubscription.toJSON().")
        if len(keys["auth"]) > 60 or len(keys["p256dh"]) > 200:
            raise serializers.ValidationError("auth is at most 60 and p256dh at most 200 characters (base64url).")
        return keys
