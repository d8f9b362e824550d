"""The bench-only URLconf: the product's URLs plus the bare view (never in production)."""

from django.urls import include, path

from benchmarks.views import BARE_PATH, bare

urlpatterns = [
    path(BARE_PATH.lstrip("/"), bare, name="bench-bare"),
    path("", include("config.urls")),
]
