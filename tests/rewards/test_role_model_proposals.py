"""Role-model candidates proposed by the calculation: who, with what score, and what a
recalculation keeps.

A score is hours of approved time + 10 per lead won + 2 per confirmed outcome + 1 per
10,000.00 collected; the expected scores are worked out by hand in the comments."""

import datetime
from decimal import Decimal

from rewards.models import RoleModelCandidate
from rewards.services import payouts
from tests.factories import StaffProfileFactory, UserFactory
from tests.rewards.factories import (
    LeadFactory,
    TimeLogFactory,
    calculate,
    collect,
    month,
)


def person(org, username: str, department=None, *, minutes: int = 0, **profile):
    staff = StaffProfileFactory(
        user=UserFactory(username=username),
        department=department or org.engineering,
        line_supervisor=org.supervisor,
        **profile,
    )
    if minutes:
        TimeLogFactory(staff=staff, day=datetime.date(2026, 3, 2), minutes=minutes)
    return staff


def proposed(period) -> dict[str, tuple]:
    return {
        candidate.staff.user.username: (
            candidate.department.code,
            candidate.approved_minutes,
            candidate.leads_won,
            candidate.revenue_collected,
            candidate.outcomes_confirmed,
            candidate.score,
        )
        for candidate in RoleModelCandidate.objects.filter(period=period).select_related(
            "staff__user", "department"
        )
    }


def test_the_three_best_of_each_department_are_proposed_with_their_figures(org):
    for number, minutes in enumerate([60, 240, 120, 30, 180], start=1):
        person(org, f"eng{number}", minutes=minutes)
    TimeLogFactory(
        staff=person(org, "ops1", org.operations),
        day=datetime.date(2026, 3, 3),
        minutes=90,
        outcome_status="confirmed",
    )
    winner = person(org, "ops2", org.operations)
    lead = LeadFactory(introducer=winner, won_on=datetime.date(2026, 3, 10))
    collect(lead, "25000.00", datetime.date(2026, 3, 20), recorded_by=org.lead)
    collect(lead, "5000.00", datetime.date(2026, 3, 25), recorded_by=org.lead, refund=True)
    person(org, "mkt1", org.marketing, minutes=600)  # marketing staff are never proposed
    person(org, "gone", minutes=600, is_active=False)
    march = month(2026, 3)

    calculate(march)

    assert proposed(march) == {
        "eng2": ("ENG", 240, 0, Decimal("0.00"), 0, Decimal("4.0000")),
        "eng5": ("ENG", 180, 0, Decimal("0.00"), 0, Decimal("3.0000")),
        "eng3": ("ENG", 120, 0, Decimal("0.00"), 0, Decimal("2.0000")),
        # 90 min = 1.5 h + 1 outcome × 2 = 3.5
        "ops1": ("OPS", 90, 0, Decimal("0.00"), 1, Decimal("3.5000")),
        # 1 lead won × 10 + (25000.00 − 5000.00) / 10000 = 12
        "ops2": ("OPS", 0, 1, Decimal("20000.00"), 0, Decimal("12.0000")),
    }


def test_a_score_is_exact_to_the_fourth_place(org):
    person(org, "a", minutes=50)  # 50 / 60 = 0.83333… → 0.8333
    person(org, "b", minutes=70)  # 70 / 60 = 1.16666… → 1.1667
    march = month(2026, 3)

    calculate(march)

    assert {name: figures[-1] for name, figures in proposed(march).items()} == {
        "a": Decimal("0.8333"),
        "b": Decimal("1.1667"),
    }


def test_a_recalculation_keeps_nominations_and_unchanged_proposals_and_replaces_the_rest(org):
    first = person(org, "first", minutes=300)
    person(org, "second", minutes=200)
    person(org, "third", minutes=100)
    march = calculate(month(2026, 3))
    rows = {c.staff_id: c.pk for c in RoleModelCandidate.objects.filter(period=march)}
    RoleModelCandidate.objects.filter(staff=first).update(nominated=True, citation="Best")
    # Late approvals: someone new overtakes "third", and "second" gains an hour.
    person(org, "newcomer", minutes=150)
    second = RoleModelCandidate.objects.get(staff__user__username="second").staff
    TimeLogFactory(staff=second, day=datetime.date(2026, 3, 9), minutes=60)

    assert payouts.role_model_candidates_propose(period=march) == 2

    assert set(proposed(march)) == {"first", "second", "newcomer"}
    nominated = RoleModelCandidate.objects.get(staff=first)
    assert (nominated.pk, nominated.nominated, nominated.citation) == (rows[first.pk], True, "Best")
    assert proposed(march)["second"][1] == 260
    # 260 min = 4.3333 h
    assert proposed(march)["second"][-1] == Decimal("4.3333")

    assert payouts.role_model_candidates_propose(period=march) == 0
    kept = {c.staff_id: c.pk for c in RoleModelCandidate.objects.filter(period=march)}
    assert payouts.role_model_candidates_propose(period=march) == 0
    assert {c.staff_id: c.pk for c in RoleModelCandidate.objects.filter(period=march)} == kept


def test_nobody_without_figures_is_proposed(org):
    person(org, "idle")
    march = month(2026, 3)

    calculate(march)

    assert proposed(march) == {}
