"""Who and what the benchmark looks at, found by query (never by hard-coded ids), so the
same code works on the full-scale data, on the demo-size data and on ``seed_demo``."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Case, Count, IntegerField, Q, Value, When

from departments.models import Department, StaffProfile
from departments.roles import ADMIN_GROUP
from rewards.models import PayoutPeriod, Statement

# seed_scale gives every non-marketing line supervisor exactly this many reports.
SUPERVISOR_REPORTS = 50


@dataclass(frozen=True)
class Subjects:
    staff: object  # a User with a profile in a non-marketing department
    supervisor: object  # their line supervisor (with SUPERVISOR_REPORTS reports at scale)
    supervisor_reports: int
    admin: object  # sees the management dashboard
    period: PayoutPeriod  # the last calculated (closed) month
    statement: Statement  # the staff member's statement of that month


def _supervisor() -> tuple[int, int]:
    """(user id, reports) of the line supervisor closest to SUPERVISOR_REPORTS reports,
    preferring more reports on a tie, then the lowest id."""
    teams = list(
        StaffProfile.objects.filter(
            is_active=True,
            line_supervisor__isnull=False,
            department__kind=Department.Kind.NON_MARKETING,
        )
        .values_list("line_supervisor")
        .annotate(reports=Count("pk"))
        .order_by("line_supervisor")
    )
    if not teams:
        raise SystemExit("No line supervisor with reports: is the database seeded?")
    return min(teams, key=lambda team: (abs(team[1] - SUPERVISOR_REPORTS), -team[1], team[0]))


def find() -> Subjects:
    User = get_user_model()  # noqa: N806 - Django's idiom
    supervisor_id, reports = _supervisor()
    period = (
        PayoutPeriod.objects.filter(status=PayoutPeriod.Status.CALCULATED)
        .order_by("-start_date")
        .first()
    )
    if period is None:
        raise SystemExit("No calculated payout period: is the database seeded?")
    team = StaffProfile.objects.filter(line_supervisor_id=supervisor_id, is_active=True)
    # The report with the richest statement of that month, so the page shows real lines.
    statement = (
        Statement.objects.filter(period=period, staff__in=team)
        .annotate(line_count=Count("lines"))
        .order_by("-line_count", "staff_id")
        .select_related("staff__user")
        .first()
    )
    if statement is None:
        statement = (
            Statement.objects.filter(period=period, staff__user__isnull=False)
            .annotate(line_count=Count("lines"))
            .order_by("-line_count", "pk")
            .select_related("staff__user")
            .first()
        )
    if statement is None:
        raise SystemExit(f"No statement in {period}: is the database seeded?")
    admin = (
        User.objects.filter(is_active=True)
        .filter(Q(username="scale-admin") | Q(is_superuser=True) | Q(groups__name=ADMIN_GROUP))
        .order_by(
            Case(
                When(username="scale-admin", then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            ),
            "pk",
        )
        .first()
    )
    if admin is None:
        raise SystemExit("No admin user: is the database seeded?")
    return Subjects(
        staff=statement.staff.user,
        supervisor=User.objects.get(pk=supervisor_id),
        supervisor_reports=reports,
        admin=admin,
        period=period,
        statement=statement,
    )
