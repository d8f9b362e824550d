"""The admin never rewrites the past: budgets already in effect stay as they are."""

import datetime
import zoneinfo

import pytest
import time_machine
from django.urls import reverse

from departments.models import BudgetRule
from tests.factories import BudgetRuleFactory

TODAY = datetime.date(2025, 3, 10)
YESTERDAY = TODAY - datetime.timedelta(days=1)
NEXT_MONTH = datetime.date(2025, 4, 1)
INLINE = "budget_rules"


@pytest.fixture(autouse=True)
def frozen_time():
    moment = datetime.datetime(2025, 3, 10, 10, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(moment, tick=False):
        yield


@pytest.fixture
def admin_client(org, login):
    return login(org.admin)


@pytest.fixture
def rules(org):
    """A rule in effect since last year, one starting today, one starting next month."""
    return {
        "past": BudgetRuleFactory(
            staff=org.staff_profile, effective_from=datetime.date(2024, 1, 1)
        ),
        "today": BudgetRuleFactory(staff=org.staff_profile, effective_from=TODAY, daily_minutes=90),
        "future": BudgetRuleFactory(
            staff=org.staff_profile, effective_from=NEXT_MONTH, daily_minutes=60
        ),
    }


def rule_data(**values):
    data = {"department": "", "staff": "", "daily_minutes": "90", "note": ""}
    data.update({key: str(value) for key, value in values.items()})
    return data


def form_data(response) -> dict:
    """What the browser would post back for the admin change page as rendered."""
    data: dict = {}

    def add(form):
        for bound in form:
            if bound.field.disabled:
                # A browser posts nothing for disabled inputs.
                continue
            value = bound.value()
            if value is None or value is False:
                continue
            data[bound.html_name] = "on" if value is True else str(value)

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        add(inline.formset.management_form)
        for form in inline.formset.forms:
            add(form)
    return data


def inline_index(response, rule) -> int:
    formset = next(
        i.formset for i in response.context["inline_admin_formsets"] if i.formset.prefix == INLINE
    )
    return next(n for n, form in enumerate(formset.forms) if form.instance.pk == rule.pk)


class TestBudgetRuleAdmin:
    def test_it_refuses_a_new_rule_that_starts_in_the_past(self, org, admin_client):
        response = admin_client.post(
            reverse("admin:departments_budgetrule_add"),
            rule_data(staff=org.staff_profile.pk, effective_from=YESTERDAY),
        )

        assert response.status_code == 200
        assert "cannot start in the past" in str(response.context["adminform"].form.errors)
        assert not BudgetRule.objects.exists()

    def test_it_adds_a_rule_from_today_through_the_service(self, org, admin_client):
        response = admin_client.post(
            reverse("admin:departments_budgetrule_add"),
            rule_data(staff=org.staff_profile.pk, effective_from=TODAY, daily_minutes=45),
        )

        assert response.status_code == 302
        rule = BudgetRule.objects.get()
        assert (rule.staff, rule.daily_minutes, rule.effective_from) == (
            org.staff_profile,
            45,
            TODAY,
        )
        assert rule.created_by == org.admin

    def test_it_refuses_a_rule_for_a_department_and_a_person_at_once(self, org, admin_client):
        response = admin_client.post(
            reverse("admin:departments_budgetrule_add"),
            rule_data(
                staff=org.staff_profile.pk, department=org.engineering.pk, effective_from=TODAY
            ),
        )

        assert response.status_code == 200
        assert "not both" in str(response.context["adminform"].form.errors)
        assert not BudgetRule.objects.exists()

    def test_it_refuses_a_second_rule_on_the_same_day(self, org, admin_client, rules):
        response = admin_client.post(
            reverse("admin:departments_budgetrule_add"),
            rule_data(staff=org.staff_profile.pk, effective_from=NEXT_MONTH),
        )

        assert response.status_code == 200
        assert "already starts on this day" in str(response.context["adminform"].form.errors)
        assert BudgetRule.objects.count() == 3

    @pytest.mark.parametrize("which", ["past", "today"])
    def test_a_rule_in_effect_is_read_only(self, admin_client, rules, which):
        rule = rules[which]
        url = reverse("admin:departments_budgetrule_change", args=[rule.pk])

        page = admin_client.get(url)
        posted = admin_client.post(url, rule_data(staff=rule.staff_id, effective_from=NEXT_MONTH))
        deleted = admin_client.post(
            reverse("admin:departments_budgetrule_delete", args=[rule.pk]), {"post": "yes"}
        )

        assert page.status_code == 200
        assert page.context["has_change_permission"] is False
        assert 'name="_save"' not in page.content.decode()
        assert posted.status_code == 403
        assert deleted.status_code == 403
        refreshed = BudgetRule.objects.get(pk=rule.pk)
        assert refreshed.effective_from == rule.effective_from

    def test_a_future_rule_can_be_changed_but_not_moved_into_the_past(
        self, org, admin_client, rules
    ):
        url = reverse("admin:departments_budgetrule_change", args=[rules["future"].pk])

        refused = admin_client.post(
            url, rule_data(staff=org.staff_profile.pk, effective_from=YESTERDAY)
        )
        accepted = admin_client.post(
            url,
            rule_data(staff=org.staff_profile.pk, effective_from=NEXT_MONTH, daily_minutes=75),
        )

        assert refused.status_code == 200
        assert "cannot start in the past" in str(refused.context["adminform"].form.errors)
        assert accepted.status_code == 302
        assert BudgetRule.objects.get(pk=rules["future"].pk).daily_minutes == 75

    def test_a_future_rule_can_be_withdrawn(self, admin_client, rules):
        response = admin_client.post(
            reverse("admin:departments_budgetrule_delete", args=[rules["future"].pk]),
            {"post": "yes"},
        )

        assert response.status_code == 302
        assert not BudgetRule.objects.filter(pk=rules["future"].pk).exists()

    def test_the_bulk_action_withdraws_only_future_rules(self, admin_client, rules):
        changelist = reverse("admin:departments_budgetrule_changelist")
        page = admin_client.get(changelist)
        assert "delete_selected" not in page.content.decode()

        response = admin_client.post(
            changelist,
            {
                "action": "withdraw_future_rules",
                "_selected_action": [rule.pk for rule in rules.values()],
            },
            follow=True,
        )

        content = response.content.decode()
        assert "1 budget withdrawn." in content
        assert "2 budgets are already in effect and were kept." in content
        assert set(BudgetRule.objects.values_list("pk", flat=True)) == {
            rules["past"].pk,
            rules["today"].pk,
        }


class TestBudgetRuleInline:
    def change_url(self, org):
        return reverse("admin:departments_staffprofile_change", args=[org.staff_profile.pk])

    def test_rows_in_effect_are_shown_read_only(self, org, admin_client, rules):
        response = admin_client.get(self.change_url(org))

        formset = response.context["inline_admin_formsets"][0].formset
        by_pk = {form.instance.pk: form for form in formset.forms}
        for which in ("past", "today"):
            form = by_pk[rules[which].pk]
            assert all(form.fields[name].disabled for name in ("daily_minutes", "effective_from"))
            assert form.fields["DELETE"].disabled
        assert not by_pk[rules["future"].pk].fields["daily_minutes"].disabled

    def test_posted_changes_to_rows_in_effect_are_ignored(self, org, admin_client, rules):
        url = self.change_url(org)
        page = admin_client.get(url)
        data = form_data(page)
        past = inline_index(page, rules["past"])
        future = inline_index(page, rules["future"])
        data.update(
            {
                f"{INLINE}-{past}-daily_minutes": "300",
                f"{INLINE}-{past}-effective_from": str(YESTERDAY),
                f"{INLINE}-{past}-DELETE": "on",
                f"{INLINE}-{future}-daily_minutes": "30",
            }
        )

        response = admin_client.post(url, data)

        assert response.status_code == 302, response.context["inline_admin_formsets"][
            0
        ].formset.errors
        past_rule = BudgetRule.objects.get(pk=rules["past"].pk)
        assert (past_rule.daily_minutes, past_rule.effective_from) == (
            rules["past"].daily_minutes,
            rules["past"].effective_from,
        )
        assert BudgetRule.objects.get(pk=rules["future"].pk).daily_minutes == 30

    def test_a_new_inline_rule_in_the_past_is_refused(self, org, admin_client, rules):
        url = self.change_url(org)
        data = form_data(admin_client.get(url))
        data.update(
            {
                f"{INLINE}-TOTAL_FORMS": "4",
                f"{INLINE}-3-daily_minutes": "30",
                f"{INLINE}-3-effective_from": str(YESTERDAY),
                f"{INLINE}-3-staff": str(org.staff_profile.pk),
            }
        )

        response = admin_client.post(url, data)

        assert response.status_code == 200
        assert "cannot start in the past" in str(
            response.context["inline_admin_formsets"][0].formset.errors
        )
        assert BudgetRule.objects.count() == 3

    def test_a_new_inline_rule_from_today_is_saved_with_its_author(self, org, admin_client, rules):
        rules["today"].delete()
        url = self.change_url(org)
        data = form_data(admin_client.get(url))
        data.update(
            {
                f"{INLINE}-TOTAL_FORMS": "3",
                f"{INLINE}-2-daily_minutes": "30",
                f"{INLINE}-2-effective_from": str(TODAY),
                f"{INLINE}-2-staff": str(org.staff_profile.pk),
            }
        )

        response = admin_client.post(url, data)

        assert response.status_code == 302
        rule = BudgetRule.objects.get(staff=org.staff_profile, effective_from=TODAY)
        assert (rule.daily_minutes, rule.created_by) == (30, org.admin)

    def test_the_department_inline_guards_the_past_too(self, org, admin_client):
        rule = BudgetRuleFactory(department=org.engineering, effective_from=YESTERDAY)
        url = reverse("admin:departments_department_change", args=[org.engineering.pk])
        page = admin_client.get(url)
        data = form_data(page)
        index = inline_index(page, rule)
        data[f"{INLINE}-{index}-daily_minutes"] = "10"

        response = admin_client.post(url, data)

        assert response.status_code == 302
        assert BudgetRule.objects.get(pk=rule.pk).daily_minutes == rule.daily_minutes
