"""One error format for the whole API:

    {"code": "validation_error", "message": "Invalid input in: vin.",
     "fields": {"vin": [{"code": "vin_length", "message": "A VIN has exactly 17 characters; ..."}]}}

`code` is stable and meant for programs (the constants below); `message` is for people;
`fields` appears on validation errors, keyed by field name ("non_field_errors" for the object).
A field inside a list or an object is named by its dotted path, list positions counted from 0:
`inlets.1`, `elements.1.restrictions.start_time`, `vehicles.0.departure` (never `elements[1]`).
"""

import re

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError
from django.http import Http404, JsonResponse
from django.views import defaults
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import set_rollback


class ErrorCode:
    VALIDATION = "validation_error"
    PARSE = "parse_error"
    NOT_AUTHENTICATED = "not_authenticated"
    AUTHENTICATION_FAILED = "authentication_failed"
    PERMISSION_DENIED = "permission_denied"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    CONFLICT = "conflict"
    THROTTLED = "throttled"
    SIGN_IN_LOCKED = "sign_in_locked"  # too many wrong passwords for a username from one address (accounts/lockout.py)
    SERVER_ERROR = "server_error"


NON_FIELD = api_settings.NON_FIELD_ERRORS_KEY

_CODE_BY_EXCEPTION = {
    exceptions.ParseError: ErrorCode.PARSE,
    exceptions.NotAuthenticated: ErrorCode.NOT_AUTHENTICATED,
    exceptions.AuthenticationFailed: ErrorCode.AUTHENTICATION_FAILED,
    exceptions.PermissionDenied: ErrorCode.PERMISSION_DENIED,
    exceptions.NotFound: ErrorCode.NOT_FOUND,
    exceptions.MethodNotAllowed: ErrorCode.METHOD_NOT_ALLOWED,
    exceptions.UnsupportedMediaType: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
    exceptions.Throttled: ErrorCode.THROTTLED,
}

MESSAGES = {
    ErrorCode.NOT_AUTHENTICATED: (
        "Authentication required: send 'Authorization: Token <key>' (POST /api/v1/auth/token/ gives one)."
    ),
    ErrorCode.NOT_FOUND: "Not found, or not in your departments.",
    ErrorCode.PERMISSION_DENIED: "Your role does not allow this action.",
    ErrorCode.SERVER_ERROR: "Internal error, logged on the server: retry later, or report it with the request's time.",
}
NO_SUCH_ADDRESS = (
    "No such address in the API; ids in paths are whole numbers (e.g. /api/v1/vehicles/12/). See /api/docs/."
)


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = ErrorCode.PAYLOAD_TOO_LARGE
    default_detail = "The request is larger than allowed."


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = ErrorCode.CONFLICT
    default_detail = "The object is still in use."


class FieldErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine-readable reason, e.g. required, invalid_vin, out_of_range.")
    message = serializers.CharField(help_text="What is wrong and how to fix it.")


class ErrorSerializer(serializers.Serializer):
    """The shape of every error response."""

    code = serializers.CharField(help_text="Stable machine-readable error code, e.g. validation_error, not_found.")
    message = serializers.CharField(help_text="Human-readable summary.")
    fields = serializers.DictField(
        child=FieldErrorSerializer(many=True),
        required=False,
        help_text="Validation errors keyed by field name; 'non_field_errors' for errors of the whole object.",
    )


_BRACKETED = re.compile(r"\[(\d+)\]")


def dotted(name: str) -> str:
    """One style of nested keys: `elements[1].restrictions` (how a service may name it) -> `elements.1.restrictions`."""
    return _BRACKETED.sub(r".\1", name).lstrip(".")


def _flatten(details, prefix: str = "") -> dict[str, list[dict]]:
    """DRF's nested error details -> {"field" or "field.0.sub": [{"code", "message"}]}."""
    flat: dict[str, list[dict]] = {}
    if isinstance(details, dict) and set(details) == {"message", "code"} and isinstance(details["message"], str):
        flat.setdefault(prefix or NON_FIELD, []).append({"code": details["code"], "message": details["message"]})
    elif isinstance(details, dict):
        for key, value in details.items():
            for name, errors in _flatten(value, dotted(f"{prefix}.{key}" if prefix else str(key))).items():
                flat.setdefault(name, []).extend(errors)
    elif isinstance(details, list):
        if all(isinstance(item, dict) and set(item) == {"message", "code"} for item in details):
            for item in details:
                flat.setdefault(prefix or NON_FIELD, []).append({"code": item["code"], "message": str(item["message"])})
        else:
            for index, item in enumerate(details):
                for name, errors in _flatten(item, f"{prefix}.{index}" if prefix else str(index)).items():
                    flat.setdefault(name, []).extend(errors)
    return flat


def django_validation_error_to_drf(exc: DjangoValidationError) -> exceptions.ValidationError:
    if hasattr(exc, "error_dict"):
        detail = {
            (NON_FIELD if name == "__all__" else name): [
                exceptions.ErrorDetail(message, code=error.code or "invalid")
                for error in errors
                for message in error.messages
            ]
            for name, errors in exc.error_dict.items()
        }
    else:
        detail = {
            NON_FIELD: [exceptions.ErrorDetail(m, code=e.code or "invalid") for e in exc.error_list for m in e.messages]
        }
    return exceptions.ValidationError(detail)


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    body = {"code": code, "message": message}
    if fields is not None:
        body["fields"] = fields
    return body


def api_exception(exc) -> exceptions.APIException | None:
    """The API exception an exception stands for; None for a bug (Django's 500 handler logs it)."""
    if isinstance(exc, RequestDataTooBig):
        limit_mb = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)
        exc = PayloadTooLarge(f"The request body is larger than {limit_mb} MB; send smaller batches.")
    elif isinstance(exc, DjangoValidationError):
        exc = django_validation_error_to_drf(exc)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, ProtectedError):
        names = sorted({str(obj) for obj in list(exc.protected_objects)[:5]})
        exc = Conflict(f"Still referenced by {', '.join(names)}; remove or reassign those first.")
    return exc if isinstance(exc, exceptions.APIException) else None


def exception_body(exc: exceptions.APIException) -> dict:
    """The body the API answers for an API exception (the OpenAPI examples are made with it too)."""
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.get_full_details())
        names = ", ".join(fields)
        return error_body(ErrorCode.VALIDATION, f"Invalid input in: {names}. See 'fields' for each problem.", fields)
    code = getattr(exc, "default_code", None)
    for klass, mapped in _CODE_BY_EXCEPTION.items():
        if isinstance(exc, klass):
            code = mapped
            break
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    message = MESSAGES.get(code, detail) if detail == str(exc.default_detail) else detail
    return error_body(code, message)


def exception_handler(exc, context):
    exc = api_exception(exc)
    if exc is None:
        return None  # a bug: Django's 500 handler logs it

    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
    set_rollback()
    return Response(exception_body(exc), status=exc.status_code, headers=headers)


def _is_api(request) -> bool:
    return request.path_info.startswith("/api/")


def page_not_found(request, exception=None):
    """Django's 404 for an address no view answers (an unknown path, a malformed id): JSON under /api/."""
    if _is_api(request):
        return JsonResponse(error_body(ErrorCode.NOT_FOUND, NO_SUCH_ADDRESS), status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    """Django's 500 (a bug, already logged): the API's JSON shape under /api/, the HTML page elsewhere."""
    if _is_api(request):
        return JsonResponse(error_body(ErrorCode.SERVER_ERROR, MESSAGES[ErrorCode.SERVER_ERROR]), status=500)
    return defaults.server_error(request)
