"""Two-step sign-off of statements (the marketing lead recommends, the line supervisor or
their active delegate approves), the period's approval and payment, and what a paid
period refuses."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from departments.models import Delegation
from rewards.models import PayoutPeriod, RewardLine, RewardRule, Statement
from rewards.services import payouts, signoff
from tasks.history import history_of
from tests.factories import StaffProfileFactory, UserFactory
from tests.rewards.factories import (
    RewardRuleFactory,
    TimeLogFactory,
    calculate,
    month,
    pay,
    snapshot,
)

MARCH_2 = datetime.date(2026, 3, 2)
DRAFT = Statement.Status.DRAFT
RECOMMENDED = Statement.Status.RECOMMENDED
RETURNED = Statement.Status.RETURNED
APPROVED = Statement.Status.APPROVED
PAID = Statement.Status.PAID


@pytest.fixture
def march(org):
    """March calculated: the staff member (Engineering) earned 30.00, the other team's
    staff member (Operations) 60.00."""
    RewardRuleFactory(kind=RewardRule.Kind.SUPPORT, amount_per_approved_hour=Decimal("30.00"))
    TimeLogFactory(staff=org.staff_profile, day=MARCH_2, minutes=60)
    TimeLogFactory(staff=org.other_staff.profile, day=MARCH_2, minutes=120)
    return calculate(month(2026, 3))


@pytest.fixture
def mine(org, march):
    return Statement.objects.get(period=march, staff=org.staff_profile)


@pytest.fixture
def theirs(org, march):
    return Statement.objects.get(period=march, staff=org.other_staff.profile)


def status(*statements) -> list[str]:
    return [Statement.objects.get(pk=statement.pk).status for statement in statements]


def recommend(org, *statements):
    signoff.statements_recommend(actor=org.lead, statement_ids=[s.pk for s in statements])


def test_the_fixture_statements(mine, theirs):
    assert (mine.total, theirs.total) == (Decimal("30.00"), Decimal("60.00"))
    assert status(mine, theirs) == [DRAFT, DRAFT]


class TestRecommend:
    def test_the_marketing_lead_recommends(self, org, mine, theirs):
        assert signoff.statements_recommend(actor=org.lead, statement_ids=[mine.pk, theirs.pk]) == 2

        mine.refresh_from_db()
        assert status(mine, theirs) == [RECOMMENDED, RECOMMENDED]
        assert mine.recommended_by == org.lead
        assert mine.recommended_at is not None
        change = history_of(mine).get()
        assert (change.from_state, change.to_state, change.actor) == (
            "draft",
            "recommended",
            org.lead,
        )

    @pytest.mark.parametrize(
        "name",
        ["supervisor", "delegate", "other_supervisor", "outsider", "staff", "finance", "admin"],
    )
    def test_nobody_else_recommends(self, org, mine, name):
        with pytest.raises(PermissionDenied):
            signoff.statements_recommend(actor=getattr(org, name), statement_ids=[mine.pk])

        assert status(mine) == [DRAFT]
        assert not history_of(mine).exists()

    def test_a_batch_with_one_foreign_statement_fails_as_a_whole(self, org, march, mine):
        second_lead = StaffProfileFactory(
            user=UserFactory(username="second_lead"),
            department=org.marketing,
            is_marketing_lead=True,
        ).user
        foreign = StaffProfileFactory(
            department=org.engineering, line_supervisor=org.supervisor, marketing_lead=second_lead
        )
        TimeLogFactory(staff=foreign, day=MARCH_2, minutes=30)
        calculate(march)
        theirs = Statement.objects.get(staff=foreign)

        with pytest.raises(PermissionDenied):
            signoff.statements_recommend(actor=org.lead, statement_ids=[mine.pk, theirs.pk])

        assert status(mine, theirs) == [DRAFT, DRAFT]

    def test_a_recommended_statement_cannot_be_recommended_again(self, org, mine):
        recommend(org, mine)

        with pytest.raises(ValidationError):
            recommend(org, mine)

    def test_nothing_selected_is_refused(self, org, march):
        with pytest.raises(ValidationError):
            signoff.statements_recommend(actor=org.lead, statement_ids=[])

    def test_a_statement_gone_meanwhile_stops_the_batch(self, org, mine):
        with pytest.raises(ValidationError):
            signoff.statements_recommend(actor=org.lead, statement_ids=[mine.pk, mine.pk + 999])
        assert status(mine) == [DRAFT]


class TestApprove:
    @pytest.mark.parametrize("name", ["supervisor", "delegate"])
    def test_the_line_supervisor_or_their_delegate_approves(self, org, mine, name):
        recommend(org, mine)

        assert signoff.statements_approve(actor=getattr(org, name), statement_ids=[mine.pk]) == 1

        mine.refresh_from_db()
        assert (mine.status, mine.approved_by) == (APPROVED, getattr(org, name))
        assert mine.approved_at is not None
        assert [c.to_state for c in history_of(mine)] == ["recommended", "approved"]

    @pytest.mark.parametrize("name", ["other_supervisor", "outsider", "staff", "lead", "finance"])
    def test_nobody_else_approves(self, org, mine, name):
        recommend(org, mine)

        with pytest.raises(PermissionDenied):
            signoff.statements_approve(actor=getattr(org, name), statement_ids=[mine.pk])

        assert status(mine) == [RECOMMENDED]

    def test_a_delegate_never_approves_their_own_statement(self, org, march):
        delegate = org.delegate.profile
        delegate.line_supervisor = org.supervisor
        delegate.marketing_lead = org.lead
        delegate.save()
        TimeLogFactory(staff=delegate, day=MARCH_2, minutes=30)
        calculate(march)
        own = Statement.objects.get(staff=delegate)
        recommend(org, own)

        with pytest.raises(PermissionDenied):
            signoff.statements_approve(actor=org.delegate, statement_ids=[own.pk])

        signoff.statements_approve(actor=org.supervisor, statement_ids=[own.pk])
        assert status(own) == [APPROVED]

    def test_an_ended_delegation_gives_no_right_to_approve(self, org, mine):
        former = StaffProfileFactory(department=org.engineering).user
        Delegation.objects.create(
            delegator=org.supervisor,
            delegate=former,
            start_date=datetime.date(2020, 1, 1),
            end_date=datetime.date(2020, 12, 31),
        )
        recommend(org, mine)

        with pytest.raises(PermissionDenied):
            signoff.statements_approve(actor=former, statement_ids=[mine.pk])

    def test_a_draft_waits_for_the_marketing_leads_recommendation(self, org, mine):
        with pytest.raises(ValidationError):
            signoff.statements_approve(actor=org.supervisor, statement_ids=[mine.pk])
        assert status(mine) == [DRAFT]

    def test_a_person_without_a_marketing_lead_needs_no_recommendation(self, org, march):
        loner = StaffProfileFactory(department=org.engineering, line_supervisor=org.supervisor)
        TimeLogFactory(staff=loner, day=MARCH_2, minutes=30)
        calculate(march)
        statement = Statement.objects.get(staff=loner)

        signoff.statements_approve(actor=org.supervisor, statement_ids=[statement.pk])

        assert status(statement) == [APPROVED]

    def test_a_batch_with_one_foreign_statement_fails_as_a_whole(self, org, mine, theirs):
        recommend(org, mine, theirs)

        with pytest.raises(PermissionDenied):
            signoff.statements_approve(actor=org.supervisor, statement_ids=[mine.pk, theirs.pk])

        assert status(mine, theirs) == [RECOMMENDED, RECOMMENDED]

    def test_an_approved_statement_cannot_be_approved_again(self, org, mine):
        recommend(org, mine)
        signoff.statements_approve(actor=org.supervisor, statement_ids=[mine.pk])

        with pytest.raises(ValidationError):
            signoff.statements_approve(actor=org.delegate, statement_ids=[mine.pk])
        mine.refresh_from_db()
        assert mine.approved_by == org.supervisor


class TestReturn:
    @pytest.mark.parametrize("note", ["", "   "])
    def test_a_return_needs_a_note(self, org, mine, note):
        recommend(org, mine)

        with pytest.raises(ValidationError) as caught:
            signoff.statements_return(actor=org.supervisor, statement_ids=[mine.pk], note=note)

        assert "note" in caught.value.message_dict
        assert status(mine) == [RECOMMENDED]

    def test_the_supervisor_returns_a_recommended_statement_to_the_lead(self, org, mine):
        recommend(org, mine)

        signoff.statements_return(
            actor=org.supervisor, statement_ids=[mine.pk], note="  The task was not done.  "
        )

        mine.refresh_from_db()
        assert (mine.status, mine.returned_note) == (RETURNED, "The task was not done.")
        assert (mine.recommended_by, mine.recommended_at) == (None, None)
        change = history_of(mine).last()
        assert (change.to_state, change.actor, change.reason) == (
            "returned",
            org.supervisor,
            "The task was not done.",
        )

        recommend(org, mine)
        mine.refresh_from_db()
        assert (mine.status, mine.returned_note) == (RECOMMENDED, "")

    def test_the_lead_returns_a_draft(self, org, mine):
        signoff.statements_return(actor=org.lead, statement_ids=[mine.pk], note="Check the hours")

        assert status(mine) == [RETURNED]

    @pytest.mark.parametrize("name", ["other_supervisor", "outsider", "staff", "finance"])
    def test_nobody_else_returns(self, org, mine, name):
        with pytest.raises(PermissionDenied):
            signoff.statements_return(
                actor=getattr(org, name), statement_ids=[mine.pk], note="Not like this"
            )
        assert status(mine) == [DRAFT]

    def test_an_approved_statement_is_not_returned(self, org, mine):
        recommend(org, mine)
        signoff.statements_approve(actor=org.supervisor, statement_ids=[mine.pk])

        with pytest.raises(ValidationError):
            signoff.statements_return(actor=org.supervisor, statement_ids=[mine.pk], note="Oops")
        assert status(mine) == [APPROVED]


class TestChangesAfterARecommendation:
    def test_an_adjustment_sends_a_recommended_statement_back_to_draft(self, org, march, mine):
        recommend(org, mine)

        payouts.reward_adjustment_add(
            actor=org.supervisor,
            staff=org.staff_profile,
            period=march,
            amount=Decimal("12.00"),
            reason="Stood in at the fair",
        )

        mine.refresh_from_db()
        # 30.00 + 12.00 = 42.00, to be recommended again
        assert (mine.status, mine.total) == (DRAFT, Decimal("42.00"))
        assert (mine.recommended_by, mine.recommended_at) == (None, None)
        with pytest.raises(ValidationError):
            signoff.statements_approve(actor=org.supervisor, statement_ids=[mine.pk])
        recommend(org, mine)
        signoff.statements_approve(actor=org.supervisor, statement_ids=[mine.pk])
        assert status(mine) == [APPROVED]

    def test_an_approved_statement_takes_no_adjustment(self, org, march, mine):
        recommend(org, mine)
        signoff.statements_approve(actor=org.supervisor, statement_ids=[mine.pk])

        with pytest.raises(ValidationError):
            payouts.reward_adjustment_add(
                actor=org.supervisor,
                staff=org.staff_profile,
                period=march,
                amount=Decimal("12.00"),
                reason="Stood in at the fair",
            )
        mine.refresh_from_db()
        assert (mine.status, mine.total) == (APPROVED, Decimal("30.00"))

    @pytest.mark.parametrize("name", ["lead", "outsider", "staff", "other_supervisor"])
    def test_only_the_line_supervisor_or_an_admin_adjusts(self, org, march, mine, name):
        with pytest.raises(PermissionDenied):
            payouts.reward_adjustment_add(
                actor=getattr(org, name),
                staff=org.staff_profile,
                period=march,
                amount=Decimal("12.00"),
                reason="Stood in at the fair",
            )
        payouts.reward_adjustment_add(
            actor=org.admin,
            staff=org.staff_profile,
            period=march,
            amount=Decimal("12.00"),
            reason="Stood in at the fair",
        )
        mine.refresh_from_db()
        assert mine.total == Decimal("42.00")


class TestPeriod:
    def test_the_period_is_approved_when_its_last_statement_is(self, org, march, mine, theirs):
        recommend(org, mine, theirs)

        signoff.statements_approve(actor=org.supervisor, statement_ids=[mine.pk])
        march.refresh_from_db()
        assert march.status == PayoutPeriod.Status.CALCULATED

        signoff.statements_approve(actor=org.other_supervisor, statement_ids=[theirs.pk])
        march.refresh_from_db()
        assert march.status == PayoutPeriod.Status.APPROVED
        assert march.approved_by == org.other_supervisor
        assert march.approved_at is not None
        change = history_of(march).last()
        assert (change.from_state, change.to_state, change.actor, change.reason) == (
            "calculated",
            "approved",
            org.other_supervisor,
            "all statements approved",
        )

    def test_only_an_approved_period_is_marked_paid(self, org, march, mine, theirs):
        with pytest.raises(ValidationError):
            payouts.payout_period_mark_paid(actor=org.finance, period=march)

        recommend(org, mine, theirs)
        signoff.statements_approve(actor=org.supervisor, statement_ids=[mine.pk])
        signoff.statements_approve(actor=org.other_supervisor, statement_ids=[theirs.pk])
        with pytest.raises(PermissionDenied):
            payouts.payout_period_mark_paid(actor=org.supervisor, period=march)

        payouts.payout_period_mark_paid(actor=org.finance, period=march)

        march.refresh_from_db()
        assert (march.status, march.paid_by) == (PayoutPeriod.Status.PAID, org.finance)
        assert march.paid_at is not None
        assert status(mine, theirs) == [PAID, PAID]
        with pytest.raises(ValidationError):
            payouts.payout_period_mark_paid(actor=org.finance, period=march)


@pytest.fixture
def paid(org, march):
    return pay(march, finance=org.finance)


class TestPaidPeriod:
    def test_no_adjustment_goes_into_a_paid_period(self, org, paid):
        with pytest.raises(ValidationError, match="paid"):
            payouts.reward_adjustment_add(
                actor=org.supervisor,
                staff=org.staff_profile,
                period=paid,
                amount=Decimal("10.00"),
                reason="Forgot the fair",
            )
        assert not RewardLine.objects.filter(source=RewardLine.Source.ADJUSTMENT).exists()

    def test_a_paid_period_is_not_recalculated(self, org, paid):
        before = snapshot(paid)
        TimeLogFactory(staff=org.staff_profile, day=datetime.date(2026, 3, 3), minutes=600)

        with pytest.raises(ValidationError):
            payouts.payout_period_request_calculation(actor=org.finance, period=paid)
        # The job itself, if it ever ran, changes nothing either.
        assert payouts.payout_period_calculate(period_id=paid.pk) == {"skipped": "period is paid"}

        assert snapshot(paid) == before
        paid.refresh_from_db()
        assert paid.status == PayoutPeriod.Status.PAID

    @pytest.mark.parametrize(
        ("action", "name", "extra"),
        [
            (signoff.statements_recommend, "lead", {}),
            (signoff.statements_approve, "supervisor", {}),
            (signoff.statements_return, "supervisor", {"note": "Too late"}),
        ],
    )
    def test_a_paid_statement_is_not_signed_off_again(self, org, paid, mine, action, name, extra):
        with pytest.raises(ValidationError):
            action(actor=getattr(org, name), statement_ids=[mine.pk], **extra)
        assert status(mine) == [PAID]

    def test_an_approved_period_refuses_changes_too(self, org, march, mine, theirs):
        recommend(org, mine, theirs)
        signoff.statements_approve(actor=org.supervisor, statement_ids=[mine.pk])
        signoff.statements_approve(actor=org.other_supervisor, statement_ids=[theirs.pk])

        with pytest.raises(ValidationError):
            payouts.reward_adjustment_add(
                actor=org.supervisor,
                staff=org.staff_profile,
                period=march,
                amount=Decimal("10.00"),
                reason="Forgot the fair",
            )
        with pytest.raises(ValidationError):
            payouts.payout_period_request_calculation(actor=org.finance, period=march)

    def test_a_correction_goes_into_the_next_open_period(self, org, paid):
        later = payouts.next_open_period(after=paid.start_date)

        assert later.start_date == datetime.date(2026, 4, 1)
        assert later.status == PayoutPeriod.Status.OPEN
        line = payouts.reward_adjustment_add(
            actor=org.supervisor,
            staff=org.staff_profile,
            period=later,
            amount=Decimal("-5.00"),
            reason="March overpaid by 5.00",
        )
        assert line.statement.period == later
        assert line.statement.total == Decimal("-5.00")

    def test_the_next_open_period_skips_every_paid_one(self, org, paid):
        april = month(2026, 4)
        TimeLogFactory(staff=org.staff_profile, day=datetime.date(2026, 4, 2), minutes=60)
        pay(calculate(april), finance=org.finance)

        later = payouts.next_open_period(after=paid.start_date)

        assert later.start_date == datetime.date(2026, 5, 1)
        assert later.end_date == datetime.date(2026, 5, 31)
