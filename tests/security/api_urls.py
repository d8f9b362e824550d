"""The site's URLs plus a stand-in JSON endpoint under /api/ (for the 2FA middleware tests)."""

from django.http import JsonResponse
from django.urls import path

from config.urls import urlpatterns as site


def ping(request):
    return JsonResponse({"user": request.user.get_username()})


urlpatterns = [path("api/ping/", ping, name="api-ping"), *site]
