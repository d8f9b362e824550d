"""The database itself refuses writes that break the organisation's invariants.

Every write here bypasses ``full_clean()`` on purpose: the constraint must hold even
for code that forgets to validate (raw updates, imports, a future bug).
"""

import contextlib
import datetime

import pytest
from django.db import IntegrityError, transaction
from django.db.models import F

from departments.models import BudgetRule, Delegation, Department, StaffProfile
from tests.factories import (
    BudgetRuleFactory,
    DelegationFactory,
    DepartmentFactory,
    MarketingDepartmentFactory,
    StaffProfileFactory,
    UserFactory,
)

DAY = datetime.date(2026, 3, 10)


# SQLite names the columns of a partial unique index, PostgreSQL names the index.
UNIQUE_DAY = {
    "global": r"budget_rule_unique_global_day|departments_budgetrule\.effective_from$",
    "department": r"budget_rule_unique_department_day|departments_budgetrule\.department_id, ",
    "person": r"budget_rule_unique_person_day|departments_budgetrule\.staff_id, ",
}
MINUTES_CHECK = {-1: "daily_minutes", 481: "budget_rule_minutes_bounded"}
LEAD_RULE = "a marketing lead must be a marketing-department member with the lead role"


@contextlib.contextmanager
def refused_by_database(match: str):
    """The write inside fails with an IntegrityError naming the rule (``match`` covers
    both SQLite's and PostgreSQL's wording); the savepoint keeps the test usable."""
    with pytest.raises(IntegrityError, match=match), transaction.atomic():
        yield


class TestStaffProfileConstraints:
    def test_nobody_is_their_own_line_supervisor(self, org):
        with refused_by_database("profile_not_own_line_supervisor"):
            StaffProfile.objects.filter(pk=org.staff_profile.pk).update(line_supervisor=F("user"))

    def test_nobody_is_their_own_marketing_lead(self, org):
        # The lead is a valid marketing lead, so only the CHECK constraint can refuse this.
        with refused_by_database("profile_not_own_marketing_lead"):
            StaffProfile.objects.filter(user=org.lead).update(marketing_lead=F("user"))

    def test_a_user_has_only_one_profile(self, org):
        with refused_by_database(r"departments_staffprofile.user_id"):
            StaffProfileFactory(user=org.staff, department=org.engineering)

    def test_employee_numbers_are_unique(self, org):
        with refused_by_database(r"departments_staffprofile.employee_number"):
            StaffProfileFactory(
                employee_number=org.staff_profile.employee_number, department=org.engineering
            )

    def test_a_valid_profile_is_accepted(self, org):
        profile = StaffProfileFactory(
            department=org.engineering, line_supervisor=org.supervisor, marketing_lead=org.lead
        )
        assert StaffProfile.objects.filter(pk=profile.pk).exists()


class TestDepartmentConstraints:
    def test_a_department_is_not_its_own_parent(self, org):
        with refused_by_database("department_not_own_parent"):
            Department.objects.filter(pk=org.engineering.pk).update(parent=F("id"))

    def test_a_department_may_have_another_department_as_parent(self, org):
        Department.objects.filter(pk=org.operations.pk).update(parent=org.engineering)
        org.operations.refresh_from_db()
        assert org.operations.parent == org.engineering


class TestBudgetRuleConstraints:
    def test_a_rule_has_a_single_scope(self, org):
        with refused_by_database("budget_rule_single_scope"):
            BudgetRule.objects.create(
                department=org.engineering,
                staff=org.staff_profile,
                daily_minutes=60,
                effective_from=DAY,
            )

    @pytest.mark.parametrize("minutes", [-1, 481])
    def test_daily_minutes_stay_within_a_day_budget(self, org, minutes):
        with refused_by_database(MINUTES_CHECK[minutes]):
            BudgetRule.objects.create(daily_minutes=minutes, effective_from=DAY)

    @pytest.mark.parametrize("scope", ["global", "department", "person"])
    def test_one_rule_per_day_per_scope(self, org, scope):
        target = {
            "global": {},
            "department": {"department": org.engineering},
            "person": {"staff": org.staff_profile},
        }[scope]
        BudgetRuleFactory(effective_from=DAY, daily_minutes=60, **target)
        with refused_by_database(UNIQUE_DAY[scope]):
            BudgetRuleFactory(effective_from=DAY, daily_minutes=90, **target)

    def test_different_scopes_may_start_on_the_same_day(self, org):
        BudgetRuleFactory(effective_from=DAY)
        BudgetRuleFactory(effective_from=DAY, department=org.engineering)
        BudgetRuleFactory(effective_from=DAY, department=org.operations)
        BudgetRuleFactory(effective_from=DAY, staff=org.staff_profile)
        BudgetRuleFactory(effective_from=DAY, staff=StaffProfile.objects.get(user=org.outsider))
        assert BudgetRule.objects.filter(effective_from=DAY).count() == 5


class TestDelegationConstraints:
    def test_the_range_ends_on_or_after_its_start(self, org):
        with refused_by_database("delegation_range_valid"):
            DelegationFactory(
                delegator=org.supervisor,
                delegate=org.outsider,
                start_date=DAY,
                end_date=DAY - datetime.timedelta(days=1),
            )

    def test_a_one_day_delegation_is_valid(self, org):
        DelegationFactory(
            delegator=org.supervisor, delegate=org.outsider, start_date=DAY, end_date=DAY
        )
        assert Delegation.objects.filter(delegate=org.outsider).count() == 1

    def test_nobody_delegates_to_themselves(self, org):
        with refused_by_database("delegation_not_to_self"):
            DelegationFactory(delegator=org.supervisor, delegate=org.supervisor)


class TestMarketingLeadTrigger:
    """A marketing lead belongs to a marketing department and holds the lead role."""

    def test_it_refuses_a_new_profile_whose_lead_is_not_in_marketing(self, org):
        with refused_by_database(LEAD_RULE):
            StaffProfileFactory(department=org.engineering, marketing_lead=org.supervisor)

    def test_it_refuses_a_new_profile_whose_lead_lacks_the_lead_role(self, org):
        marketer = StaffProfileFactory(department=org.marketing, is_marketing_lead=False).user
        with refused_by_database(LEAD_RULE):
            StaffProfileFactory(department=org.engineering, marketing_lead=marketer)

    def test_it_refuses_changing_a_profile_to_a_lead_outside_marketing(self, org):
        with refused_by_database(LEAD_RULE):
            StaffProfile.objects.filter(pk=org.staff_profile.pk).update(
                marketing_lead=org.other_supervisor
            )

    def test_it_refuses_moving_a_lead_with_reports_out_of_marketing(self, org):
        lead_profile = org.lead.profile
        lead_profile.department = org.engineering
        with refused_by_database(LEAD_RULE):
            lead_profile.save()

    def test_it_refuses_removing_the_lead_role_while_the_lead_has_reports(self, org):
        with refused_by_database(LEAD_RULE):
            StaffProfile.objects.filter(user=org.lead).update(is_marketing_lead=False)

    def test_it_refuses_turning_the_marketing_department_non_marketing_while_its_lead_has_reports(
        self, org
    ):
        org.marketing.kind = Department.Kind.NON_MARKETING
        with refused_by_database(LEAD_RULE):
            org.marketing.save()

    def test_a_lead_without_reports_may_leave_marketing(self, org):
        StaffProfile.objects.filter(marketing_lead=org.lead).update(marketing_lead=None)
        StaffProfile.objects.filter(user=org.lead).update(
            department=org.engineering, is_marketing_lead=False
        )
        assert StaffProfile.objects.get(user=org.lead).department == org.engineering

    def test_a_marketing_department_without_busy_leads_may_change_kind(self, org):
        quiet = MarketingDepartmentFactory(code="MKT2")
        StaffProfileFactory(department=quiet, is_marketing_lead=True)
        quiet.kind = Department.Kind.NON_MARKETING
        quiet.save()
        quiet.refresh_from_db()
        assert quiet.kind == Department.Kind.NON_MARKETING

    def test_a_second_marketing_lead_may_take_reports(self, org):
        other_lead = StaffProfileFactory(
            user=UserFactory(username="lead2"), department=org.marketing, is_marketing_lead=True
        ).user
        StaffProfile.objects.filter(pk=org.staff_profile.pk).update(marketing_lead=other_lead)
        org.staff_profile.refresh_from_db()
        assert org.staff_profile.marketing_lead == other_lead

    def test_a_lead_may_move_to_another_marketing_department(self, org):
        sales = MarketingDepartmentFactory(code="SALES")
        StaffProfile.objects.filter(user=org.lead).update(department=sales)
        assert StaffProfile.objects.get(user=org.lead).department == sales

    def test_editing_an_unrelated_department_is_not_blocked(self, org):
        DepartmentFactory(code="LOG", name="Logistics")
        org.engineering.name = "R&D"
        org.engineering.save()
        assert Department.objects.get(pk=org.engineering.pk).name == "R&D"
