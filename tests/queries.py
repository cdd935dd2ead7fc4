"""Counting the SQL queries of one request, for the tests that lists do not grow with the data."""

from django.db import connection
from django.test.utils import CaptureQueriesContext


def request_queries(browser, path: str) -> int:
    """The queries `browser` (a test client or an API client) runs to GET `path`; the answer must be 200."""
    with CaptureQueriesContext(connection) as captured:
        response = browser.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return len(captured)
