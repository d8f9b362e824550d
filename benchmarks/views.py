"""The bare view: the floor every page is compared with."""

from django.db import connection
from django.http import HttpRequest, HttpResponse

BARE_PATH = "/bench/bare/"


def bare(request: HttpRequest) -> HttpResponse:
    """One trivial query and a small response, through the full middleware stack."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return HttpResponse("ok", content_type="text/plain")
