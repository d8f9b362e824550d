"""The line supervisor's approval queue and extension requests (rule 3: only the line
supervisor or their active delegate decides; nobody decides on their own records)."""

import datetime
import zoneinfo

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from departments.models import Delegation
from tasks import selectors, services
from tasks.context_processors import navigation_counts
from tasks.models import AssistCategory, BudgetExtension, DayLedger, StateChange, TimeLog
from tasks.selectors_approvals import QUEUE_LIMIT
from tests.factories import DelegationFactory, StaffProfileFactory, UserFactory

QUEUE = reverse("tasks:approval_queue")
EXTENSIONS = reverse("tasks:extension_queue")
ANONYMOUS = "anonymous"


def category(code=None):
    categories = AssistCategory.objects.filter(is_active=True).order_by("order", "pk")
    return categories.get(code=code) if code else categories.first()


def make_log(profile, day, minutes=30, *, task=None, description="Called a client", code=None):
    return services.time_log_create(
        staff=profile,
        day=day,
        minutes=minutes,
        category=category(code),
        description=description,
        duties_done=True,
        task=task,
    )


def client_for(client, org, name):
    if name == ANONYMOUS:
        return client
    client.force_login(getattr(org, name))
    return client


def status_of(*logs):
    return [TimeLog.objects.get(pk=log.pk).status for log in logs]


@pytest.fixture
def logs(org, today):
    """Two entries of the staff member on one day, one of the other team's staff."""
    yesterday = today - datetime.timedelta(days=1)
    return {
        "first": make_log(org.staff_profile, yesterday, 30, description="Drafted a proposal"),
        "second": make_log(org.staff_profile, yesterday, 45, description="Visited Acme"),
        "other": make_log(org.other_staff.profile, yesterday, 20, description="Other team work"),
    }


# --------------------------------------------------------------------------- page access


class TestQueueAccess:
    @pytest.mark.parametrize(
        ("name", "expected"),
        [
            ("supervisor", 200),
            ("delegate", 200),
            ("other_supervisor", 200),
            ("staff", 403),
            ("outsider", 403),
            ("lead", 403),
            ("finance", 403),
            ("admin", 403),
            (ANONYMOUS, 302),
        ],
    )
    def test_it_is_for_line_supervisors_and_delegates(self, client, org, logs, name, expected):
        response = client_for(client, org, name).get(QUEUE)
        assert response.status_code == expected
        if expected == 302:
            assert response.url.startswith(reverse("login"))

    @pytest.mark.parametrize("name", ["supervisor", "delegate"])
    def test_it_lists_the_reports_entries(self, client, org, logs, name):
        body = client_for(client, org, name).get(QUEUE).content.decode()
        assert "Drafted a proposal" in body
        assert "Visited Acme" in body
        assert "Other team work" not in body

    def test_the_other_supervisor_sees_only_their_own_team(self, client, org, logs):
        body = client_for(client, org, "other_supervisor").get(QUEUE).content.decode()
        assert "Other team work" in body
        assert "Drafted a proposal" not in body

    def test_it_groups_by_person_and_day_with_the_days_total_against_the_cap(
        self, client, org, logs, today
    ):
        make_log(org.staff_profile, today, 15, description="Answered a complaint")
        response = client_for(client, org, "supervisor").get(QUEUE)
        days = response.context["queue"].days
        assert [(d.staff.pk, d.day, len(d.logs)) for d in days] == [
            (org.staff_profile.pk, today - datetime.timedelta(days=1), 2),
            (org.staff_profile.pk, today, 1),
        ]
        assert (days[0].figures.counted, days[0].figures.cap) == (75, 120)
        assert days[0].pending_minutes == 75
        body = response.content.decode()
        assert "75 of 120 minutes that day" in body
        assert "3 entries waiting" in body

    def test_an_approved_entry_counts_towards_the_day_but_is_not_waiting(self, client, org, logs):
        services.time_logs_approve(actor=org.supervisor, log_ids=[logs["first"].pk])
        response = client_for(client, org, "supervisor").get(QUEUE)
        [day] = response.context["queue"].days
        assert [log.pk for log in day.logs] == [logs["second"].pk]
        assert (day.pending_minutes, day.figures.counted) == (45, 75)

    def test_a_granted_extension_raises_the_cap_shown(self, client, org, logs, today):
        extension = services.extension_request(
            staff=org.staff_profile,
            day=today - datetime.timedelta(days=1),
            minutes=30,
            reason="Trade fair",
        )
        services.extension_decide(actor=org.supervisor, extension=extension, grant=True)
        response = client_for(client, org, "supervisor").get(QUEUE)
        assert response.context["queue"].days[0].figures.cap == 150

    def test_an_empty_queue_says_so(self, client, org, today):
        body = client_for(client, org, "supervisor").get(QUEUE).content.decode()
        assert "Nothing is waiting for your approval." in body

    def test_put_and_delete_are_not_allowed(self, client, org, today):
        assert client_for(client, org, "supervisor").delete(QUEUE).status_code == 405


# --------------------------------------------------------------------------- decisions


class TestBulkApprove:
    @pytest.mark.parametrize("name", ["supervisor", "delegate"])
    def test_it_approves_the_ticked_entries(self, client, org, logs, name):
        actor = getattr(org, name)
        response = client_for(client, org, name).post(
            QUEUE, {"action": "approve", "logs": [logs["first"].pk, logs["second"].pk]}
        )
        assert response.status_code == 302
        assert response.url == QUEUE
        assert status_of(logs["first"], logs["second"]) == ["approved", "approved"]
        first = TimeLog.objects.get(pk=logs["first"].pk)
        assert first.decided_by == actor
        assert first.decided_at is not None
        change = StateChange.objects.filter(
            content_type=ContentType.objects.get_for_model(TimeLog), object_id=first.pk
        ).last()
        assert (change.from_state, change.to_state, change.actor) == (
            "submitted",
            "approved",
            actor,
        )

    def test_one_checkbox_holds_a_whole_day(self, client, org, logs):
        ids = f"{logs['first'].pk},{logs['second'].pk}"
        client_for(client, org, "supervisor").post(QUEUE, {"action": "approve", "logs": [ids]})
        assert status_of(logs["first"], logs["second"]) == ["approved", "approved"]

    def test_it_leaves_the_unticked_entries_waiting(self, client, org, logs):
        client_for(client, org, "supervisor").post(
            QUEUE, {"action": "approve", "logs": [logs["first"].pk]}
        )
        assert status_of(logs["first"], logs["second"]) == ["approved", "submitted"]

    def test_approving_frees_nothing(self, client, org, logs):
        ledger = DayLedger.objects.get(staff=org.staff_profile, day=logs["first"].day)
        assert ledger.logged_minutes == 75
        client_for(client, org, "supervisor").post(
            QUEUE, {"action": "approve", "logs": [logs["first"].pk, logs["second"].pk]}
        )
        ledger.refresh_from_db()
        assert ledger.logged_minutes == 75

    def test_it_says_how_many_were_approved(self, client, org, logs):
        response = client_for(client, org, "supervisor").post(
            QUEUE, {"action": "approve", "logs": [logs["first"].pk, logs["second"].pk]}, follow=True
        )
        assert "2 entries approved." in response.content.decode()

    def test_another_teams_entry_fails_the_whole_batch(self, client, org, logs):
        response = client_for(client, org, "supervisor").post(
            QUEUE, {"action": "approve", "logs": [logs["first"].pk, logs["other"].pk]}
        )
        assert response.status_code == 403
        assert status_of(logs["first"], logs["other"]) == ["submitted", "submitted"]

    def test_another_teams_entry_fails_a_rejection_too(self, client, org, logs):
        response = client_for(client, org, "supervisor").post(
            QUEUE,
            {"action": "reject", "reason": "No", "logs": [logs["first"].pk, logs["other"].pk]},
        )
        assert response.status_code == 403
        assert status_of(logs["first"], logs["other"]) == ["submitted", "submitted"]

    def test_the_other_supervisor_cannot_decide_on_the_staffs_entries(self, client, org, logs):
        response = client_for(client, org, "other_supervisor").post(
            QUEUE, {"action": "approve", "logs": [logs["first"].pk]}
        )
        assert response.status_code == 403
        assert status_of(logs["first"]) == ["submitted"]

    @pytest.mark.parametrize("name", ["staff", "outsider", "lead", "admin"])
    def test_people_without_the_role_cannot_post(self, client, org, logs, name):
        response = client_for(client, org, name).post(
            QUEUE, {"action": "approve", "logs": [logs["first"].pk]}
        )
        assert response.status_code == 403
        assert status_of(logs["first"]) == ["submitted"]

    def test_anonymous_posts_go_to_the_login(self, client, org, logs):
        response = client.post(QUEUE, {"action": "approve", "logs": [logs["first"].pk]})
        assert response.status_code == 302
        assert status_of(logs["first"]) == ["submitted"]

    def test_nothing_ticked_says_so(self, client, org, logs):
        response = client_for(client, org, "supervisor").post(QUEUE, {"action": "approve"})
        assert response.status_code == 200
        assert response.context["form"].non_field_errors() == ["Select at least one entry."]

    def test_an_entry_decided_meanwhile_stops_the_batch(self, client, org, logs):
        services.time_logs_approve(actor=org.supervisor, log_ids=[logs["first"].pk])
        response = client_for(client, org, "delegate").post(
            QUEUE,
            {"action": "reject", "reason": "x", "logs": [logs["first"].pk, logs["second"].pk]},
        )
        assert response.status_code == 200
        assert "already decided" in response.context["form"].non_field_errors()[0]
        assert status_of(logs["first"], logs["second"]) == ["approved", "submitted"]

    def test_an_unknown_entry_stops_the_batch(self, client, org, logs):
        response = client_for(client, org, "supervisor").post(
            QUEUE, {"action": "approve", "logs": [logs["first"].pk, 999999]}
        )
        assert response.status_code == 200
        assert "no longer exist" in response.context["form"].non_field_errors()[0]
        assert status_of(logs["first"]) == ["submitted"]

    @pytest.mark.parametrize("value", ["abc", "1;2", "١", "9" * 30])
    def test_garbage_ids_are_refused(self, client, org, logs, value):
        response = client_for(client, org, "supervisor").post(
            QUEUE, {"action": "approve", "logs": [value]}
        )
        assert response.status_code == 200
        assert response.context["form"].errors["logs"]

    def test_a_missing_action_is_refused(self, client, org, logs):
        response = client_for(client, org, "supervisor").post(QUEUE, {"logs": [logs["first"].pk]})
        assert response.status_code == 200
        assert response.context["form"].errors["action"] == ["Choose approve or reject."]
        assert status_of(logs["first"]) == ["submitted"]


class TestBulkReject:
    def test_it_rejects_with_the_reason_and_frees_the_minutes(self, client, org, logs):
        ledger = DayLedger.objects.get(staff=org.staff_profile, day=logs["first"].day)
        assert ledger.logged_minutes == 75
        response = client_for(client, org, "supervisor").post(
            QUEUE,
            {"action": "reject", "reason": "Not marketing work", "logs": [logs["first"].pk]},
        )
        assert response.status_code == 302
        rejected = TimeLog.objects.get(pk=logs["first"].pk)
        assert rejected.status == "rejected"
        assert rejected.rejection_reason == "Not marketing work"
        assert rejected.decided_by == org.supervisor
        ledger.refresh_from_db()
        assert ledger.logged_minutes == 45

    def test_a_rejection_without_reason_changes_nothing_and_keeps_the_input(
        self, client, org, logs
    ):
        response = client_for(client, org, "supervisor").post(
            QUEUE + f"?person={org.staff_profile.pk}",
            {"action": "reject", "reason": "   ", "logs": [logs["first"].pk]},
        )
        assert response.status_code == 200
        assert response.context["form"].errors["reason"] == [
            "Say why, so that the person can put it right."
        ]
        assert status_of(logs["first"], logs["second"]) == ["submitted", "submitted"]
        body = response.content.decode()
        assert "Say why, so that the person can put it right." in body
        assert f'value="{logs["first"].pk}" id="log-{logs["first"].pk}" data-entry' in body
        assert response.context["selected"] == {logs["first"].pk}
        # The ticked entry stays ticked, the other one does not.
        assert f'id="log-{logs["first"].pk}" data-entry data-group="1" checked' in body
        assert f'id="log-{logs["second"].pk}" data-entry data-group="1" checked' not in body
        assert f'action="{QUEUE}?person={org.staff_profile.pk}"' in body

    def test_the_reason_typed_is_kept_when_something_else_fails(self, client, org, logs):
        response = client_for(client, org, "supervisor").post(
            QUEUE, {"action": "reject", "reason": "Duplicate entry"}
        )
        assert response.status_code == 200
        assert "Duplicate entry</textarea>" in response.content.decode()

    def test_a_whole_day_ticked_stays_ticked(self, client, org, logs):
        ids = f"{logs['first'].pk},{logs['second'].pk}"
        response = client_for(client, org, "supervisor").post(
            QUEUE, {"action": "reject", "reason": "", "logs": [ids]}
        )
        assert response.context["queue"].days[0].checked is True


# --------------------------------------------------------------------------- own records


class TestNobodyDecidesOnTheirOwnTime:
    def test_a_delegate_who_reports_to_the_supervisor_never_sees_their_own_entries(
        self, client, org, logs, today
    ):
        delegate_profile = org.delegate.profile
        delegate_profile.line_supervisor = org.supervisor
        delegate_profile.save()
        own = make_log(delegate_profile, today, 30, description="My own visit")

        response = client_for(client, org, "delegate").get(QUEUE)
        body = response.content.decode()
        assert "Drafted a proposal" in body
        assert "My own visit" not in body

        response = client.post(QUEUE, {"action": "approve", "logs": [own.pk, logs["first"].pk]})
        assert response.status_code == 403
        assert status_of(own, logs["first"]) == ["submitted", "submitted"]

        client.force_login(org.supervisor)
        client.post(QUEUE, {"action": "approve", "logs": [own.pk]})
        assert status_of(own) == ["approved"]

    def test_a_supervisor_who_logs_time_has_it_approved_by_their_own_supervisor(
        self, client, org, today
    ):
        profile = org.supervisor.profile
        profile.line_supervisor = org.other_supervisor
        profile.save()
        own = make_log(profile, today, 30, description="Supervisor's own call")

        response = client_for(client, org, "supervisor").get(QUEUE)
        assert "Supervisor&#x27;s own call" not in response.content.decode()
        response = client.post(QUEUE, {"action": "approve", "logs": [own.pk]})
        assert response.status_code == 403
        assert status_of(own) == ["submitted"]
        with pytest.raises(PermissionDenied):
            services.time_logs_approve(actor=org.supervisor, log_ids=[own.pk])

        client.force_login(org.other_supervisor)
        assert "Supervisor&#x27;s own call" in client.get(QUEUE).content.decode()
        client.post(QUEUE, {"action": "approve", "logs": [own.pk]})
        assert status_of(own) == ["approved"]


class TestDelegationWindow:
    def test_a_delegate_decides_only_while_the_delegation_is_active(self, client, org, settings):
        tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
        Delegation.objects.filter(delegate=org.delegate).delete()
        DelegationFactory(
            delegator=org.supervisor,
            delegate=org.delegate,
            start_date=datetime.date(2026, 3, 9),
            end_date=datetime.date(2026, 3, 11),
        )
        before = datetime.datetime(2026, 3, 8, 9, 0, tzinfo=tz)
        during = datetime.datetime(2026, 3, 10, 9, 0, tzinfo=tz)
        after = datetime.datetime(2026, 3, 12, 9, 0, tzinfo=tz)
        with time_machine.travel(before, tick=False):
            first = make_log(org.staff_profile, before.date(), 30, description="Early work")
            second = make_log(org.staff_profile, before.date(), 30, description="More work")
            client.force_login(org.delegate)
            assert client.get(QUEUE).status_code == 403
            assert selectors.pending_approval_count(user=org.delegate, day=before.date()) == 0
        with time_machine.travel(during, tick=False):
            client.force_login(org.delegate)  # sessions last 12 hours
            response = client.get(QUEUE)
            assert response.status_code == 200
            assert "Early work" in response.content.decode()
            client.post(QUEUE, {"action": "approve", "logs": [first.pk]})
            assert status_of(first) == ["approved"]
        with time_machine.travel(after, tick=False):
            client.force_login(org.delegate)
            assert client.get(QUEUE).status_code == 403
            response = client.post(QUEUE, {"action": "approve", "logs": [second.pk]})
            assert response.status_code == 403
            assert status_of(second) == ["submitted"]
            with pytest.raises(PermissionDenied):
                services.time_logs_approve(actor=org.delegate, log_ids=[second.pk])
            client.force_login(org.supervisor)
            client.post(QUEUE, {"action": "approve", "logs": [second.pk]})
            assert status_of(second) == ["approved"]


# --------------------------------------------------------------------------- filters


class TestFilters:
    @pytest.fixture
    def mixed(self, org, today):
        other = StaffProfileFactory(
            user=UserFactory(username="colleague", first_name="Zed"),
            department=org.engineering,
            line_supervisor=org.supervisor,
        )
        codes = list(AssistCategory.objects.order_by("order", "pk").values_list("code", flat=True))
        return {
            "old": make_log(
                org.staff_profile,
                today - datetime.timedelta(days=5),
                20,
                code=codes[0],
                description="Old entry",
            ),
            "new": make_log(org.staff_profile, today, 25, code=codes[1], description="New entry"),
            "colleague": make_log(other, today, 10, code=codes[0], description="Colleague entry"),
            "other": other,
            "codes": codes,
        }

    def _descriptions(self, response):
        return sorted(log.description for day in response.context["queue"].days for log in day.logs)

    def test_by_person(self, client, org, mixed):
        response = client_for(client, org, "supervisor").get(QUEUE, {"person": mixed["other"].pk})
        assert self._descriptions(response) == ["Colleague entry"]
        assert response.context["queue"].entries == 1

    def test_by_category(self, client, org, mixed):
        first = AssistCategory.objects.get(code=mixed["codes"][0])
        response = client_for(client, org, "supervisor").get(QUEUE, {"category": first.pk})
        assert self._descriptions(response) == ["Colleague entry", "Old entry"]

    def test_by_dates(self, client, org, mixed, today):
        response = client_for(client, org, "supervisor").get(
            QUEUE,
            {
                "date_from": str(today - datetime.timedelta(days=6)),
                "date_to": str(today - datetime.timedelta(days=1)),
            },
        )
        assert self._descriptions(response) == ["Old entry"]

    def test_a_reversed_range_is_explained_and_filters_nothing_by_its_end(
        self, client, org, mixed, today
    ):
        response = client_for(client, org, "supervisor").get(
            QUEUE, {"date_from": str(today), "date_to": str(today - datetime.timedelta(days=3))}
        )
        assert response.context["filters"].errors["date_to"]
        assert self._descriptions(response) == ["Colleague entry", "New entry"]

    def test_someone_elses_report_is_not_a_choice(self, client, org, mixed, logs):
        response = client_for(client, org, "supervisor").get(
            QUEUE, {"person": org.other_staff.profile.pk}
        )
        assert "person" in response.context["filters"].errors
        assert "Other team work" not in response.content.decode()

    def test_filters_survive_the_decision(self, client, org, mixed):
        query = f"?person={org.staff_profile.pk}&date_from=2026-03-01"
        response = client_for(client, org, "supervisor").post(
            QUEUE + query, {"action": "approve", "logs": [mixed["new"].pk]}
        )
        assert response.status_code == 302
        assert response.url == QUEUE + query
        response = client.get(response.url)
        assert self._descriptions(response) == ["Old entry"]

    def test_no_match_says_so(self, client, org, mixed):
        response = client_for(client, org, "supervisor").get(
            QUEUE,
            {
                "date_from": "2026-03-10",
                "date_to": "2026-03-10",
                "person": org.staff_profile.pk,
                "category": AssistCategory.objects.get(code=mixed["codes"][0]).pk,
            },
        )
        assert "No entries waiting match these filters." in response.content.decode()


# --------------------------------------------------------------------------- size


def _many_logs(org, today, count, people=5, days=5):
    """``count`` submitted entries spread over several people and days (written directly:
    the budget rule is not what these tests are about)."""
    team = [org.staff_profile] + [
        StaffProfileFactory(department=org.engineering, line_supervisor=org.supervisor)
        for _ in range(people - 1)
    ]
    cat = category()
    TimeLog.objects.bulk_create(
        TimeLog(
            staff=team[n % people],
            day=today - datetime.timedelta(days=(n // people) % days),
            minutes=5,
            category=cat,
            description=f"Entry {n}",
            duties_done=True,
        )
        for n in range(count)
    )


class TestQueryCounts:
    def _count(self, client, url):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        return len(queries)

    def test_the_queue_costs_the_same_for_1_and_200_entries(
        self, client, org, today, django_assert_num_queries
    ):
        make_log(org.staff_profile, today, 10)
        client_for(client, org, "supervisor")
        few = self._count(client, QUEUE)
        _many_logs(org, today, 199)
        assert TimeLog.objects.filter(status="submitted").count() == 200
        with django_assert_num_queries(few):
            response = client.get(QUEUE)
        assert response.context["queue"].entries == 200
        assert sum(len(day.logs) for day in response.context["queue"].days) == QUEUE_LIMIT

    def test_the_filtered_queue_costs_the_same_too(
        self, client, org, today, django_assert_num_queries
    ):
        make_log(org.staff_profile, today, 10)
        client_for(client, org, "supervisor")
        url = f"{QUEUE}?person={org.staff_profile.pk}&category={category().pk}&date_from=2026-03-01"
        few = self._count(client, url)
        _many_logs(org, today, 199)
        with django_assert_num_queries(few):
            client.get(url)

    def test_the_extension_queue_costs_the_same_for_1_and_40_requests(
        self, client, org, today, django_assert_num_queries
    ):
        def request(profile, n):
            BudgetExtension.objects.create(
                staff=profile, day=today - datetime.timedelta(days=n % 5), minutes=15, reason="x"
            )

        request(org.staff_profile, 0)
        client_for(client, org, "supervisor")
        few = self._count(client, EXTENSIONS)
        team = [
            StaffProfileFactory(department=org.engineering, line_supervisor=org.supervisor)
            for _ in range(4)
        ]
        for n in range(39):
            request(team[n % 4], n)
        with django_assert_num_queries(few):
            response = client.get(EXTENSIONS)
        assert len(response.context["rows"]) == 40

    def test_the_nav_badge_costs_the_same_whatever_the_count(
        self, org, today, django_assert_num_queries
    ):
        make_log(org.staff_profile, today, 10)
        request = RequestFactory().get("/")
        request.user = type(org.supervisor).objects.get(pk=org.supervisor.pk)
        with CaptureQueriesContext(connection) as queries:
            assert navigation_counts(request) == {"nav_pending_count": 1}
        _many_logs(org, today, 199)
        request.user = type(org.supervisor).objects.get(pk=org.supervisor.pk)
        with django_assert_num_queries(len(queries)):
            assert navigation_counts(request) == {"nav_pending_count": 200}

    def test_the_nav_badge_shows_the_count(self, client, org, logs):
        body = client_for(client, org, "supervisor").get(QUEUE).content.decode()
        assert '<span class="badge text-bg-warning">2</span>' in body

    def test_the_queue_stops_at_one_page_of_entries_with_a_note(self, client, org, today):
        _many_logs(org, today, QUEUE_LIMIT + 10)
        response = client_for(client, org, "supervisor").get(QUEUE)
        queue = response.context["queue"]
        assert queue.entries == QUEUE_LIMIT + 10
        assert sum(len(day.logs) for day in queue.days) == QUEUE_LIMIT
        assert queue.truncated
        body = response.content.decode()
        assert f"Showing the first {QUEUE_LIMIT} of {QUEUE_LIMIT + 10} entries." in body
        assert body.count("data-entry data-group") == QUEUE_LIMIT


# --------------------------------------------------------------------------- extensions


@pytest.fixture
def extension(org, today):
    return services.extension_request(
        staff=org.staff_profile, day=today, minutes=40, reason="Customer workshop"
    )


def decide_url(extension):
    return reverse("tasks:extension_decide", args=[extension.pk])


class TestExtensionQueue:
    @pytest.mark.parametrize(
        ("name", "expected", "listed"),
        [
            ("supervisor", 200, True),
            ("delegate", 200, True),
            ("other_supervisor", 200, False),
            ("staff", 403, False),
            ("outsider", 403, False),
            ("lead", 403, False),
            (ANONYMOUS, 302, False),
        ],
    )
    def test_who_sees_what(self, client, org, extension, name, expected, listed):
        response = client_for(client, org, name).get(EXTENSIONS)
        assert response.status_code == expected
        if expected == 200:
            assert ("Customer workshop" in response.content.decode()) is listed

    def test_it_shows_the_days_figures(self, client, org, extension, today):
        make_log(org.staff_profile, today, 100)
        response = client_for(client, org, "supervisor").get(EXTENSIONS)
        [row] = response.context["rows"]
        assert (row.figures.counted, row.figures.cap) == (100, 120)

    def test_an_empty_queue_says_so(self, client, org, today):
        body = client_for(client, org, "supervisor").get(EXTENSIONS).content.decode()
        assert "No extension requests are waiting for you." in body

    def test_post_is_not_allowed(self, client, org, today):
        assert client_for(client, org, "supervisor").post(EXTENSIONS).status_code == 405


class TestExtensionDecide:
    @pytest.mark.parametrize("name", ["supervisor", "delegate"])
    def test_it_grants(self, client, org, extension, name):
        response = client_for(client, org, name).post(decide_url(extension), {"decision": "grant"})
        assert response.status_code == 302
        assert response.url == EXTENSIONS
        extension.refresh_from_db()
        assert extension.status == BudgetExtension.Status.GRANTED
        assert extension.decided_by == getattr(org, name)

    def test_a_refusal_needs_a_note(self, client, org, extension):
        response = client_for(client, org, "supervisor").post(
            decide_url(extension), {"decision": "refuse", "note": ""}
        )
        assert response.status_code == 200
        [row] = response.context["rows"]
        assert row.form.errors["note"] == ["Say why the extension is refused."]
        assert "Say why the extension is refused." in response.content.decode()
        extension.refresh_from_db()
        assert extension.status == BudgetExtension.Status.REQUESTED

    def test_it_refuses_with_a_note(self, client, org, extension):
        client_for(client, org, "supervisor").post(
            decide_url(extension), {"decision": "refuse", "note": "Busy week"}
        )
        extension.refresh_from_db()
        assert (extension.status, extension.decision_note) == ("refused", "Busy week")

    def test_an_unknown_decision_is_refused(self, client, org, extension):
        response = client_for(client, org, "supervisor").post(
            decide_url(extension), {"decision": "maybe", "note": "typed"}
        )
        assert response.status_code == 200
        [row] = response.context["rows"]
        assert "decision" in row.form.errors
        assert "typed</textarea>" in response.content.decode()

    @pytest.mark.parametrize(
        ("name", "expected"),
        [
            ("other_supervisor", 404),
            ("outsider", 404),
            ("lead", 404),
            ("staff", 403),
            (ANONYMOUS, 302),
        ],
    )
    def test_others_cannot_decide(self, client, org, extension, name, expected):
        response = client_for(client, org, name).post(decide_url(extension), {"decision": "grant"})
        assert response.status_code == expected
        extension.refresh_from_db()
        assert extension.status == BudgetExtension.Status.REQUESTED

    def test_get_is_not_allowed(self, client, org, extension):
        assert client_for(client, org, "supervisor").get(decide_url(extension)).status_code == 405

    def test_it_returns_to_a_safe_next(self, client, org, extension):
        target = reverse("tasks:approval_queue") + "?person=1"
        response = client_for(client, org, "supervisor").post(
            decide_url(extension), {"decision": "grant", "next": target}
        )
        assert response.url == target

    @pytest.mark.parametrize(
        "target", ["https://evil.example/", "//evil.example/x", "javascript:x"]
    )
    def test_it_ignores_a_foreign_next(self, client, org, extension, target):
        response = client_for(client, org, "supervisor").post(
            decide_url(extension), {"decision": "grant", "next": target}
        )
        assert response.url == EXTENSIONS

    def test_a_request_decided_meanwhile_is_reported(self, client, org, extension):
        services.extension_decide(actor=org.supervisor, extension=extension, grant=True)
        response = client_for(client, org, "delegate").post(
            decide_url(extension), {"decision": "refuse", "note": "No"}, follow=True
        )
        assert "This request was already decided." in response.content.decode()
        extension.refresh_from_db()
        assert extension.status == BudgetExtension.Status.GRANTED

    def test_htmx_swaps_the_row(self, client, org, extension):
        response = client_for(client, org, "supervisor").post(
            decide_url(extension), {"decision": "grant"}, HTTP_HX_REQUEST="true"
        )
        assert response.status_code == 200
        body = response.content.decode()
        assert body.strip().startswith("<article")
        assert "granted" in body
        response = client.post(decide_url(extension), {"decision": "grant"}, HTTP_HX_REQUEST="true")
        assert "This request was already decided." in response.content.decode()

    def test_htmx_shows_the_error_in_the_row(self, client, org, extension):
        response = client_for(client, org, "supervisor").post(
            decide_url(extension), {"decision": "refuse"}, HTTP_HX_REQUEST="true"
        )
        assert response.status_code == 200
        assert "Say why the extension is refused." in response.content.decode()
        assert "<html" not in response.content.decode()

    def test_a_delegate_decides_only_while_the_delegation_is_active(self, client, org, extension):
        Delegation.objects.filter(delegate=org.delegate).update(
            end_date=datetime.date(2026, 3, 9), start_date=datetime.date(2026, 3, 1)
        )
        response = client_for(client, org, "delegate").post(
            decide_url(extension), {"decision": "grant"}
        )
        assert response.status_code == 404
        extension.refresh_from_db()
        assert extension.status == BudgetExtension.Status.REQUESTED
