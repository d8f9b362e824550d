"""Keeps the current request for the audit log and records refused requests.

Writes only when a response is 403, so normal pages cost no extra query.
"""

from audit import services
from audit.context import current_request
from audit.models import ACCESS_REFUSED, AuditEntry


class AuditMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = current_request.set(request)
        try:
            response = self.get_response(request)
            # A PermissionDenied raised further in has become this 403 response by now.
            if response.status_code == 403:
                services.record_safely(
                    action=AuditEntry.Action.PERMISSION_DENIED,
                    summary=ACCESS_REFUSED,
                    extra={"method": request.method, "path": request.path[:500]},
                    request=request,
                )
            return response
        finally:
            current_request.reset(token)
