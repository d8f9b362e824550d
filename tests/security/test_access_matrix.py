"""The access-control matrix: every URL of the project, tried as every role.

The walk over ``get_resolver().url_patterns`` finds every named pattern (namespaces and
the REST API included). Each one must have a row in ``MATRIX`` saying what each role gets:
a status code, or ``LOGIN`` for the redirect to the login page. A new URL without a row
fails ``test_every_url_has_an_entry_in_the_access_matrix``.

Objects that URLs take an id of belong to ``staff`` (their time log, extension, lead,
statement, inquiry, budget rule) or are run by ``lead`` (the marketing task); the other
roles look at them as somebody else's. POST-only endpoints are tried with an empty body:
the point is who gets through the door, not what happens behind it.

The data are built once for the module inside a transaction that is rolled back at the
end; each test runs in a savepoint of its own, so a POST that gets through changes nothing
for the next case.
"""

from __future__ import annotations

import datetime
import uuid
import zoneinfo
from collections.abc import Callable, Iterator
from types import SimpleNamespace

import pytest
import time_machine
from django.conf import settings
from django.core.cache.backends.locmem import LocMemCache
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from api import throttles
from departments import services as department_services
from departments.models import Delegation
from rewards.models import RewardLine, RoleModelCandidate
from rewards.services import leads as lead_services
from rewards.services import payouts
from rewards.services import statements as statement_services
from tasks import services as task_services
from tasks.models import AssistCategory
from tests import conftest
from tests.rewards.test_payout_pages import calculated_period, statement_of

ROLES = [
    "anonymous",
    "staff",  # the owner of the objects
    "supervisor",  # staff's line supervisor
    "delegate",  # holds the supervisor's approvals today (active delegation)
    "lead",  # staff's marketing lead
    "other_supervisor",  # runs another team
    "outsider",  # a colleague of staff with no authority over them
    "finance",
    "admin",
]
LOGIN = "login"  # 302 to the login page
NOW = datetime.datetime(2026, 3, 10, 10, 0, tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))

# --------------------------------------------------------------------------- exclusions

# Patterns the walk finds that are not in the matrix, each with the reason.
EXCLUDED_NAMESPACES = {
    # Django admin's own pages (changelists, change forms, the object_id redirects, the
    # third-party apps' admins) are guarded by AdminSite.admin_view (is_staff); the
    # project's custom admin views are kept: see ADMIN_CUSTOM_VIEWS.
    "admin": "Django admin's own patterns, guarded by AdminSite.admin_view",
}
ADMIN_CUSTOM_VIEWS = {
    "admin:departments_staffprofile_import",
    "admin:departments_staffprofile_import_departments_template",
    "admin:departments_staffprofile_import_people_template",
}
EXCLUDED_NAMES = {
    # Public by design: the language switch and the JavaScript translation catalogue.
    "set_language": "i18n: public by design (the login page offers the language switch)",
    "javascript-catalog": "jsi18n: public by design (login_not_required)",
}
# No static/media patterns are routed by config/urls.py (WhiteNoise serves /static/).


def _walk(patterns, namespace: str = "") -> Iterator[tuple[str, URLPattern]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(pattern.url_patterns, inner)
        else:
            name = pattern.name or f"<unnamed {pattern.pattern}>"
            yield (f"{namespace}:{name}" if namespace else name), pattern


def walked_url_names() -> set[str]:
    names = set()
    for name, _pattern in _walk(get_resolver().url_patterns):
        if name in ADMIN_CUSTOM_VIEWS:
            names.add(name)
            continue
        if name.split(":", 1)[0] in EXCLUDED_NAMESPACES or name in EXCLUDED_NAMES:
            continue
        names.add(name)
    return names


# --------------------------------------------------------------------------- the table


def grid(default, **roles) -> dict[str, object]:
    """One row: ``default`` for every signed-in role not named, ``anonymous`` → LOGIN
    unless given."""
    unknown = set(roles) - set(ROLES)
    assert not unknown, unknown
    row = dict.fromkeys(ROLES, default)
    row["anonymous"] = LOGIN
    row.update(roles)
    return row


API_ANON = 401  # DRF answers an unauthenticated API call with 401, not the login page


def _pk(attr: str) -> Callable[[SimpleNamespace], dict]:
    return lambda w: {"pk": getattr(w, attr).pk}


# How to fill each URL's kwargs from the data; URLs without kwargs are not listed.
KWARGS: dict[str, Callable[[SimpleNamespace], dict]] = {
    "departments:profile": _pk("staff"),
    "departments:profile_edit": _pk("staff"),
    "departments:budget": _pk("staff"),
    "departments:budget_rule_delete": lambda w: {"pk": w.staff.pk, "rule_pk": w.rule.pk},
    "departments:delegation_end": _pk("delegation"),
    "tasks:log_detail": _pk("log"),
    "tasks:log_edit": _pk("log"),
    "tasks:log_delete": _pk("log"),
    "tasks:log_review_outcome": _pk("log"),
    "tasks:extension_detail": _pk("extension"),
    "tasks:extension_withdraw": _pk("extension"),
    "tasks:extension_decide": _pk("extension"),
    "tasks:task_detail": _pk("task"),
    "tasks:task_comment": _pk("task"),
    "tasks:task_cancel": _pk("task"),
    "tasks:task_close": _pk("task"),
    "tasks:assignment_start": _pk("assignment"),
    "tasks:assignment_complete": _pk("assignment"),
    "tasks:assignment_decline": _pk("assignment"),
    "tasks:dashboard_department": lambda w: {"pk": w.org.engineering.pk},
    "tasks:job_run": lambda w: {"key": "rollup"},
    "tasks:job_status": lambda w: {"task_id": "00000000-0000-0000-0000-000000000000"},
    "rewards:lead_detail": _pk("lead"),
    "rewards:lead_transition": _pk("lead"),
    "rewards:lead_collection": _pk("lead"),
    "rewards:lead_split": _pk("lead"),
    "rewards:lead_claim": _pk("lead"),
    "rewards:lead_key_role": _pk("lead"),
    "rewards:period_detail": _pk("period"),
    "rewards:period_progress": _pk("period"),
    "rewards:period_close": _pk("period"),
    "rewards:period_calculate": _pk("period"),
    "rewards:period_mark_paid": _pk("period"),
    "rewards:period_export": lambda w: {"pk": w.period.pk, "fmt": "csv"},
    "rewards:statement_detail": _pk("statement"),
    "rewards:statement_adjust": _pk("statement"),
    "rewards:inquiry_raise": _pk("line"),
    "rewards:inquiry_answer": _pk("inquiry"),
    "rewards:nominate": _pk("candidate"),
    "rewards:nomination_withdraw": _pk("candidate"),
    "api:department-detail": lambda w: {"pk": w.org.engineering.pk},
    "api:staff-detail": _pk("staff"),
    "api:category-detail": _pk("category"),
    "api:reward-detail": _pk("line"),
    "api:payout-period-statements": _pk("period"),
}
for _action in ["detail", "cancel", "close", "complete", "decline", "start"]:
    KWARGS[f"api:task-{_action}"] = _pk("task")
for _action in ["detail", "approve", "reject", "review-outcome"]:
    KWARGS[f"api:log-{_action}"] = _pk("log")
for _action in ["detail", "grant", "refuse", "withdraw"]:
    KWARGS[f"api:extension-{_action}"] = _pk("extension")
for _action in ["detail", "claim", "collections", "key-role", "lose", "qualify", "split", "win"]:
    KWARGS[f"api:lead-{_action}"] = _pk("lead")
for _action in ["detail", "approve", "recommend", "send-back"]:
    KWARGS[f"api:statement-{_action}"] = _pk("statement")
for _action in ["detail", "approve", "calculate", "close", "export", "mark-paid"]:
    KWARGS[f"api:payout-period-{_action}"] = _pk("period")

# A valid body for the API's actions that validate it before they look the object up,
# so that the answer depends on who asks; the others get ``{}``.
API_BODIES: dict[str, Callable[[SimpleNamespace], dict]] = {
    "api:extension-refuse": lambda w: {"note": "Not this week"},
    "api:lead-claim": lambda w: {"accept": True},
    "api:lead-collections": lambda w: {"received_on": "2026-03-10", "amount": "10.00"},
    "api:lead-lose": lambda w: {"reason": "Went elsewhere"},
    "api:lead-win": lambda w: {"contract_amount": "100.00", "won_on": "2026-03-10"},
    "api:log-approve-many": lambda w: {"ids": [w.log.pk]},
    "api:log-reject": lambda w: {"reason": "Not marketing"},
    "api:log-reject-many": lambda w: {"ids": [w.log.pk], "reason": "Not marketing"},
    "api:log-review-outcome": lambda w: {"outcome_status": "confirmed"},
    "api:reward-approve": lambda w: {"statements": [w.statement.pk]},
    "api:reward-recommend": lambda w: {"statements": [w.statement.pk]},
    "api:statement-send-back": lambda w: {"note": "Check the hours"},
    "api:task-cancel": lambda w: {"reason": "Fair postponed"},
    "api:task-complete": lambda w: {"outcome": "Done"},
    "api:task-decline": lambda w: {"reason": "On call"},
}

# Endpoints that only take POST: tried with an empty body (and GET gives 405).
POST_ONLY: set[str] = {
    "api:extension-grant",
    "api:extension-refuse",
    "api:extension-withdraw",
    "api:import-organisation",
    "api:lead-claim",
    "api:lead-collections",
    "api:lead-key-role",
    "api:lead-lose",
    "api:lead-qualify",
    "api:lead-split",
    "api:lead-win",
    "api:log-approve",
    "api:log-approve-many",
    "api:log-reject",
    "api:log-reject-many",
    "api:log-review-outcome",
    "api:payout-period-calculate",
    "api:payout-period-approve",
    "api:payout-period-close",
    "api:payout-period-mark-paid",
    "api:reward-approve",
    "api:reward-recommend",
    "api:statement-approve",
    "api:statement-recommend",
    "api:statement-send-back",
    "api:task-cancel",
    "api:task-close",
    "api:task-complete",
    "api:task-decline",
    "api:task-start",
    "api:token",
    "departments:budget_rule_delete",
    "departments:delegation_end",
    "logout",
    "rewards:inquiry_answer",
    "rewards:inquiry_raise",
    "rewards:lead_claim",
    "rewards:lead_collection",
    "rewards:lead_key_role",
    "rewards:lead_split",
    "rewards:lead_transition",
    "rewards:nominate",
    "rewards:nomination_withdraw",
    "rewards:period_calculate",
    "rewards:period_close",
    "rewards:period_mark_paid",
    "rewards:statement_adjust",
    "tasks:assignment_complete",
    "tasks:assignment_decline",
    "tasks:assignment_start",
    "tasks:extension_decide",
    "tasks:extension_withdraw",
    "tasks:job_run",
    "tasks:log_delete",
    "tasks:log_review_outcome",
    "tasks:task_cancel",
    "tasks:task_close",
    "tasks:task_comment",
}

# url name → {role: expected}
MATRIX: dict[str, dict[str, object]] = {
    "accounts:login_verify": grid(302, anonymous=302),
    "accounts:two_factor": grid(200),
    "admin:departments_staffprofile_import": grid(302, admin=200),
    "admin:departments_staffprofile_import_departments_template": grid(302, admin=200),
    "admin:departments_staffprofile_import_people_template": grid(302, admin=200),
    "api:category-detail": grid(200, anonymous=API_ANON),
    "api:category-list": grid(200, anonymous=API_ANON),
    "api:department-detail": grid(200, anonymous=API_ANON),
    "api:department-list": grid(200, anonymous=API_ANON),
    "api:docs": grid(200),
    "api:extension-detail": grid(
        200, anonymous=API_ANON, lead=404, other_supervisor=404, outsider=404, finance=404
    ),
    "api:extension-grant": grid(
        404, anonymous=API_ANON, staff=403, supervisor=200, delegate=200, admin=403
    ),
    "api:extension-list": grid(200, anonymous=API_ANON),
    "api:extension-refuse": grid(
        404, anonymous=API_ANON, staff=403, supervisor=200, delegate=200, admin=403
    ),
    "api:extension-withdraw": grid(
        404, anonymous=API_ANON, staff=200, supervisor=403, delegate=403, admin=403
    ),
    "api:import-organisation": grid(403, anonymous=API_ANON, admin=415),
    "api:lead-claim": grid(
        403,
        anonymous=API_ANON,
        lead=400,
        other_supervisor=404,
        outsider=404,
        finance=404,
        admin=400,
    ),
    "api:lead-collections": grid(
        403,
        anonymous=API_ANON,
        lead=400,
        other_supervisor=404,
        outsider=404,
        finance=404,
        admin=400,
    ),
    "api:lead-detail": grid(
        200, anonymous=API_ANON, other_supervisor=404, outsider=404, finance=404
    ),
    "api:lead-key-role": grid(
        403,
        anonymous=API_ANON,
        lead=200,
        other_supervisor=404,
        outsider=404,
        finance=404,
        admin=200,
    ),
    "api:lead-list": grid(200, anonymous=API_ANON),
    "api:lead-lose": grid(
        403,
        anonymous=API_ANON,
        lead=200,
        other_supervisor=404,
        outsider=404,
        finance=404,
        admin=200,
    ),
    "api:lead-qualify": grid(
        403,
        anonymous=API_ANON,
        lead=200,
        other_supervisor=404,
        outsider=404,
        finance=404,
        admin=200,
    ),
    "api:lead-split": grid(
        403,
        anonymous=API_ANON,
        lead=400,
        other_supervisor=404,
        outsider=404,
        finance=404,
        admin=400,
    ),
    "api:lead-win": grid(
        403,
        anonymous=API_ANON,
        lead=400,
        other_supervisor=404,
        outsider=404,
        finance=404,
        admin=400,
    ),
    "api:log-approve": grid(
        403,
        anonymous=API_ANON,
        supervisor=200,
        delegate=200,
        other_supervisor=404,
        outsider=404,
        finance=404,
    ),
    "api:log-approve-many": grid(403, anonymous=API_ANON, supervisor=200, delegate=200),
    "api:log-detail": grid(
        200, anonymous=API_ANON, other_supervisor=404, outsider=404, finance=404
    ),
    "api:log-list": grid(200, anonymous=API_ANON),
    "api:log-reject": grid(
        403,
        anonymous=API_ANON,
        supervisor=200,
        delegate=200,
        other_supervisor=404,
        outsider=404,
        finance=404,
    ),
    "api:log-reject-many": grid(403, anonymous=API_ANON, supervisor=200, delegate=200),
    "api:log-review-outcome": grid(
        403, anonymous=API_ANON, other_supervisor=404, outsider=404, finance=404
    ),
    "api:me": grid(200, anonymous=API_ANON),
    "api:payout-period-calculate": grid(403, anonymous=API_ANON, finance=202, admin=202),
    "api:payout-period-approve": grid(403, anonymous=API_ANON, finance=400, admin=400),
    "api:payout-period-close": grid(403, anonymous=API_ANON, finance=400, admin=400),
    "api:payout-period-detail": grid(200, anonymous=API_ANON),
    "api:payout-period-export": grid(403, anonymous=API_ANON, finance=400, admin=400),
    "api:payout-period-list": grid(200, anonymous=API_ANON),
    "api:payout-period-mark-paid": grid(403, anonymous=API_ANON, finance=400, admin=400),
    "api:payout-period-statements": grid(200, anonymous=API_ANON),
    "api:redoc": grid(200),
    "api:reward-approve": grid(403, anonymous=API_ANON, supervisor=400, delegate=400),
    "api:reward-detail": grid(
        200, anonymous=API_ANON, other_supervisor=404, outsider=404, finance=404
    ),
    "api:reward-list": grid(200, anonymous=API_ANON),
    "api:reward-recommend": grid(403, anonymous=API_ANON, lead=200),
    "api:schema": grid(200, anonymous=API_ANON),
    "api:staff-detail": grid(
        200, anonymous=API_ANON, other_supervisor=404, outsider=404, finance=404
    ),
    "api:staff-list": grid(200, anonymous=API_ANON),
    "api:statement-approve": grid(
        403,
        anonymous=API_ANON,
        supervisor=400,
        delegate=400,
        other_supervisor=404,
        outsider=404,
        finance=404,
    ),
    "api:statement-detail": grid(
        200, anonymous=API_ANON, other_supervisor=404, outsider=404, finance=404
    ),
    "api:statement-list": grid(200, anonymous=API_ANON),
    "api:statement-recommend": grid(
        403, anonymous=API_ANON, lead=200, other_supervisor=404, outsider=404, finance=404
    ),
    "api:statement-send-back": grid(
        200,
        anonymous=API_ANON,
        staff=403,
        other_supervisor=404,
        outsider=404,
        finance=404,
        admin=403,
    ),
    "api:task-cancel": grid(
        403,
        anonymous=API_ANON,
        lead=200,
        other_supervisor=404,
        outsider=404,
        finance=404,
        admin=200,
    ),
    "api:task-close": grid(
        403,
        anonymous=API_ANON,
        lead=400,
        other_supervisor=404,
        outsider=404,
        finance=404,
        admin=400,
    ),
    "api:task-complete": grid(
        403, anonymous=API_ANON, staff=200, other_supervisor=404, outsider=404, finance=404
    ),
    "api:task-decline": grid(
        403, anonymous=API_ANON, staff=200, other_supervisor=404, outsider=404, finance=404
    ),
    "api:task-detail": grid(
        200, anonymous=API_ANON, other_supervisor=404, outsider=404, finance=404
    ),
    "api:task-list": grid(200, anonymous=API_ANON),
    "api:task-start": grid(
        403, anonymous=API_ANON, staff=200, other_supervisor=404, outsider=404, finance=404
    ),
    "api:token": grid(400, anonymous=400),
    "audit:export": grid(403, admin=200),
    "audit:list": grid(403, admin=200),
    "departments:budget": grid(200, other_supervisor=404, outsider=404, finance=404),
    "departments:budget_rule_delete": grid(
        403, supervisor=302, other_supervisor=404, outsider=404, finance=404, admin=302
    ),
    "departments:delegation_end": grid(404, supervisor=302, delegate=403, admin=302),
    "departments:delegations": grid(200),
    "departments:my_profile": grid(200, admin=404),
    "departments:org_chart": grid(200),
    "departments:profile": grid(200, other_supervisor=404, outsider=404, finance=404),
    "departments:profile_edit": grid(
        403, supervisor=200, other_supervisor=404, outsider=404, finance=404, admin=200
    ),
    "healthz": grid(200, anonymous=200),
    "home": grid(302),
    "login": grid(200, anonymous=200),
    "logout": grid(302),
    "password_change": grid(200),
    "password_change_done": grid(200),
    "rewards:approve_queue": grid(403, supervisor=200, delegate=200, other_supervisor=200),
    "rewards:honour_board": grid(200),
    "rewards:inquiry_answer": grid(
        403, supervisor=200, delegate=200, other_supervisor=404, outsider=404, finance=404
    ),
    "rewards:inquiry_raise": grid(403, staff=200, other_supervisor=404, outsider=404, finance=404),
    "rewards:lead_claim": grid(
        403, lead=200, other_supervisor=404, outsider=404, finance=404, admin=200
    ),
    "rewards:lead_collection": grid(
        403, lead=200, other_supervisor=404, outsider=404, finance=404, admin=200
    ),
    "rewards:lead_create": grid(200, lead=403, admin=403),
    "rewards:lead_detail": grid(200, other_supervisor=404, outsider=404, finance=404),
    "rewards:lead_key_role": grid(
        403, lead=302, other_supervisor=404, outsider=404, finance=404, admin=302
    ),
    "rewards:lead_split": grid(
        403, lead=200, other_supervisor=404, outsider=404, finance=404, admin=200
    ),
    "rewards:lead_transition": grid(
        403, lead=302, other_supervisor=404, outsider=404, finance=404, admin=302
    ),
    "rewards:my_leads": grid(200, lead=403, admin=403),
    "rewards:my_statements": grid(200),
    "rewards:nominate": grid(404, supervisor=200, delegate=200, admin=200),
    "rewards:nomination_withdraw": grid(404, supervisor=302, delegate=302, admin=302),
    "rewards:nominations": grid(403, supervisor=200, delegate=200, other_supervisor=200, admin=200),
    "rewards:period_calculate": grid(403, finance=302, admin=302),
    "rewards:period_close": grid(403, finance=302, admin=302),
    "rewards:period_detail": grid(403, finance=200, admin=200),
    "rewards:period_export": grid(403, finance=302, admin=302),
    "rewards:period_mark_paid": grid(403, finance=302, admin=302),
    "rewards:period_progress": grid(403, finance=200, admin=200),
    "rewards:periods": grid(403, finance=200, admin=200),
    "rewards:pipeline": grid(403, lead=200),
    "rewards:recommend_queue": grid(403, lead=200),
    "rewards:statement_adjust": grid(
        200, staff=403, lead=403, other_supervisor=404, outsider=404, finance=404
    ),
    "rewards:statement_detail": grid(200, other_supervisor=404, outsider=404, finance=404),
    "tasks:approval_queue": grid(403, supervisor=200, delegate=200, other_supervisor=200),
    "tasks:assignment_complete": grid(
        403, staff=200, other_supervisor=404, outsider=404, finance=404
    ),
    "tasks:assignment_decline": grid(
        403, staff=200, other_supervisor=404, outsider=404, finance=404
    ),
    "tasks:assignment_start": grid(403, staff=302, other_supervisor=404, outsider=404, finance=404),
    "tasks:dashboard_department": grid(403, admin=200),
    "tasks:dashboard_marketing": grid(403, lead=200, admin=200),
    "tasks:dashboard_me": grid(200, lead=403, admin=403),
    "tasks:dashboard_org": grid(403, finance=200, admin=200),
    "tasks:dashboard_team": grid(403, supervisor=200, delegate=200, other_supervisor=200),
    "tasks:extension_decide": grid(404, staff=403, supervisor=200, delegate=200, admin=403),
    "tasks:extension_detail": grid(200, lead=404, other_supervisor=404, outsider=404, finance=404),
    "tasks:extension_queue": grid(403, supervisor=200, delegate=200, other_supervisor=200),
    "tasks:extension_withdraw": grid(404, staff=302, supervisor=403, delegate=403, admin=403),
    "tasks:job_run": grid(403, admin=302),
    "tasks:job_status": grid(403, admin=404),
    "tasks:jobs": grid(403, admin=200),
    "tasks:log_delete": grid(403, staff=302, other_supervisor=404, outsider=404, finance=404),
    "tasks:log_detail": grid(200, other_supervisor=404, outsider=404, finance=404),
    "tasks:log_edit": grid(403, staff=200, other_supervisor=404, outsider=404, finance=404),
    "tasks:log_review_outcome": grid(403, other_supervisor=404, outsider=404, finance=404),
    "tasks:my_extensions": grid(200, lead=403, admin=403),
    "tasks:my_month": grid(200, lead=403, admin=403),
    "tasks:my_tasks": grid(200),
    "tasks:my_week": grid(200, lead=403, admin=403),
    "tasks:outcome_queue": grid(403, lead=200),
    "tasks:task_board": grid(403, lead=200, admin=200),
    "tasks:task_cancel": grid(
        403, lead=200, other_supervisor=404, outsider=404, finance=404, admin=200
    ),
    "tasks:task_close": grid(
        403, lead=302, other_supervisor=404, outsider=404, finance=404, admin=302
    ),
    "tasks:task_comment": grid(
        200, supervisor=403, delegate=403, other_supervisor=404, outsider=404, finance=404
    ),
    "tasks:task_create": grid(403, lead=200),
    "tasks:task_detail": grid(200, other_supervisor=404, outsider=404, finance=404),
    "tasks:today": grid(200, lead=403, admin=403),
}


# --------------------------------------------------------------------------- the data


def _build(org) -> SimpleNamespace:
    today = NOW.date()
    staff = org.staff_profile
    category = AssistCategory.objects.filter(is_active=True).order_by("pk").first()
    rule = department_services.budget_rule_create(
        actor=org.admin, daily_minutes=240, effective_from=today, staff=staff
    )
    log = task_services.time_log_create(
        staff=staff,
        day=today,
        minutes=30,
        category=category,
        description="Helped at the fair",
        duties_done=True,
    )
    extension = task_services.extension_request(
        staff=staff, day=today, minutes=30, reason="Trade fair"
    )
    task = task_services.task_create(
        actor=org.lead,
        title="Hand out flyers",
        category=category,
        due_date=today + datetime.timedelta(days=7),
        estimated_minutes=60,
        assignees=[org.staff],
    )
    assignment = task.assignments.get(assignee=org.staff)
    lead = lead_services.lead_introduce(staff=staff, client_name="Acme Ltd", need="A website")
    period = calculated_period(org)
    statement = statement_of(period, org.staff)
    line = RewardLine.objects.filter(statement=statement).order_by("pk").first()
    inquiry = statement_services.inquiry_raise(actor=org.staff, line=line, question="Why 30?")
    payouts.role_model_candidates_propose(period=period)
    candidate = RoleModelCandidate.objects.filter(staff=staff).order_by("pk").first()
    delegation = Delegation.objects.get(delegator=org.supervisor, delegate=org.delegate)
    return SimpleNamespace(
        org=org,
        staff=staff,
        category=category,
        rule=rule,
        log=log,
        extension=extension,
        task=task,
        assignment=assignment,
        lead=lead,
        period=period,
        statement=statement,
        line=line,
        inquiry=inquiry,
        candidate=candidate,
        delegation=delegation,
    )


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with (
        django_db_blocker.unblock(),
        time_machine.travel(NOW, tick=False),
        transaction.atomic(),
    ):
        org = conftest.org.__wrapped__(db=None)
        data = _build(org)
        data.sessions = {}
        for role in ROLES[1:]:
            client = Client()
            client.force_login(getattr(org, role))
            data.sessions[role] = client.cookies[settings.SESSION_COOKIE_NAME].value
        yield data
        transaction.set_rollback(True)


@pytest.fixture
def as_role(world, db, monkeypatch):
    # The API's throttles count per user and client address: every case starts with empty
    # counters in a cache of its own (clearing the shared cache would flush the Redis
    # database that parallel test workers and their Celery workers use).
    throttle_cache = LocMemCache(f"access-matrix-throttles-{uuid.uuid4()}", {})
    monkeypatch.setattr(throttles._CurrentRateThrottle, "cache", throttle_cache)
    with time_machine.travel(NOW, tick=False):

        def _client(role: str) -> Client:
            client = Client()
            if role != "anonymous":
                client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[role]
            return client

        yield _client


# --------------------------------------------------------------------------- the tests


def test_every_url_has_an_entry_in_the_access_matrix():
    missing = sorted(walked_url_names() - set(MATRIX))
    assert not missing, f"new URL without an entry in the access matrix: {missing}"


def test_the_matrix_has_no_stale_rows_and_names_every_role():
    assert not sorted(set(MATRIX) - walked_url_names())
    for name, row in MATRIX.items():
        assert set(row) == set(ROLES), name


def _outcome(response) -> object:
    if response.status_code == 302 and response["Location"].startswith(reverse("login") + "?next="):
        return LOGIN
    return response.status_code


def _request(client: Client, name: str, world: SimpleNamespace, *, method: str):
    url = reverse(name, kwargs=KWARGS[name](world) if name in KWARGS else None)
    if method == "GET":
        return client.get(url)
    if name.startswith("api:"):
        body = API_BODIES[name](world) if name in API_BODIES else {}
        return client.post(url, data=body, content_type="application/json")
    return client.post(url)


CASES = [(name, role) for name in sorted(MATRIX) for role in ROLES]


@pytest.mark.parametrize(("name", "role"), CASES)
def test_access(name, role, world, as_role):
    method = "POST" if name in POST_ONLY else "GET"
    response = _request(as_role(role), name, world, method=method)
    assert _outcome(response) == MATRIX[name][role], f"{method} {name} as {role}"


@pytest.mark.parametrize("name", sorted(POST_ONLY - {"api:token"}))
def test_post_only_endpoints_refuse_get(name, world, as_role):
    response = _request(as_role("admin"), name, world, method="GET")
    assert response.status_code in (403, 405), name
