"""Budget extensions from the staff side: ask, follow, withdraw."""

import datetime
import zoneinfo

import pytest
import time_machine
from django.urls import NoReverseMatch, reverse

from tasks import services
from tasks.models import BudgetExtension

DAY = datetime.date(2026, 3, 10)
XSS = "<script>alert(1)</script>"
LIST_URL = reverse("tasks:my_extensions")


@pytest.fixture(autouse=True)
def frozen_clock(settings):
    moment = datetime.datetime(2026, 3, 10, 10, 0, tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))
    with time_machine.travel(moment, tick=False):
        yield


def ask(profile, *, minutes=60, day=DAY, reason="Trade fair"):
    return services.extension_request(staff=profile, day=day, minutes=minutes, reason=reason)


@pytest.fixture
def extension(org):
    return ask(org.staff_profile)


def request_data(**overrides):
    data = {"day": DAY.isoformat(), "minutes": "60", "reason": "Trade fair all afternoon"}
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def decide_url_exists(pk) -> bool:
    try:
        reverse("tasks:extension_decide", args=[pk])
    except NoReverseMatch:
        return False
    return True


STRANGERS = [("lead", 404), ("other_supervisor", 404), ("outsider", 404), ("finance", 404)]


class TestMyExtensions:
    @pytest.mark.parametrize(
        "who", ["staff", "supervisor", "delegate", "other_supervisor", "outsider", "other_staff"]
    )
    def test_staff_see_their_own_requests_page(self, org, login, who):
        assert login(getattr(org, who)).get(LIST_URL).status_code == 200

    @pytest.mark.parametrize("who", ["lead", "admin"])
    def test_it_requires_a_staff_role(self, org, login, who):
        client = login(getattr(org, who))

        assert client.get(LIST_URL).status_code == 403
        assert client.post(LIST_URL, request_data()).status_code == 403
        assert not BudgetExtension.objects.exists()

    def test_anonymous_is_sent_to_login(self, org, client):
        response = client.get(LIST_URL)

        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))

    def test_it_lists_only_my_requests_with_their_status(self, org, login, extension):
        refused = ask(org.staff_profile, day=DAY - datetime.timedelta(days=1), reason="Visit")
        services.extension_decide(
            actor=org.supervisor, extension=refused, grant=False, note="Not needed"
        )
        theirs = ask(org.other_staff.profile, reason="Someone else's fair")

        response = login(org.staff).get(LIST_URL)

        assert list(response.context["page"].object_list) == [extension, refused]
        content = response.content.decode()
        assert "Requested" in content
        assert "Refused" in content
        assert "Someone else" not in content
        assert reverse("tasks:extension_detail", args=[theirs.pk]) not in content
        assert reverse("tasks:extension_withdraw", args=[extension.pk]) in content
        assert reverse("tasks:extension_withdraw", args=[refused.pk]) not in content

    def test_it_shows_an_empty_state(self, org, login):
        content = login(org.staff).get(LIST_URL).content.decode()

        assert "You have not asked for an extension yet." in content

    def test_it_paginates_by_fifty(self, org, login):
        BudgetExtension.objects.bulk_create(
            BudgetExtension(staff=org.staff_profile, day=DAY, minutes=10, reason=f"r{n}")
            for n in range(51)
        )
        client = login(org.staff)

        first = client.get(LIST_URL)
        second = client.get(LIST_URL, {"page": 2})

        assert len(first.context["page"].object_list) == 50
        assert len(second.context["page"].object_list) == 1
        assert "Page 1 of 2" in first.content.decode()

    def test_it_sends_a_request_and_shows_it(self, org, login):
        client = login(org.staff)

        response = client.post(LIST_URL, request_data())

        extension = BudgetExtension.objects.get()
        assert response.status_code == 302
        assert response.url == reverse("tasks:extension_detail", args=[extension.pk])
        assert (extension.staff, extension.day, extension.minutes, extension.status) == (
            org.staff_profile,
            DAY,
            60,
            BudgetExtension.Status.REQUESTED,
        )
        assert "went to your line supervisor" in client.get(response.url).content.decode()

    def test_it_accepts_a_day_ahead(self, org, login):
        response = login(org.staff).post(LIST_URL, request_data(day="2026-03-20"))

        assert response.status_code == 302
        assert BudgetExtension.objects.get().day == datetime.date(2026, 3, 20)

    @pytest.mark.parametrize(
        ("field", "value", "message"),
        [
            ("minutes", "-30", "greater than zero"),
            ("minutes", "0", "greater than zero"),
            ("minutes", "100000", "A day has only 1440 minutes"),
            ("minutes", "lots", "whole number"),
            ("day", "2026-03-01", "older than 7 days"),
            ("day", "2026-06-30", "60 days ahead"),
            ("day", "tomorrow", "Enter a date"),
            ("reason", "", "Say why you need more time"),
            ("reason", "x" * 10_000, "under 2000 characters"),
        ],
    )
    def test_bad_input_gets_a_message_beside_the_field_and_stores_nothing(
        self, org, login, field, value, message
    ):
        data = request_data(**{field: value})

        response = login(org.staff).post(LIST_URL, data)

        assert response.status_code == 200
        errors = response.context["form"].errors[field]
        assert message in errors[0]
        assert response.context["form"][field].value() == data[field]
        assert not BudgetExtension.objects.exists()

    def test_a_second_pending_request_for_the_day_is_refused(self, org, login, extension):
        response = login(org.staff).post(LIST_URL, request_data(minutes="30"))

        assert "already have a pending request" in response.context["form"].errors["day"][0]
        assert BudgetExtension.objects.count() == 1

    def test_without_a_line_supervisor_it_says_so(self, org, login):
        org.staff_profile.line_supervisor = None
        org.staff_profile.save()
        client = login(org.staff)

        assert "no line supervisor" in client.get(LIST_URL).content.decode()
        response = client.post(LIST_URL, request_data())
        assert "no line supervisor" in response.context["form"].errors["day"][0]
        assert not BudgetExtension.objects.exists()

    def test_script_in_the_reason_is_stored_as_typed_and_shown_escaped(self, org, login):
        client = login(org.staff)

        client.post(LIST_URL, request_data(reason=XSS))

        extension = BudgetExtension.objects.get()
        assert extension.reason == XSS
        for url in (LIST_URL, reverse("tasks:extension_detail", args=[extension.pk])):
            content = client.get(url).content.decode()
            assert XSS not in content
            assert "&lt;script&gt;" in content

    def test_its_query_count_does_not_grow_with_requests(
        self, org, login, django_assert_num_queries
    ):
        client = login(org.staff)
        ask(org.staff_profile)
        with django_assert_num_queries(LIST_QUERIES):
            client.get(LIST_URL)
        BudgetExtension.objects.bulk_create(
            BudgetExtension(staff=org.staff_profile, day=DAY, minutes=10, reason=f"r{n}")
            for n in range(29)
        )
        with django_assert_num_queries(LIST_QUERIES):
            client.get(LIST_URL)


# Session, user, roles, count and page of requests.
LIST_QUERIES = 5


class TestExtensionDetail:
    def url(self, extension):
        return reverse("tasks:extension_detail", args=[extension.pk])

    @pytest.mark.parametrize(
        ("who", "status"),
        [("staff", 200), ("supervisor", 200), ("delegate", 200), ("admin", 200), *STRANGERS],
    )
    def test_it_is_visible_to_the_owner_their_supervisors_and_admins(
        self, org, login, extension, who, status
    ):
        assert login(getattr(org, who)).get(self.url(extension)).status_code == status

    def test_anonymous_is_sent_to_login(self, org, client, extension):
        assert client.get(self.url(extension)).status_code == 302

    def test_a_missing_request_is_404(self, org, login):
        url = reverse("tasks:extension_detail", args=[999])
        assert login(org.staff).get(url).status_code == 404

    def test_it_shows_the_request_and_its_history(self, org, login, extension):
        services.extension_decide(
            actor=org.supervisor, extension=extension, grant=False, note="Busy week"
        )

        response = login(org.staff).get(self.url(extension))

        content = response.content.decode()
        for text in ("Trade fair", "Refused", "Busy week", org.supervisor.get_full_name()):
            assert text in content
        assert [change.to_state for change in response.context["history"]] == [
            "requested",
            "refused",
        ]
        assert reverse("tasks:extension_withdraw", args=[extension.pk]) not in content

    def test_the_owner_may_withdraw_a_pending_request(self, org, login, extension):
        content = login(org.staff).get(self.url(extension)).content.decode()

        assert reverse("tasks:extension_withdraw", args=[extension.pk]) in content
        assert 'name="decision"' not in content

    @pytest.mark.parametrize("who", ["supervisor", "delegate"])
    def test_the_supervisor_gets_grant_and_refuse_buttons(self, org, login, extension, who):
        response = login(getattr(org, who)).get(self.url(extension))

        assert response.context["can_decide"] is True
        content = response.content.decode()
        assert reverse("tasks:extension_withdraw", args=[extension.pk]) not in content
        if decide_url_exists(extension.pk):
            assert reverse("tasks:extension_decide", args=[extension.pk]) in content
            assert 'value="grant"' in content
            assert 'value="refuse"' in content

    def test_the_admin_sees_no_decision_buttons(self, org, login, extension):
        response = login(org.admin).get(self.url(extension))

        assert response.context["can_decide"] is False
        assert 'name="decision"' not in response.content.decode()

    def test_a_decided_request_has_no_decision_buttons(self, org, login, extension):
        services.extension_decide(actor=org.supervisor, extension=extension, grant=True)

        content = login(org.supervisor).get(self.url(extension)).content.decode()

        assert 'name="decision"' not in content


class TestExtensionWithdraw:
    def url(self, extension):
        return reverse("tasks:extension_withdraw", args=[extension.pk])

    def test_the_owner_withdraws_a_pending_request(self, org, login, extension):
        client = login(org.staff)

        response = client.post(self.url(extension))

        assert response.status_code == 302
        assert response.url == reverse("tasks:extension_detail", args=[extension.pk])
        extension.refresh_from_db()
        assert extension.status == BudgetExtension.Status.WITHDRAWN
        assert "Request withdrawn." in client.get(response.url).content.decode()

    def test_it_needs_post(self, org, login, extension):
        assert login(org.staff).get(self.url(extension)).status_code == 405

    @pytest.mark.parametrize(
        ("who", "status"),
        [("supervisor", 403), ("delegate", 403), ("admin", 403), *STRANGERS],
    )
    def test_nobody_else_withdraws_it(self, org, login, extension, who, status):
        assert login(getattr(org, who)).post(self.url(extension)).status_code == status
        extension.refresh_from_db()
        assert extension.status == BudgetExtension.Status.REQUESTED

    def test_anonymous_is_sent_to_login(self, org, client, extension):
        assert client.post(self.url(extension)).status_code == 302
        extension.refresh_from_db()
        assert extension.status == BudgetExtension.Status.REQUESTED

    def test_a_decided_request_stays_with_a_message(self, org, login, extension):
        services.extension_decide(actor=org.supervisor, extension=extension, grant=True)

        response = login(org.staff).post(self.url(extension), follow=True)

        extension.refresh_from_db()
        assert extension.status == BudgetExtension.Status.GRANTED
        assert "already decided" in response.content.decode()
