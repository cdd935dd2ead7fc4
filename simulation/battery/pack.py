"""Battery packs of the catalogue's vehicle models: chemistry, cells in series and parallel, derating.

A pack is ``cells_series`` × ``cells_parallel`` cells of ``cell_capacity_ah`` at ``nominal_cell_v``. Its
nominal (gross) energy is ``S · P · cell_capacity_ah · nominal_cell_v``; the **derating** is the share of it
the battery management lets the driver use:

    derating = usable_kwh / gross_kwh   (≤ 1; buffers at the top and bottom of the SoC window)

Where the maker (or EV Database) publishes the gross energy, the derating follows from the two figures.
Where it does not, ``DEFAULT_DERATING`` = 0.95 is assumed: the median of the 14 distinct packs below that
publish both figures (range 0.907…0.975; the two entries whose catalogue "usable" is the total are left out).
Where the series/parallel count is published it is used and the cell capacity follows from the gross energy;
where it is not, the series count is derived from a nominal pack voltage of about 350 V (96 NMC cells of
3.65 V, 108 LFP cells of 3.2 V) with one large-format cell per series position (P = 1), and
``configuration_published`` is False. Every entry says where its figures come from.

Chemistry mapping: the aging models know NMC (Schmalstieg 2014) and LFP (Naumann 2018/2020). Nickel-rich
layered oxides (NMC 532…811, NCMA, and Panasonic's NCA in Tesla cells) map to NMC.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from .chemistry import BatteryInputError, Chemistry

DEFAULT_DERATING = 0.95
NOMINAL_CELL_V = {Chemistry.NMC: 3.65, Chemistry.LFP: 3.2}
DERIVED_SERIES = {Chemistry.NMC: 96, Chemistry.LFP: 108}
VEHICLE_CLASSES = ("car", "van", "truck", "bus")
# Fallback chemistry for a vehicle outside the catalogue, by class: buses are LFP in most of the world's
# fleets (BYD, Yutong, Solaris/CATL); cars, vans and trucks NMC (most of the catalogue).
FALLBACK_CHEMISTRY = {"car": Chemistry.NMC, "van": Chemistry.NMC, "truck": Chemistry.NMC, "bus": Chemistry.LFP}


@dataclass(frozen=True)
class Pack:
    """One vehicle model's traction battery as cells in series and parallel, with its usable share."""

    chemistry: Chemistry
    cells_series: int
    cells_parallel: int
    cell_capacity_ah: float
    nominal_cell_v: float
    usable_kwh: float
    derating: float
    assumed: bool = False
    configuration_published: bool = False
    source: str = ""

    @property
    def gross_kwh(self) -> float:
        return self.cells_series * self.cells_parallel * self.cell_capacity_ah * self.nominal_cell_v / 1000.0

    @property
    def capacity_ah(self) -> float:
        """Pack capacity in Ah (the parallel cells' capacities add)."""
        return self.cells_parallel * self.cell_capacity_ah

    @property
    def nominal_v(self) -> float:
        return self.cells_series * self.nominal_cell_v


# (make, name, variant) -> (chemistry, series, parallel, nominal cell V, gross kWh or None, published S×P, source)
_NMC, _LFP = Chemistry.NMC, Chemistry.LFP
PACK_SPECS: dict[tuple[str, str, str], tuple] = {
    ("Nissan", "Leaf", "40 kWh (EU)"): (
        _NMC, 96, 2, 3.65, 40.0, True, "Nissan press kit 2017: 40 kWh, 192 laminated AESC NMC cells (96S2P)"),
    ("Nissan", "Leaf", "SV Plus 62 kWh (NA)"): (
        _NMC, 96, 3, 3.65, 62.0, True, "Nissan press kit 2019: 62 kWh, 288 cells (96S3P), NMC"),
    ("Renault", "Zoe", "R135 Z.E. 50 with CCS (EU)"): (
        _NMC, 96, 2, 3.65, 54.7, True, "Renault press kit 2019: 12 modules × 16 LG Chem NMC cells (96S2P), "
                                       "54.7 kWh gross"),
    ("Renault", "Kangoo Van E-Tech Electric", "L1 45 kWh, 22 kW AC + DC option (EU)"): (
        _NMC, 96, 1, 3.65, None, False, "Renault 2022: LG NMC cells; configuration and gross not published (derived)"),
    ("Volkswagen", "ID.3", "Pro 58 kWh (EU)"): (
        _NMC, 108, 2, 3.65, 62.0, True, "VW MEB 2020: 9 modules × 24 NMC pouch cells (108S2P), 62 kWh gross"),
    ("Volkswagen", "ID.4", "Pro 77 kWh (EU)"): (
        _NMC, 96, 3, 3.65, 82.0, True, "VW MEB 2021: 12 modules × 24 NMC pouch cells (96S3P), 82 kWh gross"),
    ("Volkswagen", "ID.4", "Pro 77 kWh (NA)"): (
        _NMC, 96, 3, 3.65, 82.0, True, "VW MEB 2021: 12 modules × 24 NMC pouch cells (96S3P), 82 kWh gross"),
    ("Volkswagen", "ID. Buzz Cargo", "77 kWh (EU)"): (
        _NMC, 96, 3, 3.65, 82.0, True, "VW Commercial Vehicles 2022: MEB 82 kWh gross pack (96S3P), NMC"),
    ("Ford", "E-Transit", "Cargo Van 68 kWh (NA)"): (
        _NMC, 96, 1, 3.65, None, False, "Ford Pro 2022: 68 kWh usable, NMC (SK On); gross and configuration derived"),
    ("Ford", "E-Transit", "Van 68 kWh (EU)"): (
        _NMC, 96, 1, 3.65, None, False, "Ford Pro 2022: 68 kWh usable, NMC (SK On); gross and configuration derived"),
    ("Ford", "Mustang Mach-E", "Extended Range RWD (EU)"): (
        _NMC, 94, 4, 3.65, 98.8, True, "Ford 2021: 376 LG NMC pouch cells (94S4P), 98.8 kWh total / 91 kWh usable"),
    ("Ford", "F-150 Lightning", "Extended Range (NA)"): (
        _NMC, 96, 1, 3.65, None, False, "Ford 2022: 131 kWh usable, SK On NMC; gross and configuration derived"),
    ("Mercedes-Benz", "eVito Panel Van", "60 kWh (EU)"): (
        _NMC, 96, 1, 3.65, 66.0, False, "Mercedes-Benz Vans 2021: 66 kWh gross / 60 kWh usable, NMC; "
                                        "configuration derived"),
    ("Mercedes-Benz", "eSprinter", 'Cargo Van 170" WB High Roof 113 kWh (NA)'): (
        _LFP, 108, 1, 3.2, None, False,
        "Mercedes-Benz Vans press release 2023-02 (electrive.net 2023-02-08): 113 kWh usable, LFP cells; "
        "gross and configuration derived"),
    ("Peugeot", "e-Expert", "75 kWh, 11 kW OBC (EU)"): (
        _NMC, 108, 3, 3.65, 75.0, False,
        "Stellantis 2020: 75 kWh gross, CATL NMC; 108S3P derived from the 50 kWh pack's 108S2P"),
    ("Citroën", "ë-Berlingo Van", "M 50 kWh, 11 kW OBC (EU)"): (
        _NMC, 108, 2, 3.65, 50.0, True, "Stellantis e-CMP 2020: 50 kWh gross, 18 modules × 12 CATL NMC cells (108S2P)"),
    ("Tesla", "Model 3", "RWD (EU)"): (
        _LFP, 106, 1, 3.2, 60.0, True, "EV Database 2023: CATL LFP prismatic, 106S1P, 60 kWh nominal / 57.5 usable"),
    ("Tesla", "Model 3", "Long Range AWD (NA)"): (
        _NMC, 96, 46, 3.6, 78.1, True, "EV Database: 4416 2170 cells (96S46P), 78.1 kWh nominal; "
                                       "NCA/NCMA mapped to NMC"),
    ("Tesla", "Model Y", "Long Range AWD (EU)"): (
        _NMC, 96, 46, 3.6, 78.1, True, "EV Database: 4416 2170 cells (96S46P), 78.1 kWh nominal; NCMA mapped to NMC"),
    ("Tesla", "Model Y", "Long Range AWD (NA)"): (
        _NMC, 96, 46, 3.6, 78.1, True, "EV Database: 4416 2170 cells (96S46P), 78.1 kWh nominal; NCA mapped to NMC"),
    ("Hyundai", "Kona Electric", "64 kWh (EU)"): (
        _NMC, 98, 3, 3.65, 67.5, True, "Hyundai 2018: 294 LG Chem NMC 622 pouch cells (98S3P); "
                                       "EV Database 67.5 kWh gross"),
    ("Kia", "Niro EV", "64.8 kWh (NA)"): (
        _NMC, 96, 1, 3.65, None, False, "Kia 2022: 64.8 kWh, SK On NMC; gross and configuration derived"),
    ("Chevrolet", "Bolt EV", "65 kWh (NA)"): (
        _NMC, 96, 3, 3.65, 68.0, True, "GM 2020: 288 LG NMC pouch cells (96S3P); "
                                       "EV Database 68 kWh nominal / 65 usable"),
    ("Skoda", "Enyaq iV", "80 (EU)"): (
        _NMC, 96, 3, 3.65, 82.0, True, "Skoda 2021: MEB 82 kWh gross pack, 12 modules × 24 NMC cells (96S3P)"),
    ("Polestar", "Polestar 2", "Long Range Single Motor (EU)"): (
        _NMC, 108, 3, 3.65, 78.0, True, "Polestar 2022: 27 modules, 324 LG NMC cells (108S3P), "
                                        "78 kWh gross / 75 usable"),
    ("BYD", "Atto 3", "60.5 kWh (EU)"): (
        _LFP, 126, 1, 3.2, 60.48, True,
        "BYD 2022: Blade LFP, 126 cells in series (403.2 V), 60.48 kWh; the catalogue's usable equals it (derating 1)"),
    ("Blue Bird", "Vision Electric", "Type C school bus 155 kWh (NA)"): (
        _NMC, 96, 1, 3.65, 155.0, False,
        "Blue Bird brochure 2022: 155 kWh total, usable not published (the catalogue carries the total, derating 1); "
        "chemistry not published, NMC assumed (Cummins-supplied NMC packs)"),
}  # fmt: skip


def _pack_from(chemistry, series, parallel, cell_v, gross_kwh, published, usable_kwh, source, assumed=False):
    if gross_kwh is None:
        gross_kwh = usable_kwh / DEFAULT_DERATING
        derating = DEFAULT_DERATING
    else:
        derating = min(1.0, usable_kwh / gross_kwh)
    cell_ah = gross_kwh * 1000.0 / (series * parallel * cell_v)
    return Pack(
        chemistry=chemistry,
        cells_series=series,
        cells_parallel=parallel,
        cell_capacity_ah=round(cell_ah, 3),
        nominal_cell_v=cell_v,
        usable_kwh=usable_kwh,
        derating=round(derating, 4),
        assumed=assumed,
        configuration_published=published,
        source=source,
    )


def _catalogue_entry(make: str, name: str, variant: str) -> dict | None:
    from fleet.catalogue import VEHICLE_MODELS  # plain data, no Django

    for entry in VEHICLE_MODELS:
        if (entry["make"], entry["name"], entry["variant"]) == (make, name, variant):
            return entry
    return None


class UnknownPack(BatteryInputError):
    """A vehicle model with no pack parameters."""


def catalogue_pack(make: str, name: str, variant: str) -> Pack:
    """The pack of a catalogue model; UnknownPack (a ValueError) naming the model when it has none."""
    spec = PACK_SPECS.get((make, name, variant))
    entry = _catalogue_entry(make, name, variant)
    if spec is None or entry is None:
        raise UnknownPack("model", f"no pack parameters for {make} {name} {variant!r}")
    chemistry, series, parallel, cell_v, gross, published, source = spec
    return _pack_from(chemistry, series, parallel, cell_v, gross, published, float(entry["usable_battery_kwh"]), source)


@lru_cache(maxsize=1024)  # a Pack is frozen: the planner and the nightly job ask for the same few models
def pack_for(make: str, name: str, variant: str, usable_kwh, vehicle_class: str) -> Pack:
    """The catalogue pack when the model is in the catalogue, else a fallback by class with ``assumed=True``.

    Fallback: chemistry by class (``FALLBACK_CHEMISTRY``), ~350 V of series cells, one large-format cell per
    series position, ``DEFAULT_DERATING``.
    """
    if (make, name, variant) in PACK_SPECS and _catalogue_entry(make, name, variant) is not None:
        return catalogue_pack(make, name, variant)
    try:
        usable = float(usable_kwh)
    except (TypeError, ValueError) as exc:
        raise BatteryInputError("usable_kwh", "must be a number of kWh > 0") from exc
    if not (usable > 0 and usable < float("inf")):
        raise BatteryInputError("usable_kwh", f"must be a finite number of kWh > 0 (got {usable_kwh!r})")
    if vehicle_class not in FALLBACK_CHEMISTRY:
        raise BatteryInputError("vehicle_class", f"must be one of {', '.join(VEHICLE_CLASSES)} (got {vehicle_class!r})")
    chemistry = FALLBACK_CHEMISTRY[vehicle_class]
    return _pack_from(
        chemistry,
        DERIVED_SERIES[chemistry],
        1,
        NOMINAL_CELL_V[chemistry],
        None,
        False,
        usable,
        f"not in the catalogue: fallback for a {vehicle_class} ({chemistry.value.upper()}, derived)",
        assumed=True,
    )
