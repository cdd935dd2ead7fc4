"""The requests an operator may send to a station, per protocol, and their validation against the OCPP schemas."""

from ocpp.exceptions import OCPPError
from ocpp.exceptions import ValidationError as OcppValidationError
from ocpp.messages import Call, _validate_payload

COMMANDS = {
    "ocpp1.6": (
        "RemoteStartTransaction",
        "RemoteStopTransaction",
        "ChangeAvailability",
        "Reset",
        "UnlockConnector",
        "TriggerMessage",
        "GetConfiguration",
        "ChangeConfiguration",
        "ReserveNow",
        "CancelReservation",
        "SetChargingProfile",
        "ClearChargingProfile",
    ),
    "ocpp2.0.1": (
        "RequestStartTransaction",
        "RequestStopTransaction",
        "ChangeAvailability",
        "Reset",
        "UnlockConnector",
        "TriggerMessage",
        "GetVariables",
        "SetVariables",
        "ReserveNow",
        "CancelReservation",
        "SetChargingProfile",
        "ClearChargingProfile",
    ),
}
VERSION = {"ocpp1.6": "1.6", "ocpp2.0.1": "2.0.1"}


def command_problem(*, protocol: str, action: str, payload: dict) -> tuple[str, str] | None:
    """None when `action` with `payload` is a valid request for a station on `protocol`, else (field, why not)."""
    if protocol not in COMMANDS:
        return "action", "The station has not connected yet, so its protocol is unknown; wait for it to connect."
    if action not in COMMANDS[protocol]:
        return "action", f"{action} is not an {protocol} command; use one of: {', '.join(COMMANDS[protocol])}."
    try:
        _validate_payload(Call(unique_id="check", action=action, payload=payload), VERSION[protocol])
    except (OCPPError, OcppValidationError) as exc:
        cause = (getattr(exc, "details", None) or {}).get("cause") or getattr(exc, "description", str(exc))
        return "payload", f"The payload does not match the {protocol} schema of {action}: {str(cause).splitlines()[0]}"
    return None
