"""The API of notifications: your own notifications, your channel choices, your browsers' push subscriptions."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from evfleet.api.base import ApiViewMixin, takes_no_body
from evfleet.api.filters import BooleanFilter, FilterSet
from notifications import selectors, services
from notifications.api.serializers import NotificationSerializer, PreferenceSerializer, PushSubscriptionSerializer
from notifications.models import Channel, Event, Notification


class NotificationFilter(FilterSet):
    unread = BooleanFilter(field_name="read_at", lookup_expr="isnull", help_text="true: only the unread ones.")

    class Meta:
        model = Notification
        fields = ["event"]


class NotificationViewSet(ApiViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Your own notifications, newest first (`?unread=true` for the unread ones)."""

    queryset = Notification.objects.none()  # the router's name; get_queryset gives the user's own
    serializer_class = NotificationSerializer
    permission_classes = [IsAuthenticated]
    filterset_class = NotificationFilter

    def get_queryset(self):
        return Notification.objects.filter(user=self.request.user, shown_in_app=True)

    @extend_schema(request=None, responses={200: NotificationSerializer})
    @action(detail=True, methods=["post"])
    @takes_no_body
    def read(self, request, pk=None):
        notification = self.get_object()
        services.notification_mark_read(user=request.user, ids=[notification.pk])
        notification.refresh_from_db()
        return Response(NotificationSerializer(notification).data)

    @extend_schema(request=None, responses=inline_serializer("ReadAll", {"marked": serializers.IntegerField()}))
    @action(detail=False, methods=["post"], url_path="read-all")
    @takes_no_body
    def read_all(self, request):
        return Response({"marked": services.notification_mark_read(user=request.user)})


class PreferenceView(ApiViewMixin, APIView):
    """Which events you receive on which channel: GET the whole matrix, PUT the entries to change."""

    permission_classes = [IsAuthenticated]

    def _matrix(self, user):
        chosen = selectors.preferences_of(user)
        return [{"event": e, "channel": c, "enabled": chosen[e, c]} for e in Event.values for c in Channel.values]

    @extend_schema(responses=PreferenceSerializer(many=True))
    def get(self, request):
        return Response(self._matrix(request.user))

    @extend_schema(request=PreferenceSerializer(many=True), responses=PreferenceSerializer(many=True))
    def put(self, request):
        serializer = PreferenceSerializer(data=request.data, many=True)
        serializer.is_valid(raise_exception=True)
        choices = {(item["event"], item["channel"]): item["enabled"] for item in serializer.validated_data}
        services.preferences_set(user=request.user, choices=choices)
        return Response(self._matrix(request.user))


class PushSubscriptionView(ApiViewMixin, APIView):
    """Browser Web Push: GET the VAPID public key to subscribe with, POST the subscription, DELETE it."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=inline_serializer("VapidKey", {"public_key": serializers.CharField()}))
    def get(self, request):
        from notifications import push

        return Response({"public_key": push.public_key()})

    @extend_schema(request=PushSubscriptionSerializer, responses={201: None})
    def post(self, request):
        serializer = PushSubscriptionSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        services.push_subscription_save(
            user=request.user, endpoint=data["endpoint"], p256dh=data["keys"]["p256dh"], auth=data["keys"]["auth"],
            user_agent=request.headers.get("User-Agent", ""),
        )  # fmt: skip
        return Response(status=status.HTTP_201_CREATED)

    @extend_schema(request=PushSubscriptionSerializer, responses={204: None})
    def delete(self, request):
        endpoint = (request.data or {}).get("endpoint", "")
        services.push_subscription_delete(user=request.user, endpoint=endpoint)
        return Response(status=status.HTTP_204_NO_CONTENT)
