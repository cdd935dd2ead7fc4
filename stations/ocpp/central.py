"""What the central system answers to each station message, for OCPP 1.6J and 2.0.1.

Handlers translate OCPP payloads into calls of the domains (run in a worker thread, since they use the
ORM): stations.services for the station's own state (boot, heartbeats, statuses, firmware),
charging.services.transactions for authorization and transactions, charging.services.meter_values for
meter values; and the results back into OCPP answers. This gateway sits above both in the layers
(docs/architecture.md); the `ocpp` library validates both
against the official JSON schemas and turns exceptions into CALLERRORs.
"""

import time
from datetime import UTC, datetime

from ocpp.exceptions import (
    FormationViolationError,
    FormatViolationError,
    OccurenceConstraintViolationError,
    PropertyConstraintViolationError,
)
from ocpp.routing import on
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v16 import call_result as result16
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call_result as result201

from charging.services import meter_values, transactions
from stations import services
from stations.models import Connector
from stations.ocpp import values
from stations.ocpp.messagelog import idle_meter_samples
from stations.ocpp.threads import db


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


HEARTBEAT_STORE_EVERY_S = 30.0

_REGISTRATION = {"accepted": "Accepted", "pending": "Pending", "rejected": "Rejected"}


# How long a socket trusts what it loaded about its station's connectors (maximum power, open
# sessions) before loading it again; the socket's own transaction messages reload it at once.
CONNECTORS_FRESH_S = 30.0


class StationMixin:
    """State shared by both protocol versions: which stored charge point this socket belongs to."""

    def __init__(self, identity: str, connection, charge_point_id: int, **kwargs):
        super().__init__(identity, connection, **kwargs)
        self.charge_point_id = charge_point_id
        self.heartbeat_stored = 0.0
        self.connectors: dict[tuple[int, int], meter_values.ConnectorInfo] = {}
        self.connectors_loaded = float("-inf")

    def connectors_changed(self) -> None:
        self.connectors_loaded = float("-inf")

    async def connector_info(self, evse_id: int, connector_id: int) -> meter_values.ConnectorInfo | None:
        now = time.monotonic()
        stale = now - self.connectors_loaded > CONNECTORS_FRESH_S
        if stale or ((evse_id, connector_id) not in self.connectors and now - self.connectors_loaded > 1.0):
            self.connectors = await db(meter_values.station_connectors)(charge_point_id=self.charge_point_id)
            self.connectors_loaded = now
        return self.connectors.get((evse_id, connector_id))

    async def record_meter_values(
        self, evse_id: int, connector_id: int, transaction_id: str | None, samples: list
    ) -> None:
        """MeterValues: most come from connectors with nothing plugged in, a few hundred a second at a big
        depot. Those are queued for a batched INSERT with no query of their own; readings of a session,
        implausible ones and those of a connector with a reading alert open go through the full checks."""
        if not samples:
            return
        if transaction_id is None:
            info = await self.connector_info(evse_id, connector_id)
            if info is not None and not info.has_open_session and meter_values.idle_readings_plausible(info, samples):
                idle_meter_samples.add(meter_values.idle_meter_sample_rows(info.pk, samples))
                return
            if info is not None:
                self.connectors_changed()  # the checks may open or resolve a reading alert: load the state again
        await db(meter_values.meter_values_record)(
            charge_point_id=self.charge_point_id,
            evse_id=evse_id,
            connector_id=connector_id,
            transaction_id=transaction_id,
            samples=samples,
        )

    async def store_heartbeat(self) -> None:
        """Write a heartbeat to the database at most every HEARTBEAT_STORE_EVERY_S (the first one always):
        far inside the interval-plus-grace the watchdog allows, a third of the writes at 10 s heartbeats."""
        now = time.monotonic()
        if now - self.heartbeat_stored >= HEARTBEAT_STORE_EVERY_S:
            self.heartbeat_stored = now
            await db(services.station_seen)(charge_point_id=self.charge_point_id, heartbeat=True)


class CentralSystem16(StationMixin, ChargePoint16):
    """OCPP 1.6J. Connector n of a 1.6 station is stored as EVSE n, connector 1."""

    async def _handle_call(self, msg):
        # The library's schema check answers FormatViolation, 2.0.1's name; OCPP 1.6 calls it FormationViolation.
        try:
            return await super()._handle_call(msg)
        except FormatViolationError as error:
            raise FormationViolationError(error.description, error.details) from None

    @on("BootNotification")
    async def on_boot_notification(self, charge_point_vendor, charge_point_model, **kwargs):
        status, interval = await db(services.station_boot)(
            charge_point_id=self.charge_point_id,
            vendor=charge_point_vendor,
            model=charge_point_model,
            serial_number=kwargs.get("charge_point_serial_number") or kwargs.get("charge_box_serial_number", ""),
            firmware_version=kwargs.get("firmware_version", ""),
        )
        return result16.BootNotification(current_time=now_iso(), interval=interval, status=_REGISTRATION[status])

    @on("Heartbeat")
    async def on_heartbeat(self):
        await self.store_heartbeat()
        return result16.Heartbeat(current_time=now_iso())

    @on("StatusNotification")
    async def on_status_notification(self, connector_id, error_code, status, **kwargs):
        moment = values.timestamp(kwargs["timestamp"], "timestamp") if "timestamp" in kwargs else datetime.now(UTC)
        if values.integer(connector_id, "connectorId", minimum=0) > 0:
            await db(services.connector_status_update)(
                charge_point_id=self.charge_point_id,
                evse_id=connector_id,
                connector_id=1,
                status=status,
                error_code=error_code,
                info=kwargs.get("info", ""),
                timestamp=moment,
            )
        return result16.StatusNotification()

    @on("MeterValues")
    async def on_meter_values(self, connector_id, meter_value, transaction_id=None, **kwargs):
        samples = values.meter_values(meter_value, "meterValue")
        if transaction_id is not None:
            transaction_id = str(values.integer(transaction_id, "transactionId"))
        if values.integer(connector_id, "connectorId", minimum=0) > 0:
            await self.record_meter_values(connector_id, 1, transaction_id, samples)
        return result16.MeterValues()

    @on("Authorize")
    async def on_authorize(self, id_tag):
        status = await db(transactions.id_token_status)(token=id_tag, charge_point_id=self.charge_point_id)
        return result16.Authorize(id_tag_info={"status": status})

    @on("StartTransaction")
    async def on_start_transaction(self, connector_id, id_tag, meter_start, timestamp, **kwargs):
        meter_start = values.integer(meter_start, "meterStart", minimum=0)
        moment = values.timestamp(timestamp, "timestamp")
        values.integer(connector_id, "connectorId")
        self.connectors_changed()
        try:
            session = await db(transactions.transaction_start)(
                charge_point_id=self.charge_point_id,
                evse_id=connector_id,
                connector_id=1,
                id_tag=id_tag,
                meter_start_wh=float(meter_start),
                timestamp=moment,
            )
        except Connector.DoesNotExist as exc:
            raise PropertyConstraintViolationError(str(exc), {"connectorId": connector_id}) from None
        # The station has started already: a refusal is recorded on the session, and the station should stop
        # (StopTransactionOnInvalidId).
        status = session.authorization_status or "Invalid"  # an empty idTag
        return result16.StartTransaction(transaction_id=int(session.transaction_id), id_tag_info={"status": status})

    @on("StopTransaction")
    async def on_stop_transaction(self, meter_stop, timestamp, transaction_id, **kwargs):
        meter_stop = values.integer(meter_stop, "meterStop", minimum=0)
        moment = values.timestamp(timestamp, "timestamp")
        values.integer(transaction_id, "transactionId")
        values.meter_values(kwargs.get("transaction_data"), "transactionData")  # checked; the readings are not kept
        self.connectors_changed()
        await db(transactions.transaction_stop)(
            charge_point_id=self.charge_point_id,
            transaction_id=str(transaction_id),
            meter_stop_wh=float(meter_stop),
            timestamp=moment,
            reason=kwargs.get("reason", ""),
        )
        id_tag = kwargs.get("id_tag")
        if id_tag:
            status = await db(transactions.id_token_status)(token=id_tag, charge_point_id=self.charge_point_id)
            return result16.StopTransaction(id_tag_info={"status": status})
        return result16.StopTransaction()

    @on("DataTransfer")
    async def on_data_transfer(self, vendor_id, **kwargs):
        return result16.DataTransfer(status="UnknownVendorId")

    @on("FirmwareStatusNotification")
    async def on_firmware_status(self, status):
        await db(services.station_firmware_status)(charge_point_id=self.charge_point_id, status=status)
        return result16.FirmwareStatusNotification()


class CentralSystem201(StationMixin, ChargePoint201):
    """OCPP 2.0.1."""

    @on("BootNotification")
    async def on_boot_notification(self, charging_station, reason, **kwargs):
        status, interval = await db(services.station_boot)(
            charge_point_id=self.charge_point_id,
            vendor=charging_station.get("vendor_name", ""),
            model=charging_station.get("model", ""),
            serial_number=charging_station.get("serial_number", ""),
            firmware_version=charging_station.get("firmware_version", ""),
        )
        return result201.BootNotification(current_time=now_iso(), interval=interval, status=_REGISTRATION[status])

    @on("Heartbeat")
    async def on_heartbeat(self, **kwargs):
        await self.store_heartbeat()
        return result201.Heartbeat(current_time=now_iso())

    @on("StatusNotification")
    async def on_status_notification(self, timestamp, connector_status, evse_id, connector_id, **kwargs):
        moment = values.timestamp(timestamp, "timestamp")
        values.integer(evse_id, "evseId")
        values.integer(connector_id, "connectorId")
        await db(services.connector_status_update)(
            charge_point_id=self.charge_point_id,
            evse_id=evse_id,
            connector_id=connector_id,
            status=connector_status,
            timestamp=moment,
        )
        return result201.StatusNotification()

    @on("MeterValues")
    async def on_meter_values(self, evse_id, meter_value, **kwargs):
        samples = values.meter_values(meter_value, "meterValue")
        if values.integer(evse_id, "evseId", minimum=0) > 0:
            await self.record_meter_values(evse_id, 1, None, samples)
        return result201.MeterValues()

    @on("Authorize")
    async def on_authorize(self, id_token, **kwargs):
        status = await db(transactions.id_token_status)(
            token=id_token["id_token"], charge_point_id=self.charge_point_id
        )
        return result201.Authorize(id_token_info={"status": status})

    @on("TransactionEvent")
    async def on_transaction_event(self, event_type, timestamp, trigger_reason, seq_no, transaction_info, **kwargs):
        transaction_id = transaction_info["transaction_id"]
        evse = kwargs.get("evse") or {}
        evse_id, connector_id = values.integer(evse.get("id", 1), "evse.id"), evse.get("connector_id", 1)
        values.integer(connector_id, "evse.connectorId")
        values.integer(seq_no, "seqNo", minimum=0)
        samples = values.meter_values(kwargs.get("meter_value"), "meterValue")
        token = (kwargs.get("id_token") or {}).get("id_token", "")
        moment = values.timestamp(timestamp, "timestamp")
        if event_type != "Updated":
            self.connectors_changed()
        status = None
        if event_type == "Started":
            energy = next((v["energy_wh"] for _, v in samples if "energy_wh" in v), 0.0)
            try:
                session = await db(transactions.transaction_start)(
                    charge_point_id=self.charge_point_id,
                    evse_id=evse_id,
                    connector_id=connector_id,
                    id_tag=token,
                    meter_start_wh=energy,
                    timestamp=moment,
                    transaction_id=transaction_id,
                )
            except transactions.DuplicateTransaction:
                raise OccurenceConstraintViolationError(
                    f"transactionId {transaction_id} was already started at this station",
                    {"transactionId": transaction_id},
                ) from None
            except Connector.DoesNotExist as exc:
                raise PropertyConstraintViolationError(str(exc), {"evse": evse}) from None
            status = session.authorization_status or None
        else:
            await self.record_meter_values(evse_id, connector_id, transaction_id, samples)
            if transaction_info.get("charging_state"):
                await db(transactions.transaction_state)(
                    charge_point_id=self.charge_point_id,
                    transaction_id=transaction_id,
                    state=transaction_info["charging_state"],
                )
        if event_type == "Ended":
            energy = next((v["energy_wh"] for _, v in reversed(samples) if "energy_wh" in v), None)
            await db(transactions.transaction_stop)(
                charge_point_id=self.charge_point_id,
                transaction_id=transaction_id,
                meter_stop_wh=energy,
                timestamp=moment,
                reason=transaction_info.get("stopped_reason", ""),
            )
        if token and status is None:  # a token after the start: the transaction takes it, or it is asked about
            status = await db(transactions.transaction_authorize)(
                charge_point_id=self.charge_point_id, transaction_id=transaction_id, id_tag=token
            )
        if token:
            return result201.TransactionEvent(id_token_info={"status": status})
        return result201.TransactionEvent()

    @on("DataTransfer")
    async def on_data_transfer(self, vendor_id, **kwargs):
        return result201.DataTransfer(status="UnknownVendorId")

    @on("FirmwareStatusNotification")
    async def on_firmware_status(self, status, **kwargs):
        await db(services.station_firmware_status)(charge_point_id=self.charge_point_id, status=status)
        return result201.FirmwareStatusNotification()
