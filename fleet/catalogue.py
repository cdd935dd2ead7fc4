"""Reference catalogue of battery-electric vehicle models common in company fleets.

``VEHICLE_MODELS`` is a static list of plain dicts that can be used to seed
vehicle-model records or to fill in defaults when a fleet vehicle is
registered. Each entry describes one make / model / variant / model year and
carries exactly these keys:

* ``make``, ``name``, ``variant`` (str). Where the charging inlets differ by
  market, the variant names the market ("EU" or "NA").
* ``model_year`` (int, 2019..2025).
* ``vehicle_class``: one of ``"car"``, ``"van"``, ``"truck"``, ``"bus"``.
* ``usable_battery_kwh``: USABLE (net) capacity as a decimal string with one
  decimal place, e.g. ``"39.0"``.
* ``max_ac_kw``: onboard (AC) charger limit as a decimal string.
* ``max_dc_kw``: peak DC fast-charge power as a decimal string, or ``None``
  when the model cannot DC fast charge.
* ``inlets``: physical charging inlets, using only the codes ``"ccs1"``,
  ``"ccs2"``, ``"chademo"``, ``"type1"``, ``"type2"``, ``"nacs"``, ``"gbt"``.
  A CCS2 inlet is listed as ``["type2", "ccs2"]`` because it also takes a
  Type 2 AC plug. A CCS1 inlet is listed as ``["type1", "ccs1"]``
  (type1 = SAE J1772). North American Teslas list ``["nacs"]`` (SAE J3400).
* ``consumption_wh_per_km`` (int): a rough real-world average at the
  battery, for planning purposes. It is not the homologated (WLTP/EPA) figure.
* ``v2g_capable`` (bool): True only where the maker supports bidirectional
  power export through the charge inlet, such as CHAdeMO V2G on the Nissan
  Leaf. The comment on each True entry says what kind of export is supported.
  Vehicle-to-load sockets alone do not count.

Figures are the maker's specifications for the stated model year and variant,
cross-checked against EV Database where it lists the model. Where the maker
publishes only a gross (total) capacity, the comment on that entry says so.
Decimal values are strings so they can be passed directly to
``decimal.Decimal`` or a ``DecimalField``.
"""

VEHICLE_MODELS: list[dict] = [
    # maker spec sheet 2022; EV Database (usable 39 kWh, DC peak 46 kW)
    {
        "make": "Nissan",
        "name": "Leaf",
        "variant": "40 kWh (EU)",
        "model_year": 2022,
        "vehicle_class": "car",
        "usable_battery_kwh": "39.0",
        "max_ac_kw": "6.6",
        "max_dc_kw": "46.0",
        "inlets": ["type2", "chademo"],
        "consumption_wh_per_km": 165,
        "v2g_capable": True,  # CHAdeMO bidirectional; Nissan-approved V2G chargers
    },
    # maker spec sheet 2022 (Leaf SV Plus, 62 kWh gross); EV Database (usable 59 kWh)
    {
        "make": "Nissan",
        "name": "Leaf",
        "variant": "SV Plus 62 kWh (NA)",
        "model_year": 2022,
        "vehicle_class": "car",
        "usable_battery_kwh": "59.0",
        "max_ac_kw": "6.6",
        "max_dc_kw": "100.0",
        "inlets": ["type1", "chademo"],
        "consumption_wh_per_km": 180,
        "v2g_capable": True,  # CHAdeMO bidirectional; Nissan-approved Fermata Energy charger (US)
    },
    # maker spec sheet 2021 (ZE50, optional CCS); EV Database (usable 52 kWh, DC 46 kW)
    {
        "make": "Renault",
        "name": "Zoe",
        "variant": "R135 Z.E. 50 with CCS (EU)",
        "model_year": 2021,
        "vehicle_class": "car",
        "usable_battery_kwh": "52.0",
        "max_ac_kw": "22.0",
        "max_dc_kw": "46.0",
        "inlets": ["type2", "ccs2"],
        "consumption_wh_per_km": 160,
        "v2g_capable": False,
    },
    # maker press kit 2022/2023 (45 kWh net, 22 kW AC + 80 kW DC option pack); trade press
    {
        "make": "Renault",
        "name": "Kangoo Van E-Tech Electric",
        "variant": "L1 45 kWh, 22 kW AC + DC option (EU)",
        "model_year": 2023,
        "vehicle_class": "van",
        "usable_battery_kwh": "45.0",
        "max_ac_kw": "22.0",
        "max_dc_kw": "80.0",
        "inlets": ["type2", "ccs2"],
        "consumption_wh_per_km": 190,
        "v2g_capable": False,
    },
    # maker spec sheet 2023 (ID.3 Pro 58 kWh net / 62 kWh gross); EV Database
    {
        "make": "Volkswagen",
        "name": "ID.3",
        "variant": "Pro 58 kWh (EU)",
        "model_year": 2023,
        "vehicle_class": "car",
        "usable_battery_kwh": "58.0",
        "max_ac_kw": "11.0",
        "max_dc_kw": "120.0",
        "inlets": ["type2", "ccs2"],
        "consumption_wh_per_km": 160,
        "v2g_capable": False,
    },
    # maker spec sheet 2023 (77 kWh net); EV Database
    {
        "make": "Volkswagen",
        "name": "ID.4",
        "variant": "Pro 77 kWh (EU)",
        "model_year": 2023,
        "vehicle_class": "car",
        "usable_battery_kwh": "77.0",
        "max_ac_kw": "11.0",
        "max_dc_kw": "135.0",
        "inlets": ["type2", "ccs2"],
        "consumption_wh_per_km": 185,
        "v2g_capable": False,
    },
    # maker spec sheet 2023 US (82 kWh gross / 77 kWh net); EPA listing
    {
        "make": "Volkswagen",
        "name": "ID.4",
        "variant": "Pro 77 kWh (NA)",
        "model_year": 2023,
        "vehicle_class": "car",
        "usable_battery_kwh": "77.0",
        "max_ac_kw": "11.0",
        "max_dc_kw": "135.0",
        "inlets": ["type1", "ccs1"],
        "consumption_wh_per_km": 190,
        "v2g_capable": False,
    },
    # maker spec sheet 2023 (VW Commercial Vehicles, 77 kWh net); EV Database
    {
        "make": "Volkswagen",
        "name": "ID. Buzz Cargo",
        "variant": "77 kWh (EU)",
        "model_year": 2023,
        "vehicle_class": "van",
        "usable_battery_kwh": "77.0",
        "max_ac_kw": "11.0",
        "max_dc_kw": "170.0",
        "inlets": ["type2", "ccs2"],
        "consumption_wh_per_km": 215,
        "v2g_capable": False,
    },
    # maker spec sheet 2023 (Ford Pro, 68 kWh usable); trade press
    {
        "make": "Ford",
        "name": "E-Transit",
        "variant": "Cargo Van 68 kWh (NA)",
        "model_year": 2023,
        "vehicle_class": "van",
        "usable_battery_kwh": "68.0",
        "max_ac_kw": "11.3",
        "max_dc_kw": "115.0",
        "inlets": ["type1", "ccs1"],
        "consumption_wh_per_km": 320,
        "v2g_capable": False,  # Pro Power Onboard is V2L (AC outlets) only
    },
    # maker spec sheet 2023 (Ford Pro Europe, 68 kWh usable); trade press
    {
        "make": "Ford",
        "name": "E-Transit",
        "variant": "Van 68 kWh (EU)",
        "model_year": 2023,
        "vehicle_class": "van",
        "usable_battery_kwh": "68.0",
        "max_ac_kw": "11.3",
        "max_dc_kw": "115.0",
        "inlets": ["type2", "ccs2"],
        "consumption_wh_per_km": 300,
        "v2g_capable": False,  # Pro Power Onboard is V2L (AC outlets) only
    },
    # maker spec sheet 2023 (Extended Range 91 kWh usable); EV Database
    {
        "make": "Ford",
        "name": "Mustang Mach-E",
        "variant": "Extended Range RWD (EU)",
        "model_year": 2023,
        "vehicle_class": "car",
        "usable_battery_kwh": "91.0",
        "max_ac_kw": "11.0",
        "max_dc_kw": "150.0",
        "inlets": ["type2", "ccs2"],
        "consumption_wh_per_km": 190,
        "v2g_capable": False,
    },
    # maker spec sheet 2023 (Extended Range 131 kWh usable, dual onboard chargers); EPA listing
    {
        "make": "Ford",
        "name": "F-150 Lightning",
        "variant": "Extended Range (NA)",
        "model_year": 2023,
        "vehicle_class": "truck",
        "usable_battery_kwh": "131.0",
        "max_ac_kw": "19.2",
        "max_dc_kw": "155.0",
        "inlets": ["type1", "ccs1"],
        "consumption_wh_per_km": 300,
        # bidirectional AC via Ford Charge Station Pro (Intelligent Backup Power, V2H); grid export only in pilots
        "v2g_capable": True,
    },
    # maker press release 2021/2022 (eVito Panel Van, 66 kWh gross / 60 kWh usable); trade press
    {
        "make": "Mercedes-Benz",
        "name": "eVito Panel Van",
        "variant": "60 kWh (EU)",
        "model_year": 2022,
        "vehicle_class": "van",
        "usable_battery_kwh": "60.0",
        "max_ac_kw": "11.0",
        "max_dc_kw": "80.0",
        "inlets": ["type2", "ccs2"],
        "consumption_wh_per_km": 240,
        "v2g_capable": False,
    },
    # maker press release 2023 (new-generation eSprinter, 113 kWh usable, 9.6 kW OBC in NA); trade press
    {
        "make": "Mercedes-Benz",
        "name": "eSprinter",
        "variant": 'Cargo Van 170" WB High Roof 113 kWh (NA)',
        "model_year": 2024,
        "vehicle_class": "van",
        "usable_battery_kwh": "113.0",
        "max_ac_kw": "9.6",
        "max_dc_kw": "115.0",
        "inlets": ["type1", "ccs1"],
        "consumption_wh_per_km": 300,
        "v2g_capable": False,
    },
    # maker spec sheet 2021 (75 kWh gross, 7.4 kW OBC standard / 11 kW option); EV Database (usable 68 kWh)
    {
        "make": "Peugeot",
        "name": "e-Expert",
        "variant": "75 kWh, 11 kW OBC (EU)",
        "model_year": 2021,
        "vehicle_class": "van",
        "usable_battery_kwh": "68.0",
        "max_ac_kw": "11.0",
        "max_dc_kw": "100.0",
        "inlets": ["type2", "ccs2"],
        "consumption_wh_per_km": 250,
        "v2g_capable": False,
    },
    # maker spec sheet 2022 (50 kWh gross, 7.4 kW OBC standard / 11 kW option); EV Database (usable ~46 kWh)
    {
        "make": "Citroën",
        "name": "ë-Berlingo Van",
        "variant": "M 50 kWh, 11 kW OBC (EU)",
        "model_year": 2022,
        "vehicle_class": "van",
        "usable_battery_kwh": "46.3",
        "max_ac_kw": "11.0",
        "max_dc_kw": "100.0",
        "inlets": ["type2", "ccs2"],
        "consumption_wh_per_km": 200,
        "v2g_capable": False,
    },
    # EV Database 2023 (Model 3 RWD, LFP, usable 57.5 kWh); maker configurator
    {
        "make": "Tesla",
        "name": "Model 3",
        "variant": "RWD (EU)",
        "model_year": 2023,
        "vehicle_class": "car",
        "usable_battery_kwh": "57.5",
        "max_ac_kw": "11.0",
        "max_dc_kw": "170.0",
        "inlets": ["type2", "ccs2"],
        "consumption_wh_per_km": 145,
        "v2g_capable": False,
    },
    # maker configurator 2025 (48 A OBC, 250 kW Supercharging); EV Database (usable ~75 kWh)
    {
        "make": "Tesla",
        "name": "Model 3",
        "variant": "Long Range AWD (NA)",
        "model_year": 2025,
        "vehicle_class": "car",
        "usable_battery_kwh": "75.0",
        "max_ac_kw": "11.5",
        "max_dc_kw": "250.0",
        "inlets": ["nacs"],
        "consumption_wh_per_km": 150,
        "v2g_capable": False,
    },
    # EV Database 2023 (Model Y Long Range AWD, usable 75 kWh); maker configurator
    {
        "make": "Tesla",
        "name": "Model Y",
        "variant": "Long Range AWD (EU)",
        "model_year": 2023,
        "vehicle_class": "car",
        "usable_battery_kwh": "75.0",
        "max_ac_kw": "11.0",
        "max_dc_kw": "250.0",
        "inlets": ["type2", "ccs2"],
        "consumption_wh_per_km": 170,
        "v2g_capable": False,
    },
    # maker configurator 2024 (48 A OBC); EV Database (usable ~75 kWh)
    {
        "make": "Tesla",
        "name": "Model Y",
        "variant": "Long Range AWD (NA)",
        "model_year": 2024,
        "vehicle_class": "car",
        "usable_battery_kwh": "75.0",
        "max_ac_kw": "11.5",
        "max_dc_kw": "250.0",
        "inlets": ["nacs"],
        "consumption_wh_per_km": 175,
        "v2g_capable": False,
    },
    # maker spec sheet 2022 (64 kWh, 11 kW 3-phase OBC);
    # EV Database (DC peak ~77 kW; maker quotes a 100 kW-class charger)
    {
        "make": "Hyundai",
        "name": "Kona Electric",
        "variant": "64 kWh (EU)",
        "model_year": 2022,
        "vehicle_class": "car",
        "usable_battery_kwh": "64.0",
        "max_ac_kw": "11.0",
        "max_dc_kw": "77.0",
        "inlets": ["type2", "ccs2"],
        "consumption_wh_per_km": 155,
        "v2g_capable": False,
    },
    # maker spec sheet 2023 US (64.8 kWh, 10.9 kW OBC, 85 kW DC); EPA listing
    {
        "make": "Kia",
        "name": "Niro EV",
        "variant": "64.8 kWh (NA)",
        "model_year": 2023,
        "vehicle_class": "car",
        "usable_battery_kwh": "64.8",
        "max_ac_kw": "10.9",
        "max_dc_kw": "85.0",
        "inlets": ["type1", "ccs1"],
        "consumption_wh_per_km": 165,
        "v2g_capable": False,
    },
    # maker spec sheet 2022 (65 kWh, 11.5 kW OBC, DC standard from 2022); EPA listing
    {
        "make": "Chevrolet",
        "name": "Bolt EV",
        "variant": "65 kWh (NA)",
        "model_year": 2022,
        "vehicle_class": "car",
        "usable_battery_kwh": "65.0",
        "max_ac_kw": "11.5",
        "max_dc_kw": "55.0",
        "inlets": ["type1", "ccs1"],
        "consumption_wh_per_km": 165,
        "v2g_capable": False,
    },
    # maker spec sheet 2022 (iV 80, 82 kWh gross / 77 kWh net); EV Database
    {
        "make": "Skoda",
        "name": "Enyaq iV",
        "variant": "80 (EU)",
        "model_year": 2022,
        "vehicle_class": "car",
        "usable_battery_kwh": "77.0",
        "max_ac_kw": "11.0",
        "max_dc_kw": "135.0",
        "inlets": ["type2", "ccs2"],
        "consumption_wh_per_km": 180,
        "v2g_capable": False,
    },
    # maker spec sheet 2022 (78 kWh gross / 75 kWh usable); EV Database
    {
        "make": "Polestar",
        "name": "Polestar 2",
        "variant": "Long Range Single Motor (EU)",
        "model_year": 2022,
        "vehicle_class": "car",
        "usable_battery_kwh": "75.0",
        "max_ac_kw": "11.0",
        "max_dc_kw": "150.0",
        "inlets": ["type2", "ccs2"],
        "consumption_wh_per_km": 185,
        "v2g_capable": False,
    },
    # maker spec sheet 2023 Europe (Blade LFP 60.5 kWh, 88 kW DC); EV Database
    {
        "make": "BYD",
        "name": "Atto 3",
        "variant": "60.5 kWh (EU)",
        "model_year": 2023,
        "vehicle_class": "car",
        "usable_battery_kwh": "60.5",
        "max_ac_kw": "11.0",
        "max_dc_kw": "88.0",
        "inlets": ["type2", "ccs2"],
        "consumption_wh_per_km": 175,
        "v2g_capable": False,
    },
    # maker brochure 2022 (Type C, 155 kWh TOTAL; usable not published); maker/Cummins V2G announcements
    {
        "make": "Blue Bird",
        "name": "Vision Electric",
        "variant": "Type C school bus 155 kWh (NA)",
        "model_year": 2022,
        "vehicle_class": "bus",
        "usable_battery_kwh": "155.0",
        "max_ac_kw": "19.2",
        "max_dc_kw": "60.0",
        "inlets": ["type1", "ccs1"],
        "consumption_wh_per_km": 750,
        "v2g_capable": True,  # maker-supported V2G (Cummins/Nuvve programmes)
    },
]


# Payload (kg) per catalogue model, keyed (make, name, variant, model_year): what the vehicle may carry, from the
# maker's sheet (gross vehicle weight rating minus kerb weight where only those two are published). Kept apart from
# VEHICLE_MODELS so the migration that first loaded the catalogue (fleet 0002, before the field existed) reads the
# same keys as ever; fleet 0010 fills the field from here. Rounded to 10 kg: a planning figure, not a type approval.
PAYLOAD_KG: dict[tuple[str, str, str, int], int] = {
    ("Nissan", "Leaf", "40 kWh (EU)", 2022): 410,
    ("Nissan", "Leaf", "SV Plus 62 kWh (NA)", 2022): 400,
    ("Renault", "Zoe", "R135 Z.E. 50 with CCS (EU)", 2021): 460,
    ("Renault", "Kangoo Van E-Tech Electric", "L1 45 kWh, 22 kW AC + DC option (EU)", 2023): 600,
    ("Volkswagen", "ID.3", "Pro 58 kWh (EU)", 2023): 480,
    ("Volkswagen", "ID.4", "Pro 77 kWh (EU)", 2023): 540,
    ("Volkswagen", "ID.4", "Pro 77 kWh (NA)", 2023): 470,
    ("Volkswagen", "ID. Buzz Cargo", "77 kWh (EU)", 2023): 650,
    ("Ford", "E-Transit", "Cargo Van 68 kWh (NA)", 2023): 1600,
    ("Ford", "E-Transit", "Van 68 kWh (EU)", 2023): 1500,
    ("Ford", "Mustang Mach-E", "Extended Range RWD (EU)", 2023): 480,
    ("Ford", "F-150 Lightning", "Extended Range (NA)", 2023): 800,
    ("Mercedes-Benz", "eVito Panel Van", "60 kWh (EU)", 2022): 880,
    ("Mercedes-Benz", "eSprinter", 'Cargo Van 170" WB High Roof 113 kWh (NA)', 2024): 1190,
    ("Peugeot", "e-Expert", "75 kWh, 11 kW OBC (EU)", 2021): 1000,
    ("Citroën", "ë-Berlingo Van", "M 50 kWh, 11 kW OBC (EU)", 2022): 800,
    ("Tesla", "Model 3", "RWD (EU)", 2023): 430,
    ("Tesla", "Model 3", "Long Range AWD (NA)", 2025): 430,
    ("Tesla", "Model Y", "Long Range AWD (EU)", 2023): 470,
    ("Tesla", "Model Y", "Long Range AWD (NA)", 2024): 470,
    ("Hyundai", "Kona Electric", "64 kWh (EU)", 2022): 480,
    ("Kia", "Niro EV", "64.8 kWh (NA)", 2023): 450,
    ("Chevrolet", "Bolt EV", "65 kWh (NA)", 2022): 410,
    ("Skoda", "Enyaq iV", "80 (EU)", 2022): 560,
    ("Polestar", "Polestar 2", "Long Range Single Motor (EU)", 2022): 470,
    ("BYD", "Atto 3", "60.5 kWh (EU)", 2023): 450,
    ("Blue Bird", "Vision Electric", "Type C school bus 155 kWh (NA)", 2022): 3500,  # ~72 seated pupils
}
