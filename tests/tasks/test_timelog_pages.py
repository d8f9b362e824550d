"""The staff's time-logging pages: today, my week, my month, one entry, edit, delete."""

import datetime
import html
import zoneinfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from rewards.models import PayoutPeriod
from tasks import services
from tasks.models import AssistCategory, TimeLog
from tests.factories import BudgetRuleFactory, StaffProfileFactory, UserFactory

DAY = datetime.date(2026, 3, 10)  # a Tuesday
XSS = "<script>alert(1)</script>"


@pytest.fixture(autouse=True)
def frozen_clock(settings):
    moment = datetime.datetime(2026, 3, 10, 10, 0, tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))
    with time_machine.travel(moment, tick=False):
        yield


@pytest.fixture
def category(db):
    return AssistCategory.objects.get(code="phone-marketing")


def log_time(profile, *, minutes=30, day=DAY, description="Called three clients", **extra):
    return services.time_log_create(
        staff=profile,
        day=day,
        minutes=minutes,
        category=AssistCategory.objects.get(code="phone-marketing"),
        description=description,
        duties_done=True,
        **extra,
    )


def form_data(category, /, **overrides):
    data = {
        "day": DAY.isoformat(),
        "minutes": "30",
        "category": str(category.pk),
        "task": "",
        "description": "Called three clients",
        "outcome": "",
        "duties_done": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def field_errors(response, field):
    return [str(error) for error in response.context["form"].errors.get(field, [])]


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


# --------------------------------------------------------------------------- today


class TestToday:
    url = reverse("tasks:today")

    @pytest.mark.parametrize(
        "who", ["staff", "supervisor", "delegate", "other_supervisor", "outsider", "other_staff"]
    )
    def test_anybody_with_a_staff_role_sees_their_own_day(self, org, login, who):
        response = login(getattr(org, who)).get(self.url)

        assert response.status_code == 200
        assert response.context["summary"].cap == 120

    @pytest.mark.parametrize("who", ["lead", "admin"])
    def test_it_requires_a_staff_role(self, org, login, who):
        assert login(getattr(org, who)).get(self.url).status_code == 403

    def test_a_user_without_profile_gets_403(self, db, login):
        assert login(UserFactory(username="nobody")).get(self.url).status_code == 403

    def test_an_inactive_person_gets_403(self, org, login):
        org.staff_profile.is_active = False
        org.staff_profile.save()

        assert login(org.staff).get(self.url).status_code == 403

    def test_anonymous_is_sent_to_login(self, org, client):
        response = client.get(self.url)

        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))

    def test_the_marketing_lead_cannot_log_time(self, org, login, category):
        response = login(org.lead).post(self.url, form_data(category))

        assert response.status_code == 403
        assert not TimeLog.objects.exists()

    def test_it_shows_the_remaining_budget_with_extension_and_logged(self, org, login):
        extension = services.extension_request(
            staff=org.staff_profile, day=DAY, minutes=30, reason="Fair"
        )
        services.extension_decide(actor=org.supervisor, extension=extension, grant=True)
        log_time(org.staff_profile, minutes=45)
        rejected = log_time(org.staff_profile, minutes=60)
        services.time_logs_reject(actor=org.supervisor, log_ids=[rejected.pk], reason="No")

        response = login(org.staff).get(self.url)

        summary = response.context["summary"]
        assert (summary.budget, summary.extension, summary.counted) == (120, 30, 45)
        assert summary.remaining == 105
        content = response.content.decode()
        assert 'data-testid="remaining">105<' in content
        assert 'data-progress="30"' in content
        assert reverse("tasks:my_extensions") in content
        assert "Need more time? Ask for an extension" in content

    def test_the_form_defaults_to_today_and_offers_quick_minutes(self, org, login):
        content = login(org.staff).get(self.url).content.decode()

        assert 'value="2026-03-10"' in content
        assert 'max="2026-03-10"' in content
        assert 'min="1"' in content
        assert 'step="1"' in content
        for minutes in (15, 30, 45, 60, 90, 120):
            assert f'<option value="{minutes}">' in content
        assert "15-minute steps or free" in content
        assert "My own duties for the day are done" in content

    def test_the_form_offers_active_categories_and_my_open_tasks_only(self, org, login, category):
        hidden = AssistCategory.objects.get(code="client-visit")
        hidden.is_active = False
        hidden.save()
        mine = services.task_create(
            actor=org.lead,
            title="My task",
            category=category,
            due_date=DAY,
            estimated_minutes=30,
            assignees=[org.staff],
        )
        services.task_create(
            actor=org.lead,
            title="Their task",
            category=category,
            due_date=DAY,
            estimated_minutes=30,
            assignees=[org.other_staff],
        )

        form = login(org.staff).get(self.url).context["form"]

        assert list(form.fields["task"].queryset) == [mine]
        assert hidden not in form.fields["category"].queryset
        assert category in form.fields["category"].queryset

    def test_it_logs_time_and_redirects_with_a_message(self, org, login, category):
        client = login(org.staff)

        response = client.post(self.url, form_data(category, minutes="45", outcome="Demo booked"))

        assert response.status_code == 302
        assert response.url == self.url
        log = TimeLog.objects.get()
        assert (log.staff, log.day, log.minutes, log.outcome) == (
            org.staff_profile,
            DAY,
            45,
            "Demo booked",
        )
        assert log.status == TimeLog.Status.SUBMITTED
        page = client.get(response.url).content.decode()
        assert "Logged 45 minutes" in page
        assert 'data-testid="remaining">75<' in page

    def test_it_logs_time_on_an_assigned_task(self, org, login, category):
        task = services.task_create(
            actor=org.lead,
            title="My task",
            category=category,
            due_date=DAY,
            estimated_minutes=30,
            assignees=[org.staff],
        )

        response = login(org.staff).post(self.url, form_data(category, task=str(task.pk)))

        assert response.status_code == 302
        assert TimeLog.objects.get().task == task

    def test_it_refuses_a_task_of_somebody_else(self, org, login, category):
        task = services.task_create(
            actor=org.lead,
            title="Their task",
            category=category,
            due_date=DAY,
            estimated_minutes=30,
            assignees=[org.other_staff],
        )

        response = login(org.staff).post(self.url, form_data(category, task=str(task.pk)))

        assert response.status_code == 200
        assert field_errors(response, "task")
        assert not TimeLog.objects.exists()

    def test_it_names_the_remaining_budget_beside_the_minutes(self, org, login, category):
        log_time(org.staff_profile, minutes=90)

        response = login(org.staff).post(
            self.url, form_data(category, minutes="45", description="Kept text")
        )

        assert response.status_code == 200
        assert "Only 30 minutes of your budget remain" in field_errors(response, "minutes")[0]
        content = response.content.decode()
        assert "Only 30 minutes of your budget remain" in content
        assert 'value="45"' in content
        assert "Kept text" in content
        assert TimeLog.objects.count() == 1

    @pytest.mark.parametrize(
        ("field", "value", "message"),
        [
            ("minutes", "-15", "greater than zero"),
            ("minutes", "0", "greater than zero"),
            ("minutes", "99999", "A day has only 1440 minutes"),
            ("minutes", "9" * 40, "A day has only 1440 minutes"),
            ("minutes", "abc", "whole number"),
            ("minutes", "12.5", "whole number"),
            ("minutes", "", "required"),
            ("day", "2026-03-11", "future"),
            ("day", "2026-03-02", "older than 7 days"),
            ("day", "10/03/2026x", "Enter a date"),
            ("duties_done", None, "confirm your own duties"),
            ("description", "", "Describe what you did"),
            ("description", "x" * 10_000, "under 2000 characters"),
            ("outcome", "y" * 10_000, "under 2000 characters"),
            ("category", "999999", "valid choice"),
        ],
    )
    def test_bad_input_gets_a_message_beside_the_field_and_stores_nothing(
        self, org, login, category, field, value, message
    ):
        data = form_data(category, **{field: value})
        data.setdefault("outcome", "")
        data["outcome"] = data["outcome"] or "Outcome kept"

        response = login(org.staff).post(self.url, data)

        assert response.status_code == 200
        errors = field_errors(response, field)
        assert errors
        assert message in errors[0]
        assert message in html.unescape(response.content.decode())
        assert response.context["form"]["outcome"].value() == data["outcome"]
        assert not TimeLog.objects.exists()

    def test_it_refuses_a_day_inside_a_closed_period(self, org, login, category):
        PayoutPeriod.objects.create(
            start_date=datetime.date(2026, 3, 1),
            end_date=datetime.date(2026, 3, 31),
            status=PayoutPeriod.Status.CLOSED,
        )

        response = login(org.staff).post(self.url, form_data(category))

        assert "is closed" in field_errors(response, "day")[0]
        assert not TimeLog.objects.exists()

    def test_script_in_text_is_stored_as_typed_and_shown_escaped(self, org, login, category):
        client = login(org.staff)

        client.post(self.url, form_data(category, description=XSS, outcome=XSS))

        log = TimeLog.objects.get()
        assert log.description == XSS
        for url in (self.url, reverse("tasks:log_detail", args=[log.pk])):
            content = client.get(url).content.decode()
            assert XSS not in content
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content

    def test_script_in_a_refused_form_is_kept_escaped(self, org, login, category):
        response = login(org.staff).post(
            self.url, form_data(category, minutes="0", description=XSS)
        )

        content = response.content.decode()
        assert XSS not in content
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content

    def test_it_lists_todays_entries_with_status_and_actions(self, org, login):
        submitted = log_time(org.staff_profile, minutes=20, description="First call")
        approved = log_time(org.staff_profile, minutes=25, description="Second call")
        services.time_logs_approve(actor=org.supervisor, log_ids=[approved.pk])
        log_time(org.staff_profile, minutes=30, day=DAY - datetime.timedelta(days=1))

        content = login(org.staff).get(self.url).content.decode()

        assert "First call" in content
        assert "Second call" in content
        assert "Approved" in content
        assert "Submitted" in content
        assert reverse("tasks:log_edit", args=[submitted.pk]) in content
        assert reverse("tasks:log_delete", args=[submitted.pk]) in content
        assert reverse("tasks:log_edit", args=[approved.pk]) not in content
        assert reverse("tasks:log_delete", args=[approved.pk]) not in content

    def test_it_shows_an_empty_state(self, org, login):
        assert "Nothing logged today yet." in login(org.staff).get(self.url).content.decode()

    def test_get_and_post_only(self, org, login):
        assert login(org.staff).put(self.url).status_code == 405

    def test_its_query_count_does_not_grow_with_entries(self, org, login):
        BudgetRuleFactory(staff=org.staff_profile, daily_minutes=480)
        client = login(org.staff)
        log_time(org.staff_profile, minutes=15)
        with_one = count_queries(client, self.url)
        for _ in range(29):
            log_time(org.staff_profile, minutes=15)
        assert TimeLog.objects.count() == 30
        with_thirty = count_queries(client, self.url)

        assert with_one == with_thirty == TODAY_QUERIES


# Session, user (with profile and department), roles, the budget (departments, rules),
# extensions, logs, and on Today the two choice lists (categories, tasks). If a shared
# piece (roles, middleware) changes its count, these move together for every row count.
TODAY_QUERIES = 9
PERIOD_QUERIES = 7


# --------------------------------------------------------------------------- week and month


class TestMyWeek:
    url = reverse("tasks:my_week")

    @pytest.mark.parametrize(
        "who", ["staff", "supervisor", "delegate", "other_supervisor", "outsider"]
    )
    def test_staff_see_their_own_week(self, org, login, who):
        assert login(getattr(org, who)).get(self.url).status_code == 200

    @pytest.mark.parametrize("who", ["lead", "admin"])
    def test_it_requires_a_staff_role(self, org, login, who):
        assert login(getattr(org, who)).get(self.url).status_code == 403

    def test_anonymous_is_sent_to_login(self, org, client):
        assert client.get(self.url).status_code == 302

    def test_it_shows_monday_to_sunday_with_totals_against_the_cap(self, org, login):
        monday = datetime.date(2026, 3, 9)
        log_time(org.staff_profile, minutes=60, day=monday)
        log_time(org.staff_profile, minutes=30, day=DAY, description="Wrote copy")
        rejected = log_time(org.staff_profile, minutes=20, day=DAY)
        services.time_logs_reject(actor=org.supervisor, log_ids=[rejected.pk], reason="No")
        log_time(org.staff_profile, minutes=50, day=monday - datetime.timedelta(days=1))
        log_time(org.outsider.profile, minutes=40, day=DAY)

        response = login(org.staff).get(self.url)

        days = response.context["days"]
        assert [summary.day for summary in days] == [
            monday + datetime.timedelta(days=n) for n in range(7)
        ]
        assert [summary.counted for summary in days[:2]] == [60, 30]
        assert response.context["total"] == 90
        assert response.context["cap"] == 7 * 120
        content = response.content.decode()
        assert "60 / 120" in content
        assert "90 / 840" in content
        assert "Phone marketing" in content
        assert response.context["categories"][0][1] == 90
        assert "Rejected" in content

    def test_start_picks_the_week_containing_that_day(self, org, login):
        response = login(org.staff).get(self.url, {"start": "2026-02-26"})

        assert response.context["start"] == datetime.date(2026, 2, 23)
        assert response.context["end"] == datetime.date(2026, 3, 1)
        content = response.content.decode()
        assert "?start=2026-02-16" in content
        assert "?start=2026-03-02" in content

    def test_the_current_week_has_no_link_into_the_future(self, org, login):
        response = login(org.staff).get(self.url)

        assert "?start=2026-03-02" in response.content.decode()
        assert response.context["next_url"] == ""

    def test_an_unreadable_start_falls_back_to_this_week_with_a_warning(self, org, login):
        response = login(org.staff).get(self.url, {"start": "next tuesday"})

        assert response.status_code == 200
        assert response.context["start"] == datetime.date(2026, 3, 9)
        assert "could not be read" in response.content.decode()

    def test_it_shows_an_empty_state(self, org, login):
        content = login(org.staff).get(self.url).content.decode()

        assert "No marketing-assist time logged this week." in content

    def test_a_granted_extension_raises_the_days_cap(self, org, login):
        extension = services.extension_request(
            staff=org.staff_profile, day=DAY, minutes=30, reason="Fair"
        )
        services.extension_decide(actor=org.supervisor, extension=extension, grant=True)

        response = login(org.staff).get(self.url)

        assert response.context["days"][1].cap == 150
        assert response.context["cap"] == 7 * 120 + 30

    def test_its_query_count_does_not_grow_with_entries(self, org, login):
        BudgetRuleFactory(staff=org.staff_profile, daily_minutes=480)
        client = login(org.staff)
        log_time(org.staff_profile, minutes=15)
        with_one = count_queries(client, self.url)
        monday = datetime.date(2026, 3, 9)
        for n in range(29):
            log_time(org.staff_profile, minutes=15, day=monday + datetime.timedelta(days=n % 2))
        assert TimeLog.objects.count() == 30
        with_thirty = count_queries(client, self.url)

        assert with_one == with_thirty == PERIOD_QUERIES


class TestMyMonth:
    url = reverse("tasks:my_month")

    @pytest.mark.parametrize(
        "who", ["staff", "supervisor", "delegate", "other_supervisor", "outsider"]
    )
    def test_staff_see_their_own_month(self, org, login, who):
        assert login(getattr(org, who)).get(self.url).status_code == 200

    @pytest.mark.parametrize("who", ["lead", "admin"])
    def test_it_requires_a_staff_role(self, org, login, who):
        assert login(getattr(org, who)).get(self.url).status_code == 403

    def test_anonymous_is_sent_to_login(self, org, client):
        assert client.get(self.url).status_code == 302

    def test_it_shows_a_calendar_with_minutes_against_the_cap(self, org, login):
        log_time(org.staff_profile, minutes=60, day=datetime.date(2026, 3, 3))
        log_time(org.staff_profile, minutes=45, day=DAY)

        response = login(org.staff).get(self.url)

        weeks = response.context["weeks"]
        # March 2026 starts on a Sunday: six calendar rows, six blanks before the 1st.
        assert len(weeks) == 6
        assert weeks[0][:6] == [None] * 6
        assert weeks[0][6].day == datetime.date(2026, 3, 1)
        assert response.context["total"] == 105
        assert response.context["cap"] == 31 * 120
        assert response.context["days_with_logs"] == 2
        content = response.content.decode()
        assert "60 / 120" in content
        assert "45 / 120" in content
        assert "?month=2026-02" in content
        assert response.context["next_url"] == ""

    def test_month_picks_another_month(self, org, login):
        log_time(org.staff_profile, minutes=60, day=DAY)

        response = login(org.staff).get(self.url, {"month": "2026-02"})

        assert response.context["start"] == datetime.date(2026, 2, 1)
        assert response.context["end"] == datetime.date(2026, 2, 28)
        assert response.context["total"] == 0
        assert "?month=2026-03" in response.content.decode()
        assert "No marketing-assist time logged this month." in response.content.decode()

    def test_an_unreadable_month_falls_back_to_this_month_with_a_warning(self, org, login):
        response = login(org.staff).get(self.url, {"month": "2026-13"})

        assert response.context["start"] == datetime.date(2026, 3, 1)
        assert "could not be read" in response.content.decode()

    def test_its_query_count_does_not_grow_with_entries(self, org, login):
        BudgetRuleFactory(staff=org.staff_profile, daily_minutes=480)
        client = login(org.staff)
        log_time(org.staff_profile, minutes=15)
        with_one = count_queries(client, self.url)
        for n in range(29):
            log_time(org.staff_profile, minutes=15, day=DAY - datetime.timedelta(days=n % 7))
        with_thirty = count_queries(client, self.url)

        assert with_one == with_thirty == PERIOD_QUERIES


# --------------------------------------------------------------------------- one entry


@pytest.fixture
def log(org):
    return log_time(org.staff_profile, minutes=30, outcome="Demo booked")


VIEWERS = [("staff", 200), ("supervisor", 200), ("delegate", 200), ("lead", 200), ("admin", 200)]
STRANGERS = [("other_supervisor", 404), ("outsider", 404), ("other_staff", 404), ("finance", 404)]


class TestLogDetail:
    @pytest.mark.parametrize(("who", "status"), VIEWERS + STRANGERS)
    def test_it_is_visible_to_the_owner_and_their_supervisors_only(
        self, org, login, log, who, status
    ):
        response = login(getattr(org, who)).get(reverse("tasks:log_detail", args=[log.pk]))

        assert response.status_code == status

    def test_anonymous_is_sent_to_login(self, org, client, log):
        assert client.get(reverse("tasks:log_detail", args=[log.pk])).status_code == 302

    def test_a_missing_entry_is_404(self, org, login):
        assert login(org.staff).get(reverse("tasks:log_detail", args=[999])).status_code == 404

    def test_it_shows_every_field_and_the_history(self, org, login, log):
        response = login(org.staff).get(reverse("tasks:log_detail", args=[log.pk]))

        content = response.content.decode()
        for text in ("Called three clients", "Demo booked", "Phone marketing", "Submitted"):
            assert text in content
        assert "Waiting for the line supervisor" in content
        assert [change.to_state for change in response.context["history"]] == ["submitted"]
        assert reverse("tasks:log_edit", args=[log.pk]) in content

    def test_it_shows_the_decision_and_the_outcome_review(self, org, login, category):
        task = services.task_create(
            actor=org.lead,
            title="Spring list",
            category=category,
            due_date=DAY,
            estimated_minutes=30,
            assignees=[org.staff],
        )
        log = log_time(org.staff_profile, task=task)
        services.time_logs_reject(actor=org.supervisor, log_ids=[log.pk], reason="Too vague")
        log.refresh_from_db()
        services.time_log_review_outcome(
            actor=org.lead, log=log, outcome_status="needs_follow_up", note="Call back Friday"
        )

        response = login(org.staff).get(reverse("tasks:log_detail", args=[log.pk]))

        content = response.content.decode()
        for text in ("Rejected", "Too vague", "Needs follow-up", "Call back Friday", "Spring list"):
            assert text in content
        assert org.supervisor.get_full_name() in content
        assert org.lead.get_full_name() in content
        assert reverse("tasks:log_edit", args=[log.pk]) not in content

    def test_supervisors_see_no_edit_buttons(self, org, login, log):
        content = login(org.supervisor).get(reverse("tasks:log_detail", args=[log.pk]))
        assert reverse("tasks:log_edit", args=[log.pk]) not in content.content.decode()


class TestLogEdit:
    def url(self, log):
        return reverse("tasks:log_edit", args=[log.pk])

    def test_the_owner_sees_the_form_filled_in(self, org, login, log):
        response = login(org.staff).get(self.url(log))

        assert response.status_code == 200
        form = response.context["form"]
        assert form["minutes"].value() == 30
        assert form["outcome"].value() == "Demo booked"
        assert form["duties_done"].value() is True

    @pytest.mark.parametrize(
        ("who", "status"),
        [("supervisor", 403), ("delegate", 403), ("lead", 403), ("admin", 403), *STRANGERS],
    )
    def test_only_the_owner_may_edit(self, org, login, log, category, who, status):
        client = login(getattr(org, who))

        assert client.get(self.url(log)).status_code == status
        response = client.post(self.url(log), form_data(category, minutes="15"))
        assert response.status_code == status
        log.refresh_from_db()
        assert log.minutes == 30

    def test_anonymous_is_sent_to_login(self, org, client, log):
        assert client.get(self.url(log)).status_code == 302

    def test_the_owner_saves_a_change(self, org, login, log, category):
        response = login(org.staff).post(
            self.url(log), form_data(category, minutes="60", description="Called five")
        )

        assert response.status_code == 302
        assert response.url == reverse("tasks:log_detail", args=[log.pk])
        log.refresh_from_db()
        assert (log.minutes, log.description) == (60, "Called five")

    @pytest.mark.parametrize(
        ("field", "value", "message"),
        [
            ("minutes", "-1", "greater than zero"),
            ("minutes", "121", "Only 120 minutes of your budget remain"),
            ("minutes", "x", "whole number"),
            ("day", "2026-03-12", "future"),
            ("day", "2026-02-01", "older than 7 days"),
            ("duties_done", None, "confirm your own duties"),
            ("description", "z" * 10_000, "under 2000 characters"),
        ],
    )
    def test_bad_input_is_refused_beside_the_field_and_changes_nothing(
        self, org, login, log, category, field, value, message
    ):
        data = form_data(category, **{field: value}, outcome="Typed outcome")

        response = login(org.staff).post(self.url(log), data)

        assert response.status_code == 200
        assert message in field_errors(response, field)[0]
        assert response.context["form"]["outcome"].value() == "Typed outcome"
        log.refresh_from_db()
        assert (log.minutes, log.outcome, log.day) == (30, "Demo booked", DAY)

    @pytest.mark.parametrize("decision", ["approve", "reject"])
    def test_a_decided_entry_cannot_be_edited(self, org, login, log, category, decision):
        if decision == "approve":
            services.time_logs_approve(actor=org.supervisor, log_ids=[log.pk])
        else:
            services.time_logs_reject(actor=org.supervisor, log_ids=[log.pk], reason="No")
        client = login(org.staff)

        for response in (
            client.get(self.url(log)),
            client.post(self.url(log), form_data(category, minutes="15")),
        ):
            assert response.status_code == 302
            assert response.url == reverse("tasks:log_detail", args=[log.pk])
        log.refresh_from_db()
        assert log.minutes == 30
        page = client.get(reverse("tasks:log_detail", args=[log.pk])).content.decode()
        assert "can no longer be changed" in page

    def test_an_entry_older_than_the_edit_window_is_refused(self, org, login, category):
        with time_machine.travel(datetime.datetime(2026, 3, 1, 10, tzinfo=datetime.UTC)):
            old = log_time(org.staff_profile, day=datetime.date(2026, 3, 1))

        response = login(org.staff).post(
            self.url(old), form_data(category, day="2026-03-01", minutes="15")
        )

        assert response.status_code == 200
        assert "older than 7 days" in field_errors(response, "day")[0]
        old.refresh_from_db()
        assert old.minutes == 30

    def test_a_finished_task_stays_selectable_on_its_entry(self, org, login, category):
        task = services.task_create(
            actor=org.lead,
            title="Spring list",
            category=category,
            due_date=DAY,
            estimated_minutes=30,
            assignees=[org.staff],
        )
        entry = log_time(org.staff_profile, task=task)
        services.assignment_complete(
            actor=org.staff, assignment=task.assignments.get(), outcome="All called"
        )

        form = login(org.staff).get(self.url(entry)).context["form"]

        assert task in form.fields["task"].queryset


class TestLogDelete:
    def url(self, log):
        return reverse("tasks:log_delete", args=[log.pk])

    def test_the_owner_deletes_a_submitted_entry(self, org, login, log):
        response = login(org.staff).post(self.url(log), {"next": reverse("tasks:today")})

        assert response.status_code == 302
        assert response.url == reverse("tasks:today")
        assert not TimeLog.objects.exists()

    def test_it_goes_back_to_the_week_without_next(self, org, login, log):
        response = login(org.staff).post(self.url(log))

        assert response.url == reverse("tasks:my_week") + "?start=2026-03-10"

    def test_it_ignores_a_next_on_another_site(self, org, login, log):
        response = login(org.staff).post(self.url(log), {"next": "https://evil.example/"})

        assert response.url.startswith(reverse("tasks:my_week"))

    def test_it_needs_post(self, org, login, log):
        assert login(org.staff).get(self.url(log)).status_code == 405
        assert TimeLog.objects.exists()

    @pytest.mark.parametrize(
        ("who", "status"),
        [("supervisor", 403), ("delegate", 403), ("lead", 403), ("admin", 403), *STRANGERS],
    )
    def test_only_the_owner_may_delete(self, org, login, log, who, status):
        assert login(getattr(org, who)).post(self.url(log)).status_code == status
        assert TimeLog.objects.exists()

    def test_anonymous_is_sent_to_login(self, org, client, log):
        assert client.post(self.url(log)).status_code == 302
        assert TimeLog.objects.exists()

    def test_a_decided_entry_is_kept_with_a_message(self, org, login, log):
        services.time_logs_approve(actor=org.supervisor, log_ids=[log.pk])
        client = login(org.staff)

        response = client.post(self.url(log), follow=True)

        assert TimeLog.objects.exists()
        assert "Only submitted time can be deleted" in response.content.decode()


def test_a_person_in_another_department_tree_uses_their_own_budget(org, login):
    """A second engineer with a person budget sees it on their own Today page."""
    profile = StaffProfileFactory(department=org.operations, line_supervisor=org.other_supervisor)
    BudgetRuleFactory(staff=profile, daily_minutes=45)

    response = login(profile.user).get(reverse("tasks:today"))

    assert response.context["summary"].cap == 45
