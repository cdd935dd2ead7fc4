from rest_framework import pagination


class PageNumberPagination(pagination.PageNumberPagination):
    """`?page=N&page_size=M` (at most 500 a page), with the total count."""

    page_size_query_param = "page_size"
    max_page_size = 500


class TimeCursorPagination(pagination.CursorPagination):
    """For time series: newest first, no COUNT over millions of rows, stable under inserts."""

    ordering = ("-recorded_at", "-id")
    page_size = 500
    page_size_query_param = "page_size"
    max_page_size = 10_000
