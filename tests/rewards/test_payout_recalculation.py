"""Recalculating a period: what is replaced, what stays, and the cost at any size.

Expected amounts are worked out by hand in the comments."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from rewards.models import Inquiry, PayoutPeriod, RewardLine, RewardRule, Statement
from rewards.services import payouts, signoff
from tests.factories import StaffProfileFactory, UserFactory
from tests.rewards.factories import (
    LeadFactory,
    RewardRuleFactory,
    TimeLogFactory,
    amounts,
    calculate,
    collect,
    month,
    pay,
    snapshot,
    statement_of,
)

CLAWBACK = RewardLine.Source.CLAWBACK


def refund_after_payout(org):
    """20000.00 collected in March and paid (5 % = 1000.00), 8000.00 refunded in April:
    12000.00 × 5 % = 600.00, so April claws back 600.00 − 1000.00 = −400.00."""
    RewardRuleFactory(kind=RewardRule.Kind.DIRECT_REVENUE, percent_of_collected=Decimal("5.00"))
    lead = LeadFactory(introducer=org.staff_profile)
    march, april = month(2026, 3), month(2026, 4)
    collect(lead, "20000.00", datetime.date(2026, 3, 1), recorded_by=org.lead)
    pay(calculate(march), finance=org.finance)
    collect(lead, "8000.00", datetime.date(2026, 4, 5), recorded_by=org.lead, refund=True)
    return april


def test_a_recalculation_replaces_the_clawback_instead_of_adding_another(org):
    april = calculate(refund_after_payout(org))
    assert amounts(april, org.staff_profile, CLAWBACK) == [Decimal("-400.00")]
    first = snapshot(april)

    calculate(april)

    assert amounts(april, org.staff_profile, CLAWBACK) == [Decimal("-400.00")]
    assert statement_of(april, org.staff_profile).total == Decimal("-400.00")
    assert snapshot(april) == first


def test_an_adjustment_stays_next_to_a_recalculated_clawback(org):
    april = calculate(refund_after_payout(org))
    payouts.reward_adjustment_add(
        actor=org.supervisor,
        staff=org.staff_profile,
        period=april,
        amount=Decimal("50.00"),
        reason="Late bonus",
    )

    calculate(april)

    # −400.00 + 50.00 = −350.00
    assert statement_of(april, org.staff_profile).total == Decimal("-350.00")
    assert sorted(statement_of(april, org.staff_profile).lines.values_list("source", "amount")) == [
        ("adjustment", Decimal("50.00")),
        ("clawback", Decimal("-400.00")),
    ]


def test_an_inquiry_goes_with_the_line_it_was_about_when_the_line_changes(org):
    RewardRuleFactory(kind=RewardRule.Kind.SUPPORT, amount_per_approved_hour=Decimal("30.00"))
    TimeLogFactory(staff=org.staff_profile, day=datetime.date(2026, 3, 2), minutes=60)
    march = calculate(month(2026, 3))
    line = statement_of(march, org.staff_profile).lines.get()
    Inquiry.objects.create(line=line, raised_by=org.staff, question="Why only one hour?")
    # Approved late: the hour the inquiry was about is now an hour and a half.
    TimeLogFactory(staff=org.staff_profile, day=datetime.date(2026, 3, 3), minutes=30)

    calculate(march)

    assert not Inquiry.objects.exists()
    assert not RewardLine.objects.filter(pk=line.pk).exists()
    # 90 min × 30.00 / 60 = 45.00
    assert statement_of(march, org.staff_profile).total == Decimal("45.00")


def test_a_recalculation_that_changes_nothing_keeps_the_line_its_inquiry_and_recommendation(
    org,
):
    RewardRuleFactory(kind=RewardRule.Kind.SUPPORT, amount_per_approved_hour=Decimal("30.00"))
    TimeLogFactory(staff=org.staff_profile, day=datetime.date(2026, 3, 2), minutes=60)
    march = calculate(month(2026, 3))
    statement = statement_of(march, org.staff_profile)
    line = statement.lines.get()
    inquiry = Inquiry.objects.create(line=line, raised_by=org.staff, question="Why?")
    signoff.statements_recommend(actor=org.lead, statement_ids=[statement.pk])
    before = Statement.objects.values().get(pk=statement.pk)

    calculate(march)

    assert Inquiry.objects.get() == inquiry
    assert statement.lines.get().pk == line.pk
    after = Statement.objects.values().get(pk=statement.pk)
    assert after == before
    assert after["status"] == Statement.Status.RECOMMENDED
    # 60 min × 30.00 / 60 = 30.00
    assert after["total"] == Decimal("30.00")


def people(org, count: int, start: int) -> None:
    """``count`` people with one approved hour each in March."""
    for number in range(start, start + count):
        profile = StaffProfileFactory(
            user=UserFactory(username=f"person{number}"),
            department=org.engineering,
            line_supervisor=org.supervisor,
        )
        TimeLogFactory(staff=profile, day=datetime.date(2026, 3, 2 + number % 20), minutes=60)


def calculation_queries(period) -> int:
    with CaptureQueriesContext(connection) as queries:
        payouts.payout_period_calculate(period_id=period.pk)
    return len(queries)


def raise_the_rate(rule) -> None:
    """Every support line changes with it: the next run writes everyone's statement."""
    RewardRule.objects.filter(pk=rule.pk).update(
        amount_per_approved_hour=F("amount_per_approved_hour") + 1
    )


@pytest.mark.django_db(transaction=True)
def test_the_number_of_queries_depends_on_the_batches_not_on_the_people(org, settings):
    """A recalculation that changes 3 statements costs what one that changes 12 costs when
    they fit in one batch; each further batch adds the same number of queries. A run that
    changes nothing writes no batch at all, however many people there are."""
    rule = RewardRuleFactory(
        kind=RewardRule.Kind.SUPPORT, amount_per_approved_hour=Decimal("30.00")
    )
    settings.ALLHANDS_PAYOUT_BATCH = 20
    march = month(2026, 3)
    people(org, 3, 0)
    calculate(march)
    unchanged = calculation_queries(march)
    raise_the_rate(rule)
    three = calculation_queries(march)
    assert three > unchanged
    people(org, 9, 3)
    first_of_twelve = calculation_queries(march)  # creates 9 statements
    raise_the_rate(rule)
    assert calculation_queries(march) == three
    assert first_of_twelve > three
    people(org, 20, 12)
    calculation_queries(march)
    raise_the_rate(rule)
    two_batches = calculation_queries(march)
    assert two_batches > three
    people(org, 8, 32)
    calculation_queries(march)
    raise_the_rate(rule)
    assert calculation_queries(march) == two_batches
    assert calculation_queries(march) == unchanged
    settings.ALLHANDS_PAYOUT_BATCH = 40
    raise_the_rate(rule)
    assert calculation_queries(march) == three
    assert Statement.objects.filter(period=march).count() == 40
    # 60 min × (30.00 + 5 × 1.00) / 60 = 35.00 each
    assert set(Statement.objects.filter(period=march).values_list("total", flat=True)) == {
        Decimal("35.00")
    }


def test_an_explanation_is_written_exactly_whatever_the_client_is_called(org):
    """The lines are written in bulk (COPY on PostgreSQL): a client's name with a
    backslash, a tab, a line break, quotes or Chinese comes back as it was typed."""
    RewardRuleFactory(kind=RewardRule.Kind.DIRECT_REVENUE, percent_of_collected=Decimal("5.00"))
    name = 'A\\B\tC\nD\r"E" \\N 北京客户'
    lead = LeadFactory(introducer=org.staff_profile, client_name=name)
    collect(lead, "1000.00", datetime.date(2026, 3, 3), recorded_by=org.lead)
    march = calculate(month(2026, 3))

    line = statement_of(march, org.staff_profile).lines.get()
    # 1000.00 × 5 % = 50.00
    assert (line.source, line.amount, line.lead_id) == ("lead", Decimal("50.00"), lead.pk)
    assert line.explanation["client"] == name
    assert line.explanation["collected"] == "1000.00"
    assert line.reason == ""
    assert line.created_by is None
    assert line.created_at is not None


def synchronous_commit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_only_the_calculations_own_batches_commit_without_waiting_for_the_disk(org, monkeypatch):
    RewardRuleFactory(kind=RewardRule.Kind.SUPPORT, amount_per_approved_hour=Decimal("30.00"))
    TimeLogFactory(staff=org.staff_profile, day=datetime.date(2026, 3, 2), minutes=60)
    march = month(2026, 3)
    seen = []
    real = payouts._insert_lines

    def spy(rows):
        seen.append(synchronous_commit())
        return real(rows)

    monkeypatch.setattr(payouts, "_insert_lines", spy)

    calculate(march)
    assert seen == ["off"]
    assert synchronous_commit() == "on"

    draft = payouts.LineDraft(source="support_time", amount=Decimal("15.00"), explanation={})
    with transaction.atomic():
        payouts.statement_calculate(
            period=march, staff_id=org.other_staff.profile.pk, lines=[draft], run=5
        )
        assert seen == ["off", "on"]
        assert synchronous_commit() == "on"


@pytest.mark.django_db(transaction=True)
def test_a_first_run_writes_each_new_statement_once_with_its_total_and_run(org):
    RewardRuleFactory(kind=RewardRule.Kind.SUPPORT, amount_per_approved_hour=Decimal("30.00"))
    TimeLogFactory(staff=org.staff_profile, day=datetime.date(2026, 3, 2), minutes=90)
    march = month(2026, 3)
    payouts.payout_period_close(actor=None, period=march)
    run = 3
    PayoutPeriod.objects.filter(pk=march.pk).update(calculation_run=run)

    with CaptureQueriesContext(connection) as queries:
        payouts.payout_period_calculate(period_id=march.pk, run=run)

    statement = statement_of(march, org.staff_profile)
    # 90 min × 30.00 / 60 = 45.00
    assert (statement.total, statement.status, statement.calculated_run) == (
        Decimal("45.00"),
        Statement.Status.DRAFT,
        run,
    )
    assert (statement.recommended_by, statement.recommended_at) == (None, None)
    written = [q["sql"] for q in queries if q["sql"].startswith('UPDATE "rewards_statement"')]
    assert written == []

    # Time approved late: a recalculation updates the statement written above.
    TimeLogFactory(staff=org.staff_profile, day=datetime.date(2026, 3, 3), minutes=30)
    calculate(march)
    statement.refresh_from_db()
    assert statement.total == Decimal("60.00")  # 120 min × 30.00 / 60


def test_only_a_run_that_changed_statements_tells_the_approvers(
    org, monkeypatch, django_capture_on_commit_callbacks
):
    RewardRuleFactory(kind=RewardRule.Kind.SUPPORT, amount_per_approved_hour=Decimal("30.00"))
    TimeLogFactory(staff=org.staff_profile, day=datetime.date(2026, 3, 2), minutes=60)
    march = month(2026, 3)
    told = []
    monkeypatch.setattr(payouts, "_queue_statements_ready", told.append)

    for _run in range(2):  # the second changes nothing
        with django_capture_on_commit_callbacks(execute=True):
            calculate(march)
    assert told == [march.pk]

    TimeLogFactory(staff=org.staff_profile, day=datetime.date(2026, 3, 3), minutes=30)
    with django_capture_on_commit_callbacks(execute=True):
        calculate(march)
    assert told == [march.pk, march.pk]


def test_an_approved_statement_with_late_figures_is_no_change_to_tell(
    org, monkeypatch, django_capture_on_commit_callbacks
):
    RewardRuleFactory(kind=RewardRule.Kind.SUPPORT, amount_per_approved_hour=Decimal("30.00"))
    TimeLogFactory(staff=org.staff_profile, day=datetime.date(2026, 3, 2), minutes=60)
    TimeLogFactory(staff=org.outsider.profile, day=datetime.date(2026, 3, 2), minutes=60)
    march = calculate(month(2026, 3))
    statement = statement_of(march, org.staff_profile)
    signoff.statements_recommend(actor=org.lead, statement_ids=[statement.pk])
    signoff.statements_approve(actor=org.supervisor, statement_ids=[statement.pk])
    TimeLogFactory(staff=org.staff_profile, day=datetime.date(2026, 3, 3), minutes=30)
    told = []
    monkeypatch.setattr(payouts, "_queue_statements_ready", told.append)

    with django_capture_on_commit_callbacks(execute=True):
        calculate(march)

    march.refresh_from_db()
    assert (march.status, march.calculation_state) == (
        PayoutPeriod.Status.CALCULATED,
        PayoutPeriod.CalculationState.DONE,
    )
    assert told == []
    statement.refresh_from_db()
    # Still the approved 60 min × 30.00 / 60 = 30.00.
    assert (statement.status, statement.total) == (Statement.Status.APPROVED, Decimal("30.00"))


def test_a_statement_of_manual_lines_alone_keeps_its_recommendation_through_a_recalculation(
    org,
):
    RewardRuleFactory(kind=RewardRule.Kind.SUPPORT, amount_per_approved_hour=Decimal("30.00"))
    TimeLogFactory(staff=org.staff_profile, day=datetime.date(2026, 3, 2), minutes=60)
    march = calculate(month(2026, 3))
    payouts.reward_adjustment_add(
        actor=org.supervisor,
        staff=org.outsider.profile,
        period=march,
        amount=Decimal("25.00"),
        reason="Stood in at the trade fair",
    )
    statement = statement_of(march, org.outsider.profile)
    signoff.statements_recommend(actor=org.lead, statement_ids=[statement.pk])

    calculate(march)

    statement.refresh_from_db()
    assert (statement.status, statement.total) == (
        Statement.Status.RECOMMENDED,
        Decimal("25.00"),
    )
