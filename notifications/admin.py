"""Admin of notifications: the session reports with their runs, the thresholds, and (read-only) what each user
was told with its delivery log."""

from django.contrib import admin

from accounts.admin_base import CappedCountPaginator, ReadOnlyAdmin, ScopedAdmin
from notifications import reports
from notifications.models import Delivery, Notification, SessionReport, SessionReportRun, ThresholdRule


class SessionReportRunInline(admin.TabularInline):
    model = SessionReportRun
    fields = ["created_at", "period_start", "period_end", "status", "recipients", "csv_rows", "figures", "error"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    max_num = 0


@admin.register(SessionReport)
class SessionReportAdmin(ScopedAdmin):
    """A department's daily and weekly session report; saving updates its beat schedule (also editable under
    Periodic tasks)."""

    list_display = ["department", "period", "send_at_hour", "recipients", "is_active", "periodic_task"]
    list_filter = ["period", "is_active"]
    list_select_related = ["department", "periodic_task"]
    inlines = [SessionReportRunInline]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        reports.session_report_schedule(
            SessionReport.objects.select_related("department", "periodic_task").get(pk=obj.pk)
        )


@admin.register(ThresholdRule)
class ThresholdRuleAdmin(ScopedAdmin):
    """Thresholds that notify a department's people: SoC below X % at departure, a session costing above Y."""

    list_display = ["department", "kind", "threshold", "is_active"]
    list_filter = ["kind", "is_active"]
    list_select_related = ["department"]


class DeliveryInline(admin.TabularInline):
    model = Delivery
    fields = ["channel", "status", "attempts", "error", "created_at", "sent_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    max_num = 0


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    """What each user was told, with the delivery log of every channel."""

    list_display = ["last_at", "user", "event", "title", "repeats", "read_at"]
    list_filter = ["event"]
    search_fields = ["title", "user__username"]
    list_select_related = ["user"]
    inlines = [DeliveryInline]
    paginator = CappedCountPaginator
    show_full_result_count = False

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if request.user.is_admin else queryset.filter(user=request.user)


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "notification", "channel", "status", "attempts", "error", "sent_at"]
    list_filter = ["channel", "status"]
    list_select_related = ["notification__user"]
    paginator = CappedCountPaginator
    show_full_result_count = False

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if request.user.is_admin else queryset.filter(notification__user=request.user)
