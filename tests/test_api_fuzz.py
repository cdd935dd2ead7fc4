"""Schema-driven fuzz of the whole API: every operation, as an administrator and as a fleet manager.

Schemathesis draws requests from the OpenAPI schema, valid ones and invalid ones, a fixed number per
operation and derandomized, so CI runs the same requests every time. They go to the ASGI application
in this process. Every answer must be no server error, carry a documented status code and content
type, and have a body that matches the documented schema. Half of the ids in paths and bodies are
drawn from objects that exist (tests/fuzz_seed.py, two departments), so the fuzz reaches real objects
and not only 404s; for the fleet manager, department B's objects are the out-of-scope ones.
"""

import contextlib
import logging

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.fuzz_seed import build_world

pytestmark = pytest.mark.django_db(transaction=True)

API = "/api/v1/"
# Requests per operation, role and kind: enough to cross every field and filter, few enough for a 2-core CI.
EXAMPLES = {GenerationMode.POSITIVE: 10, GenerationMode.NEGATIVE: 5}

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# "METHOD /path" -> why it is not fuzzed. Keep this short; every entry is a known, tracked gap.
EXCLUDED: dict[str, str] = {}
REPORTED_PER_OPERATION = 3


class _ErrorLog(logging.Handler):
    """Keeps the tracebacks Django logs for 500s, to show them next to the failing request."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.tracebacks: list[str] = []

    def emit(self, record):
        if record.exc_info:
            self.tracebacks.append(logging.Formatter().formatException(record.exc_info))


def _collection_of(path: str, parameter: str) -> str:
    """`/api/v1/sites/{site_id}/charging-plan/` and `site_id` -> `sites`."""
    parts = path.removeprefix(API).strip("/").split("/")
    return parts[parts.index("{" + parameter + "}") - 1]


class Ids:
    """The ids that exist, per collection (`vehicles`, `charge-points`): what the administrator lists, and what
    the caller lists (their own notifications)."""

    def __init__(self, clients: list, collections: list[str], hidden: dict[str, set[int]]):
        self.clients, self.hidden, self.pools = clients, hidden, {}
        for name in collections:
            self.refresh(name)

    def refresh(self, name: str) -> None:
        ids: set[int] = set()
        for client in self.clients:
            response = client.get(f"{API}{name}/", {"page_size": 500})
            body = response.json() if response.status_code == 200 else None
            if isinstance(body, dict) and isinstance(body.get("results"), list):
                ids.update(row["id"] for row in body["results"] if isinstance(row, dict) and "id" in row)
        self.pools[name] = sorted(ids - self.hidden.get(name, set()))

    def collection_for(self, key: str, own: str) -> str | None:
        """A body field named after a collection: `charge_point` -> charge-points, `requested_connector` ->
        connectors, `parent` -> the operation's own collection."""
        if key == "parent":
            return own
        parts = key.split("_")
        for start in range(len(parts)):
            name = "-".join(parts[start:])
            for candidate in (f"{name}s", name):
                if self.pools.get(candidate):
                    return candidate
        return None

    def steer(self, value, data, own: str):
        """Replace integer ids in a body by existing ones, each with probability one half."""
        if isinstance(value, list):
            return [self.steer(item, data, own) for item in value]
        if not isinstance(value, dict):
            return value
        steered = {}
        for key, item in value.items():
            pool = self.pools.get(self.collection_for(key, own) or "", [])
            if pool and _is_int(item) and data.draw(st.booleans()):
                item = data.draw(st.sampled_from(pool))
            elif pool and isinstance(item, list) and all(_is_int(i) for i in item) and data.draw(st.booleans()):
                item = [data.draw(st.sampled_from(pool)) for _ in item]
            else:
                item = self.steer(item, data, own)
            steered[key] = item
        return steered


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class Fuzz:
    """Sends every operation's cases as one caller and keeps what answered against the schema."""

    def __init__(self, headers: dict, ids: Ids, errors: _ErrorLog):
        self.headers, self.ids, self.errors = headers, ids, errors
        self.problems: dict[str, list[str]] = {}

    def run(self, schema) -> dict[str, list[str]]:
        """Every operation, deletes last (they would remove the objects the others reach)."""
        operations = sorted((r.ok() for r in schema.get_all_operations()), key=lambda op: op.method == "delete")
        for operation in operations:
            if operation.label in EXCLUDED:
                continue
            for mode, examples in EXAMPLES.items():
                with contextlib.suppress(hypothesis.errors.Unsatisfiable):  # nothing to make invalid
                    self.cases(operation, mode, examples)()
            if operation.method != "get":
                self.ids.refresh(operation.path.removeprefix(API).split("/")[0])
        return self.problems

    def cases(self, operation, mode, examples):
        own = operation.path.removeprefix(API).split("/")[0]

        @hypothesis.settings(
            max_examples=examples,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[hypothesis.Phase.generate],
            suppress_health_check=list(HealthCheck),
            verbosity=hypothesis.Verbosity.quiet,
        )
        @hypothesis.given(case=operation.as_strategy(generation_mode=mode), data=st.data())
        def send(case, data):
            for name in case.path_parameters or {}:
                pool = self.ids.pools.get(_collection_of(operation.path, name), [])
                if pool and data.draw(st.booleans()):
                    case.path_parameters[name] = data.draw(st.sampled_from(pool))
            if isinstance(case.body, (dict, list)):
                case.body = self.ids.steer(case.body, data, own)
            self.errors.tracebacks.clear()
            response = case.call(headers=self.headers)
            try:
                case.validate_response(response, checks=CHECKS, headers=self.headers)
            except FailureGroup as group:
                self.record(operation.label, case, response, group)

        return send

    def record(self, label: str, case, response, group: FailureGroup) -> None:
        found = self.problems.setdefault(label, [])
        if len(found) < REPORTED_PER_OPERATION:
            titles = "; ".join(sorted({f.title for f in group.exceptions}))
            found.append(
                f"{titles} ({response.status_code}): {group.exceptions[0].message[:800]}\n"
                f"    {case.as_curl_command(headers=self.headers)[:1000]}\n"
                + "".join(tb[-2500:] for tb in self.errors.tracebacks)
            )


@pytest.fixture
def world(org):
    return build_world(org)


@pytest.mark.parametrize("role", ["admin", "manager"])
def test_every_api_operation_answers_without_server_errors_and_as_documented(world, role):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    from evfleet.asgi import application

    schema = schemathesis.openapi.from_asgi("/api/schema/", application)
    user = getattr(world, role)
    headers = {"Authorization": f"Token {Token.objects.create(user=user).key}"}
    clients = [APIClient(), APIClient()]
    clients[0].force_authenticate(world.admin)
    clients[1].force_authenticate(user)
    collections = sorted({path.removeprefix(API).split("/")[0] for path in schema.raw_schema["paths"]})
    ids = Ids(clients, collections, hidden={"users": {world.admin.pk, world.manager.pk}})  # the callers stay

    errors = _ErrorLog()
    logging.getLogger("django.request").addHandler(errors)
    try:
        problems = Fuzz(headers, ids, errors).run(schema)
    finally:
        logging.getLogger("django.request").removeHandler(errors)

    report = "\n".join(f"\n{label}\n  " + "\n  ".join(found) for label, found in sorted(problems.items()))
    assert not problems, f"{len(problems)} operations answered against their schema as {role}:{report}"
