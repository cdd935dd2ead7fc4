"""The pricing API: tariffs and their versions (preview, OCPI export), customers, contracts, holiday calendars,
load-based pricing, grid signals, price intervals and quotes."""

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ErrorDetail, PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from evfleet.api.base import ApiViewMixin, ScopedModelViewSet, ScopedReadOnlyModelViewSet, ScopedViewSetMixin
from evfleet.api.errors import django_validation_error_to_drf
from evfleet.api.filters import AwareIsoDateTimeFilter, FilterSet
from evfleet.api.ids import query_id
from pricing import selectors, services
from pricing.api.serializers import (
    ContractSerializer,
    CustomerSerializer,
    GridSignalSerializer,
    HolidayCalendarSerializer,
    LoadPricingSerializer,
    PriceIntervalSerializer,
    PriceSerializer,
    QuoteSerializer,
    TariffSerializer,
    TariffVersionSerializer,
)
from pricing.models import Contract, Customer, GridSignal, HolidayCalendar, LoadPricing, PriceInterval, Tariff
from pricing.ocpi import ocpi_tariff


def _require(request, *perms: str) -> None:
    if not request.user.has_perms(perms):
        raise PermissionDenied()


def _field_error(field: str, message: str, code: str = "invalid") -> ValidationError:
    return ValidationError({field: [ErrorDetail(message, code=code)]})


class TariffFilter(FilterSet):
    class Meta:
        model = Tariff
        fields = ["department", "currency", "site", "charge_point", "connector"]


class TariffViewSet(ScopedModelViewSet):
    """Tariffs and their versions. A tariff is created with its first version; prices change only by
    POSTing a new version, so sessions already priced keep theirs."""

    queryset = Tariff.objects.all()
    serializer_class = TariffSerializer
    filterset_class = TariffFilter
    search_fields = ["name"]
    ordering_fields = ["name", "created_at"]

    def get_queryset(self):
        return selectors.tariff_list(user=self.request.user)

    def create_object(self, data):
        return services.tariff_create(
            actor=self.request.user,
            name=data["name"],
            department=data["department"],
            currency=data["currency"],
            site=data.get("site"),
            charge_point=data.get("charge_point"),
            connector=data.get("connector"),
            valid_until=data.get("valid_until"),
            valid_from=data.get("valid_from") or timezone.now(),
            tax_percent=data["tax_percent"],
            elements=data["elements"],
            note=data.get("note", ""),
        )

    def update_object(self, instance, data):
        return services.tariff_update(actor=self.request.user, tariff=instance, **data)

    @extend_schema(methods=["GET"], responses={200: TariffVersionSerializer(many=True)})
    @extend_schema(methods=["POST"], request=TariffVersionSerializer, responses={201: TariffVersionSerializer})
    @action(detail=True, methods=["get", "post"], pagination_class=None)  # a tariff has a handful of versions
    def versions(self, request, pk=None):
        """Every version, newest first (GET), or a new version from `valid_from` on (POST)."""
        tariff = self.get_object()
        if request.method == "GET":
            return Response(TariffVersionSerializer(tariff.versions.select_related("created_by"), many=True).data)
        _require(request, "pricing.add_tariffversion")
        serializer = TariffVersionSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        version = services.tariff_version_create(
            actor=request.user,
            tariff=tariff,
            valid_from=data.get("valid_from") or timezone.now(),
            tax_percent=data["tax_percent"],
            elements=data["elements"],
            note=data.get("note", ""),
        )
        return Response(TariffVersionSerializer(version).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[
            OpenApiParameter("date", OpenApiTypes.DATE, description="Local day to show (default: today)."),
            OpenApiParameter("customer", int, description="Apply this customer's contract."),
            OpenApiParameter("load_percent", OpenApiTypes.DECIMAL, description="Site load for dynamic pricing, %."),
            OpenApiParameter("version", int, description="Version number (default: the one in force that day)."),
        ],
        responses=inline_serializer(
            "TariffPreview",
            {
                "tariff": serializers.CharField(),
                "currency": serializers.CharField(),
                "time_zone": serializers.CharField(),
                "date": serializers.DateField(),
                "hours": serializers.ListField(child=serializers.DictField()),
            },
        ),
    )
    @action(detail=True, methods=["get"])
    def preview(self, request, pk=None):
        """The energy price per kWh for each hour of a local day, for a customer and a grid load."""
        tariff = self.get_object()
        params = preview_params(request, tariff)
        return Response(preview_payload(tariff, **params))

    @extend_schema(responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["get"])
    def ocpi(self, request, pk=None):
        """The version in force now as an OCPI 2.2.1 Tariff object, for roaming platforms."""
        tariff = self.get_object()
        version = selectors.version_at(tariff, timezone.now()) or tariff.versions.order_by("valid_from").first()
        return Response(ocpi_tariff(tariff, version))


def preview_params(request, tariff: Tariff) -> dict:
    raw_day = request.query_params.get("date")
    site = selectors.tariff_site(tariff)
    zone = site.time_zone if site else "UTC"
    from zoneinfo import ZoneInfo

    day = timezone.now().astimezone(ZoneInfo(zone)).date()
    if raw_day:
        try:
            day = date.fromisoformat(raw_day)
        except ValueError:
            raise _field_error("date", "Give the day as YYYY-MM-DD.") from None
    customer = None
    if (customer_id := query_id(request, "customer")) is not None:
        customer = selectors.customer_list(user=request.user).filter(pk=customer_id).first()
        if customer is None:
            raise _field_error("customer", "No such customer in your departments.", "does_not_exist")
    load = request.query_params.get("load_percent")
    if load not in (None, ""):
        try:
            load = Decimal(load)
        except InvalidOperation:
            raise _field_error("load_percent", "Give the load as a number of %, e.g. 75.") from None
        if not 0 <= load <= 200:
            raise _field_error("load_percent", "The load is 0 to 200 % of the grid limit.")
    else:
        load = None
    version = None
    if (number := query_id(request, "version")) is not None:
        version = tariff.versions.filter(number=number).first()
        if version is None:
            raise _field_error("version", f"{tariff.name} has no such version.", "does_not_exist")
    return {"site": site, "day": day, "customer": customer, "load_percent": load, "version": version}


def preview_payload(tariff, *, site, day, customer, load_percent, version) -> dict:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(site.time_zone if site else "UTC")
    noon = datetime.combine(day, datetime.min.time(), tzinfo=zone) + timedelta(hours=12)
    version = version or selectors.version_at(tariff, noon) or tariff.versions.order_by("valid_from").first()
    hours = services.price_preview(version=version, site=site, day=day, customer=customer, load_percent=load_percent)
    return {
        "tariff": f"{tariff.name} v{version.number}",
        "currency": tariff.currency,
        "tax_percent": str(version.tax_percent),
        "time_zone": str(zone),
        "date": day.isoformat(),
        "customer": customer.name if customer else None,
        "load_percent": str(load_percent) if load_percent is not None else None,
        "hours": hours,
    }


class CustomerViewSet(ScopedModelViewSet):
    """Fleet customers: companies or internal departments that are billed for charging."""

    queryset = Customer.objects.all()
    serializer_class = CustomerSerializer
    filterset_fields = ["department", "kind", "is_active"]
    search_fields = ["name", "tax_id"]
    ordering_fields = ["name"]

    def get_queryset(self):
        return selectors.customer_list(user=self.request.user)

    def create_object(self, data):
        return services.customer_create(actor=self.request.user, **data)

    def update_object(self, instance, data):
        return services.customer_update(actor=self.request.user, customer=instance, **data)


class ContractViewSet(ScopedModelViewSet):
    """Customers' contracts: a separate tariff, a discount, a per-kWh price or monthly volume tiers."""

    queryset = Contract.objects.all()
    serializer_class = ContractSerializer
    filterset_fields = ["customer", "kind"]
    ordering_fields = ["valid_from"]

    def get_queryset(self):
        return selectors.contract_list(user=self.request.user)

    def create_object(self, data):
        tiers = data.pop("tiers", None)
        return services.contract_create(actor=self.request.user, tiers=tiers, **data)

    def update_object(self, instance, data):
        tiers = data.pop("tiers", None)
        return services.contract_update(actor=self.request.user, contract=instance, tiers=tiers, **data)


class HolidayCalendarViewSet(ScopedModelViewSet):
    """Holiday calendars (public holidays by country and region); sites choose one. Admins edit them."""

    queryset = HolidayCalendar.objects.prefetch_related("extra_days")
    serializer_class = HolidayCalendarSerializer
    search_fields = ["name", "country"]


class LoadPricingViewSet(ScopedModelViewSet):
    """Load-based (dynamic) pricing per site: the curve from load to price multiplier, floor and cap."""

    queryset = LoadPricing.objects.select_related("site")
    serializer_class = LoadPricingSerializer
    filterset_fields = ["site", "is_active"]

    def create_object(self, data):
        site = data.pop("site")
        return services.load_pricing_save(actor=self.request.user, site=site, **data)

    def update_object(self, instance, data):
        data.pop("site", None)
        return services.load_pricing_save(actor=self.request.user, site=instance.site, instance=instance, **data)


class GridSignalFilter(FilterSet):
    after = AwareIsoDateTimeFilter(field_name="ends_at", lookup_expr="gt")
    before = AwareIsoDateTimeFilter(field_name="starts_at", lookup_expr="lt")

    class Meta:
        model = GridSignal
        fields = ["site", "source"]


class GridSignalViewSet(
    ScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """External grid prices and load figures per site and interval (pushed by an integrator's feed)."""

    queryset = GridSignal.objects.select_related("site")
    serializer_class = GridSignalSerializer
    filterset_class = GridSignalFilter
    ordering_fields = ["starts_at"]

    def perform_create(self, serializer):
        from accounts.audit import model_create

        serializer.instance = model_create(model=GridSignal, data=serializer.validated_data, actor=self.request.user)


class PriceIntervalFilter(FilterSet):
    after = AwareIsoDateTimeFilter(field_name="ends_at", lookup_expr="gt")
    before = AwareIsoDateTimeFilter(field_name="starts_at", lookup_expr="lt")

    class Meta:
        model = PriceInterval
        fields = ["site"]


class PriceIntervalViewSet(ScopedReadOnlyModelViewSet):
    """The dynamic price each site applied in each 15-minute interval, with the load behind it."""

    queryset = PriceInterval.objects.all()
    serializer_class = PriceIntervalSerializer
    filterset_class = PriceIntervalFilter
    ordering_fields = ["starts_at"]
    sync_field = "recorded_at"  # an interval's price is recorded once and never changes


class QuoteView(ApiViewMixin, APIView):
    """Price a planned charge before it happens, with the same engine and breakdown as a finished session."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=QuoteSerializer, responses={200: PriceSerializer})
    def post(self, request):
        _require(request, "pricing.view_tariff")
        serializer = QuoteSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        duration = data.get("duration_minutes")
        try:
            priced = services.quote(
                connector=data["connector"],
                start=data.get("start") or timezone.now(),
                vehicle=data.get("vehicle"),
                customer=data.get("customer"),
                energy_kwh=data.get("energy_kwh"),
                duration=timedelta(minutes=duration) if duration else None,
                power_kw=data.get("power_kw"),
            )
        except DjangoValidationError as exc:
            raise django_validation_error_to_drf(exc) from None
        return Response(priced.as_dict())
