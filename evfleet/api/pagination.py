"""Pages of a list: numbered by default, or a cursor in (sync time, id) order for incremental sync and exports."""

import base64
import binascii
import json
from datetime import datetime

from django.db.models import Q
from django.utils.dateparse import parse_datetime
from rest_framework import pagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from evfleet.api.filters import field_error, sync_field_of

INVALID_CURSOR = "invalid_cursor"
CURSOR_HELP = (
    "Opt in to cursor pages for sync and large exports: `cursor=` (empty) starts, then follow `next` until it is "
    "null. Rows come oldest change first, ordered by (updated_at, id), without `count`; a row changed during the "
    "pass comes again later, none is skipped. Combine with `updated_after` and the filters, not with `page` or "
    "`ordering`."
)


def _sync_field(view) -> str | None:
    """The view's sync field on its `list` (an action's page lists other rows: numbered pages only)."""
    if getattr(view, "action", None) != "list":
        return None
    queryset = getattr(view, "queryset", None)
    return sync_field_of(view, queryset.model if queryset is not None else None)


class PageNumberPagination(pagination.PageNumberPagination):
    """`?page=N&page_size=M` (at most 500 a page), with the total count; or, with `?cursor=`, keyset pages.

    The cursor mode orders by the view's `sync_field` (`updated_at`) and the id, and a cursor is the last row's
    pair: the next page is every row after it, however many rows changed meanwhile. One query per page, no COUNT.
    """

    page_size_query_param = "page_size"
    max_page_size = 500
    cursor_query_param = "cursor"

    def paginate_queryset(self, queryset, request, view=None):
        self.cursor_mode = self.cursor_query_param in request.query_params
        if not self.cursor_mode:
            return super().paginate_queryset(queryset, request, view)
        field = _sync_field(view)
        for other in (self.page_query_param, "ordering"):
            if other in request.query_params:
                raise field_error(other, f"{other} does not combine with cursor: cursor pages are in "
                                         f"({field}, id) order.", "invalid")  # fmt: skip
        self.request, self.field = request, field
        size = self.get_page_size(request)
        position = self._decode(request.query_params[self.cursor_query_param])
        rows = queryset.order_by(field, "pk")
        if position is not None:
            moment, pk = position
            rows = rows.filter(Q(**{f"{field}__gt": moment}) | Q(**{field: moment, "pk__gt": pk}))
        page = list(rows[: size + 1])
        self.has_next = len(page) > size
        self.page_rows = page[:size]
        return self.page_rows

    def _decode(self, token: str) -> tuple[datetime, int] | None:
        if token == "":
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(token.encode("ascii") + b"=" * (-len(token) % 4)))
            moment, pk = parse_datetime(data["t"]), int(data["i"])
            if moment is None or moment.tzinfo is None or isinstance(data["i"], bool):
                raise ValueError
        except (ValueError, TypeError, KeyError, UnicodeError, binascii.Error):
            raise field_error(
                self.cursor_query_param,
                "Not a cursor of this list: follow the `next` link of the page before, or send cursor= (empty) "
                "to start.",
                INVALID_CURSOR,
            ) from None
        return moment, pk

    def _encode(self, row) -> str:
        moment = getattr(row, self.field)
        raw = json.dumps({"t": moment.isoformat(), "i": row.pk}, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")

    def get_paginated_response(self, data):
        if not getattr(self, "cursor_mode", False):
            return super().get_paginated_response(data)
        url = None
        if self.has_next:
            token = self._encode(self.page_rows[-1])
            url = replace_query_param(self.request.build_absolute_uri(), self.cursor_query_param, token)
        return Response({"next": url, "previous": None, "results": data})

    def get_paginated_response_schema(self, schema):
        page = super().get_paginated_response_schema(schema)
        page["required"] = ["results"]
        page["properties"]["count"]["description"] = "Rows in all pages; absent in cursor mode (`cursor`)."
        page["properties"]["previous"]["description"] = "The page before; always null in cursor mode."
        return page

    def query_parameters(self, view) -> set[str]:
        names = {self.page_query_param, self.page_size_query_param}
        return names | {self.cursor_query_param} if _sync_field(view) else names

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        if _sync_field(view):
            parameters.append(
                {
                    "name": self.cursor_query_param,
                    "required": False,
                    "in": "query",
                    "description": CURSOR_HELP,
                    "schema": {"type": "string"},
                }
            )
        return parameters


class TimeCursorPagination(pagination.CursorPagination):
    """For time series: newest first, no COUNT over millions of rows, stable under inserts."""

    ordering = ("-recorded_at", "-id")
    page_size = 500
    page_size_query_param = "page_size"
    max_page_size = 10_000

    def query_parameters(self, view) -> set[str]:
        return {self.cursor_query_param, self.page_size_query_param}
