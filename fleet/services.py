"""Write side of the fleet: vehicles and the model catalogue. Every write is validated and logged."""

from typing import Any

from django.db import transaction

from accounts.audit import model_create, model_delete, model_update
from accounts.models import User
from evfleet import live_events, realtime
from fleet.models import Vehicle, VehicleModel
from fleet.selectors import current_status_of


def _announce(event: str, vehicle: Vehicle) -> None:
    payload = live_events.render(
        event,
        id=vehicle.pk,
        vin=vehicle.vin,
        status=current_status_of(vehicle),
        priority_class=vehicle.priority_class,
        soc_percent=vehicle.soc_percent,
        department=vehicle.department_id,
        updated_at=vehicle.updated_at,
    )
    department_id = vehicle.department_id
    transaction.on_commit(lambda: realtime.publish(event, payload, department_id=department_id))


def vehicle_create(*, actor: User | None, **data: Any) -> Vehicle:
    with transaction.atomic():
        vehicle = model_create(model=Vehicle, data=data, actor=actor)
        _announce("vehicle.created", vehicle)
    return vehicle


def vehicle_update(*, actor: User | None, vehicle: Vehicle, **data: Any) -> Vehicle:
    old_department_id = vehicle.department_id
    with transaction.atomic():
        vehicle = model_update(instance=vehicle, data=data, actor=actor)
        _announce("vehicle.updated", vehicle)
        if old_department_id != vehicle.department_id:
            payload = live_events.render("vehicle.deleted", id=vehicle.pk)
            transaction.on_commit(lambda: realtime.publish("vehicle.deleted", payload, department_id=old_department_id))
    return vehicle


def vehicle_delete(*, actor: User | None, vehicle: Vehicle) -> None:
    payload, department_id = live_events.render("vehicle.deleted", id=vehicle.pk), vehicle.department_id
    with transaction.atomic():
        model_delete(instance=vehicle, actor=actor)
        transaction.on_commit(lambda: realtime.publish("vehicle.deleted", payload, department_id=department_id))


def vehicle_model_create(*, actor: User | None, **data: Any) -> VehicleModel:
    return model_create(model=VehicleModel, data=data, actor=actor)


def vehicle_model_update(*, actor: User | None, vehicle_model: VehicleModel, **data: Any) -> VehicleModel:
    return model_update(instance=vehicle_model, data=data, actor=actor)


def vehicle_model_delete(*, actor: User | None, vehicle_model: VehicleModel) -> None:
    from django.core.exceptions import ValidationError

    in_use = vehicle_model.vehicles.count()
    if in_use:
        raise ValidationError(
            f"{in_use} vehicle(s) are of model {vehicle_model}; assign them another model first.", code="model_in_use"
        )
    model_delete(instance=vehicle_model, actor=actor)
