"""Simulated charge points: real OCPP 1.6J / 2.0.1 clients (the `ocpp` library) over WebSocket.

Each station boots, heart-beats, now and then has a vehicle plug in (Preparing, a transaction,
Charging with meter values, Finishing, Available) and now and then faults and recovers. It accepts
the commands a central system sends. No Django in here: the stations to run come in as plain data.

With a `Fleet` (the demo's simulated fleet, `demo.fleet`), no vehicle plugs in at random: on each tick a free
connector asks `choose_vehicle(station identity, evse id)` which vehicle, if any, plugs in (a vehicle of the
depot's own fleet, back from its trip and charging nowhere else); the station starts the transaction with that
vehicle's own tag, reports its SoC as it charges (its battery's size, its on-board charger's limit) and ends
the session once the vehicle is full, or when the fleet unplugs it for its departure (`StationPool.unplug`).
"""

import asyncio
import base64
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import websockets
from ocpp.routing import on
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v16 import call as call16
from ocpp.v16 import call_result as result16
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call as call201
from ocpp.v201 import call_result as result201

logger = logging.getLogger(__name__)

FAULT_CODES_16 = ["GroundFailure", "OverCurrentFailure", "HighTemperature", "PowerMeterFailure", "ConnectorLockFailure"]


@dataclass
class ConnectorSpec:
    evse_id: int
    max_kw: float


@dataclass
class StationSpec:
    identity: str
    protocol: str  # "ocpp1.6" or "ocpp2.0.1"
    connectors: list[ConnectorSpec]
    password: str | None = None
    id_tags: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Plug:
    """A vehicle plugging in: its tag, its state of charge now, its usable battery (kWh), the most its on-board
    charger takes on this connector (kW) and the SoC at which it stops charging."""

    tag: str
    soc_percent: float
    capacity_kwh: float = 60.0
    max_kw: float | None = None
    target_soc_percent: float = 100.0


@dataclass
class Fleet:
    """Who plugs in where (instead of random plug-ins): `choose_vehicle(identity, evse_id)` answers a free
    connector with the vehicle to plug in, or None; `vehicle_for_tag(tag)` describes the vehicle a remote start
    names (None: a tag the fleet does not know, charged as an unknown 60 kWh vehicle)."""

    choose_vehicle: Callable[[str, int], Awaitable[Plug | None]]
    vehicle_for_tag: Callable[[str], Awaitable[Plug | None]] | None = None
    full_ticks: int = 2  # meter ticks a full vehicle stays plugged before the session ends


class StationPool:
    """The running stations by identity: where each tag is plugged in, and the unplugging of a vehicle that
    leaves (its station stops the transaction: EVDisconnected)."""

    def __init__(self) -> None:
        self.stations: dict[str, SimulatedStation] = {}

    def plugged(self) -> dict[str, tuple[str, int]]:
        """tag -> (station identity, evse id) of every vehicle in a transaction now."""
        return {
            state["tag"]: (identity, evse_id)
            for identity, station in self.stations.items()
            for evse_id, state in station.state.items()
            if state["tx"] is not None and state.get("tag")
        }

    async def unplug(self, tag: str) -> bool:
        """End the transaction of the vehicle with `tag`, wherever it charges; False: it charges at none of them."""
        for station in self.stations.values():
            if await station.unplug(tag):
                return True
        return False


@dataclass
class Behaviour:
    """How often things happen; the defaults give a lively demo, the benchmark sets its own."""

    heartbeat_s: float = 60.0
    meter_s: float = 15.0
    plug_in_chance: float = 0.05  # per connector and meter tick, when Available
    session_ticks: tuple[int, int] = (8, 40)  # meter ticks a session lasts
    fault_chance: float = 0.003  # per connector and tick
    fault_ticks: tuple[int, int] = (3, 10)
    status_change_s: float = 0.0  # >0: toggle a connector between Available and Unavailable this often (bench)
    validate: bool = True  # check own requests and the answers against the OCPP schemas (a load generator skips it)


@dataclass
class Stats:
    calls: int = 0
    errors: int = 0
    # Round trip of each call until the central system's answer, in ms, by action.
    answer_ms: dict[str, list[float]] = field(default_factory=dict)
    status_sent_at: dict[tuple[str, str], float] = field(default_factory=dict)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class _Answers16(ChargePoint16):
    """The commands a 1.6 central system may send, all accepted."""

    @on("Reset")
    async def on_reset(self, type, **kw):
        return result16.Reset(status="Accepted")

    @on("ChangeAvailability")
    async def on_change_availability(self, connector_id, type, **kw):
        return result16.ChangeAvailability(status="Accepted")

    @on("RemoteStartTransaction")
    async def on_remote_start(self, id_tag, connector_id=None, **kw):
        accepted = self.station.remote_start(connector_id, id_tag)
        return result16.RemoteStartTransaction(status="Accepted" if accepted else "Rejected")

    @on("RemoteStopTransaction")
    async def on_remote_stop(self, transaction_id, **kw):
        accepted = self.station.remote_stop(transaction_id)
        return result16.RemoteStopTransaction(status="Accepted" if accepted else "Rejected")

    @on("UnlockConnector")
    async def on_unlock(self, connector_id, **kw):
        return result16.UnlockConnector(status="Unlocked")

    @on("TriggerMessage")
    async def on_trigger(self, requested_message, **kw):
        return result16.TriggerMessage(status="Accepted")

    @on("GetConfiguration")
    async def on_get_configuration(self, **kw):
        return result16.GetConfiguration(
            configuration_key=[
                {"key": "HeartbeatInterval", "readonly": False, "value": str(int(self.behaviour.heartbeat_s))}
            ]
        )

    @on("ChangeConfiguration")
    async def on_change_configuration(self, key, value, **kw):
        return result16.ChangeConfiguration(status="Accepted")

    @on("ReserveNow")
    async def on_reserve(self, connector_id, expiry_date, id_tag, reservation_id, **kw):
        return result16.ReserveNow(status="Accepted")

    @on("CancelReservation")
    async def on_cancel_reservation(self, reservation_id, **kw):
        return result16.CancelReservation(status="Accepted")

    @on("SetChargingProfile")
    async def on_set_profile(self, connector_id, cs_charging_profiles, **kw):
        self.station.profile_set(connector_id, cs_charging_profiles["charging_schedule"])
        return result16.SetChargingProfile(status="Accepted")

    @on("ClearChargingProfile")
    async def on_clear_profile(self, **kw):
        self.station.profile_clear()
        return result16.ClearChargingProfile(status="Accepted")


class _Answers201(ChargePoint201):
    """The commands a 2.0.1 central system may send, all accepted."""

    @on("Reset")
    async def on_reset(self, type, **kw):
        return result201.Reset(status="Accepted")

    @on("ChangeAvailability")
    async def on_change_availability(self, operational_status, **kw):
        return result201.ChangeAvailability(status="Accepted")

    @on("RequestStartTransaction")
    async def on_request_start(self, id_token, remote_start_id, evse_id=None, **kw):
        accepted = self.station.remote_start(evse_id, id_token["id_token"], remote_start_id)
        return result201.RequestStartTransaction(status="Accepted" if accepted else "Rejected")

    @on("RequestStopTransaction")
    async def on_request_stop(self, transaction_id, **kw):
        accepted = self.station.remote_stop(transaction_id)
        return result201.RequestStopTransaction(status="Accepted" if accepted else "Rejected")

    @on("UnlockConnector")
    async def on_unlock(self, evse_id, connector_id, **kw):
        return result201.UnlockConnector(status="Unlocked")

    @on("TriggerMessage")
    async def on_trigger(self, requested_message, **kw):
        return result201.TriggerMessage(status="Accepted")

    @on("GetVariables")
    async def on_get_variables(self, get_variable_data, **kw):
        return result201.GetVariables(
            get_variable_result=[
                {"attribute_status": "UnknownVariable", "component": d["component"], "variable": d["variable"]}
                for d in get_variable_data
            ]
        )

    @on("SetVariables")
    async def on_set_variables(self, set_variable_data, **kw):
        return result201.SetVariables(
            set_variable_result=[
                {"attribute_status": "Accepted", "component": d["component"], "variable": d["variable"]}
                for d in set_variable_data
            ]
        )

    @on("ReserveNow")
    async def on_reserve(self, id, expiry_date_time, id_token, **kw):
        return result201.ReserveNow(status="Accepted")

    @on("CancelReservation")
    async def on_cancel_reservation(self, reservation_id, **kw):
        return result201.CancelReservation(status="Accepted")

    @on("SetChargingProfile")
    async def on_set_profile(self, evse_id, charging_profile, **kw):
        self.station.profile_set(evse_id, charging_profile["charging_schedule"][0])
        return result201.SetChargingProfile(status="Accepted")

    @on("ClearChargingProfile")
    async def on_clear_profile(self, **kw):
        self.station.profile_clear()
        return result201.ClearChargingProfile(status="Accepted")


class SimulatedStation:
    def __init__(
        self, spec: StationSpec, behaviour: Behaviour, stats: Stats, rng: random.Random, fleet: Fleet | None = None
    ):
        self.spec, self.behaviour, self.stats, self.rng, self.fleet = spec, behaviour, stats, rng, fleet
        self.v16 = spec.protocol == "ocpp1.6"
        self.state = {
            c.evse_id: {"status": "Available", "ticks": 0, "energy_wh": rng.uniform(1e5, 9e5), "tx": None}
            for c in spec.connectors
        }
        self.seq = 0

    def profile_set(self, evse_id: int, schedule: dict) -> None:
        """A TxProfile: from now on the connector draws at most the schedule's limit (W) of the moment."""
        if evse_id in self.state:
            start = schedule.get("start_schedule")
            begins = datetime.fromisoformat(start.replace("Z", "+00:00")) if start else datetime.now(UTC)
            periods = sorted((p["start_period"], float(p["limit"])) for p in schedule["charging_schedule_period"])
            self.state[evse_id]["profile"] = (begins, periods)

    def profile_clear(self) -> None:
        for state in self.state.values():
            state.pop("profile", None)

    def profile_limit_kw(self, evse_id: int) -> float | None:
        profile = self.state[evse_id].get("profile")
        if profile is None:
            return None
        begins, periods = profile
        elapsed = (datetime.now(UTC) - begins).total_seconds()
        current = [limit for start, limit in periods if start <= elapsed]
        return (current[-1] if current else periods[0][1]) / 1000.0

    async def call(self, payload):
        self.stats.calls += 1
        started = time.monotonic()
        try:
            result = await self.cp.call(payload, skip_schema_validation=not self.behaviour.validate)
        except Exception as exc:  # a station keeps going whatever the answer
            self.stats.errors += 1
            logger.debug("%s: %s failed: %s", self.spec.identity, type(payload).__name__, exc)
            return None
        self.stats.answer_ms.setdefault(type(payload).__name__, []).append((time.monotonic() - started) * 1000)
        return result

    async def status(self, evse_id: int, status: str, error_code: str = "NoError"):
        self.state[evse_id]["status"] = status
        self.stats.status_sent_at[(self.spec.identity, f"{evse_id}:{status}")] = time.monotonic()
        if self.v16:
            await self.call(
                call16.StatusNotification(
                    connector_id=evse_id, error_code=error_code, status=status, timestamp=now_iso()
                )
            )
        else:
            mapped = {"Preparing": "Occupied", "Charging": "Occupied", "Finishing": "Occupied"}.get(status, status)
            await self.call(
                call201.StatusNotification(
                    timestamp=now_iso(), connector_status=mapped, evse_id=evse_id, connector_id=1
                )
            )

    async def run(self, base_url: str, stop: asyncio.Event):
        headers = {}
        if self.spec.password:
            token = base64.b64encode(f"{self.spec.identity}:{self.spec.password}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        url = f"{base_url.rstrip('/')}/ocpp/{self.spec.identity}"
        while not stop.is_set():
            try:
                async with websockets.connect(
                    url,
                    subprotocols=[self.spec.protocol],
                    additional_headers=headers,
                    open_timeout=20,
                    ping_interval=None,
                ) as socket:
                    klass = _Answers16 if self.v16 else _Answers201
                    self.cp = klass(self.spec.identity, socket, response_timeout=30)
                    self.cp.behaviour, self.cp.station = self.behaviour, self
                    reader = asyncio.ensure_future(self.cp.start())
                    try:
                        await self._session(stop)
                    finally:
                        reader.cancel()
            except (OSError, websockets.exceptions.WebSocketException) as exc:
                logger.info("%s: connection lost (%s); retrying", self.spec.identity, exc)
                await asyncio.sleep(2 + self.rng.random() * 3)

    async def _session(self, stop: asyncio.Event):
        if self.v16:
            await self.call(
                call16.BootNotification(
                    charge_point_model="SimCharger", charge_point_vendor="EVFleet Sim", firmware_version="1.6.0-sim"
                )
            )
        else:
            await self.call(
                call201.BootNotification(
                    charging_station={
                        "model": "SimCharger",
                        "vendor_name": "EVFleet Sim",
                        "firmware_version": "2.0.1-sim",
                    },
                    reason="PowerUp",
                )
            )
        for connector in self.spec.connectors:
            await self.status(connector.evse_id, "Available")
        # Stagger the stations so that a thousand of them do not speak in the same instant.
        await asyncio.sleep(self.rng.random() * self.behaviour.meter_s)
        next_beat = time.monotonic() + self.behaviour.heartbeat_s
        next_toggle = time.monotonic() + (
            self.rng.random() * self.behaviour.status_change_s if self.behaviour.status_change_s else 1e18
        )
        while not stop.is_set():
            now = time.monotonic()
            if now >= next_beat:
                await self.call(call16.Heartbeat() if self.v16 else call201.Heartbeat())
                next_beat = now + self.behaviour.heartbeat_s
            if now >= next_toggle:
                evse = self.spec.connectors[0].evse_id
                await self.status(evse, "Unavailable" if self.state[evse]["status"] == "Available" else "Available")
                next_toggle = now + self.behaviour.status_change_s
            for connector in self.spec.connectors:
                await self._tick(connector)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.behaviour.meter_s)

    async def _tick(self, connector: ConnectorSpec):
        state, b, rng = self.state[connector.evse_id], self.behaviour, self.rng
        evse = connector.evse_id
        if state["status"] == "Faulted":
            state["ticks"] -= 1
            if state["ticks"] <= 0:
                await self.status(evse, "Available")
            return
        if state["status"] == "Available":
            if rng.random() < b.fault_chance:
                state["ticks"] = rng.randint(*b.fault_ticks)
                await self.status(evse, "Faulted", rng.choice(FAULT_CODES_16) if self.v16 else "NoError")
            elif self.fleet is not None:
                plug = await self._ask(self.fleet.choose_vehicle, self.spec.identity, evse)
                if plug is not None and self.state[evse]["status"] == "Available":  # not taken while it asked
                    await self._start(connector, plug=plug)
            elif rng.random() < b.plug_in_chance:
                await self._start(connector)
            elif b.status_change_s:  # the benchmark: a meter value on idle connectors too
                await self._meter(connector, 0.0)
            return
        if state["status"] == "Charging":
            state["ticks"] -= 1
            if state.get("target") is not None:  # a vehicle of the fleet: it charges until it is full
                power_kw = self._vehicle_power_kw(connector, state)
                if power_kw > 0:
                    state["ticks"] = self.fleet.full_ticks if self.fleet else 2
            else:
                taper = 1.0 if state["ticks"] > 3 else 0.4
                power_kw = connector.max_kw * rng.uniform(0.6, 0.95) * taper
            limit = self.profile_limit_kw(evse)
            if limit is not None:  # a smart-charging profile caps it
                power_kw = min(power_kw, limit * rng.uniform(0.97, 1.0))
            state["energy_wh"] += power_kw * 1000 * b.meter_s / 3600
            await self._meter(connector, power_kw)
            if state["ticks"] <= 0:
                await self._stop(connector)

    def _vehicle_power_kw(self, connector: ConnectorSpec, state: dict) -> float:
        """What a fleet vehicle draws: the connector's or its charger's limit, tapering above 80 % SoC, nothing
        once it has reached its target."""
        soc, target = state["soc"], state["target"]
        if soc >= target:
            return 0.0
        limit = min(connector.max_kw, state.get("max_kw") or connector.max_kw)
        taper = 1.0 if soc < 80 else max(0.15, (100 - soc) / 20)
        return limit * taper * self.rng.uniform(0.93, 0.99)

    async def _ask(self, hook, *args):
        """A fleet hook's answer; a hook that fails leaves the connector as it is (the station keeps going)."""
        try:
            return await hook(*args)
        except Exception:
            logger.exception("%s: the fleet's %s failed", self.spec.identity, getattr(hook, "__name__", "hook"))
            return None

    async def unplug(self, tag: str) -> bool:
        """The vehicle with `tag` leaves: its transaction ends (EVDisconnected) and the connector is free."""
        for connector in self.spec.connectors:
            state = self.state[connector.evse_id]
            if state["tx"] is not None and state.get("tag") == tag:
                await self._stop(connector)
                return True
        return False

    async def _meter(self, connector: ConnectorSpec, power_kw: float):
        state = self.state[connector.evse_id]
        values = [
            {
                "value": f"{state['energy_wh']:.0f}" if self.v16 else round(state["energy_wh"]),
                "measurand": "Energy.Active.Import.Register",
            },
            {
                "value": f"{power_kw * 1000:.0f}" if self.v16 else round(power_kw * 1000),
                "measurand": "Power.Active.Import",
            },
        ]
        if state["tx"] is not None and "soc" in state:  # the vehicle reports its state of charge
            capacity = state.get("capacity") or 60.0  # an unknown vehicle: a 60 kWh pack
            state["soc"] = min(100.0, state["soc"] + power_kw * self.behaviour.meter_s / 3600 / capacity * 100)
            values.append({"value": f"{state['soc']:.1f}" if self.v16 else round(state["soc"], 1), "measurand": "SoC"})
        if self.v16:
            for v in values:
                v["unit"] = {"Energy": "Wh", "Power": "W", "SoC": "Percent"}[v["measurand"].split(".")[0]]
            await self.call(
                call16.MeterValues(
                    connector_id=connector.evse_id,
                    transaction_id=state["tx"],
                    meter_value=[{"timestamp": now_iso(), "sampled_value": values}],
                )
            )
        elif state["tx"]:
            for v in values:
                v["unit_of_measure"] = {
                    "unit": {"Energy": "Wh", "Power": "W", "SoC": "Percent"}[v["measurand"].split(".")[0]]
                }
            self.seq += 1
            await self.call(
                call201.TransactionEvent(
                    event_type="Updated",
                    timestamp=now_iso(),
                    trigger_reason="MeterValuePeriodic",
                    seq_no=self.seq,
                    transaction_info={"transaction_id": state["tx"], "charging_state": "Charging"},
                    meter_value=[{"timestamp": now_iso(), "sampled_value": values}],
                )
            )
        else:
            await self.call(
                call201.MeterValues(
                    evse_id=connector.evse_id, meter_value=[{"timestamp": now_iso(), "sampled_value": values}]
                )
            )

    def remote_start(self, evse_id: int | None, tag: str, remote_start_id: int | None = None) -> bool:
        """The central system asks to start: accepted on an Available connector, which then starts (as a
        driver plugging in would) right after the answer."""
        free = [c for c in self.spec.connectors if self.state[c.evse_id]["status"] == "Available"]
        connector = next((c for c in free if evse_id in (None, c.evse_id)), None)
        if connector is None:
            return False
        self.state[connector.evse_id]["status"] = "Preparing"  # taken from now on
        asyncio.ensure_future(self._start(connector, tag=tag, remote_start_id=remote_start_id))
        return True

    def remote_stop(self, transaction_id) -> bool:
        connector = next(
            (c for c in self.spec.connectors if str(self.state[c.evse_id]["tx"]) == str(transaction_id)), None
        )
        if connector is None:
            return False
        asyncio.ensure_future(self._stop(connector, reason="Remote"))
        return True

    async def _start(
        self,
        connector: ConnectorSpec,
        tag: str | None = None,
        remote_start_id: int | None = None,
        plug: Plug | None = None,
    ):
        state, rng = self.state[connector.evse_id], self.rng
        state["status"] = "Preparing"  # taken from now on
        if plug is None and tag is not None and self.fleet is not None and self.fleet.vehicle_for_tag is not None:
            plug = await self._ask(self.fleet.vehicle_for_tag, tag)  # a remote start: the vehicle it names
        if plug is not None:
            tag = plug.tag
        if tag is None:
            tag = rng.choice(self.spec.id_tags) if self.spec.id_tags else f"SIM{rng.randint(1000, 9999)}"
        state["tag"] = tag
        await self.status(connector.evse_id, "Preparing")
        state["ticks"] = rng.randint(*self.behaviour.session_ticks)
        state["soc"] = plug.soc_percent if plug is not None else rng.uniform(15.0, 55.0)
        state["capacity"] = plug.capacity_kwh if plug is not None else None
        state["max_kw"] = plug.max_kw if plug is not None else None
        state["target"] = plug.target_soc_percent if plug is not None else None
        if self.v16:
            result = await self.call(
                call16.StartTransaction(
                    connector_id=connector.evse_id, id_tag=tag, meter_start=int(state["energy_wh"]), timestamp=now_iso()
                )
            )
            state["tx"] = result.transaction_id if result else None
        else:
            state["tx"] = f"{self.spec.identity}-{int(time.time() * 1000)}-{connector.evse_id}"
            self.seq += 1
            await self.call(
                call201.TransactionEvent(
                    event_type="Started",
                    timestamp=now_iso(),
                    trigger_reason="RemoteStart" if remote_start_id is not None else "Authorized",
                    seq_no=self.seq,
                    transaction_info={
                        "transaction_id": state["tx"],
                        "charging_state": "EVConnected",
                        **({"remote_start_id": remote_start_id} if remote_start_id is not None else {}),
                    },
                    evse={"id": connector.evse_id, "connector_id": 1},
                    id_token={"id_token": tag, "type": "ISO14443"},
                    meter_value=[{"timestamp": now_iso(), "sampled_value": [{"value": round(state["energy_wh"])}]}],
                )
            )
        await self.status(connector.evse_id, "Charging")

    async def _stop(self, connector: ConnectorSpec, reason: str = "EVDisconnected"):
        state = self.state[connector.evse_id]
        if state["tx"] is None:
            return
        state.pop("profile", None)  # a TxProfile ends with its transaction
        await self.status(connector.evse_id, "Finishing")
        if self.v16 and state["tx"] is not None:
            await self.call(
                call16.StopTransaction(
                    meter_stop=int(state["energy_wh"]),
                    timestamp=now_iso(),
                    transaction_id=state["tx"],
                    reason=reason,
                )
            )
        elif state["tx"]:
            self.seq += 1
            await self.call(
                call201.TransactionEvent(
                    event_type="Ended",
                    timestamp=now_iso(),
                    trigger_reason="RemoteStop" if reason == "Remote" else "EVCommunicationLost",
                    seq_no=self.seq,
                    transaction_info={"transaction_id": state["tx"], "stopped_reason": reason},
                    meter_value=[{"timestamp": now_iso(), "sampled_value": [{"value": round(state["energy_wh"])}]}],
                )
            )
        state["tx"] = None
        state["tag"] = state["target"] = None
        await self.status(connector.evse_id, "Available")


async def run_stations(
    base_url: str,
    specs: list[StationSpec],
    behaviour: Behaviour,
    stop: asyncio.Event,
    *,
    seed: int = 1,
    ramp_s: float = 0.0,
    stats: Stats | None = None,
    fleet: Fleet | None = None,
    pool: StationPool | None = None,
) -> Stats:
    """Run every station until `stop` is set; `ramp_s` spreads their first connections over that time. With a
    `fleet`, vehicles plug in as it says (see the module's docstring); `pool` receives the running stations."""
    stats = stats if stats is not None else Stats()
    rng = random.Random(seed)
    tasks = []
    for i, spec in enumerate(specs):
        station = SimulatedStation(spec, behaviour, stats, random.Random(rng.random()), fleet=fleet)
        if pool is not None:
            pool.stations[spec.identity] = station
        tasks.append(asyncio.ensure_future(_delayed(station.run(base_url, stop), ramp_s * i / max(len(specs), 1))))
    await stop.wait()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return stats


async def _delayed(coroutine, delay: float):
    await asyncio.sleep(delay)
    await coroutine
