"""The simulated stations with a fleet (stations.simulator.Fleet): no random plug-ins, the vehicle the fleet
chooses plugs in with its own tag and SoC, charges to its target and leaves when unplugged. Plain Python: the
station speaks to no server here (its OCPP calls fail and are counted; its own state is what is checked)."""

import asyncio
import random

from stations.simulator import (
    Behaviour,
    ConnectorSpec,
    Fleet,
    Plug,
    SimulatedStation,
    StationPool,
    StationSpec,
    Stats,
)


def _station(choose, identity="SIM-T-01"):
    spec = StationSpec(identity, "ocpp2.0.1", [ConnectorSpec(1, 22.0), ConnectorSpec(2, 22.0)], id_tags=["STRAY"])
    asked = []

    async def choose_vehicle(station_identity, evse_id):
        asked.append((station_identity, evse_id))
        return choose(evse_id)

    behaviour = Behaviour(meter_s=900.0, plug_in_chance=1.0, fault_chance=0.0)
    station = SimulatedStation(spec, behaviour, Stats(), random.Random(1), fleet=Fleet(choose_vehicle=choose_vehicle))
    return station, asked


def test_a_free_connector_plugs_in_only_the_vehicle_the_fleet_chooses():
    station, asked = _station(lambda evse: Plug("RFID-NW-001", 40.0, 50.0, max_kw=11.0) if evse == 1 else None)

    async def ticks():
        for connector in station.spec.connectors:
            await station._tick(connector)

    asyncio.run(ticks())
    assert asked == [("SIM-T-01", 1), ("SIM-T-01", 2)]
    assert station.state[1]["tag"] == "RFID-NW-001" and station.state[1]["status"] == "Charging"
    assert station.state[2]["status"] == "Available" and station.state[2]["tx"] is None  # no random plug-in


def test_the_vehicle_charges_at_its_chargers_limit_to_its_target_then_leaves():
    waiting = [Plug("RFID-NW-002", 70.0, 50.0, max_kw=11.0, target_soc_percent=80.0)]
    station, asked = _station(lambda evse: waiting.pop() if waiting else None)  # once full, nobody else waits
    connector = station.spec.connectors[0]

    async def day():
        await station._tick(connector)  # plugs in
        socs = []
        for _ in range(10):
            await station._tick(connector)
            socs.append(round(station.state[1].get("soc") or 0, 1))
        return socs

    socs = asyncio.run(day())
    assert 75.0 < socs[0] < 75.5  # 11 kW (its charger, not the 22 kW connector) for 15 minutes: 5.5 points at most
    assert socs[1] == socs[2] == max(socs) < 81  # at its target: no more energy
    assert station.state[1]["tx"] is None and station.state[1]["status"] == "Available"  # then it left
    assert len(asked) > 1  # the free connector asks the fleet again


def test_unplugging_a_leaving_vehicle_ends_its_transaction_at_whichever_station_it_charges():
    station, _ = _station(lambda evse: Plug(f"RFID-{evse}", 30.0, 60.0) if evse == 2 else None)
    pool = StationPool()
    pool.stations[station.spec.identity] = station

    async def run():
        for connector in station.spec.connectors:
            await station._tick(connector)
        assert pool.plugged() == {"RFID-2": ("SIM-T-01", 2)}
        return await pool.unplug("RFID-2"), await pool.unplug("RFID-9")

    assert asyncio.run(run()) == (True, False)
    assert station.state[2]["tx"] is None and station.state[2]["status"] == "Available" and pool.plugged() == {}
