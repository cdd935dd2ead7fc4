"""A tariff version as an OCPI 2.2.1 Tariff object, for exchange with roaming platforms."""

from decimal import Decimal

from pricing.models import Tariff, TariffVersion


def _number(value: str) -> float | int:
    number = Decimal(value)
    return int(number) if number == number.to_integral_value() else float(number)


def ocpi_tariff(tariff: Tariff, version: TariffVersion) -> dict:
    elements = []
    for element in version.elements:
        components = [
            {
                "type": c["type"],
                "price": _number(c["price"]),
                "vat": _number(str(version.tax_percent)),
                "step_size": c.get("step_size", 1),
            }
            for c in element["price_components"]
        ]
        item = {"price_components": components}
        restrictions = dict(element.get("restrictions") or {})
        for key in ("min_kwh", "max_kwh", "min_power", "max_power"):
            if key in restrictions:
                restrictions[key] = _number(restrictions[key])
        if restrictions:
            item["restrictions"] = restrictions
        elements.append(item)
    return {
        "id": f"{tariff.pk}-v{version.number}",
        "currency": tariff.currency,
        "type": "REGULAR",
        "tariff_alt_text": [{"language": "en", "text": f"{tariff.name}, version {version.number}"}],
        "elements": elements,
        "start_date_time": version.valid_from.isoformat().replace("+00:00", "Z"),
        "last_updated": version.created_at.isoformat().replace("+00:00", "Z"),
    }
