"""Energy-model parameters for every vehicle model of ``fleet.catalogue.VEHICLE_MODELS``.

Plain Python, no Django. ``params_for(make, name, variant)`` returns the :class:`EnergyParams` the road-load model
in :mod:`simulation.energy` needs; a model without parameters raises :class:`MissingParameters` naming it.

Where the figures come from (each entry's ``sources`` says which, field by field):

* mass: the maker's kerb weight plus a 75 kg driver (the EU "mass in running order" already includes the
  driver; then it is taken as is). Payload is a separate argument of the energy model.
* drag area CdA = Cd x frontal area A. Cd as the maker published it; A as published where it is, else
  estimated as 0.84 x overall width x height (the usual passenger-car fill factor, Hucho, *Aerodynamics of Road
  Vehicles*, 4th ed. 1998, ch. 4), 0.88-0.90 for box-shaped vans and buses.
* rolling resistance coefficient: by tyre class from the EU tyre label (Regulation (EU) 2020/740: C1 classes
  B-C are 6.6-9.0 N/kN on the drum; on the road a car's coefficient is about 10-20 % above the drum value),
  C2 light-truck tyres higher, C3 bus tyres lower. Marked "estimated: by class".
* drivetrain efficiency (battery to wheel, cycle average) and regeneration efficiency (share of the braking
  energy of a stop that returns to the battery, friction braking included) by class: motor and inverter
  efficiency maps in Fiori, Ahn & Rakha 2016 (Applied Energy 168, "Power-based electric vehicle energy
  consumption model") and Genikomsakis & Mitrentsis 2017 (Transp. Res. D 50). Marked "estimated: by class".
* auxiliary load (12 V electronics, pumps, fans, lights), cabin heat-loss coefficient (UA, conduction plus
  ventilation air), HVAC maximum power, battery thermal data: by class, the cabin and battery ones calibrated
  against AAA 2019 and Geotab (see ``simulation/calibration.py`` and docs/simulation-energy.md).
* heat pump: as fitted in the catalogue variant; where the maker lists it only as an option, a fleet vehicle
  is assumed to be ordered without it, and the source says so.

The figures were taken from the named publications as the author knew them; none was measured here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fleet.catalogue import VEHICLE_MODELS

DRIVER_KG = 75.0


class MissingParameters(LookupError, ValueError):
    """A vehicle model has no energy parameters (a ValueError naming the model)."""

    def __init__(self, make: str, name: str, variant: str):
        self.model = (make, name, variant)
        super().__init__(
            f"vehicle model {make} {name} ({variant}): no energy parameters; add it to simulation/vehicles.py"
        )


@dataclass(frozen=True)
class BatteryThermal:
    """The pack's thermal data for the conditioning energy (heating in the cold, cooling in the heat).

    ``ua_w_per_k``: heat loss of the pack to ambient while driving (W/K, insulation and air flow under the
    floor); ``heat_capacity_kj_per_k``: pack mass x about 1.0 kJ/(kg K) (cells about 0.9-1.1, Bernardi-type
    lumped pack); ``heated``/``cooled``: whether the pack is actively heated / actively cooled (liquid or
    refrigerant loop); ``keep_above_c``/``keep_below_c``: the window the battery management holds while
    driving; ``loss_fraction``: share of the traction power turned into heat inside the pack (I^2 R)."""

    ua_w_per_k: float
    heat_capacity_kj_per_k: float
    heated: bool
    cooled: bool
    keep_above_c: float = 5.0
    keep_below_c: float = 30.0
    loss_fraction: float = 0.03


@dataclass(frozen=True)
class EnergyParams:
    """Road-load, HVAC and battery-conditioning parameters of one vehicle model, with the source of each."""

    make: str
    name: str
    variant: str
    mass_kg: float  # kerb + driver
    drag_area_m2: float  # Cd x A
    rolling_resistance: float  # Crr, dry road, 25 °C
    drivetrain_efficiency: float  # battery -> wheel
    regen_efficiency: float  # braking energy of a stop -> battery
    auxiliary_kw: float
    heat_pump: bool
    hvac_max_kw: float  # electrical input limit of the cabin heater / air conditioning
    cabin_ua_w_per_k: float  # cabin heat-loss coefficient incl. ventilation air
    battery_thermal: BatteryThermal
    cabin_gain_w: float = 150.0  # occupant and electronics heat inside the cabin
    tyre_temperature_coefficient: float = 0.008  # ISO 28580 Kt for C1 tyres (per K)
    cold_drivetrain_per_k: float = 0.0035  # drivetrain efficiency lost per K below 20 °C (calibrated, AAA 2019)
    sources: dict[str, str] = field(default_factory=dict)


# Class defaults: (crr, drivetrain, regen, aux kW, hvac max kW, cabin UA W/K, cabin gain W, tyre Kt, battery).
_CLASS = {
    "car": dict(
        rolling_resistance=0.0085,
        drivetrain_efficiency=0.88,
        regen_efficiency=0.60,
        auxiliary_kw=0.30,
        hvac_max_kw=6.0,
        cabin_ua_w_per_k=90.0,
        cabin_gain_w=150.0,
        tyre_temperature_coefficient=0.008,
    ),
    "suv": dict(
        rolling_resistance=0.0090,
        drivetrain_efficiency=0.88,
        regen_efficiency=0.60,
        auxiliary_kw=0.35,
        hvac_max_kw=7.0,
        cabin_ua_w_per_k=100.0,
        cabin_gain_w=150.0,
        tyre_temperature_coefficient=0.008,
    ),
    "van": dict(
        rolling_resistance=0.0095,
        drivetrain_efficiency=0.86,
        regen_efficiency=0.55,
        auxiliary_kw=0.40,
        hvac_max_kw=7.0,
        cabin_ua_w_per_k=110.0,
        cabin_gain_w=150.0,
        tyre_temperature_coefficient=0.008,
    ),
    "truck": dict(
        rolling_resistance=0.0105,
        drivetrain_efficiency=0.86,
        regen_efficiency=0.55,
        auxiliary_kw=0.45,
        hvac_max_kw=7.0,
        cabin_ua_w_per_k=110.0,
        cabin_gain_w=150.0,
        tyre_temperature_coefficient=0.008,
    ),
    "bus": dict(
        rolling_resistance=0.0070,
        drivetrain_efficiency=0.84,
        regen_efficiency=0.50,
        auxiliary_kw=3.0,
        hvac_max_kw=30.0,
        cabin_ua_w_per_k=700.0,
        cabin_gain_w=600.0,
        tyre_temperature_coefficient=0.006,
    ),
}

_CLASS_SOURCES = {
    "rolling_resistance": "estimated: by class, EU tyre label C1 class B-C (Reg. (EU) 2020/740) + ~15 % on-road",
    "drivetrain_efficiency": "estimated: by class, cycle-average motor/inverter/gear efficiency (Fiori et al. 2016)",
    "regen_efficiency": "estimated: by class, share of stop braking energy returned incl. friction braking",
    "auxiliary_kw": "estimated: by class, 12 V electronics, pumps, fans and lights",
    "hvac_max_kw": "estimated: by class, PTC heater / compressor rating of the segment",
    "cabin_ua_w_per_k": "estimated: by class, calibrated against AAA 2019 (docs/simulation-energy.md)",
    "cabin_gain_w": "estimated: one occupant (~100 W) plus electronics",
    "tyre_temperature_coefficient": "ISO 28580 rolling-resistance temperature correction (Kt, per K)",
    "battery_thermal": "estimated: pack mass x 1 kJ/(kg K); pack UA by class, calibrated against AAA 2019",
}

# Battery thermal data by cooling architecture.
_LIQUID = BatteryThermal(ua_w_per_k=25.0, heat_capacity_kj_per_k=400.0, heated=True, cooled=True)
_LIQUID_LARGE = BatteryThermal(ua_w_per_k=35.0, heat_capacity_kj_per_k=700.0, heated=True, cooled=True)
_LIQUID_BUS = BatteryThermal(ua_w_per_k=80.0, heat_capacity_kj_per_k=1100.0, heated=True, cooled=True)
# Nissan Leaf: passive air-cooled pack, no active cooling; the heater only keeps it above about -17 °C.
_PASSIVE_LEAF = BatteryThermal(
    ua_w_per_k=20.0, heat_capacity_kj_per_k=300.0, heated=True, cooled=False, keep_above_c=-17.0, keep_below_c=60.0
)
# Renault Zoe: pack heated and cooled by conditioned air from the cabin HVAC.
_AIR_ZOE = BatteryThermal(ua_w_per_k=20.0, heat_capacity_kj_per_k=330.0, heated=True, cooled=True)

# One row per catalogue entry:
# (make, name, variant, class, mass_kg, Cd, A_m2, heat_pump, battery, overrides, sources)
_ROWS: list[tuple] = [
    (
        "Nissan",
        "Leaf",
        "40 kWh (EU)",
        "car",
        1580 + DRIVER_KG,
        0.28,
        2.32,
        True,
        _PASSIVE_LEAF,
        {},
        {
            "mass_kg": "Nissan EU spec sheet 2022: kerb 1,580 kg (Acenta/N-Connecta) + 75 kg driver",
            "Cd": "Nissan press kit 2017 (ZE1): Cd 0.28",
            "A": "estimated: 0.84 x width 1.79 m x height 1.54 m (maker dimensions)",
            "heat_pump": "Nissan EU: heat pump on N-Connecta and Tekna trims; assumed fitted",
            "battery_thermal": "passive air-cooled pack (no active cooling), EV Database",
        },
    ),
    (
        "Nissan",
        "Leaf",
        "SV Plus 62 kWh (NA)",
        "car",
        1748 + DRIVER_KG,
        0.28,
        2.32,
        True,
        _PASSIVE_LEAF,
        {},
        {
            "mass_kg": "Nissan USA spec 2022: curb 3,854 lb (1,748 kg) + 75 kg driver",
            "Cd": "Nissan press kit (ZE1 body): Cd 0.28",
            "A": "estimated: 0.84 x width 1.79 m x height 1.54 m",
            "heat_pump": "Nissan USA: heat pump standard on SV Plus",
            "battery_thermal": "passive air-cooled pack (no active cooling), EV Database",
        },
    ),
    (
        "Renault",
        "Zoe",
        "R135 Z.E. 50 with CCS (EU)",
        "car",
        1577,
        0.33,
        2.26,
        True,
        _AIR_ZOE,
        {},
        {
            "mass_kg": "Renault spec sheet 2021: mass in running order 1,577 kg (incl. driver)",
            "Cd": "Renault: Cd 0.33 (SCx 0.75 m2)",
            "A": "Renault SCx 0.75 m2 / Cd 0.33",
            "heat_pump": "Renault: heat pump standard on Zoe Z.E. 50",
            "battery_thermal": "air-conditioned pack (cabin HVAC loop), EV Database",
        },
    ),
    (
        "Renault",
        "Kangoo Van E-Tech Electric",
        "L1 45 kWh, 22 kW AC + DC option (EU)",
        "van",
        1850 + DRIVER_KG,
        0.35,
        2.95,
        False,
        _LIQUID,
        {},
        {
            "mass_kg": "estimated: Renault press kit 2022 kerb about 1,850 kg + 75 kg driver",
            "Cd": "estimated: small-van class Cd 0.35 (maker does not publish)",
            "A": "estimated: 0.86 x width 1.92 m x height 1.84 m",
            "heat_pump": "heat pump optional; fleet specification assumed without",
            "battery_thermal": "liquid-cooled pack, Renault press kit",
        },
    ),
    (
        "Volkswagen",
        "ID.3",
        "Pro 58 kWh (EU)",
        "car",
        1812,
        0.267,
        2.36,
        False,
        _LIQUID,
        {"drivetrain_efficiency": 0.89},
        {
            "mass_kg": "VW spec sheet 2023: mass in running order 1,812 kg (incl. driver)",
            "Cd": "VW press kit: Cd 0.267",
            "A": "VW press kit: frontal area 2.36 m2",
            "heat_pump": "heat pump optional; fleet specification assumed without",
            "battery_thermal": "liquid-cooled MEB pack with coolant heater, VW press kit",
            "drivetrain_efficiency": "estimated: MEB permanent-magnet rear motor, class value + 0.01",
        },
    ),
    (
        "Volkswagen",
        "ID.4",
        "Pro 77 kWh (EU)",
        "suv",
        2124 + DRIVER_KG,
        0.28,
        2.56,
        False,
        _LIQUID,
        {},
        {
            "mass_kg": "VW spec sheet 2023: kerb 2,124 kg + 75 kg driver",
            "Cd": "VW press kit: Cd 0.28",
            "A": "estimated: 0.84 x width 1.85 m x height 1.64 m",
            "heat_pump": "heat pump optional; fleet specification assumed without",
            "battery_thermal": "liquid-cooled MEB pack with coolant heater",
        },
    ),
    (
        "Volkswagen",
        "ID.4",
        "Pro 77 kWh (NA)",
        "suv",
        2068 + DRIVER_KG,
        0.28,
        2.56,
        False,
        _LIQUID,
        {},
        {
            "mass_kg": "VW of America spec 2023: curb 4,559 lb (2,068 kg) + 75 kg driver",
            "Cd": "VW press kit: Cd 0.28",
            "A": "estimated: 0.84 x width 1.85 m x height 1.64 m",
            "heat_pump": "heat pump not on Pro RWD; assumed without",
            "battery_thermal": "liquid-cooled MEB pack with coolant heater",
        },
    ),
    (
        "Volkswagen",
        "ID. Buzz Cargo",
        "77 kWh (EU)",
        "van",
        2370 + DRIVER_KG,
        0.285,
        3.23,
        False,
        _LIQUID,
        {},
        {
            "mass_kg": "estimated: VW Commercial Vehicles spec 2023, kerb about 2,370 kg + 75 kg driver",
            "Cd": "VW press kit (ID. Buzz): Cd 0.285",
            "A": "estimated: 0.84 x width 1.985 m x height 1.937 m",
            "heat_pump": "heat pump optional; fleet specification assumed without",
            "battery_thermal": "liquid-cooled MEB pack with coolant heater",
        },
    ),
    (
        "Ford",
        "E-Transit",
        "Cargo Van 68 kWh (NA)",
        "van",
        2800 + DRIVER_KG,
        0.38,
        4.6,
        False,
        _LIQUID,
        {},
        {
            "mass_kg": "estimated: Ford Pro spec 2023, curb about 2,800 kg (low/medium roof) + 75 kg driver",
            "Cd": "estimated: large-van class Cd 0.38 (maker does not publish)",
            "A": "estimated: 0.90 x width 2.06 m x height 2.50 m (medium roof)",
            "heat_pump": "resistive cabin heater (no heat pump offered)",
            "rolling_resistance": "estimated: C2 light-truck tyres, van class",
            "battery_thermal": "liquid-cooled pack with coolant heater, Ford Pro",
        },
    ),
    (
        "Ford",
        "E-Transit",
        "Van 68 kWh (EU)",
        "van",
        2750 + DRIVER_KG,
        0.38,
        4.6,
        False,
        _LIQUID,
        {},
        {
            "mass_kg": "estimated: Ford Pro Europe spec 2023, kerb about 2,750 kg + 75 kg driver",
            "Cd": "estimated: large-van class Cd 0.38 (maker does not publish)",
            "A": "estimated: 0.90 x width 2.06 m x height 2.50 m (medium roof)",
            "heat_pump": "resistive cabin heater (no heat pump offered)",
            "battery_thermal": "liquid-cooled pack with coolant heater, Ford Pro",
        },
    ),
    (
        "Ford",
        "Mustang Mach-E",
        "Extended Range RWD (EU)",
        "suv",
        2119 + DRIVER_KG,
        0.30,
        2.58,
        True,
        _LIQUID_LARGE,
        {},
        {
            "mass_kg": "Ford EU spec 2023: kerb 2,119 kg + 75 kg driver",
            "Cd": "Ford: Cd about 0.30",
            "A": "estimated: 0.84 x width 1.88 m x height 1.63 m",
            "heat_pump": "Ford EU: heat pump standard on European Mach-E",
            "battery_thermal": "liquid-cooled 91 kWh pack with coolant heater",
        },
    ),
    (
        "Ford",
        "F-150 Lightning",
        "Extended Range (NA)",
        "truck",
        2990 + DRIVER_KG,
        0.44,
        3.55,
        False,
        _LIQUID_LARGE,
        {},
        {
            "mass_kg": "Ford spec 2023: curb about 6,590 lb (2,990 kg, Lariat ER) + 75 kg driver",
            "Cd": "estimated: full-size pickup class Cd 0.44",
            "A": "estimated: 0.84 x width 2.03 m x height 1.99 m (excl. mirrors)",
            "heat_pump": "resistive cabin heater (2023 model year)",
            "rolling_resistance": "estimated: LT all-season tyres, truck class",
            "battery_thermal": "liquid-cooled 131 kWh pack with coolant heater",
        },
    ),
    (
        "Mercedes-Benz",
        "eVito Panel Van",
        "60 kWh (EU)",
        "van",
        2400 + DRIVER_KG,
        0.32,
        3.25,
        False,
        _LIQUID,
        {},
        {
            "mass_kg": "estimated: Mercedes-Benz Vans 2022, kerb about 2,400 kg + 75 kg driver",
            "Cd": "Mercedes-Benz (Vito/V-Class body): Cd 0.32",
            "A": "estimated: 0.88 x width 1.93 m x height 1.91 m",
            "heat_pump": "resistive cabin heater assumed (heat pump not listed for the panel van)",
            "battery_thermal": "liquid-cooled pack",
        },
    ),
    (
        "Mercedes-Benz",
        "eSprinter",
        'Cargo Van 170" WB High Roof 113 kWh (NA)',
        "van",
        3400 + DRIVER_KG,
        0.36,
        5.0,
        False,
        _LIQUID_LARGE,
        {"auxiliary_kw": 0.5},
        {
            "mass_kg": "estimated: Mercedes-Benz Vans USA 2024, curb about 3,400 kg + 75 kg driver",
            "Cd": "estimated: large high-roof van class Cd 0.36",
            "A": "estimated: 0.90 x width 2.02 m x height 2.75 m (high roof)",
            "heat_pump": "resistive cabin heater assumed",
            "auxiliary_kw": "estimated: large van, 0.5 kW",
            "battery_thermal": "liquid-cooled 113 kWh pack",
        },
    ),
    (
        "Peugeot",
        "e-Expert",
        "75 kWh, 11 kW OBC (EU)",
        "van",
        2180 + DRIVER_KG,
        0.33,
        3.10,
        False,
        _LIQUID,
        {},
        {
            "mass_kg": "estimated: Peugeot spec 2021, kerb about 2,180 kg (standard length) + 75 kg driver",
            "Cd": "estimated: mid-size van class Cd 0.33",
            "A": "estimated: 0.86 x width 1.92 m x height 1.90 m",
            "heat_pump": "heat pump optional; fleet specification assumed without",
            "battery_thermal": "liquid-cooled pack with heater (Stellantis eVMP/EMP2), EV Database",
        },
    ),
    (
        "Citroën",
        "ë-Berlingo Van",
        "M 50 kWh, 11 kW OBC (EU)",
        "van",
        1700 + DRIVER_KG,
        0.33,
        2.95,
        False,
        _LIQUID,
        {},
        {
            "mass_kg": "estimated: Citroën spec 2022, kerb about 1,700 kg + 75 kg driver",
            "Cd": "estimated: small-van class Cd 0.33",
            "A": "estimated: 0.86 x width 1.85 m x height 1.85 m",
            "heat_pump": "heat pump optional; fleet specification assumed without",
            "battery_thermal": "liquid-cooled pack with heater, EV Database",
        },
    ),
    (
        "Tesla",
        "Model 3",
        "RWD (EU)",
        "car",
        1765 + DRIVER_KG,
        0.23,
        2.22,
        True,
        _LIQUID,
        {"drivetrain_efficiency": 0.90},
        {
            "mass_kg": "Tesla EU configurator 2023: kerb 1,765 kg + 75 kg driver",
            "Cd": "Tesla: Cd 0.23",
            "A": "estimated: 0.84 x width 1.85 m x height 1.44 m = 2.22 m2",
            "heat_pump": "Tesla: heat pump (Octovalve) standard from model year 2021",
            "drivetrain_efficiency": "estimated: Tesla permanent-magnet motor, class value + 0.02 (EV Database)",
            "battery_thermal": "liquid-cooled LFP pack, heated by motor waste heat and heat pump",
        },
    ),
    (
        "Tesla",
        "Model 3",
        "Long Range AWD (NA)",
        "car",
        1828 + DRIVER_KG,
        0.22,
        2.22,
        True,
        _LIQUID,
        {"drivetrain_efficiency": 0.90},
        {
            "mass_kg": "Tesla US 2025: curb 4,034 lb (1,828 kg) + 75 kg driver",
            "Cd": "Tesla at the 2024 refresh: Cd about 0.22",
            "A": "estimated: 0.84 x width 1.85 m x height 1.44 m = 2.22 m2",
            "heat_pump": "Tesla: heat pump standard",
            "drivetrain_efficiency": "estimated: class value + 0.02 (induction front motor mostly idle)",
            "battery_thermal": "liquid-cooled NCA pack, heat pump",
        },
    ),
    (
        "Tesla",
        "Model Y",
        "Long Range AWD (EU)",
        "suv",
        1979 + DRIVER_KG,
        0.23,
        2.52,
        True,
        _LIQUID,
        {"drivetrain_efficiency": 0.90},
        {
            "mass_kg": "Tesla EU configurator 2023: kerb 1,979 kg + 75 kg driver",
            "Cd": "Tesla: Cd 0.23",
            "A": "estimated: 0.84 x width 1.92 m x height 1.62 m = 2.61 m2, 2.52 m2 with the roof taper",
            "heat_pump": "Tesla: heat pump standard",
            "drivetrain_efficiency": "estimated: class value + 0.02",
            "battery_thermal": "liquid-cooled pack, heat pump",
        },
    ),
    (
        "Tesla",
        "Model Y",
        "Long Range AWD (NA)",
        "suv",
        1979 + DRIVER_KG,
        0.23,
        2.52,
        True,
        _LIQUID,
        {"drivetrain_efficiency": 0.90},
        {
            "mass_kg": "Tesla US 2024: curb 4,363 lb (1,979 kg) + 75 kg driver",
            "Cd": "Tesla: Cd 0.23",
            "A": "estimated: as the EU Model Y",
            "heat_pump": "Tesla: heat pump standard",
            "drivetrain_efficiency": "estimated: class value + 0.02",
            "battery_thermal": "liquid-cooled pack, heat pump",
        },
    ),
    (
        "Hyundai",
        "Kona Electric",
        "64 kWh (EU)",
        "car",
        1760,
        0.29,
        2.30,
        True,
        _LIQUID,
        {},
        {
            "mass_kg": "tu.no test 2020 (maker data): 1,760 kg with driver",
            "Cd": "Hyundai: Cd 0.29",
            "A": "estimated: 0.82 x width 1.80 m x height 1.555 m",
            "heat_pump": "Hyundai EU: heat pump on the 64 kWh Premium trims; assumed fitted",
            "battery_thermal": "liquid-cooled pack with heater (Hyundai press kit)",
        },
    ),
    (
        "Kia",
        "Niro EV",
        "64.8 kWh (NA)",
        "car",
        1748 + DRIVER_KG,
        0.29,
        2.40,
        True,
        _LIQUID,
        {},
        {
            "mass_kg": "estimated: Kia America 2023, curb about 3,854 lb (1,748 kg) + 75 kg driver",
            "Cd": "Kia: Cd 0.29",
            "A": "estimated: 0.84 x width 1.825 m x height 1.57 m",
            "heat_pump": "Kia America: heat pump standard on the 2023 Niro EV",
            "battery_thermal": "liquid-cooled pack with heater",
        },
    ),
    (
        "Chevrolet",
        "Bolt EV",
        "65 kWh (NA)",
        "car",
        1616 + DRIVER_KG,
        0.308,
        2.39,
        False,
        _LIQUID,
        {},
        {
            "mass_kg": "GM spec 2022: curb 3,563 lb (1,616 kg) + 75 kg driver",
            "Cd": "GM (2017 Bolt EV launch): Cd 0.308",
            "A": "estimated: 0.84 x width 1.765 m x height 1.611 m",
            "heat_pump": "resistive (PTC coolant) cabin heater, no heat pump",
            "battery_thermal": "liquid-cooled pack with coolant heater",
        },
    ),
    (
        "Skoda",
        "Enyaq iV",
        "80 (EU)",
        "suv",
        2090 + DRIVER_KG,
        0.257,
        2.56,
        False,
        _LIQUID,
        {},
        {
            "mass_kg": "Skoda spec 2022: kerb 2,090 kg + 75 kg driver",
            "Cd": "Skoda: Cd 0.257",
            "A": "estimated: 0.84 x width 1.88 m x height 1.62 m",
            "heat_pump": "heat pump optional; fleet specification assumed without",
            "battery_thermal": "liquid-cooled MEB pack with coolant heater",
        },
    ),
    (
        "Polestar",
        "Polestar 2",
        "Long Range Single Motor (EU)",
        "car",
        1994 + DRIVER_KG,
        0.278,
        2.37,
        False,
        _LIQUID,
        {},
        {
            "mass_kg": "Polestar spec 2022: kerb 1,994 kg + 75 kg driver",
            "Cd": "Polestar: Cd 0.278",
            "A": "estimated: 0.86 x width 1.86 m x height 1.48 m",
            "heat_pump": "heat pump in the optional Plus pack; fleet specification assumed without",
            "battery_thermal": "liquid-cooled pack with coolant heater",
        },
    ),
    (
        "BYD",
        "Atto 3",
        "60.5 kWh (EU)",
        "suv",
        1750 + DRIVER_KG,
        0.29,
        2.54,
        True,
        _LIQUID,
        {},
        {
            "mass_kg": "BYD EU spec 2023: kerb 1,750 kg + 75 kg driver",
            "Cd": "BYD: Cd 0.29",
            "A": "estimated: 0.84 x width 1.875 m x height 1.615 m",
            "heat_pump": "BYD EU: heat pump standard",
            "battery_thermal": "Blade LFP pack, direct refrigerant cooling and heating",
        },
    ),
    (
        "Blue Bird",
        "Vision Electric",
        "Type C school bus 155 kWh (NA)",
        "bus",
        12000 + DRIVER_KG,
        0.60,
        7.0,
        False,
        _LIQUID_BUS,
        {},
        {
            "mass_kg": "estimated: Type C electric bus curb about 12,000 kg (GVWR 33,000 lb class) + 75 kg driver",
            "Cd": "estimated: conventional-cab school bus Cd 0.60",
            "A": "estimated: 0.90 x width 2.44 m x height 3.20 m",
            "heat_pump": "resistive electric heaters (diesel-fired auxiliary heater optional, not modelled)",
            "rolling_resistance": "estimated: C3 bus tyres (EU label C3 classes 4-7 N/kN) + on-road margin",
            "auxiliary_kw": "estimated: air compressor, doors, lights, 24 V loads, 3 kW",
            "cabin_ua_w_per_k": "estimated: large uninsulated cabin with door openings, 700 W/K",
            "battery_thermal": "liquid-cooled 155 kWh pack with heater",
        },
    ),
]


def _build() -> dict[tuple[str, str, str], EnergyParams]:
    table: dict[tuple[str, str, str], EnergyParams] = {}
    for make, name, variant, klass, mass, cd, area, heat_pump, battery, overrides, row_sources in _ROWS:
        values = dict(_CLASS[klass])
        values.update(overrides)
        sources = dict(_CLASS_SOURCES)
        sources.update(row_sources)
        sources["drag_area_m2"] = f"Cd {cd} x A {area} m2; Cd: {row_sources['Cd']}; A: {row_sources['A']}"
        sources.pop("Cd", None)
        sources.pop("A", None)
        sources["class"] = f"class defaults: {klass}"
        table[(make, name, variant)] = EnergyParams(
            make=make,
            name=name,
            variant=variant,
            mass_kg=float(mass),
            drag_area_m2=round(cd * area, 4),
            heat_pump=heat_pump,
            battery_thermal=battery,
            sources=sources,
            **values,
        )
    return table


ENERGY_PARAMS: dict[tuple[str, str, str], EnergyParams] = _build()


def params_for(make: str, name: str, variant: str) -> EnergyParams:
    """The energy parameters of a catalogue model; :class:`MissingParameters` (naming it) when there are none."""
    try:
        return ENERGY_PARAMS[(make, name, variant)]
    except KeyError:
        raise MissingParameters(make, name, variant) from None


def catalogue_params() -> list[EnergyParams]:
    """Parameters of every ``fleet.catalogue.VEHICLE_MODELS`` entry, in catalogue order (raises if one lacks them)."""
    return [params_for(m["make"], m["name"], m["variant"]) for m in VEHICLE_MODELS]
