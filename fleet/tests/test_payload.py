"""Vehicle models' payload (kg): filled for the shipped catalogue by migration, shown in the API and on the page."""

import pytest

from fleet.catalogue import PAYLOAD_KG, VEHICLE_MODELS
from fleet.models import VehicleModel

pytestmark = pytest.mark.django_db


def test_every_catalogue_model_has_a_payload_and_the_migration_filled_it():
    assert {(m["make"], m["name"], m["variant"], m["model_year"]) for m in VEHICLE_MODELS} == set(PAYLOAD_KG)
    buzz = VehicleModel.objects.get(make="Volkswagen", name="ID. Buzz Cargo")
    assert buzz.payload_kg == 650
    assert VehicleModel.objects.get(make="Ford", name="E-Transit", variant__contains="NA").payload_kg == 1600
    assert not VehicleModel.objects.filter(payload_kg__isnull=True).exists()


def test_a_payload_outside_its_bounds_is_refused_by_the_api(api, org):
    model = VehicleModel.objects.get(make="Volkswagen", name="ID. Buzz Cargo")
    client = api(org.fleet_manager_a)
    assert client.get(f"/api/v1/vehicle-models/{model.pk}/").json()["payload_kg"] == 650
    response = client.patch(f"/api/v1/vehicle-models/{model.pk}/", {"payload_kg": 0}, format="json")
    assert response.status_code == 400 and "payload_kg" in response.json()["fields"]
