"""Demo charging: an RFID tag per vehicle, and smart charging at Berlin-Nord (its feeders, a demand charge on its
tariff and a first plan). The demo prices are the pricing app's (pricing/demo.py); `demo.build` runs them all."""

from decimal import Decimal

from charging.models import ChargingPlan, Circuit, IdToken
from charging.services import smart
from fleet.models import Vehicle
from stations.models import ChargePoint, Site


def build_demo_tokens() -> None:
    """An RFID tag per vehicle with a fleet number (RFID-<fleet number>): what the simulated stations start with."""
    for vehicle in Vehicle.objects.exclude(fleet_number=""):
        IdToken.objects.get_or_create(
            token=f"RFID-{vehicle.fleet_number}", defaults={"department": vehicle.department, "vehicle": vehicle}
        )


def build_demo_smart_charging() -> None:
    """Berlin-Nord plans its charging: two feeders (the DC chargers on one, the AC pairs on the other), each
    AC pair limited to 33 kW, a demand charge on its tariff, and a first plan."""
    site = Site.objects.filter(name="Berlin-Nord depot").first()
    if site is None or Circuit.objects.filter(site=site).exists():
        return
    fast = Circuit.objects.create(site=site, name="Feeder A (fast chargers)", max_power_kw=Decimal("250"))
    slow = Circuit.objects.create(site=site, name="Feeder B (AC)", max_power_kw=Decimal("60"))
    ChargePoint.objects.filter(site=site, identity__in=["SIM-BN-01", "SIM-BN-02"]).update(circuit=fast)
    ChargePoint.objects.filter(site=site, identity__in=["SIM-BN-03", "SIM-BN-04"]).update(
        circuit=slow, max_power_kw=Decimal("33")
    )
    site.smart_charging = True
    site.save(update_fields=["smart_charging", "updated_at"])
    site.tariffs.filter(demand_charge_per_kw__isnull=True).update(demand_charge_per_kw=Decimal("9.50"))
    smart.plan_site(site=site, trigger=ChargingPlan.Trigger.MANUAL, apply=False)
