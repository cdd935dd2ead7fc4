"""Connector standards: a vehicle's inlets (fleet) and, with the same names, charge point connectors (stations)."""

from django.db import models


class ConnectorType(models.TextChoices):
    CCS1 = "ccs1", "CCS1 (Combo 1)"
    CCS2 = "ccs2", "CCS2 (Combo 2)"
    CHADEMO = "chademo", "CHAdeMO"
    TYPE1 = "type1", "Type 1 (SAE J1772)"
    TYPE2 = "type2", "Type 2 (IEC 62196-2)"
    NACS = "nacs", "NACS (SAE J3400)"
    GBT = "gbt", "GB/T"


# Which connectors carry direct current; the AC-only ones are limited by the vehicle's onboard charger.
DC_CONNECTORS = frozenset({ConnectorType.CCS1, ConnectorType.CCS2, ConnectorType.CHADEMO, ConnectorType.NACS})
