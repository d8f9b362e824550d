"""Roles are derived from the organisation: nobody stores "is a supervisor" twice."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, Group

from departments.models import Delegation, StaffProfile
from departments.roles import ADMIN_GROUP, FINANCE_GROUP, Role, roles_for
from tests.factories import (
    DelegationFactory,
    DepartmentFactory,
    MarketingDepartmentFactory,
    StaffProfileFactory,
    UserFactory,
)

DAY = datetime.timedelta(days=1)
STAFF, SUPERVISOR, LEAD = Role.STAFF, Role.LINE_SUPERVISOR, Role.MARKETING_LEAD


def fresh(user):
    """The user as a new request would see it: nothing cached on the object."""
    return get_user_model().objects.get(pk=user.pk)


def roles_of(user):
    return set(roles_for(fresh(user)))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("staff", {STAFF}),
        ("outsider", {STAFF}),
        ("other_staff", {STAFF}),
        ("supervisor", {STAFF, SUPERVISOR}),
        ("other_supervisor", {STAFF, SUPERVISOR}),
        ("delegate", {STAFF, SUPERVISOR}),
        ("lead", {LEAD}),
        ("finance", {STAFF, Role.FINANCE}),
        ("admin", {Role.ADMIN}),
    ],
)
def test_each_standing_user_has_the_roles_of_their_place(org, today, name, expected):
    assert roles_of(getattr(org, name)) == expected


def test_an_anonymous_visitor_has_no_role(db):
    assert roles_for(AnonymousUser()) == frozenset()


def test_a_user_without_profile_or_group_has_no_role(db):
    assert roles_of(UserFactory()) == set()


class TestLineSupervisor:
    def test_only_active_reports_make_a_line_supervisor(self, org, today):
        boss = StaffProfileFactory(department=org.operations).user
        report = StaffProfileFactory(department=org.operations, line_supervisor=boss)
        assert SUPERVISOR in roles_of(boss)

        StaffProfile.objects.filter(pk=report.pk).update(is_active=False)
        assert SUPERVISOR not in roles_of(boss)

    def test_a_delegate_is_a_line_supervisor_only_while_the_delegation_runs(self, org, today):
        Delegation.objects.filter(delegate=org.delegate).update(
            start_date=today + DAY, end_date=today + 3 * DAY
        )
        assert SUPERVISOR not in roles_of(org.delegate)

        Delegation.objects.filter(delegate=org.delegate).update(
            start_date=today - 3 * DAY, end_date=today - DAY
        )
        assert SUPERVISOR not in roles_of(org.delegate)

        Delegation.objects.filter(delegate=org.delegate).update(start_date=today, end_date=today)
        assert SUPERVISOR in roles_of(org.delegate)

    def test_giving_a_delegation_does_not_make_the_delegator_lose_the_role(self, org, today):
        DelegationFactory(delegator=org.other_supervisor, delegate=org.staff)

        assert roles_of(org.other_supervisor) == {STAFF, SUPERVISOR}
        assert roles_of(org.staff) == {STAFF, SUPERVISOR}


class TestMarketingLead:
    def test_a_marketing_department_member_without_the_flag_is_not_a_lead(self, org, today):
        marketer = StaffProfileFactory(department=org.marketing, is_marketing_lead=False).user

        assert roles_of(marketer) == set()

    def test_the_flag_outside_a_marketing_department_gives_no_lead_role(self, org, today):
        # The database only forbids this once the person has reports; roles ignore it anyway.
        odd = StaffProfileFactory(department=org.engineering, is_marketing_lead=True).user

        assert roles_of(odd) == {STAFF}

    def test_a_lead_in_any_marketing_department_is_a_lead(self, org, today):
        sales = MarketingDepartmentFactory(code="SALES")
        seller = StaffProfileFactory(department=sales, is_marketing_lead=True).user

        assert roles_of(seller) == {LEAD}

    def test_an_inactive_lead_is_not_a_lead(self, org, today):
        StaffProfile.objects.filter(user=org.lead).update(is_active=False)

        assert roles_of(org.lead) == set()


class TestGroups:
    def test_admin_via_superuser_alone(self, db):
        user = UserFactory(is_superuser=True)

        assert roles_of(user) == {Role.ADMIN}

    def test_admin_via_the_admin_group_alone(self, db):
        user = UserFactory()
        user.groups.add(Group.objects.get(name=ADMIN_GROUP))

        assert roles_of(user) == {Role.ADMIN}

    def test_django_staff_flag_alone_is_not_admin(self, db):
        user = UserFactory(is_staff=True)

        assert roles_of(user) == set()

    def test_finance_via_the_finance_group(self, db):
        user = UserFactory()
        user.groups.add(Group.objects.get(name=FINANCE_GROUP))

        assert roles_of(user) == {Role.FINANCE}

    def test_other_groups_give_no_role(self, db):
        user = UserFactory()
        user.groups.add(Group.objects.create(name="finance-readers"))

        assert roles_of(user) == set()

    def test_an_inactive_profile_keeps_group_roles_but_loses_staff(self, org, today):
        StaffProfile.objects.filter(user=org.finance).update(is_active=False)

        assert roles_of(org.finance) == {Role.FINANCE}


class TestQueryCount:
    @pytest.mark.parametrize(
        "name",
        [
            "staff",
            "supervisor",
            "delegate",
            "lead",
            "other_supervisor",
            "outsider",
            "finance",
            "admin",
        ],
    )
    def test_roles_cost_two_queries_for_every_user(
        self, org, today, django_assert_num_queries, name
    ):
        user = fresh(getattr(org, name))

        with django_assert_num_queries(2):
            roles_for(user)
        with django_assert_num_queries(0):
            roles_for(user)

    def test_roles_cost_the_same_for_a_big_team_and_many_groups(
        self, org, today, django_assert_num_queries
    ):
        department = DepartmentFactory(code="BIG")
        for _ in range(25):
            StaffProfileFactory(department=department, line_supervisor=org.supervisor)
        for n in range(5):
            DelegationFactory(delegator=StaffProfileFactory().user, delegate=org.supervisor)
            org.supervisor.groups.add(Group.objects.create(name=f"group-{n}"))
        org.supervisor.groups.add(Group.objects.get(name=FINANCE_GROUP))
        user = fresh(org.supervisor)

        with django_assert_num_queries(2):
            assert roles_for(user) == {STAFF, SUPERVISOR, Role.FINANCE}

    def test_a_user_loaded_by_the_login_backend_needs_one_query(
        self, org, today, django_assert_num_queries
    ):
        from departments.backends import ProfileModelBackend

        user = ProfileModelBackend().get_user(org.lead.pk)

        with django_assert_num_queries(1):
            assert roles_for(user) == {LEAD}
