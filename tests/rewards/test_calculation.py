"""The reward calculation, money exact to the fen.

Every expected amount below is worked out by hand (the working is in the comment next
to it) and written as a ``Decimal`` literal: nothing is recomputed with the formula
under test.  The periods are months of 2026; each is closed the day after its last day.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from rewards.explanations import explain
from rewards.models import CreditShare, PayoutPeriod, RewardLine, RewardRule, Statement
from rewards.services import payouts
from tasks.models import TaskAssignment, TimeLog
from tests.factories import StaffProfileFactory, UserFactory
from tests.rewards.factories import (
    DIRECT,
    AssistCategoryFactory,
    CreditShareFactory,
    LeadFactory,
    MarketingTaskFactory,
    RewardRuleFactory,
    RewardTierFactory,
    TaskAssignmentFactory,
    TimeLogFactory,
    amounts,
    calculate,
    collect,
    local,
    month,
    pay,
    statement_of,
)

SUPPORT_TIME = RewardLine.Source.SUPPORT_TIME
TASK = RewardLine.Source.TASK
CAP = RewardLine.Source.SUPPORT_CAP
LEAD = RewardLine.Source.LEAD
CLAWBACK = RewardLine.Source.CLAWBACK
ADJUSTMENT = RewardLine.Source.ADJUSTMENT


def day(month_number: int, day_number: int) -> datetime.date:
    return datetime.date(2026, month_number, day_number)


def colleague(org, username: str):
    """Another report of ``org.supervisor`` with ``org.lead`` as marketing lead."""
    return StaffProfileFactory(
        user=UserFactory(username=username),
        department=org.engineering,
        line_supervisor=org.supervisor,
        marketing_lead=org.lead,
    )


def support_rule(**rates) -> RewardRule:
    return RewardRuleFactory(kind=RewardRule.Kind.SUPPORT, **rates)


def revenue_rule(**terms) -> RewardRule:
    return RewardRuleFactory(kind=RewardRule.Kind.DIRECT_REVENUE, **terms)


def complete_task(
    user, at: datetime.datetime, *, created_by, code=None, title="Call the client", **assignment
):
    category = {"category": AssistCategoryFactory(code=code)} if code else {}
    task = MarketingTaskFactory(created_by=created_by, title=title, **category)
    return TaskAssignmentFactory(task=task, assignee=user, responded_at=at, **assignment)


@pytest.fixture
def march(org):
    return month(2026, 3)


# --------------------------------------------------------------------------- support work


class TestSupportTime:
    def test_each_rate_applies_to_the_days_it_was_in_force(self, org, march):
        support_rule(effective_from=day(1, 1), amount_per_approved_hour=Decimal("30.00"))
        support_rule(effective_from=day(3, 16), amount_per_approved_hour=Decimal("36.00"))
        profile = org.staff_profile
        TimeLogFactory(staff=profile, day=day(3, 2), minutes=90)
        TimeLogFactory(staff=profile, day=day(3, 15), minutes=60)  # last day of the old rate
        TimeLogFactory(staff=profile, day=day(3, 16), minutes=45)  # first day of the new rate
        TimeLogFactory(staff=profile, day=day(3, 31), minutes=100)
        TimeLogFactory(staff=profile, day=day(2, 28), minutes=600)  # February
        TimeLogFactory(staff=profile, day=day(4, 1), minutes=600)  # April

        calculate(march)

        # old: 90 + 60 = 150 min = 2.5 h × 30.00 = 75.00
        # new: 45 + 100 = 145 min × 36.00 / 60 = 145 × 0.60 = 87.00
        assert amounts(march, profile) == [Decimal("75.00"), Decimal("87.00")]
        assert statement_of(march, profile).total == Decimal("162.00")
        lines = RewardLine.objects.filter(statement__staff=profile).order_by("pk")
        assert [line.explanation for line in lines] == [
            {
                "minutes": 150,
                "hours": "2.50",
                "rate": "30.00",
                "rule_from": "2026-01-01",
            },
            {
                "minutes": 145,
                "hours": "2.42",
                "rate": "36.00",
                "rule_from": "2026-03-16",
            },
        ]

    def test_days_before_the_first_rule_earn_nothing(self, org, march):
        support_rule(effective_from=day(3, 20), amount_per_approved_hour=Decimal("30.00"))
        TimeLogFactory(staff=org.staff_profile, day=day(3, 19), minutes=120)
        TimeLogFactory(staff=org.staff_profile, day=day(3, 20), minutes=20)

        calculate(march)

        # 20 min × 30.00 / 60 = 10.00
        assert amounts(march, org.staff_profile) == [Decimal("10.00")]

    def test_only_approved_minutes_of_support_categories_count(self, org, march):
        support_rule(amount_per_approved_hour=Decimal("30.00"))
        profile = org.staff_profile
        TimeLogFactory(staff=profile, day=day(3, 2), minutes=60)
        TimeLogFactory(staff=profile, day=day(3, 3), minutes=30, status=TimeLog.Status.SUBMITTED)
        TimeLogFactory(staff=profile, day=day(3, 4), minutes=45, status=TimeLog.Status.REJECTED)
        TimeLogFactory(
            staff=profile, day=day(3, 5), minutes=120, category=AssistCategoryFactory(code=DIRECT)
        )

        calculate(march)

        # 60 approved support minutes × 30.00 / 60 = 30.00
        assert amounts(march, profile) == [Decimal("30.00")]
        assert RewardLine.objects.get().explanation["minutes"] == 60

    def test_minutes_are_rounded_once_per_rate_not_once_per_day(self, org, march):
        support_rule(amount_per_approved_hour=Decimal("19.99"))
        for number in (2, 3, 4):
            TimeLogFactory(staff=org.staff_profile, day=day(3, number), minutes=10)

        calculate(march)

        # 30 min × 19.99 / 60 = 9.995 → 10.00 (per day it would be 3 × 3.33 = 9.99)
        assert amounts(march, org.staff_profile) == [Decimal("10.00")]

    @pytest.mark.parametrize(
        ("minutes", "rate", "expected"),
        [
            (50, "19.99", "16.66"),  # 999.5 / 60 = 16.6583…
            (30, "3.65", "1.83"),  # 109.5 / 60 = 1.825 exactly: half up (half even gives 1.82)
            (3, "0.10", "0.01"),  # 0.3 / 60 = 0.005 exactly: half up
            (59, "0.01", "0.01"),  # 0.59 / 60 = 0.00983…
            (1440, "999999.99", "23999999.76"),  # 24 h × 999999.99: large and still exact
        ],
    )
    def test_it_rounds_half_up_to_the_fen(self, org, march, minutes, rate, expected):
        support_rule(amount_per_approved_hour=Decimal(rate))
        TimeLogFactory(staff=org.staff_profile, day=day(3, 2), minutes=minutes)

        calculate(march)

        amount = statement_of(march, org.staff_profile).total
        assert amounts(march, org.staff_profile) == [Decimal(expected)]
        assert amount == Decimal(expected)
        assert isinstance(amount, Decimal)

    def test_a_line_that_rounds_to_nothing_is_left_out(self, org, march):
        """1 min × 0.05 / 60 = 0.00083 → 0.00: no zero line, and so no statement that two
        people would have to sign off for nothing."""
        support_rule(amount_per_approved_hour=Decimal("0.05"))
        TimeLogFactory(staff=org.staff_profile, day=day(3, 2), minutes=1)

        calculate(march)

        assert not Statement.objects.exists()
        assert march.status == PayoutPeriod.Status.CALCULATED


class TestCompletedTasks:
    def test_a_completed_task_earns_the_rate_in_force_on_the_local_day_it_was_completed(
        self, org, march
    ):
        support_rule(effective_from=day(1, 1), amount_per_completed_task=Decimal("20.00"))
        support_rule(effective_from=day(3, 16), amount_per_completed_task=Decimal("25.00"))
        lead = org.lead
        complete_task(org.staff, local(2026, 3, 12, 15), created_by=lead)
        # 23:50 in Shanghai is 15:50 UTC: still 31 March here.
        late = complete_task(org.staff, local(2026, 3, 31, 23, 50), created_by=lead)
        # 00:10 on 1 April in Shanghai is still 31 March in UTC: April's.
        complete_task(org.staff, local(2026, 4, 1, 0, 10), created_by=lead)
        complete_task(
            org.staff,
            local(2026, 3, 13),
            created_by=lead,
            status=TaskAssignment.Status.STARTED,
        )
        complete_task(
            org.staff,
            local(2026, 3, 14),
            created_by=lead,
            status=TaskAssignment.Status.DECLINED,
        )

        calculate(march)

        # 20.00 (12 March, old rate) + 25.00 (31 March, new rate) = 45.00
        assert amounts(march, org.staff_profile, TASK) == [Decimal("20.00"), Decimal("25.00")]
        assert statement_of(march, org.staff_profile).total == Decimal("45.00")
        line = RewardLine.objects.get(amount=Decimal("25.00"))
        assert line.explanation["task"] == late.task_id
        assert line.explanation["completed_on"] == "2026-03-31"

    def test_a_completed_direct_revenue_task_earns_no_support_reward(self, org, march):
        """Introducing business is rewarded through the lead's collections, not per task."""
        support_rule(amount_per_completed_task=Decimal("20.00"))
        complete_task(org.staff, local(2026, 3, 12), created_by=org.lead, code=DIRECT)
        complete_task(org.staff, local(2026, 3, 13), created_by=org.lead)

        calculate(march)

        assert amounts(march, org.staff_profile) == [Decimal("20.00")]


class TestMonthlyCap:
    def test_a_negative_cap_line_brings_the_support_total_down_to_the_cap(self, org, march):
        support_rule(
            amount_per_approved_hour=Decimal("30.00"),
            amount_per_completed_task=Decimal("20.00"),
            monthly_cap_per_person=Decimal("100.00"),
        )
        profile = org.staff_profile
        TimeLogFactory(staff=profile, day=day(3, 2), minutes=120)
        TimeLogFactory(staff=profile, day=day(3, 3), minutes=60)
        complete_task(org.staff, local(2026, 3, 5), created_by=org.lead)
        complete_task(org.staff, local(2026, 3, 6), created_by=org.lead)
        below = colleague(org, "below")
        TimeLogFactory(staff=below, day=day(3, 2), minutes=60)

        calculate(march)

        # 180 min × 30.00 / 60 = 90.00; 2 tasks × 20.00 = 40.00; 130.00 − 100.00 = 30.00 over
        assert amounts(march, profile) == [
            Decimal("90.00"),
            Decimal("20.00"),
            Decimal("20.00"),
            Decimal("-30.00"),
        ]
        cap = RewardLine.objects.get(source=CAP)
        assert cap.explanation["cap"] == "100.00"
        assert cap.explanation["before"] == "130.00"
        assert statement_of(march, profile).total == Decimal("100.00")
        # 60 min × 30.00 / 60 = 30.00, under the cap: no cap line
        assert amounts(march, below) == [Decimal("30.00")]

    def test_revenue_is_not_capped_by_the_monthly_support_cap(self, org, march):
        support_rule(
            amount_per_approved_hour=Decimal("30.00"), monthly_cap_per_person=Decimal("10.00")
        )
        revenue_rule(percent_of_collected=Decimal("5.00"))
        TimeLogFactory(staff=org.staff_profile, day=day(3, 2), minutes=60)
        lead = LeadFactory(introducer=org.staff_profile)
        collect(lead, "1000.00", day(3, 10), recorded_by=org.lead)

        calculate(march)

        # support 30.00 capped at 10.00 (−20.00), plus 5 % of 1000.00 = 50.00 → 60.00
        assert amounts(march, org.staff_profile, CAP) == [Decimal("-20.00")]
        assert amounts(march, org.staff_profile, LEAD) == [Decimal("50.00")]
        assert statement_of(march, org.staff_profile).total == Decimal("60.00")


# --------------------------------------------------------------------------- revenue


class TestRevenue:
    def test_it_is_a_percentage_of_the_collected_amount_only(self, org, march):
        revenue_rule(percent_of_collected=Decimal("5.00"))
        lead = LeadFactory(introducer=org.staff_profile, client_name="Acme")
        collect(lead, "12345.67", day(3, 10), recorded_by=org.lead)
        collect(lead, "5000.00", day(4, 2), recorded_by=org.lead)  # next month
        LeadFactory(introducer=org.staff_profile, contract_amount=Decimal("500000.00"))
        outsider = org.outsider.profile
        LeadFactory(introducer=outsider, contract_amount=Decimal("90000.00"))

        calculate(march)

        # 12345.67 × 5 % = 617.2835 → 617.28; the won leads without money give nothing
        assert amounts(march, org.staff_profile) == [Decimal("617.28")]
        assert statement_of(march, org.staff_profile).total == Decimal("617.28")
        assert not Statement.objects.filter(staff=outsider).exists()

    def test_a_collection_is_held_back_until_its_hold_back_is_over(self, org):
        revenue_rule(percent_of_collected=Decimal("5.00"), holdback_days=30)
        lead = LeadFactory(introducer=org.staff_profile)
        collect(lead, "10000.00", day(3, 10), recorded_by=org.lead)  # payable from 9 April
        collect(lead, "2000.00", day(3, 31), recorded_by=org.lead)  # payable from 30 April
        collect(lead, "4000.00", day(4, 1), recorded_by=org.lead)  # payable from 1 May
        march, april, may = month(2026, 3), month(2026, 4), month(2026, 5)

        calculate(march)
        assert not Statement.objects.filter(period=march).exists()

        calculate(april)
        # (10000.00 + 2000.00) × 5 % = 600.00; 4000.00 still held back
        assert amounts(april, org.staff_profile) == [Decimal("600.00")]
        line = RewardLine.objects.get(statement__period=april)
        assert line.explanation["held_back"] == "4000.00"
        assert line.explanation["holdback_days"] == [30]
        pay(april, finance=org.finance)

        calculate(may)
        # 16000.00 × 5 % = 800.00, less 600.00 paid in April = 200.00
        assert amounts(may, org.staff_profile) == [Decimal("200.00")]

    def test_a_tier_bonus_is_paid_once_when_the_collected_amount_crosses_it(self, org):
        rule = revenue_rule(percent_of_collected=Decimal("2.00"))
        RewardTierFactory(rule=rule, threshold=Decimal("50000.00"), bonus=Decimal("1000.00"))
        RewardTierFactory(rule=rule, threshold=Decimal("100000.00"), bonus=Decimal("3000.00"))
        lead = LeadFactory(introducer=org.staff_profile)
        march, april, may = month(2026, 3), month(2026, 4), month(2026, 5)

        collect(lead, "30000.00", day(3, 10), recorded_by=org.lead)
        pay(calculate(march), finance=org.finance)
        # 30000.00 × 2 % = 600.00, under the first tier
        assert amounts(march, org.staff_profile) == [Decimal("600.00")]

        collect(lead, "25000.00", day(4, 10), recorded_by=org.lead)
        pay(calculate(april), finance=org.finance)
        # 55000.00 × 2 % = 1100.00 + tier 1000.00 = 2100.00, less 600.00 = 1500.00
        assert amounts(april, org.staff_profile) == [Decimal("1500.00")]
        assert RewardLine.objects.get(statement__period=april).explanation["tiers"] == "1000.00"

        collect(lead, "10000.00", day(5, 10), recorded_by=org.lead)
        calculate(may)
        # 65000.00 × 2 % = 1300.00 + 1000.00 = 2300.00, less 2100.00 = 200.00: no second bonus
        assert amounts(may, org.staff_profile) == [Decimal("200.00")]

    def test_the_cap_per_lead_limits_what_a_lead_ever_pays(self, org):
        revenue_rule(percent_of_collected=Decimal("10.00"), cap_per_lead=Decimal("5000.00"))
        lead = LeadFactory(introducer=org.staff_profile)
        march, april, may = month(2026, 3), month(2026, 4), month(2026, 5)

        collect(lead, "40000.00", day(3, 10), recorded_by=org.lead)
        pay(calculate(march), finance=org.finance)
        assert amounts(march, org.staff_profile) == [Decimal("4000.00")]  # 10 % of 40000.00

        collect(lead, "20000.00", day(4, 10), recorded_by=org.lead)
        pay(calculate(april), finance=org.finance)
        # 10 % of 60000.00 = 6000.00, capped at 5000.00, less 4000.00 = 1000.00
        assert amounts(april, org.staff_profile) == [Decimal("1000.00")]
        line = RewardLine.objects.get(statement__period=april)
        assert line.explanation["capped"] is True
        assert line.explanation["cap"] == "5000.00"

        collect(lead, "10000.00", day(5, 10), recorded_by=org.lead)
        calculate(may)
        # still 5000.00: nothing more, so no statement
        assert not Statement.objects.filter(period=may).exists()

    def test_a_split_credit_rounds_each_share_half_up_to_the_fen(self, org, march):
        revenue_rule(percent_of_collected=Decimal("5.00"))
        engineer = colleague(org, "engineer")
        lead = LeadFactory(introducer=org.staff_profile)
        CreditShareFactory(lead=lead, staff=org.staff_profile, percent=Decimal("60.00"))
        CreditShareFactory(lead=lead, staff=engineer, percent=Decimal("40.00"))
        collect(lead, "200.25", day(3, 10), recorded_by=org.lead)

        calculate(march)

        # 200.25 × 5 % = 10.0125; × 60 % = 6.0075 → 6.01; × 40 % = 4.005 → 4.01
        assert amounts(march, org.staff_profile) == [Decimal("6.01")]
        assert amounts(march, engineer) == [Decimal("4.01")]
        explanation = RewardLine.objects.get(statement__staff=engineer).explanation
        assert explanation["share"] == "40.00"
        assert explanation["person_due"] == "4.01"
        assert explanation["due"] == "10.01"

    def test_a_later_period_pays_only_the_difference(self, org):
        revenue_rule(percent_of_collected=Decimal("5.00"))
        lead = LeadFactory(introducer=org.staff_profile)
        march, april = month(2026, 3), month(2026, 4)
        collect(lead, "10000.00", day(3, 10), recorded_by=org.lead)
        pay(calculate(march), finance=org.finance)
        assert amounts(march, org.staff_profile) == [Decimal("500.00")]

        collect(lead, "5000.00", day(4, 10), recorded_by=org.lead)
        calculate(april)

        # 15000.00 × 5 % = 750.00, less 500.00 = 250.00
        assert amounts(april, org.staff_profile) == [Decimal("250.00")]
        explanation = RewardLine.objects.get(statement__period=april).explanation
        assert explanation["person_due"] == "750.00"
        assert explanation["earlier"] == "500.00"

    def test_a_recalculation_of_a_later_period_does_not_pay_the_earlier_part_again(self, org):
        revenue_rule(percent_of_collected=Decimal("5.00"))
        lead = LeadFactory(introducer=org.staff_profile)
        march, april = month(2026, 3), month(2026, 4)
        collect(lead, "10000.00", day(3, 10), recorded_by=org.lead)
        pay(calculate(march), finance=org.finance)
        collect(lead, "5000.00", day(4, 10), recorded_by=org.lead)

        calculate(april)
        calculate(april)

        assert amounts(april, org.staff_profile) == [Decimal("250.00")]


class TestClawback:
    def test_a_refund_after_payout_is_clawed_back_in_the_next_period(self, org):
        # The hold-back delays collections only: a refund counts at once.
        revenue_rule(percent_of_collected=Decimal("5.00"), holdback_days=30)
        engineer = colleague(org, "engineer")
        lead = LeadFactory(introducer=org.staff_profile, client_name="Acme")
        CreditShareFactory(lead=lead, staff=org.staff_profile, percent=Decimal("60.00"))
        CreditShareFactory(lead=lead, staff=engineer, percent=Decimal("40.00"))
        march, april = month(2026, 3), month(2026, 4)
        collect(lead, "20000.00", day(3, 1), recorded_by=org.lead)  # payable from 31 March
        pay(calculate(march), finance=org.finance)
        # 20000.00 × 5 % = 1000.00 → 600.00 and 400.00
        assert amounts(march, org.staff_profile) == [Decimal("600.00")]
        assert amounts(march, engineer) == [Decimal("400.00")]

        collect(lead, "8000.00", day(4, 5), recorded_by=org.lead, refund=True)
        calculate(april)

        # 12000.00 × 5 % = 600.00 → 360.00 and 240.00: −240.00 and −160.00
        assert amounts(april, org.staff_profile, CLAWBACK) == [Decimal("-240.00")]
        assert amounts(april, engineer, CLAWBACK) == [Decimal("-160.00")]
        assert statement_of(april, org.staff_profile).total == Decimal("-240.00")
        assert statement_of(april, engineer).total == Decimal("-160.00")
        # March, paid, is untouched
        assert statement_of(march, org.staff_profile).total == Decimal("600.00")
        assert statement_of(march, org.staff_profile).status == Statement.Status.PAID

    def test_a_refund_below_a_tier_claws_the_bonus_back(self, org):
        rule = revenue_rule(percent_of_collected=Decimal("2.00"))
        RewardTierFactory(rule=rule, threshold=Decimal("50000.00"), bonus=Decimal("1000.00"))
        lead = LeadFactory(introducer=org.staff_profile)
        march, april = month(2026, 3), month(2026, 4)
        collect(lead, "60000.00", day(3, 10), recorded_by=org.lead)
        pay(calculate(march), finance=org.finance)
        # 60000.00 × 2 % = 1200.00 + 1000.00 = 2200.00
        assert amounts(march, org.staff_profile) == [Decimal("2200.00")]

        collect(lead, "20000.00", day(4, 10), recorded_by=org.lead, refund=True)
        calculate(april)

        # 40000.00 × 2 % = 800.00, no tier; 800.00 − 2200.00 = −1400.00
        assert amounts(april, org.staff_profile, CLAWBACK) == [Decimal("-1400.00")]

    def test_changing_the_split_after_payout_rebalances_in_the_next_period(self, org):
        revenue_rule(percent_of_collected=Decimal("5.00"))
        engineer = colleague(org, "engineer")
        lead = LeadFactory(introducer=org.staff_profile)
        march, april = month(2026, 3), month(2026, 4)
        collect(lead, "10000.00", day(3, 10), recorded_by=org.lead)
        pay(calculate(march), finance=org.finance)
        assert amounts(march, org.staff_profile) == [Decimal("500.00")]  # all to the introducer

        CreditShareFactory(lead=lead, staff=org.staff_profile, percent=Decimal("60.00"))
        CreditShareFactory(lead=lead, staff=engineer, percent=Decimal("40.00"))
        calculate(april)

        # 500.00 × 60 % = 300.00, less 500.00 = −200.00; 500.00 × 40 % = 200.00
        assert amounts(april, org.staff_profile, CLAWBACK) == [Decimal("-200.00")]
        assert amounts(april, engineer, LEAD) == [Decimal("200.00")]

    def test_someone_removed_from_the_split_gives_back_what_they_got(self, org):
        revenue_rule(percent_of_collected=Decimal("5.00"))
        engineer = colleague(org, "engineer")
        lead = LeadFactory(introducer=org.staff_profile)
        march, april = month(2026, 3), month(2026, 4)
        CreditShareFactory(lead=lead, staff=org.staff_profile, percent=Decimal("50.00"))
        CreditShareFactory(lead=lead, staff=engineer, percent=Decimal("50.00"))
        collect(lead, "10000.00", day(3, 10), recorded_by=org.lead)
        pay(calculate(march), finance=org.finance)

        CreditShare.objects.filter(staff=engineer).delete()
        CreditShare.objects.filter(staff=org.staff_profile).update(percent=Decimal("100.00"))
        calculate(april)

        # 500.00 each in March; now the introducer is due 500.00 more, the engineer −250.00
        assert amounts(april, org.staff_profile, LEAD) == [Decimal("250.00")]
        assert amounts(april, engineer, CLAWBACK) == [Decimal("-250.00")]


# --------------------------------------------------------------------------- adjustments


class TestAdjustments:
    def test_manual_lines_of_either_sign_survive_a_recalculation(self, org, march):
        support_rule(amount_per_approved_hour=Decimal("30.00"))
        TimeLogFactory(staff=org.staff_profile, day=day(3, 2), minutes=60)
        helper = colleague(org, "helper")
        calculate(march)

        payouts.reward_adjustment_add(
            actor=org.supervisor,
            staff=org.staff_profile,
            period=march,
            amount=Decimal("50.00"),
            reason="Ran the trade-fair stand",
        )
        payouts.reward_adjustment_add(
            actor=org.supervisor,
            staff=org.staff_profile,
            period=march,
            amount=Decimal("-20.00"),
            reason="Overpaid in February",
        )
        payouts.reward_adjustment_add(
            actor=org.supervisor,
            staff=helper,
            period=march,
            amount=Decimal("15.50"),
            reason="Helped at the client visit",
        )
        # 30.00 + 50.00 − 20.00 = 60.00
        assert statement_of(march, org.staff_profile).total == Decimal("60.00")

        calculate(march)
        calculate(march)

        # The calculated line came out the same, so it stayed where it was: first.
        assert amounts(march, org.staff_profile) == [
            Decimal("30.00"),
            Decimal("50.00"),
            Decimal("-20.00"),
        ]
        assert statement_of(march, org.staff_profile).total == Decimal("60.00")
        assert amounts(march, helper) == [Decimal("15.50")]
        assert statement_of(march, helper).total == Decimal("15.50")
        line = RewardLine.objects.get(amount=Decimal("-20.00"))
        assert line.source == ADJUSTMENT
        assert line.created_by == org.supervisor

    @pytest.mark.parametrize("amount", ["0.00", "1.005", "-1000000.01"])
    def test_a_wrong_amount_is_refused(self, org, march, amount):
        with pytest.raises(ValidationError) as caught:
            payouts.reward_adjustment_add(
                actor=org.supervisor,
                staff=org.staff_profile,
                period=march,
                amount=Decimal(amount),
                reason="Why not",
            )
        assert "amount" in caught.value.message_dict
        assert not Statement.objects.exists()

    def test_an_adjustment_needs_a_reason(self, org, march):
        with pytest.raises(ValidationError) as caught:
            payouts.reward_adjustment_add(
                actor=org.supervisor,
                staff=org.staff_profile,
                period=march,
                amount=Decimal("5.00"),
                reason="   ",
            )
        assert "reason" in caught.value.message_dict


# --------------------------------------------------------------------------- who gets a statement


class TestStatements:
    def test_a_person_with_nothing_gets_no_statement(self, org, march):
        support_rule(amount_per_approved_hour=Decimal("30.00"))
        revenue_rule(percent_of_collected=Decimal("5.00"))
        TimeLogFactory(staff=org.staff_profile, day=day(3, 2), minutes=60)
        TimeLogFactory(
            staff=org.other_staff.profile,
            day=day(3, 2),
            minutes=60,
            status=TimeLog.Status.SUBMITTED,
        )
        LeadFactory(introducer=org.outsider.profile)

        calculate(march)

        assert list(Statement.objects.values_list("staff__user__username", "total")) == [
            ("staff", Decimal("30.00"))
        ]

    def test_a_statement_left_without_lines_by_a_recalculation_goes(self, org, march):
        rule = support_rule(amount_per_approved_hour=Decimal("30.00"))
        TimeLogFactory(staff=org.staff_profile, day=day(3, 2), minutes=60)
        calculate(march)
        assert Statement.objects.count() == 1

        RewardRule.objects.filter(pk=rule.pk).update(amount_per_approved_hour=Decimal("0.00"))
        calculate(march)

        assert not Statement.objects.exists()

    def test_money_stays_decimal_end_to_end(self, org, march):
        support_rule(amount_per_approved_hour=Decimal("19.99"))
        revenue_rule(percent_of_collected=Decimal("3.33"))
        TimeLogFactory(staff=org.staff_profile, day=day(3, 2), minutes=50)
        lead = LeadFactory(introducer=org.staff_profile)
        collect(lead, "0.10", day(3, 3), recorded_by=org.lead)
        collect(lead, "0.20", day(3, 4), recorded_by=org.lead)

        calculate(march)

        statement = statement_of(march, org.staff_profile)
        # 50 × 19.99 / 60 = 16.6583… → 16.66; (0.10 + 0.20) × 3.33 % = 0.00999 → 0.01
        assert amounts(march, org.staff_profile) == [Decimal("16.66"), Decimal("0.01")]
        assert statement.total == Decimal("16.67")
        assert all(
            isinstance(value, Decimal)
            for value in (statement.total, *amounts(march, org.staff_profile))
        )
        assert RewardLine.objects.get(source=LEAD).explanation["collected"] == "0.30"


# --------------------------------------------------------------------------- explanations


class TestExplanations:
    def test_each_kind_of_line_explains_itself_with_its_numbers(self, org, settings):
        settings.ALLHANDS_CURRENCY = "CNY"
        support_rule(
            amount_per_approved_hour=Decimal("30.00"),
            amount_per_completed_task=Decimal("20.00"),
            monthly_cap_per_person=Decimal("80.00"),
        )
        rule = revenue_rule(percent_of_collected=Decimal("5.00"), cap_per_lead=Decimal("2000.00"))
        RewardTierFactory(rule=rule, threshold=Decimal("10000.00"), bonus=Decimal("500.00"))
        engineer = colleague(org, "engineer")
        lead = LeadFactory(introducer=org.staff_profile, client_name="Acme")
        CreditShareFactory(lead=lead, staff=org.staff_profile, percent=Decimal("60.00"))
        CreditShareFactory(lead=lead, staff=engineer, percent=Decimal("40.00"))
        TimeLogFactory(staff=org.staff_profile, day=day(3, 2), minutes=150)
        complete_task(
            org.staff, local(2026, 3, 12), created_by=org.lead, title="Call the trade-fair list"
        )
        march, april = month(2026, 3), month(2026, 4)
        collect(lead, "12345.67", day(3, 10), recorded_by=org.lead)
        pay(calculate(march), finance=org.finance)
        collect(lead, "5000.00", day(4, 10), recorded_by=org.lead, refund=True)
        calculate(april)
        payouts.reward_adjustment_add(
            actor=org.supervisor,
            staff=org.staff_profile,
            period=april,
            amount=Decimal("-12.50"),
            reason="Double-counted visit",
        )

        def text(period, source, language="en"):
            line = RewardLine.objects.get(
                statement__period=period, statement__staff=org.staff_profile, source=source
            )
            with translation.override(language):
                return explain(line)

        # 150 min = 2.50 h × 30.00 = 75.00
        assert text(march, SUPPORT_TIME) == (
            "2.50 approved hours of support work × 30.00 CNY per hour "
            "(rule in force from 01/01/2026) = 75.00 CNY"
        )
        assert text(march, TASK) == (
            "Task “Call the trade-fair list” completed on 03/12/2026: 20.00 CNY per completed "
            "task (rule in force from 01/01/2026)"
        )
        # 75.00 + 20.00 = 95.00, over the cap of 80.00 by 15.00
        assert text(march, CAP) == (
            "Monthly cap of 80.00 CNY per person applied: support rewards of 95.00 CNY "
            "reduced by 15.00 CNY"
        )
        # 12345.67 × 5 % = 617.2835 → 617.28; + tier 500.00 = 1117.2835 → 1,117.28;
        # × 60 % = 670.3701 → 670.37
        assert text(march, LEAD) == (
            "Lead “Acme”: 12,345.67 CNY collected and past its hold-back; "
            "5.00 % of it = 617.28 CNY; tier bonus 500.00 CNY; lead total 1,117.28 CNY; "
            "your share 60.00 % = 670.37 CNY."
        )
        # April: 12345.67 − 5000.00 = 7345.67 × 5 % = 367.2835 → 367.28, under the tier;
        # × 60 % = 220.3701 → 220.37; 220.37 − 670.37 = −450.00
        assert amounts(april, org.staff_profile, CLAWBACK) == [Decimal("-450.00")]
        assert text(april, CLAWBACK) == (
            "Clawback after a refund or a changed split: Lead “Acme”: 7,345.67 CNY collected "
            "and past its hold-back; 5.00 % of it = 367.28 CNY; lead total 367.28 CNY; "
            "your share 60.00 % = 220.37 CNY; less 670.37 CNY given in earlier periods."
        )
        assert text(april, ADJUSTMENT) == "Manual adjustment: Double-counted visit"

    def test_a_capped_lead_and_a_hold_back_are_explained(self, org):
        revenue_rule(
            percent_of_collected=Decimal("10.00"),
            cap_per_lead=Decimal("500.00"),
            holdback_days=30,
        )
        lead = LeadFactory(introducer=org.staff_profile, client_name="Acme")
        collect(lead, "8000.00", day(3, 1), recorded_by=org.lead)
        collect(lead, "1000.00", day(3, 20), recorded_by=org.lead)
        march = calculate(month(2026, 3))

        line = RewardLine.objects.get(statement__period=march)
        with translation.override("en"):
            text = explain(line)

        # 8000.00 × 10 % = 800.00, capped at 500.00; 1000.00 held back until 19 April
        assert line.amount == Decimal("500.00")
        assert text == (
            "Lead “Acme”: 8,000.00 CNY collected and past its hold-back; "
            "10.00 % of it = 800.00 CNY; capped at 500.00 CNY per lead; lead total 500.00 CNY; "
            "your share 100 % = 500.00 CNY; 1,000.00 CNY still in hold-back, counted in a "
            "later period."
        )

    def test_the_numbers_are_there_in_chinese_too(self, org):
        support_rule(amount_per_approved_hour=Decimal("30.00"))
        revenue_rule(percent_of_collected=Decimal("5.00"))
        TimeLogFactory(staff=org.staff_profile, day=day(3, 2), minutes=150)
        lead = LeadFactory(introducer=org.staff_profile, client_name="Acme")
        collect(lead, "12345.67", day(3, 10), recorded_by=org.lead)
        march = calculate(month(2026, 3))

        with translation.override("zh-hans"):
            support, revenue = (
                explain(line) for line in RewardLine.objects.filter(statement__period=march)
            )

        # The Chinese number format groups nothing below 100 000 000.
        for number in ("2.50", "30.00", "75.00"):
            assert number in support
        for number in ("Acme", "12345.67", "617.28"):
            assert number in revenue
