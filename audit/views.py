import csv
import json

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from audit import services
from audit.forms import AuditFilterForm
from audit.models import AUDIT_LOG_EXPORTED, AuditEntry
from audit.selectors import audit_entries
from departments.roles import Role, roles_for

PAGE_SIZE = 50
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _require_admin(request: HttpRequest) -> None:
    if Role.ADMIN not in roles_for(request.user):
        raise PermissionDenied


def _filters(request: HttpRequest) -> tuple[AuditFilterForm, dict]:
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    return form, filters


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@require_GET
def entry_list(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    form, filters = _filters(request)
    page = Paginator(audit_entries(filters=filters), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "audit/entry_list.html",
        {
            "form": form,
            "page": page,
            "entries": page.object_list,
            "query": _query_without_page(request),
        },
    )


def _cell(value) -> str:
    text = "" if value is None else str(value)
    # A spreadsheet must not run a cell as a formula.
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


@require_GET
def entry_export(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    _form, filters = _filters(request)
    entries = list(audit_entries(filters=filters))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    writer = csv.writer(response)
    writer.writerow(
        [
            _("When"),
            _("User"),
            _("Action"),
            _("Summary"),
            _("Object type"),
            _("Object id"),
            _("Object"),
            _("IP address"),
            _("User agent"),
            _("Details"),
        ]
    )
    for entry in entries:
        writer.writerow(
            [
                _cell(timezone.localtime(entry.created_at).isoformat()),
                _cell(entry.actor_repr),
                _cell(entry.action),
                _cell(entry.summary_text()),
                _cell(
                    f"{entry.content_type.app_label}.{entry.content_type.model}"
                    if entry.content_type
                    else ""
                ),
                _cell(entry.object_id),
                _cell(entry.object_repr),
                _cell(entry.ip_address),
                _cell(entry.user_agent),
                _cell(json.dumps(entry.extra, ensure_ascii=False, cls=DjangoJSONEncoder)),
            ]
        )
    services.record(
        action=AuditEntry.Action.AUDIT_EXPORTED,
        summary=AUDIT_LOG_EXPORTED,
        extra={
            "filters": {key: str(value) for key, value in filters.items() if value},
            "rows": len(entries),
        },
    )
    return response
