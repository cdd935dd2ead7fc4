"""OpenAPI generation: every operation documents its error responses, with examples and fixes."""

from django.db import models
from drf_spectacular import openapi
from rest_framework import permissions

from evfleet.api import idempotency
from evfleet.api.base import ApiViewMixin
from evfleet.api.errors import MESSAGES, ErrorCode, ErrorSerializer


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


class AutoSchema(openapi.AutoSchema):
    """Adds 400/401/403/404 (and any view-declared) error responses to every operation.

    A view may set `error_examples = {"400": {"name": {"summary", "value", "description"}}}` for
    the validation errors its users most often hit; a generic "required field" example is the default.
    """

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
            examples.setdefault(
                "malformed_json",
                _example(
                    "Malformed JSON",
                    {
                        "code": ErrorCode.PARSE,
                        "message": "JSON parse error - Expecting value: line 1 column 1 (char 0)",
                    },
                    "Send a valid JSON body with `Content-Type: application/json`.",
                ),
            )
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
