"""Reads about the organisation: budgets, approvers, teams."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from typing import NamedTuple

from django.conf import settings
from django.db import connection
from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.expressions import RawSQL

from departments.models import BudgetRule, Delegation, Department, StaffProfile


def department_chain(parents: dict[int, int | None], department_id: int | None) -> list[int]:
    """The department and its ancestors, nearest first, from ``department_parents()``."""
    chain: list[int] = []
    current = department_id
    while current is not None and current not in chain:
        chain.append(current)
        current = parents.get(current)
    return chain


def _resolve(rules: Iterable[BudgetRule], staff_id: int, chain: list[int], day) -> int:
    best: dict[object, BudgetRule] = {}
    for rule in rules:
        if rule.effective_from > day:
            continue
        key = (
            ("p",)
            if rule.staff_id
            else (("d", rule.department_id) if rule.department_id else ("g",))
        )
        if key not in best or rule.effective_from > best[key].effective_from:
            best[key] = rule
    if ("p",) in best:
        return best[("p",)].daily_minutes
    for department_id in chain:
        if ("d", department_id) in best:
            return best[("d", department_id)].daily_minutes
    if ("g",) in best:
        return best[("g",)].daily_minutes
    return settings.ALLHANDS_DEFAULT_DAILY_BUDGET_MINUTES


def budget_minutes_for(*, staff: StaffProfile, day: datetime.date) -> int:
    """The person's daily marketing budget on ``day`` (two queries)."""
    chain = department_chain(department_parents(), staff.department_id)
    rules = budget_rules(until=day, staff_ids=[staff.pk], department_ids=chain)
    return _resolve(rules, staff.pk, chain, day)


def budget_minutes_for_days(
    *, staff: StaffProfile, days: Iterable[datetime.date]
) -> dict[datetime.date, int]:
    """Budgets for several days at once, in the same two queries."""
    days = list(days)
    if not days:
        return {}
    chain = department_chain(department_parents(), staff.department_id)
    rules = budget_rules(until=max(days), staff_ids=[staff.pk], department_ids=chain)
    return {day: _resolve(rules, staff.pk, chain, day) for day in days}


def budget_minutes_for_people(
    *, people: Iterable[StaffProfile], day: datetime.date
) -> dict[int, int]:
    """Budgets of many people on one day, in two queries whatever their number."""
    budgets = budgets_for_people_and_days(people=people, days=[day])
    return {staff_id: minutes for (staff_id, _day), minutes in budgets.items()}


class BudgetRuleRow(NamedTuple):
    """A budget rule as ``_resolve`` reads it."""

    staff_id: int | None
    department_id: int | None
    daily_minutes: int
    effective_from: datetime.date


def _date(value) -> datetime.date:
    return datetime.date.fromisoformat(value) if isinstance(value, str) else value


def department_parents() -> dict[int, int | None]:
    """Every department's parent (one query)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, parent_id FROM {Department._meta.db_table}")  # noqa: S608
        return dict(cursor.fetchall())


def budget_rules(
    *, until: datetime.date, staff_ids: list[int] | None = None, department_ids=()
) -> list[BudgetRuleRow]:
    """The budget rules in effect by ``until``: every one, or those of these people, of
    these departments and the company's. Read as SQL: on the pages that resolve budgets
    (the team dashboard, the queue) the ORM took longer than the database."""
    table = BudgetRule._meta.db_table
    sql = f"SELECT staff_id, department_id, daily_minutes, effective_from FROM {table} "  # noqa: S608
    sql += "WHERE effective_from <= %s"
    params: list = [until]
    if staff_ids is not None:
        departments = list(department_ids)
        sql += (
            f" AND (staff_id IN ({', '.join(['%s'] * len(staff_ids)) or 'NULL'})"
            f" OR department_id IN ({', '.join(['%s'] * len(departments)) or 'NULL'})"
            " OR (staff_id IS NULL AND department_id IS NULL))"
        )
        params += [*staff_ids, *departments]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    # SQLite hands dates back as text.
    return [
        BudgetRuleRow(staff, department, minutes, _date(day))
        for staff, department, minutes, day in rows
    ]


def budgets_for_people_and_days(
    *, people: Iterable[StaffProfile], days: Iterable[datetime.date]
) -> dict[tuple[int, datetime.date], int]:
    """{(profile id, day): budget minutes} in two queries whatever the numbers."""
    people, days = list(people), sorted(set(days))
    if not people or not days:
        return {}
    parents = department_parents()
    chains = {p.pk: department_chain(parents, p.department_id) for p in people}
    departments = {d for chain in chains.values() for d in chain}
    rules = budget_rules(
        until=days[-1], staff_ids=[p.pk for p in people], department_ids=departments
    )
    shared = [r for r in rules if r.staff_id is None]
    own: dict[int, list[BudgetRuleRow]] = defaultdict(list)
    for rule in rules:
        if rule.staff_id is not None:
            own[rule.staff_id].append(rule)
    return {
        (p.pk, day): _resolve(shared + own[p.pk], p.pk, chains[p.pk], day)
        for p in people
        for day in days
    }


def active_delegators_for(*, user, day: datetime.date) -> list[int]:
    """Ids of the supervisors whose approvals ``user`` holds on ``day``."""
    return list(
        Delegation.objects.filter(
            delegate=user, start_date__lte=day, end_date__gte=day
        ).values_list("delegator_id", flat=True)
    )


def supervised_by(*, user, day: datetime.date, field: str = "line_supervisor") -> Q:
    """A filter on ``field`` (a path to a line-supervisor key) for the people whose
    approvals ``user`` holds on ``day``: their own reports and those of supervisors who
    delegated to them. The delegations are read inside the filtered query, not by one of
    their own."""
    # One IN over a UNION rather than "= user OR IN (delegators)": PostgreSQL estimates the
    # OR as half the company and scans every waiting log; the UNION it reads as a handful of
    # supervisors and walks their reports by index. Written as SQL: the ORM took longer to
    # build the union (about 0.8 ms on every supervisor's page) than PostgreSQL to run it.
    return Q(**{f"{field}_id__in": RawSQL(*approval_holders_sql(user=user, day=day))})  # noqa: S611


def approval_holders_sql(*, user, day: datetime.date) -> tuple[str, list]:
    """``(sql, params)`` of a query for the supervisors whose approvals ``user`` holds on
    ``day``: ``user`` and those who delegated to them (``supervised_by`` filters on it)."""
    return (
        f"SELECT %s UNION ALL SELECT delegator_id FROM {Delegation._meta.db_table} "  # noqa: S608
        "WHERE delegate_id = %s AND start_date <= %s AND end_date >= %s",
        [user.pk, user.pk, *[connection.ops.adapt_datefield_value(day)] * 2],
    )


def approvable_sql(profile: str, *, user, day: datetime.date) -> tuple[str, list]:
    """``(sql, params)`` of the condition "``user`` approves this person's time on
    ``day``" on the staff profile aliased ``profile``: their line supervisor is one whose
    approvals ``user`` holds (``approval_holders_sql``), and they are not ``user``."""
    holders, params = approval_holders_sql(user=user, day=day)
    return (
        f"{profile}.line_supervisor_id IN ({holders}) AND {profile}.user_id <> %s",
        [*params, user.pk],
    )


def approver_ids_for(*, staff: StaffProfile, day: datetime.date) -> set[int]:
    """Who may approve this person's records on ``day``: the line supervisor and their
    active delegates. Nobody approves their own records."""
    if staff.line_supervisor_id is None:
        return set()
    ids = {staff.line_supervisor_id}
    ids.update(
        Delegation.objects.filter(
            delegator_id=staff.line_supervisor_id, start_date__lte=day, end_date__gte=day
        ).values_list("delegate_id", flat=True)
    )
    ids.discard(staff.user_id)
    return ids


def supervised_profiles(*, user, day: datetime.date) -> QuerySet[StaffProfile]:
    """Active people whose time ``user`` approves on ``day`` (own reports and those of
    supervisors who delegated to them), never ``user`` themselves."""
    return (
        StaffProfile.objects.filter(supervised_by(user=user, day=day), is_active=True)
        .exclude(user=user)
        .select_related("user", "department")
    )


def profile_detail(*, pk: int) -> StaffProfile:
    return StaffProfile.objects.select_related(
        "user",
        "department",
        "department__parent",
        "line_supervisor__profile",
        "marketing_lead__profile",
    ).get(pk=pk)


def reports_of(*, user) -> QuerySet[StaffProfile]:
    return (
        StaffProfile.objects.filter(line_supervisor=user, is_active=True)
        .select_related("user", "department")
        .order_by("user__first_name", "user__username")
    )


def marketing_reports_of(*, user) -> QuerySet[StaffProfile]:
    return (
        StaffProfile.objects.filter(marketing_lead=user, is_active=True)
        .select_related("user", "department")
        .order_by("user__first_name", "user__username")
    )


def collaborators_of(*, profile: StaffProfile) -> QuerySet[StaffProfile]:
    """Active colleagues in the same department."""
    return (
        StaffProfile.objects.filter(department_id=profile.department_id, is_active=True)
        .exclude(pk=profile.pk)
        .select_related("user")
        .order_by("user__first_name", "user__username")
    )


def org_chart() -> list[dict]:
    """The department tree, each node with its head, people and people count.

    Three queries whatever the size of the organisation.
    """
    people_qs = (
        StaffProfile.objects.filter(is_active=True)
        .select_related("user", "line_supervisor", "marketing_lead")
        .order_by("user__first_name", "user__username")
    )
    departments = list(
        Department.objects.select_related("head")
        .annotate(people_count=Count("members", filter=Q(members__is_active=True)))
        .prefetch_related(Prefetch("members", queryset=people_qs, to_attr="active_members"))
        .order_by("name")
    )
    children: dict[int | None, list[Department]] = {}
    for department in departments:
        children.setdefault(department.parent_id, []).append(department)

    def build(parent_id, depth, seen):
        nodes = []
        for department in children.get(parent_id, []):
            if department.pk in seen:
                continue
            nodes.append(
                {
                    "department": department,
                    "depth": depth,
                    "children": build(department.pk, depth + 1, seen | {department.pk}),
                }
            )
        return nodes

    return build(None, 0, frozenset())


def delegations_for(*, user) -> QuerySet[Delegation]:
    return (
        Delegation.objects.filter(Q(delegator=user) | Q(delegate=user))
        .select_related("delegator", "delegate")
        .order_by("-start_date")
    )
