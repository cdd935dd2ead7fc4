"""OpenAPI generation: every rule the server checks is in the schema, and every operation documents its errors.

- Decimal strings carry a pattern that admits exactly the values between the field's bounds, and those bounds
  as `minimum` / `maximum` (evfleet/api/patterns.py).
- A validator function may describe itself: `openapi_schema` (a callable giving the JSON Schema of the values
  it admits), `openapi_component` (the name to share it under, e.g. an enum of time zones) and
  `openapi_invalid` (a value it refuses, for the error examples). The schema applies them wherever the
  validator is used, on a serializer field or on the model field behind it.
- A JSON field whose shape a service checks is a `TypedJSONField` with its component schemas.
- The 400 examples of a write operation are made by running its real request serializer on documented inputs
  (`x-request-body`, or `x-request-raw` for a malformed body): what the server answers them, not prose.
  tests/test_api_contract.py sends every one and compares.
"""

import copy
import io
import json
import re
from decimal import Decimal

from django.core import validators as django_validators
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from drf_spectacular import openapi
from drf_spectacular.plumbing import ResolvedComponent, append_meta
from rest_framework import exceptions, permissions, serializers
from rest_framework.validators import UniqueTogetherValidator, UniqueValidator

from evfleet.api import idempotency
from evfleet.api.base import ApiViewMixin, StrictFieldsMixin, TypedJSONField, body_errors_of_bodiless
from evfleet.api.errors import MESSAGES, ErrorCode, ErrorSerializer, exception_body
from evfleet.api.patterns import decimal_pattern


def _example(summary: str, body: dict, description: str = "") -> dict:
    example = {"summary": summary, "value": body}
    if description:
        example["description"] = description
    return example


_STANDARD = {
    "401": (
        "Not signed in.",
        {
            "no_credentials": _example(
                "No credentials",
                {
                    "code": ErrorCode.NOT_AUTHENTICATED,
                    "message": MESSAGES[ErrorCode.NOT_AUTHENTICATED],
                },
                "Send the header `Authorization: Token <key>`.",
            ),
            "bad_token": _example(
                "Unknown token",
                {"code": ErrorCode.AUTHENTICATION_FAILED, "message": "Invalid token."},
                "The token was revoked or mistyped; obtain a new one.",
            ),
        },
    ),
    "403": (
        "The user's role does not allow this action.",
        {
            "role": _example(
                "Role lacks permission",
                {"code": ErrorCode.PERMISSION_DENIED, "message": "Your role does not allow this action."},
                "Ask an administrator for a role with this permission (see docs/api.md).",
            )
        },
    ),
    "404": (
        "No such object, or it belongs to a department outside the user's.",
        {
            "missing": _example(
                "Not found or out of scope",
                {"code": ErrorCode.NOT_FOUND, "message": "Not found, or not in your departments."},
                "Check the id; objects of other departments are deliberately indistinguishable from missing ones.",
            )
        },
    ),
    "404_page": (
        "No such page: past the last one, or not a page number (`page`, or `cursor` for time series).",
        {
            "page": _example(
                "No such page",
                {"code": ErrorCode.NOT_FOUND, "message": "Invalid page."},
                "Follow `next` from the previous page, or start again without `page`.",
            )
        },
    ),
    "409_idempotency": (
        "The Idempotency-Key was used with another request, or its first request is still running.",
        {
            "key_reused": _example(
                "Key used with another request",
                {
                    "code": idempotency.IdempotencyKeyReused.default_code,
                    "message": idempotency.IdempotencyKeyReused.default_detail,
                },
                "A key stands for one request (method, path and body) for 24 hours; send a new key.",
            ),
            "in_progress": _example(
                "First request still running",
                {
                    "code": idempotency.IdempotencyInProgress.default_code,
                    "message": idempotency.IdempotencyInProgress.default_detail,
                },
                "Retry after the seconds in Retry-After: you then get the first request's answer.",
            ),
        },
    ),
    "409": (
        "The object is still referenced by others and cannot be deleted.",
        {
            "in_use": _example(
                "Still referenced",
                {"code": ErrorCode.CONFLICT, "message": "Still referenced by CP-007; remove or reassign those first."},
                "Delete or reassign the objects named in the message first.",
            )
        },
    ),
}


MALFORMED_BODY = '{"name": '
UNKNOWN_FIELD = "colour"
RULE_EXAMPLES = 2  # per operation, besides the missing fields and an unknown field


def _validators_of(field: serializers.Field) -> list:
    """The field's validators and, for a field declared on a model serializer, those of the model field behind it."""
    found = list(field.validators)
    parent = getattr(field, "parent", None)
    model = getattr(getattr(parent, "Meta", None), "model", None)
    if model is not None and isinstance(getattr(field, "source", None), str):
        try:
            model_field = model._meta.get_field(field.source)
        except FieldDoesNotExist:  # a property, a method, a relation path
            model_field = None
        found += [v for v in getattr(model_field, "validators", []) if v not in found]
    return found


def _bounds(field: serializers.Field) -> tuple:
    low, high = getattr(field, "min_value", None), getattr(field, "max_value", None)
    for v in field.validators:
        if isinstance(v, django_validators.MinValueValidator):
            low = v.limit_value if low is None else max(low, v.limit_value)
        elif isinstance(v, django_validators.MaxValueValidator):
            high = v.limit_value if high is None else min(high, v.limit_value)
    return low, high


def _decimal_schema(field: serializers.DecimalField) -> dict:
    """A decimal string: the pattern admits the values between the bounds, which also stand as minimum/maximum."""
    places = field.decimal_places or 0
    whole = field.max_whole_digits
    largest = Decimal(10) ** whole - Decimal(1).scaleb(-places) if whole is not None else None
    low, high = _bounds(field)
    low = Decimal(str(low)) if low is not None else (-largest if largest is not None else None)
    high = Decimal(str(high)) if high is not None else largest
    schema = {"type": "string", "format": "decimal"}
    if low is not None and high is not None:
        schema["pattern"] = decimal_pattern(low, high, places)
        schema["minimum"], schema["maximum"] = float(low), float(high)
    return schema


def _admits_blank(schema: dict) -> bool:
    if "enum" in schema:
        return "" in schema["enum"]
    return "pattern" in schema and re.search(schema["pattern"], "") is not None


class AutoSchema(openapi.AutoSchema):
    """States every rule in the schema (see the module docstring) and adds 400/401/403/404 (and any
    view-declared) error responses to every operation.

    A view may set `error_examples = {"400": {"name": {"summary", "value", "description", "x-request-body"}}}`
    when its input is not checked by its request serializer (the telemetry batch); the examples of all other
    write operations are generated.
    """

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        if isinstance(field, TypedJSONField):
            self._register(field.openapi_components)
            return append_meta(copy.deepcopy(field.openapi_schema), self._get_serializer_field_meta(field, direction))
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if schema is None:
            return schema
        if isinstance(field, serializers.DecimalField) and schema.get("type") == "string":
            keep = {k: v for k, v in schema.items() if k not in ("type", "format", "pattern")}
            schema = {**_decimal_schema(field), **keep}
        for validator in _validators_of(field):
            described = getattr(validator, "openapi_schema", None)
            if described is None:
                continue
            schema = self._described(field, schema, validator, described())
        return schema

    def _insert_field_validators(self, field, schema):
        super()._insert_field_validators(field, schema)
        # drf-spectacular offers "" as a second branch of a blank-allowed pattern; where the pattern admits ""
        # already, "" would match both branches of the oneOf, which no value may.
        branches = schema.get("oneOf", [])
        if len(branches) == 2 and branches[1] == {"type": "string", "maxLength": 0} and _admits_blank(branches[0]):
            schema.update(schema.pop("oneOf")[0])

    def _register(self, components: dict[str, dict]) -> None:
        for name, body in components.items():
            self.registry.register_on_missing(
                ResolvedComponent(name=name, type=ResolvedComponent.SCHEMA, object=name, schema=copy.deepcopy(body))
            )

    def _described(self, field, schema: dict, validator, described: dict) -> dict:
        """The field's schema with what a self-describing validator admits: shared as a component if named."""
        outer = {k: v for k, v in schema.items() if k in ("readOnly", "writeOnly", "nullable", "description", "title")}
        if isinstance(field, serializers.ListField) or schema.get("type") == "array":
            return {**schema, **described}
        name = getattr(validator, "openapi_component", None)
        if name:
            self._register({name: described})
            inner = {"$ref": f"#/components/schemas/{name}"}
        else:
            inner = {k: v for k, v in schema.items() if k not in outer and k not in ("minLength",)}
            inner.update(described)
        if getattr(field, "allow_blank", False) and not _admits_blank(described):
            self._register({"BlankEnum": {"enum": [""]}})
            return {"oneOf": [inner, {"$ref": "#/components/schemas/BlankEnum"}], **outer}
        return {**inner, **outer} if not name else ({"allOf": [inner], **outer} if outer else inner)

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        error_ref = self.resolve_serializer(ErrorSerializer, "response").ref
        for code, (description, examples) in self._error_cases().items():
            if code in responses:
                continue
            responses[code] = {
                "description": description,
                "content": {"application/json": {"schema": error_ref, "examples": examples}},
            }
        return dict(sorted(responses.items()))

    # The query parameters documented are the ones the view accepts (evfleet.api.base.ApiViewMixin): filters on
    # its `filtered_actions`, page parameters on its `paged_actions`, GET only.
    def _view_lists(self, attribute: str) -> bool:
        actions = getattr(self.view, attribute, ("list",))
        return self.method == "GET" and getattr(self.view, "action", None) in actions

    def get_filter_backends(self):
        return list(getattr(self.view, "filter_backends", [])) if self._view_lists("filtered_actions") else []

    def _get_paginator(self):
        # A POST answering a list (a bulk create) is a plain array; a GET action pages only if it says so.
        return super()._get_paginator() if self._view_lists("paged_actions") else None

    def _idempotent(self) -> bool:
        return self.method == "POST" and isinstance(self.view, idempotency.IdempotencyMixin)

    def _get_parameters(self):
        parameters = super()._get_parameters()
        self._query_parameters = [p["name"] for p in parameters if p["in"] == "query"]
        if self._idempotent():
            parameters.append(
                {
                    "in": "header",
                    "name": idempotency.HEADER,
                    "required": False,
                    "description": idempotency.KEY_HELP,
                    "schema": {"type": "string", "minLength": 1, "maxLength": idempotency.MAX_KEY_LENGTH,
                               "pattern": "^[\\x21-\\x7e]+$"},
                }
            )  # fmt: skip
        return parameters

    def _error_cases(self) -> dict[str, tuple[str, dict]]:
        cases: dict[str, tuple[str, dict]] = {}
        get_examples = getattr(self.view, "get_error_examples", None)
        declared = get_examples() if get_examples else getattr(self.view, "error_examples", {}) or {}
        writes = self.method in ("POST", "PUT", "PATCH")
        lists = self.method == "GET" and self._is_list_view()
        # A query parameter can be invalid (a filter, a period); a delete can be refused by the app's service.
        reads_query = self.method == "GET" and bool(getattr(self, "_query_parameters", None))
        # Any GET of an API view refuses a query parameter it does not document (evfleet.api.base.ApiViewMixin).
        strict_query = self.method == "GET" and isinstance(self.view, ApiViewMixin)
        if writes or lists or reads_query or strict_query or self._delete_has_rules() or "400" in declared:
            examples = dict(declared.get("400", {}))
            if strict_query:
                examples.setdefault("unknown_parameter", self._unknown_parameter_example())
            if not examples and writes:
                examples = self._validation_examples()
            if not examples:
                examples["invalid"] = _example(
                    "Invalid input",
                    {
                        "code": ErrorCode.VALIDATION,
                        "message": "Invalid input in: name. See 'fields' for each problem.",
                        "fields": {"name": [{"code": "required", "message": "This field is required."}]},
                    },
                    "Each entry in `fields` names the field, a stable code and what to change.",
                )
            if writes:
                examples.setdefault("malformed_json", self._malformed_json_example())
            cases["400"] = ("Invalid input; `fields` names each problem and its fix.", examples)
        if not self._allows_anonymous():
            cases["401"] = _STANDARD["401"]
            cases["403"] = _STANDARD["403"]
        if "{" in self.path:
            cases["404"] = _STANDARD["404"]
        elif lists and self._get_paginator() is not None:
            cases["404"] = _STANDARD["404_page"]
        if self.method == "DELETE" and self._protected_model():
            cases["409"] = _STANDARD["409"]
        if self._idempotent():
            cases["409"] = _STANDARD["409_idempotency"]
        for code, examples in declared.items():
            if code != "400":
                examples = dict(examples)
                cases[code] = (examples.pop("_description", "Error."), examples)
        return cases

    def _unknown_parameter_example(self) -> dict:
        from evfleet.api.filters import UNKNOWN_PARAMETER

        accepted = ", ".join(sorted({"format", *getattr(self, "_query_parameters", [])}))
        message = f"Unknown query parameter 'colour'; this operation accepts: {accepted}."
        return _example(
            "Unknown query parameter",
            {
                "code": ErrorCode.VALIDATION,
                "message": "Invalid input in: colour. See 'fields' for each problem.",
                "fields": {"colour": [{"code": UNKNOWN_PARAMETER, "message": message}]},
            },
            "Every query parameter is documented here; a misspelt one is refused rather than ignored.",
        )

    # --- 400 examples made by the operation's own validation -------------------------------------------------

    def _handler(self):
        action = getattr(self.view, "action", None)
        return getattr(self.view, action or self.method.lower(), None)

    def _malformed_json_example(self) -> dict:
        from evfleet.api.parsers import JSONParser

        try:
            JSONParser().parse(io.BytesIO(MALFORMED_BODY.encode()), "application/json", {})
        except exceptions.ParseError as exc:
            body = exception_body(exc)
        example = _example(
            "Malformed JSON",
            body,
            f"Sending `{MALFORMED_BODY}` (cut off) answers this. Send a valid JSON body with "
            "`Content-Type: application/json`.",
        )
        return {**example, "x-request-raw": MALFORMED_BODY}

    def _validation_examples(self) -> dict:
        """What the operation answers to a body without its required fields, to values its rules refuse, and to
        an unknown field: each made by its request serializer (or, for an action without a body, its check)."""
        if getattr(self._handler(), "takes_no_body", False):
            body = {"note": "x"}
            errors = body_errors_of_bodiless(body)
            return {"body_given": self._made_example("A body where none is taken", body, errors)}
        serializer = self.get_request_serializer()
        if serializer is None:
            return {}
        made = _Validation(serializer, partial=self.method == "PATCH")
        examples = {}
        rules = 0
        for key, summary, body, field in made.cases():
            if key.endswith("_refused") and rules == RULE_EXAMPLES:
                continue
            errors = made.errors(body)
            named = exception_body(exceptions.ValidationError(errors))["fields"] if errors else {}
            if errors and (field is None or field in named or f"0.{field}" in named):
                examples[key] = self._made_example(summary, body, errors, required_too=made.reports_required(body))
                rules += key.endswith("_refused")
        return examples

    def _made_example(self, summary: str, body, errors, required_too: bool = False) -> dict:
        value = exception_body(exceptions.ValidationError(errors))
        sent = json.dumps(body, ensure_ascii=False)
        description = f"Sending `{sent}` answers this."
        if required_too:
            description += " The required fields left out are named too."
        return {**_example(summary, value, description), "x-request-body": body}

    def _allows_anonymous(self) -> bool:
        return any(isinstance(p, permissions.AllowAny) for p in self.view.get_permissions())

    def _model(self) -> type[models.Model] | None:
        queryset = getattr(self.view, "queryset", None)
        return queryset.model if queryset is not None else None

    def _delete_has_rules(self) -> bool:
        """A viewset whose deletes go through a service of their own (delete_object) may refuse one with a 400."""
        if self.method != "DELETE":
            return False
        from evfleet.api.base import ScopedModelViewSet

        own = getattr(type(self.view), "delete_object", None)
        return own is not None and own is not ScopedModelViewSet.delete_object

    def _protected_model(self) -> bool:
        """Objects pointing at this model with on_delete=PROTECT or RESTRICT make a delete a 409."""
        model = self._model()
        if model is None:
            return False
        return any(
            getattr(relation, "on_delete", None) in (models.PROTECT, models.RESTRICT)
            for relation in model._meta.related_objects
        )


class _Validation:
    """Runs a request serializer the way its view does, on inputs chosen to break one rule each, without the
    database: related fields (their values need rows) are never chosen, and uniqueness checks are left out (a
    value another rule refuses cannot have been stored)."""

    def __init__(self, serializer, *, partial: bool):
        self.many = isinstance(serializer, serializers.ListSerializer)
        child = serializer.child if self.many else serializer
        self.cls = child if isinstance(child, type) else type(child)
        self.list_kwargs = {"allow_empty": serializer.allow_empty} if self.many else {}
        self.partial = partial

    def _serializer(self, body):
        kwargs = {"data": body, "partial": self.partial, "context": {"request": None}}
        if self.many:
            return self.cls(many=True, **self.list_kwargs, **kwargs)
        return self.cls(**kwargs)

    def fields(self) -> dict:
        return self.cls(context={"request": None}).fields

    def errors(self, body):
        serializer = self._serializer(body)
        target = serializer.child if self.many else serializer
        try:
            for field in target.fields.values():
                field.validators = [
                    v for v in field.validators if not isinstance(v, UniqueValidator | UniqueTogetherValidator)
                ]
            target.validators = []
            serializer.is_valid()
        except Exception:  # a rule that needs a request or database rows: no example from this input
            return None
        return serializer.errors or None

    def wrap(self, item: dict):
        return [item] if self.many else item

    def reports_required(self, body) -> bool:
        item = body[0] if self.many and body else body
        return not self.partial and isinstance(item, dict) and bool(self.required() - set(item))

    def required(self) -> set[str]:
        return {name for name, f in self.fields().items() if f.required and not f.read_only}

    def cases(self):
        if self.many and not self.list_kwargs.get("allow_empty", True):
            yield "empty_list", "An empty list", [], None
        if not self.partial and self.required():
            yield "missing_fields", "Required fields left out", self.wrap({}), None
        chosen = sorted(
            (rank, index, name, value)
            for index, (name, field) in enumerate(self.fields().items())
            for rank, value in _refused_values(field)[:1]
        )
        for _, _, name, value in chosen:
            yield f"{name}_refused", f"A value of {name} its rules refuse", self.wrap({name: value}), name
        if issubclass(self.cls, StrictFieldsMixin):
            yield "unknown_field", "An unknown field", self.wrap({UNKNOWN_FIELD: "red"}), UNKNOWN_FIELD


def _below(low, kind):
    if low > 0:
        return kind(0)
    return kind(low) - 1


def _refused_values(field: serializers.Field) -> list[tuple[int, object]]:
    """(rank, value) pairs the field refuses, most telling first; none for what needs rows to check."""
    if field.read_only or isinstance(field, serializers.RelatedField | serializers.ManyRelatedField):
        return []
    if isinstance(field, TypedJSONField | serializers.HiddenField):
        return []
    for validator in _validators_of(field):
        if hasattr(validator, "openapi_invalid"):
            return [(0, validator.openapi_invalid)]
    number = {serializers.DecimalField: Decimal, serializers.IntegerField: int, serializers.FloatField: float}
    for rank, (klass, kind) in enumerate(number.items(), start=1):
        if isinstance(field, klass):
            low, high = _bounds(field)
            if low is not None:
                value = _below(Decimal(str(low)) if kind is Decimal else low, kind)
            elif high is not None:
                value = (Decimal(str(high)) if kind is Decimal else high) + 1
            else:
                return []
            return [(min(rank, 2), str(value) if kind is Decimal else value)]
    if isinstance(field, serializers.ChoiceField):
        return [(3, "unknown")] if "unknown" not in field.choices else []
    if isinstance(field, serializers.ListField):
        if isinstance(field.child, serializers.ChoiceField) and "unknown" not in field.child.choices:
            return [(3, ["unknown"])]
        if getattr(field, "min_length", None):
            return [(4, [])]
        return []
    if isinstance(field, serializers.EmailField):
        return [(4, "not an address")]
    if isinstance(field, serializers.URLField):
        return [(4, "not a url")]
    if isinstance(field, serializers.CharField) and any(
        isinstance(v, django_validators.RegexValidator) for v in field.validators
    ):
        return [(4, "!")]
    return []
