"""Daily marketing budgets: the most specific rule wins, and a change never rewrites the past."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from departments import selectors, services
from departments.models import BudgetRule, StaffProfile
from tests.factories import BudgetRuleFactory, DepartmentFactory, StaffProfileFactory

DAY = datetime.timedelta(days=1)


def budget(profile, day):
    return selectors.budget_minutes_for(staff=profile, day=day)


class TestBudgetResolution:
    def test_it_uses_the_company_default_from_settings_when_no_rule_exists(
        self, org, today, settings
    ):
        assert settings.ALLHANDS_DEFAULT_DAILY_BUDGET_MINUTES == 120
        assert budget(org.staff_profile, today) == 120

        settings.ALLHANDS_DEFAULT_DAILY_BUDGET_MINUTES = 95
        assert budget(org.staff_profile, today) == 95

    def test_a_global_rule_replaces_the_default(self, org, today):
        BudgetRuleFactory(daily_minutes=90, effective_from=today - 30 * DAY)

        assert budget(org.staff_profile, today) == 90
        assert budget(org.other_staff.profile, today) == 90

    def test_a_department_rule_beats_the_global_rule(self, org, today):
        BudgetRuleFactory(daily_minutes=90, effective_from=today - 30 * DAY)
        BudgetRuleFactory(
            daily_minutes=60, effective_from=today - 30 * DAY, department=org.engineering
        )

        assert budget(org.staff_profile, today) == 60
        assert budget(org.other_staff.profile, today) == 90

    def test_a_parent_department_rule_applies_to_a_child_department(self, org, today):
        backend = DepartmentFactory(code="BE", name="Backend", parent=org.engineering)
        databases = DepartmentFactory(code="DB", name="Databases", parent=backend)
        engineer = StaffProfileFactory(department=databases, line_supervisor=org.supervisor)
        BudgetRuleFactory(daily_minutes=90, effective_from=today - 30 * DAY)
        BudgetRuleFactory(
            daily_minutes=45, effective_from=today - 30 * DAY, department=org.engineering
        )

        assert budget(engineer, today) == 45

    def test_the_nearest_department_rule_beats_a_rule_higher_up_the_tree(self, org, today):
        backend = DepartmentFactory(code="BE", name="Backend", parent=org.engineering)
        engineer = StaffProfileFactory(department=backend)
        BudgetRuleFactory(
            daily_minutes=45, effective_from=today - 30 * DAY, department=org.engineering
        )
        BudgetRuleFactory(daily_minutes=30, effective_from=today - 60 * DAY, department=backend)

        assert budget(engineer, today) == 30
        assert budget(org.staff_profile, today) == 45

    def test_a_person_rule_beats_the_department_rule(self, org, today):
        BudgetRuleFactory(
            daily_minutes=60, effective_from=today - 30 * DAY, department=org.engineering
        )
        BudgetRuleFactory(
            daily_minutes=150, effective_from=today - 60 * DAY, staff=org.staff_profile
        )

        assert budget(org.staff_profile, today) == 150
        assert budget(org.outsider.profile, today) == 60

    def test_a_change_from_a_future_date_leaves_earlier_days_alone(self, org, today):
        BudgetRuleFactory(daily_minutes=100, effective_from=today - 30 * DAY)
        BudgetRuleFactory(daily_minutes=40, effective_from=today + 5 * DAY)

        assert budget(org.staff_profile, today - DAY) == 100
        assert budget(org.staff_profile, today) == 100
        assert budget(org.staff_profile, today + 4 * DAY) == 100
        assert budget(org.staff_profile, today + 5 * DAY) == 40
        assert budget(org.staff_profile, today + 50 * DAY) == 40

    def test_a_future_person_rule_does_not_override_today(self, org, today):
        BudgetRuleFactory(
            daily_minutes=60, effective_from=today - 30 * DAY, department=org.engineering
        )
        BudgetRuleFactory(daily_minutes=15, effective_from=today + DAY, staff=org.staff_profile)

        assert budget(org.staff_profile, today) == 60
        assert budget(org.staff_profile, today + DAY) == 15

    def test_the_latest_rule_on_or_before_the_day_wins(self, org, today):
        for offset, minutes in [(-20, 30), (-10, 60), (-5, 90)]:
            BudgetRuleFactory(
                daily_minutes=minutes,
                effective_from=today + offset * DAY,
                department=org.engineering,
            )

        assert budget(org.staff_profile, today - 21 * DAY) == 120
        assert budget(org.staff_profile, today - 20 * DAY) == 30
        assert budget(org.staff_profile, today - 11 * DAY) == 30
        assert budget(org.staff_profile, today - 10 * DAY) == 60
        assert budget(org.staff_profile, today - 6 * DAY) == 60
        assert budget(org.staff_profile, today - 5 * DAY) == 90
        assert budget(org.staff_profile, today) == 90

    def test_a_zero_budget_is_a_real_budget_not_a_missing_one(self, org, today):
        BudgetRuleFactory(daily_minutes=0, effective_from=today, staff=org.staff_profile)

        assert budget(org.staff_profile, today) == 0


@pytest.fixture
def mixed_rules(org, today):
    """Rules of every scope that change over a fortnight, and people under each of them."""
    backend = DepartmentFactory(code="BE", name="Backend", parent=org.engineering)
    people = [
        org.staff_profile,
        org.outsider.profile,
        org.other_staff.profile,
        StaffProfileFactory(department=backend),
        StaffProfileFactory(department=backend),
    ]
    BudgetRuleFactory(daily_minutes=100, effective_from=today - 10 * DAY)
    BudgetRuleFactory(daily_minutes=110, effective_from=today + 3 * DAY)
    BudgetRuleFactory(daily_minutes=80, effective_from=today + 2 * DAY, department=org.engineering)
    BudgetRuleFactory(daily_minutes=50, effective_from=today + 6 * DAY, department=backend)
    BudgetRuleFactory(daily_minutes=200, effective_from=today - 2 * DAY, staff=people[0])
    BudgetRuleFactory(daily_minutes=20, effective_from=today + 9 * DAY, staff=people[0])
    BudgetRuleFactory(daily_minutes=70, effective_from=today + 4 * DAY, staff=people[4])
    return people


class TestBulkBudgetReads:
    def test_budget_minutes_for_days_agrees_with_budget_minutes_for(self, mixed_rules, today):
        days = [today + offset * DAY for offset in range(-3, 14)]
        for person in mixed_rules:
            expected = {day: budget(person, day) for day in days}
            assert selectors.budget_minutes_for_days(staff=person, days=days) == expected

    def test_budget_minutes_for_people_agrees_with_budget_minutes_for(self, mixed_rules, today):
        for day in [today + offset * DAY for offset in range(-3, 14)]:
            expected = {person.pk: budget(person, day) for person in mixed_rules}
            assert selectors.budget_minutes_for_people(people=mixed_rules, day=day) == expected

    def test_the_mixed_rules_really_give_different_budgets(self, mixed_rules, today):
        # Guards the two agreement tests above against comparing defaults with defaults.
        budgets = selectors.budget_minutes_for_people(people=mixed_rules, day=today + 10 * DAY)
        assert [budgets[person.pk] for person in mixed_rules] == [20, 80, 110, 50, 70]

    def test_empty_inputs_cost_no_query(self, org, today, django_assert_num_queries):
        with django_assert_num_queries(0):
            assert selectors.budget_minutes_for_people(people=[], day=today) == {}
            assert selectors.budget_minutes_for_days(staff=org.staff_profile, days=[]) == {}

    def test_budget_minutes_for_people_costs_the_same_queries_for_3_and_30_people(
        self, org, today, django_assert_num_queries
    ):
        departments = [
            DepartmentFactory(code=f"T{n}", parent=org.engineering if n % 2 else None)
            for n in range(6)
        ]
        for n, department in enumerate(departments):
            BudgetRuleFactory(
                daily_minutes=30 + n, effective_from=today - DAY, department=department
            )
        people = [StaffProfileFactory(department=departments[n % 6]) for n in range(30)]
        for person in people[::4]:
            BudgetRuleFactory(daily_minutes=7, effective_from=today - 3 * DAY, staff=person)
        people = list(StaffProfile.objects.filter(pk__in=[p.pk for p in people]))

        with django_assert_num_queries(2):
            few = selectors.budget_minutes_for_people(people=people[:3], day=today)
        with django_assert_num_queries(2):
            many = selectors.budget_minutes_for_people(people=people, day=today)

        assert len(few) == 3
        assert len(many) == 30
        assert sorted(set(many.values())) == [7, 30, 31, 32, 33, 34, 35]

    def test_budget_minutes_for_days_costs_the_same_queries_for_a_week_and_a_month(
        self, org, today, django_assert_num_queries
    ):
        week = [today + n * DAY for n in range(7)]
        month = [today + n * DAY for n in range(31)]
        with django_assert_num_queries(2):
            selectors.budget_minutes_for_days(staff=org.staff_profile, days=week)
        with django_assert_num_queries(2):
            selectors.budget_minutes_for_days(staff=org.staff_profile, days=month)


class TestBudgetRuleCreate:
    def test_it_creates_a_person_rule_from_today(self, org, today):
        rule = services.budget_rule_create(
            actor=org.supervisor, staff=org.staff_profile, daily_minutes=75, effective_from=today
        )

        assert rule.created_by == org.supervisor
        assert budget(org.staff_profile, today) == 75
        assert budget(org.staff_profile, today - DAY) == 120

    def test_it_refuses_a_past_date_with_a_field_error(self, org, today):
        with pytest.raises(ValidationError) as error:
            services.budget_rule_create(
                actor=org.supervisor,
                staff=org.staff_profile,
                daily_minutes=75,
                effective_from=today - DAY,
            )

        assert list(error.value.message_dict) == ["effective_from"]
        assert not BudgetRule.objects.exists()

    @pytest.mark.parametrize("scope", ["global", "department", "person"])
    def test_it_refuses_a_second_rule_on_the_same_day_with_a_field_error(self, org, today, scope):
        target = {
            "global": {},
            "department": {"department": org.engineering},
            "person": {"staff": org.staff_profile},
        }[scope]
        services.budget_rule_create(
            actor=org.admin, daily_minutes=60, effective_from=today + DAY, **target
        )

        with pytest.raises(ValidationError) as error:
            services.budget_rule_create(
                actor=org.admin, daily_minutes=90, effective_from=today + DAY, **target
            )

        assert list(error.value.message_dict) == ["effective_from"]
        assert BudgetRule.objects.get().daily_minutes == 60

    def test_the_same_day_in_another_scope_is_not_a_duplicate(self, org, today):
        services.budget_rule_create(actor=org.admin, daily_minutes=60, effective_from=today)
        services.budget_rule_create(
            actor=org.admin, daily_minutes=50, effective_from=today, department=org.engineering
        )
        services.budget_rule_create(
            actor=org.admin, daily_minutes=40, effective_from=today, staff=org.staff_profile
        )

        assert BudgetRule.objects.count() == 3

    def test_it_refuses_a_rule_for_a_department_and_a_person_at_once(self, org, today):
        with pytest.raises(ValidationError):
            services.budget_rule_create(
                actor=org.admin,
                daily_minutes=60,
                effective_from=today,
                department=org.engineering,
                staff=org.staff_profile,
            )

        assert not BudgetRule.objects.exists()

    def test_it_refuses_more_than_a_working_day(self, org, today):
        with pytest.raises(ValidationError) as error:
            services.budget_rule_create(
                actor=org.admin, daily_minutes=481, effective_from=today, staff=org.staff_profile
            )

        assert "daily_minutes" in error.value.message_dict


class TestBudgetPage:
    def url(self, org):
        return reverse("departments:budget", args=[org.staff_profile.pk])

    def test_staff_see_their_own_budget_without_a_form(self, org, today, login):
        BudgetRuleFactory(daily_minutes=95, effective_from=today, staff=org.staff_profile)

        response = login(org.staff).get(self.url(org))

        assert response.status_code == 200
        assert response.context["form"] is None
        assert response.context["budget_today"] == 95
        assert 'name="daily_minutes"' not in response.content.decode()

    def test_staff_cannot_change_their_own_budget(self, org, today, login):
        response = login(org.staff).post(
            self.url(org), {"daily_minutes": 480, "effective_from": today.isoformat()}
        )

        assert response.status_code == 403
        assert not BudgetRule.objects.exists()

    def test_the_line_supervisor_sees_the_form(self, org, today, login):
        response = login(org.supervisor).get(self.url(org))

        assert response.status_code == 200
        assert 'name="daily_minutes"' in response.content.decode()

    def test_the_line_supervisor_creates_a_rule(self, org, today, login):
        start = today + 2 * DAY
        response = login(org.supervisor).post(
            self.url(org),
            {"daily_minutes": 45, "effective_from": start.isoformat(), "note": "Release month"},
        )

        assert response.status_code == 302
        assert response.url == self.url(org)
        rule = BudgetRule.objects.get()
        assert (rule.staff, rule.department, rule.daily_minutes, rule.effective_from) == (
            org.staff_profile,
            None,
            45,
            start,
        )
        assert rule.created_by == org.supervisor
        assert rule.note == "Release month"
        assert budget(org.staff_profile, start - DAY) == 120
        assert budget(org.staff_profile, start) == 45

    def test_the_delegate_may_look_but_not_change(self, org, today, login):
        client = login(org.delegate)

        assert client.get(self.url(org)).status_code == 200
        response = client.post(
            self.url(org), {"daily_minutes": 45, "effective_from": today.isoformat()}
        )
        assert response.status_code == 403
        assert not BudgetRule.objects.exists()

    def test_another_teams_supervisor_gets_404(self, org, today, login):
        client = login(org.other_supervisor)

        assert client.get(self.url(org)).status_code == 404
        response = client.post(
            self.url(org), {"daily_minutes": 45, "effective_from": today.isoformat()}
        )
        assert response.status_code == 404
        assert not BudgetRule.objects.exists()

    def test_a_past_date_shows_a_field_error_and_keeps_the_input(self, org, today, login):
        yesterday = today - DAY
        response = login(org.supervisor).post(
            self.url(org),
            {"daily_minutes": 77, "effective_from": yesterday.isoformat(), "note": "Catch-up"},
        )

        assert response.status_code == 200
        form = response.context["form"]
        assert list(form.errors) == ["effective_from"]
        html = response.content.decode()
        assert 'value="77"' in html
        assert f'value="{yesterday.isoformat()}"' in html
        assert 'value="Catch-up"' in html
        assert "cannot start in the past" in html
        assert not BudgetRule.objects.exists()

    def test_a_day_that_already_has_a_change_shows_a_field_error(self, org, today, login):
        BudgetRuleFactory(daily_minutes=30, effective_from=today + DAY, staff=org.staff_profile)

        response = login(org.supervisor).post(
            self.url(org), {"daily_minutes": 77, "effective_from": (today + DAY).isoformat()}
        )

        assert response.status_code == 200
        assert list(response.context["form"].errors) == ["effective_from"]
        assert 'value="77"' in response.content.decode()
        assert BudgetRule.objects.get().daily_minutes == 30
