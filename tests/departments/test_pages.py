"""Every page of the organisation app as every standing user, plus language and query counts."""

import datetime
import re

import pytest
from django.conf import settings
from django.urls import NoReverseMatch, reverse

from departments.models import Delegation, StaffProfile
from tests.factories import DepartmentFactory, StaffProfileFactory

USERS = [
    "anonymous",
    "staff",
    "supervisor",
    "delegate",
    "lead",
    "other_supervisor",
    "outsider",
    "finance",
    "admin",
]
EDIT = {
    "title": "Senior engineer",
    "goals": "Two client proposals a quarter",
    "primary_duties": "Build the billing service",
    "auxiliary_duties": "Technical input to proposals",
}


def client_for(client, org, name):
    if name != "anonymous":
        client.force_login(getattr(org, name))
    return client


def assert_sent_to_login(response, url):
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={url}"


def expected_row(*codes):
    return dict(zip(USERS, codes, strict=True))


# Pages about org.staff_profile: who sees them (200), who may see but not change (403),
# and who may not even know they exist (404).  302 for anonymous means "go and log in".
PAGES = {
    "my_profile": expected_row(302, 200, 200, 200, 200, 200, 200, 200, 404),
    "profile": expected_row(302, 200, 200, 200, 200, 404, 404, 404, 200),
    "profile_edit": expected_row(302, 403, 200, 403, 403, 404, 404, 404, 200),
    "budget": expected_row(302, 200, 200, 200, 200, 404, 404, 404, 200),
    "org_chart": expected_row(302, 200, 200, 200, 200, 200, 200, 200, 200),
    "delegations": expected_row(302, 200, 200, 200, 200, 200, 200, 200, 200),
}


def page_url(org, page):
    if page in {"profile", "profile_edit", "budget"}:
        return reverse(f"departments:{page}", args=[org.staff_profile.pk])
    return reverse(f"departments:{page}")


@pytest.mark.parametrize("name", USERS)
@pytest.mark.parametrize("page", list(PAGES))
def test_get_page_as_each_standing_user(client, org, today, page, name):
    url = page_url(org, page)

    response = client_for(client, org, name).get(url)

    assert response.status_code == PAGES[page][name]
    if name == "anonymous":
        assert_sent_to_login(response, url)


@pytest.mark.parametrize(
    ("name", "expected"),
    list(expected_row(302, 403, 302, 403, 403, 404, 404, 404, 302).items()),
)
def test_post_profile_edit_as_each_standing_user(client, org, today, name, expected):
    url = reverse("departments:profile_edit", args=[org.staff_profile.pk])

    response = client_for(client, org, name).post(url, EDIT)

    assert response.status_code == expected
    org.staff_profile.refresh_from_db()
    saved = org.staff_profile.goals == EDIT["goals"]
    if name == "anonymous":
        assert_sent_to_login(response, url)
        assert not saved
    else:
        assert saved is (expected == 302)


@pytest.mark.parametrize(
    ("name", "expected"),
    list(expected_row(302, 403, 302, 403, 403, 404, 404, 404, 302).items()),
)
def test_post_budget_as_each_standing_user(client, org, today, name, expected):
    url = reverse("departments:budget", args=[org.staff_profile.pk])

    response = client_for(client, org, name).post(
        url, {"daily_minutes": 60, "effective_from": today.isoformat()}
    )

    assert response.status_code == expected
    created = org.staff_profile.budget_rules.filter(daily_minutes=60).exists()
    assert created is (expected == 302 and name != "anonymous")


class TestHome:
    def test_anonymous_visitors_are_sent_to_log_in(self, client, db):
        assert_sent_to_login(client.get("/"), "/")

    def test_people_land_on_their_own_page(self, org, login):
        try:
            landing = reverse("tasks:today")
        except NoReverseMatch:
            landing = reverse("departments:my_profile")

        response = login(org.staff).get("/")

        assert response.status_code == 302
        assert response.url == landing

    def test_an_account_without_profile_lands_on_the_org_chart(self, org, login):
        response = login(org.admin).get("/")

        assert response.status_code == 302
        assert response.url == reverse("departments:org_chart")


class TestProfile:
    def test_my_profile_shows_both_supervisors(self, org, today, login):
        response = login(org.staff).get(reverse("departments:my_profile"))

        html = response.content.decode()
        line = re.search(r'data-testid="line-supervisor">(.*?)</dd>', html, re.S).group(1)
        lead = re.search(r'data-testid="marketing-lead">(.*?)</dd>', html, re.S).group(1)
        assert org.supervisor.get_full_name() in line
        assert org.lead.get_full_name() not in line
        assert org.lead.get_full_name() in lead
        assert org.supervisor.get_full_name() not in lead

    def test_a_profile_without_supervisors_says_so(self, org, today, login):
        loner = StaffProfileFactory(department=org.engineering)

        response = login(loner.user).get(reverse("departments:my_profile"))

        html = response.content.decode()
        line = re.search(r'data-testid="line-supervisor">(.*?)</dd>', html, re.S).group(1)
        assert "None assigned" in line

    def test_the_supervisor_sees_their_reports(self, org, today, login):
        response = login(org.supervisor).get(reverse("departments:my_profile"))

        assert {p.user for p in response.context["reports"]} == {org.staff, org.outsider}

    def test_an_unknown_profile_is_not_found(self, org, login):
        missing = StaffProfile.objects.order_by("-pk").first().pk + 1

        response = login(org.admin).get(reverse("departments:profile", args=[missing]))

        assert response.status_code == 404

    def test_the_delegate_loses_sight_when_the_delegation_ends(self, org, today, login):
        url = reverse("departments:profile", args=[org.staff_profile.pk])
        Delegation.objects.filter(delegate=org.delegate).update(end_date=today)
        assert login(org.delegate).get(url).status_code == 200

        Delegation.objects.filter(delegate=org.delegate).update(
            end_date=today - datetime.timedelta(days=1)
        )
        assert login(org.delegate).get(url).status_code == 404

    def test_the_line_supervisor_saves_goals_and_duties(self, org, today, login):
        url = reverse("departments:profile_edit", args=[org.staff_profile.pk])

        response = login(org.supervisor).post(url, EDIT)

        assert response.status_code == 302
        assert response.url == reverse("departments:profile", args=[org.staff_profile.pk])
        org.staff_profile.refresh_from_db()
        assert {name: getattr(org.staff_profile, name) for name in EDIT} == EDIT

    def test_too_long_goals_show_an_error_and_keep_the_input(self, org, today, login):
        url = reverse("departments:profile_edit", args=[org.staff_profile.pk])

        response = login(org.supervisor).post(url, {**EDIT, "goals": "x" * 4001})

        assert response.status_code == 200
        assert list(response.context["form"].errors) == ["goals"]
        assert EDIT["primary_duties"] in response.content.decode()
        org.staff_profile.refresh_from_db()
        assert org.staff_profile.goals == ""


def grow_org(org, departments, people_per_department):
    """Add departments (nested two deep) full of people with both supervisors."""
    parent = None
    for n in range(departments):
        head = StaffProfileFactory(department=org.engineering).user
        department = DepartmentFactory(code=f"G{n}", parent=parent, head=head)
        parent = department if n % 2 == 0 else None
        for _ in range(people_per_department):
            StaffProfileFactory(
                department=department, line_supervisor=head, marketing_lead=org.lead
            )


class TestOrgChart:
    # session, user with profile and department, roles, departments, their people
    QUERIES = 5

    @pytest.mark.parametrize("scale", [1, 3])
    def test_the_query_count_does_not_grow_with_the_organisation(
        self, org, today, login, django_assert_num_queries, scale
    ):
        grow_org(org, departments=3 * scale, people_per_department=4 * scale)
        client = login(org.staff)

        with django_assert_num_queries(self.QUERIES):
            response = client.get(reverse("departments:org_chart"))

        assert response.status_code == 200
        html = response.content.decode()
        assert html.count("<tr>") - html.count("<thead><tr>") == StaffProfile.objects.count()

    def test_it_shows_the_tree_with_both_supervisors(self, org, today, login):
        DepartmentFactory(code="BE", name="Backend", parent=org.engineering)

        response = login(org.staff).get(reverse("departments:org_chart"))

        tree = response.context["tree"]
        assert [node["department"].name for node in tree] == [
            "Engineering",
            "Marketing",
            "Operations",
        ]
        assert [child["department"].name for child in tree[0]["children"]] == ["Backend"]
        html = response.content.decode()
        assert org.supervisor.get_full_name() in html
        assert org.lead.get_full_name() in html

    def test_inactive_people_are_left_out(self, org, today, login):
        StaffProfile.objects.filter(user=org.outsider).update(is_active=False)

        response = login(org.staff).get(reverse("departments:org_chart"))

        engineering = response.context["tree"][0]["department"]
        assert engineering.people_count == 3
        assert org.outsider not in {p.user for p in engineering.active_members}


class TestLanguage:
    url = reverse("departments:my_profile")

    def test_the_default_language_of_the_test_settings_is_english(self, org, login):
        response = login(org.staff).get(self.url)

        assert response.wsgi_request.LANGUAGE_CODE == "en"
        assert '<html lang="en">' in response.content.decode()

    def test_the_language_cookie_switches_the_page_to_chinese(self, org, login):
        client = login(org.staff)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"

        response = client.get(self.url)

        assert response.wsgi_request.LANGUAGE_CODE == "zh-hans"
        assert response["Content-Language"] == "zh-hans"
        assert '<html lang="zh-hans">' in response.content.decode()

    def test_the_browser_language_switches_the_page_to_chinese(self, org, login):
        response = login(org.staff).get(
            self.url, headers={"accept-language": "zh-CN,zh;q=0.9,en;q=0.5"}
        )

        assert response.wsgi_request.LANGUAGE_CODE == "zh-hans"
        assert '<html lang="zh-hans">' in response.content.decode()

    def test_the_switcher_sets_the_cookie_and_remembers_the_language(self, org, login):
        StaffProfile.objects.filter(user=org.staff).update(language="en")
        client = login(org.staff)

        response = client.post(reverse("set_language"), {"language": "zh-hans", "next": self.url})

        assert response.status_code == 302
        assert response.url == self.url
        assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
        assert StaffProfile.objects.get(user=org.staff).language == "zh-hans"
        assert '<html lang="zh-hans">' in client.get(self.url).content.decode()

    def test_the_switcher_ignores_an_unknown_language(self, org, login):
        StaffProfile.objects.filter(user=org.staff).update(language="en")

        login(org.staff).post(reverse("set_language"), {"language": "fr", "next": self.url})

        assert StaffProfile.objects.get(user=org.staff).language == "en"

    def test_anonymous_visitors_may_switch_on_the_login_page(self, client, db):
        login_url = reverse("login")

        response = client.post(reverse("set_language"), {"language": "zh-hans", "next": login_url})

        assert response.status_code == 302
        assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
        page = client.get(login_url)
        assert page.status_code == 200
        assert page.wsgi_request.LANGUAGE_CODE == "zh-hans"
        assert not page.wsgi_request.user.is_authenticated
