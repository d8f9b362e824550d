"""Marketing tasks through their pages: the lead's board, creating and assigning with each
person's remaining budget, the task page with its follow-up thread, and "My tasks"
where assignees start, complete or decline."""

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tasks import services
from tasks.models import (
    AssistCategory,
    MarketingTask,
    StateChange,
    TaskAssignment,
    TaskComment,
    TimeLog,
)
from tests.factories import (
    DepartmentFactory,
    MarketingDepartmentFactory,
    StaffProfileFactory,
    UserFactory,
)

ANONYMOUS = "anonymous"
EVERYONE = [
    "lead",
    "staff",
    "supervisor",
    "delegate",
    "other_supervisor",
    "outsider",
    "admin",
    ANONYMOUS,
]
SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
BOARD = reverse("tasks:task_board")
CREATE = reverse("tasks:task_create")
MY_TASKS = reverse("tasks:my_tasks")


def category():
    return AssistCategory.objects.filter(is_active=True).order_by("order", "pk").first()


def client_for(client, org, name):
    if name == ANONYMOUS:
        return client
    client.force_login(getattr(org, name))
    return client


def make_task(lead, *assignees, title="Collect client feedback", due=None, minutes=60, **extra):
    return services.task_create(
        actor=lead,
        title=title,
        category=category(),
        due_date=due or datetime.date(2026, 3, 20),
        estimated_minutes=minutes,
        assignees=list(assignees),
        **extra,
    )


def assignment_of(task, user):
    return TaskAssignment.objects.get(task=task, assignee=user)


def status_of(task):
    return MarketingTask.objects.get(pk=task.pk).status


def log_on(task, profile, day, minutes=30, **extra):
    return TimeLog.objects.create(
        staff=profile,
        day=day,
        minutes=minutes,
        category=task.category,
        task=task,
        description="Called the client",
        duties_done=True,
        **extra,
    )


def form_data(org, **overrides):
    data = {
        "title": "Phone ten former clients",
        "category": category().pk,
        "due_date": "2026-03-20",
        "estimated_minutes": "90",
        "description": "Ask whether they need a maintenance contract.",
        "assignees": [org.staff_profile.pk],
    }
    data.update(overrides)
    return data


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


@pytest.fixture
def task(org, today):
    """A task of the lead assigned to the staff member and to the other team's staff."""
    return make_task(org.lead, org.staff, org.other_staff)


# --------------------------------------------------------------------------- board


class TestTaskBoard:
    @pytest.mark.parametrize(
        ("who", "expected"),
        [
            ("lead", 200),
            ("admin", 200),
            ("staff", 403),
            ("supervisor", 403),
            ("delegate", 403),
            ("other_supervisor", 403),
            ("outsider", 403),
            (ANONYMOUS, 302),
        ],
    )
    def test_it_is_for_marketing_leads_only(self, client, org, today, who, expected):
        response = client_for(client, org, who).get(BOARD)
        assert response.status_code == expected

    def test_it_puts_each_card_in_its_status_column(self, login, org, today, task):
        other = make_task(org.lead, org.staff, title="Write a case study")
        services.assignment_start(actor=org.staff, assignment=assignment_of(other, org.staff))
        response = login(org.lead).get(BOARD)
        columns = {column["status"]: column for column in response.context["columns"]}
        assert [c["status"] for c in response.context["columns"]] == [
            "open",
            "in_progress",
            "done",
            "cancelled",
        ]
        assert list(columns["open"]["page"].object_list) == [task]
        assert list(columns["in_progress"]["page"].object_list) == [other]
        assert list(columns["done"]["page"].object_list) == []

    def test_each_card_shows_category_due_estimate_assignees_and_logged_minutes(
        self, login, org, today, task
    ):
        services.assignment_start(actor=org.staff, assignment=assignment_of(task, org.staff))
        log_on(task, org.staff_profile, today, 45)
        log_on(
            task,
            org.staff_profile,
            today,
            20,
            status=TimeLog.Status.REJECTED,
            rejection_reason="Not on this task",
        )
        html = login(org.lead).get(BOARD).content.decode()
        assert "Collect client feedback" in html
        assert category().label in html
        assert 'datetime="2026-03-20"' in html
        assert "60 min" in html
        assert "45 min" in html  # rejected time does not count
        assert org.staff.get_full_name() in html
        assert "Started" in html
        assert org.other_staff.get_full_name() in html
        assert "Assigned" in html

    def test_it_highlights_overdue_tasks(self, login, org, today, task):
        MarketingTask.objects.filter(pk=task.pk).update(due_date=today - datetime.timedelta(days=1))
        html = login(org.lead).get(BOARD).content.decode()
        assert "overdue" in html
        assert "border-danger" in html

    def test_a_task_due_today_is_not_overdue(self, login, org, today):
        make_task(org.lead, org.staff, due=today)
        assert "overdue" not in login(org.lead).get(BOARD).content.decode()

    def test_it_shows_only_the_leads_own_tasks(self, login, org, today, task):
        other_lead = StaffProfileFactory(
            user=UserFactory(username="lead2"), department=org.marketing, is_marketing_lead=True
        ).user
        make_task(other_lead, org.staff, title="Someone else's task")
        html = login(org.lead).get(BOARD).content.decode()
        assert "Collect client feedback" in html
        assert "Someone else&#x27;s task" not in html
        html = login(org.admin).get(BOARD).content.decode()
        assert "Collect client feedback" in html
        assert "Someone else&#x27;s task" in html

    def test_it_shows_an_empty_state(self, login, org, today):
        assert "No tasks here." in login(org.lead).get(BOARD).content.decode()

    def test_it_paginates_each_column_by_fifty(self, login, org, today):
        for n in range(51):
            make_task(org.lead, org.staff, title=f"Task {n}")
        response = login(org.lead).get(BOARD)
        open_column = response.context["columns"][0]
        assert len(open_column["page"].object_list) == 50
        assert open_column["page"].paginator.count == 51
        response = login(org.lead).get(BOARD, {"open_page": 2})
        assert len(response.context["columns"][0]["page"].object_list) == 1

    def test_its_query_count_does_not_grow_with_tasks(
        self, login, org, today, django_assert_num_queries
    ):
        client = login(org.lead)
        first = make_task(org.lead, org.staff)
        log_on(first, org.staff_profile, today)
        client.get(BOARD)  # warm caches (content types) first
        with CaptureQueriesContext(connection) as one_task:
            assert client.get(BOARD).status_code == 200
        statuses = ["open", "in_progress", "done", "cancelled"]
        for n in range(39):
            many = make_task(org.lead, org.staff, org.other_staff, org.outsider, title=f"T{n}")
            MarketingTask.objects.filter(pk=many.pk).update(status=statuses[n % 4])
            log_on(many, org.staff_profile, today, 1)
        with django_assert_num_queries(len(one_task)):
            response = client.get(BOARD)
        assert sum(c["page"].paginator.count for c in response.context["columns"]) == 40


# --------------------------------------------------------------------------- create


class TestTaskCreate:
    @pytest.mark.parametrize(
        ("who", "expected"),
        [
            ("lead", 200),
            ("admin", 403),
            ("staff", 403),
            ("supervisor", 403),
            ("delegate", 403),
            ("other_supervisor", 403),
            ("outsider", 403),
            (ANONYMOUS, 302),
        ],
    )
    def test_only_marketing_leads_open_the_form(self, client, org, today, who, expected):
        assert client_for(client, org, who).get(CREATE).status_code == expected

    @pytest.mark.parametrize("who", ["staff", "supervisor", "outsider", "admin"])
    def test_others_cannot_post_a_task(self, client, org, today, who):
        response = client_for(client, org, who).post(CREATE, form_data(org))
        assert response.status_code == 403
        assert not MarketingTask.objects.exists()

    def test_it_creates_and_assigns_the_task(self, login, org, today):
        data = form_data(org, assignees=[org.staff_profile.pk, org.other_staff.profile.pk])
        response = login(org.lead).post(CREATE, data)
        task = MarketingTask.objects.get()
        assert response.status_code == 302
        assert response.url == reverse("tasks:task_detail", args=[task.pk])
        assert task.created_by == org.lead
        assert task.status == MarketingTask.Status.OPEN
        assert task.estimated_minutes == 90
        assert set(task.assignees.all()) == {org.staff, org.other_staff}
        assert StateChange.objects.filter(
            content_type=ContentType.objects.get_for_model(MarketingTask), object_id=task.pk
        ).exists()

    def test_it_lists_candidates_with_their_remaining_budget_this_week(self, login, org, today):
        # Tuesday: four working days of 120 minutes are left, less what was logged today.
        TimeLog.objects.create(
            staff=org.staff_profile,
            day=today,
            minutes=30,
            category=category(),
            description="Visited a client",
            duties_done=True,
        )
        response = login(org.lead).get(CREATE)
        html = response.content.decode()
        remaining = response.context["form"].fields["assignees"].remaining
        assert remaining[org.staff_profile.pk] == 450
        assert remaining[org.other_staff.profile.pk] == 480
        assert "450 min left this week" in html
        assert "480 min left this week" in html
        assert org.lead.get_full_name() not in html.split("Assign to", 1)[1]

    def test_it_warns_after_saving_when_the_estimate_exceeds_someones_budget(
        self, login, org, today
    ):
        data = form_data(
            org,
            estimated_minutes="500",
            assignees=[org.staff_profile.pk, org.other_staff.profile.pk],
        )
        response = login(org.lead).post(CREATE, data, follow=True)
        assert MarketingTask.objects.count() == 1
        warnings = [m for m in messages_of(response) if "budget left this week" in m]
        assert len(warnings) == 1
        assert org.staff_profile.display_name in warnings[0]
        assert "480 min left" in warnings[0]

    def test_it_does_not_warn_when_everyone_has_enough_budget(self, login, org, today):
        response = login(org.lead).post(CREATE, form_data(org), follow=True)
        assert not [m for m in messages_of(response) if "budget left this week" in m]

    def test_checking_budgets_shows_the_hint_in_the_form_without_saving(self, login, org, today):
        data = form_data(org, estimated_minutes="500", check_budgets="1")
        response = login(org.lead).post(CREATE, data)
        html = response.content.decode()
        assert response.status_code == 200
        assert not MarketingTask.objects.exists()
        assert response.context["over_budget"] == [org.staff_profile]
        assert "The estimate is more than the budget this person has left this week" in html
        assert "less than the estimate" in html
        assert 'value="Phone ten former clients"' in html

    def test_a_failed_save_keeps_the_budget_hint(self, login, org, today):
        data = form_data(org, estimated_minutes="500", due_date="2026-03-01")
        response = login(org.lead).post(CREATE, data)
        assert response.context["over_budget"] == [org.staff_profile]
        assert not MarketingTask.objects.exists()

    @pytest.mark.parametrize(
        ("value", "message"),
        [
            ("-5", "Enter a whole number of minutes greater than zero."),
            ("0", "Enter a whole number of minutes greater than zero."),
            ("99999999", "Split work longer than a month into several tasks."),
            ("abc", "Enter a whole number."),
            ("1.5", "Enter a whole number."),
            ("", "Enter a whole number of minutes greater than zero."),
        ],
    )
    def test_it_rejects_bad_estimates_beside_the_field(self, login, org, today, value, message):
        response = login(org.lead).post(CREATE, form_data(org, estimated_minutes=value))
        assert response.status_code == 200
        assert response.context["form"].errors["estimated_minutes"] == [message]
        html = response.content.decode()
        assert message in html
        assert 'value="Phone ten former clients"' in html
        assert not MarketingTask.objects.exists()

    def test_it_rejects_a_past_due_date(self, login, org, today):
        response = login(org.lead).post(CREATE, form_data(org, due_date="2026-03-09"))
        assert response.context["form"].errors["due_date"] == [
            "The due date cannot be in the past."
        ]
        assert 'value="2026-03-09"' in response.content.decode()
        assert not MarketingTask.objects.exists()

    def test_it_rejects_an_unreadable_due_date(self, login, org, today):
        response = login(org.lead).post(CREATE, form_data(org, due_date="soon"))
        assert response.context["form"].errors["due_date"] == ["Enter a valid date."]
        assert not MarketingTask.objects.exists()

    @pytest.mark.parametrize(
        ("field", "message"),
        [
            ("title", "Keep the title under 200 characters."),
            ("description", "Keep the description under 4000 characters."),
        ],
    )
    def test_it_rejects_ten_thousand_characters(self, login, org, today, field, message):
        response = login(org.lead).post(CREATE, form_data(org, **{field: "x" * 10_000}))
        assert response.context["form"].errors[field] == [message]
        assert "x" * 10_000 in response.content.decode()
        assert not MarketingTask.objects.exists()

    def test_it_asks_for_a_title_category_and_assignees(self, login, org, today):
        data = form_data(org, title="  ", category="", assignees=[])
        errors = login(org.lead).post(CREATE, data).context["form"].errors
        assert errors["title"] == ["Give the task a title."]
        assert errors["category"] == ["Choose an active category."]
        assert errors["assignees"] == ["Assign the task to at least one person."]
        assert not MarketingTask.objects.exists()

    def test_it_refuses_marketing_staff_and_inactive_categories(self, login, org, today):
        inactive = AssistCategory.objects.create(code="old", name="Old", is_active=False)
        data = form_data(org, category=inactive.pk, assignees=[org.lead.profile.pk])
        errors = login(org.lead).post(CREATE, data).context["form"].errors
        assert "category" in errors
        assert "assignees" in errors
        assert not MarketingTask.objects.exists()

    def test_it_stores_markup_as_text_and_shows_it_escaped(self, login, org, today):
        client = login(org.lead)
        client.post(CREATE, form_data(org, title=SCRIPT, description=SCRIPT))
        task = MarketingTask.objects.get()
        assert task.title == SCRIPT
        for url in (BOARD, reverse("tasks:task_detail", args=[task.pk])):
            html = client.get(url).content.decode()
            assert SCRIPT not in html
            assert ESCAPED in html

    def test_its_query_count_does_not_grow_with_candidates(
        self, client, db, today, django_assert_num_queries
    ):
        marketing = MarketingDepartmentFactory(code="MKT")
        engineering = DepartmentFactory(code="ENG")
        lead = StaffProfileFactory(department=marketing, is_marketing_lead=True).user
        for _ in range(3):
            StaffProfileFactory(department=engineering)
        client.force_login(lead)
        client.get(CREATE)  # warm caches (content types) first
        with CaptureQueriesContext(connection) as three:
            response = client.get(CREATE)
        assert len(response.context["form"].fields["assignees"].people) == 3
        for _ in range(27):
            StaffProfileFactory(department=DepartmentFactory())
        with django_assert_num_queries(len(three)):
            response = client.get(CREATE)
        assert len(response.context["form"].fields["assignees"].people) == 30
        assert response.content.decode().count("min left this week") == 30


# --------------------------------------------------------------------------- detail


class TestTaskDetail:
    @pytest.mark.parametrize(
        ("who", "expected"),
        [
            ("lead", 200),
            ("admin", 200),
            ("staff", 200),
            ("supervisor", 200),
            ("delegate", 200),
            ("other_supervisor", 404),
            ("outsider", 404),
            ("other_staff", 404),
            (ANONYMOUS, 302),
        ],
    )
    def test_who_may_see_it(self, client, org, today, who, expected):
        task = make_task(org.lead, org.staff)
        url = reverse("tasks:task_detail", args=[task.pk])
        assert client_for(client, org, who).get(url).status_code == expected

    def test_another_teams_supervisor_reads_it_once_their_report_is_assigned(
        self, login, org, today, task
    ):
        url = reverse("tasks:task_detail", args=[task.pk])
        assert login(org.other_supervisor).get(url).status_code == 200

    def test_it_shows_description_assignments_time_comments_and_history(
        self, login, org, today, task
    ):
        services.assignment_start(actor=org.staff, assignment=assignment_of(task, org.staff))
        services.assignment_complete(
            actor=org.staff, assignment=assignment_of(task, org.staff), outcome="Two leads found"
        )
        services.assignment_decline(
            actor=org.other_staff,
            assignment=assignment_of(task, org.other_staff),
            reason="On holiday all week",
        )
        log = log_on(task, org.staff_profile, today, 40, outcome_status="confirmed")
        services.task_comment_add(actor=org.lead, task=task, body="Thanks, well done")
        response = login(org.lead).get(reverse("tasks:task_detail", args=[task.pk]))
        html = response.content.decode()
        assert "Two leads found" in html
        assert "On holiday all week" in html
        assert "Completed" in html
        assert "Declined" in html
        assert "Confirmed" in html
        assert "40" in html
        assert "Thanks, well done" in html
        assert response.context["logged_minutes"] == 40
        assert [c.to_state for c in response.context["history"]] == ["open", "in_progress", "done"]
        assert len(response.context["assignment_history"]) == 3
        log_url = reverse("tasks:log_detail", args=[log.pk])
        assert log_url in html

    def test_the_lead_gets_cancel_and_close_controls(self, login, org, today, task):
        services.assignment_start(actor=org.staff, assignment=assignment_of(task, org.staff))
        html = login(org.lead).get(reverse("tasks:task_detail", args=[task.pk])).content.decode()
        assert reverse("tasks:task_cancel", args=[task.pk]) in html
        assert reverse("tasks:task_close", args=[task.pk]) in html

    def test_an_open_task_offers_no_close_button(self, login, org, today, task):
        html = login(org.lead).get(reverse("tasks:task_detail", args=[task.pk])).content.decode()
        assert reverse("tasks:task_close", args=[task.pk]) not in html

    def test_the_assignee_may_comment_but_not_manage(self, login, org, today, task):
        html = login(org.staff).get(reverse("tasks:task_detail", args=[task.pk])).content.decode()
        assert reverse("tasks:task_comment", args=[task.pk]) in html
        assert reverse("tasks:task_cancel", args=[task.pk]) not in html
        assert "You are assigned to this task." in html

    def test_the_line_supervisor_reads_only_their_reports_time(self, login, org, today, task):
        mine = log_on(task, org.staff_profile, today, 25)
        theirs = log_on(task, org.other_staff.profile, today, 35)
        response = login(org.supervisor).get(reverse("tasks:task_detail", args=[task.pk]))
        html = response.content.decode()
        assert list(response.context["logs_page"].object_list) == [mine]
        assert reverse("tasks:task_comment", args=[task.pk]) not in html
        assert reverse("tasks:task_cancel", args=[task.pk]) not in html
        response = login(org.lead).get(reverse("tasks:task_detail", args=[task.pk]))
        assert set(response.context["logs_page"].object_list) == {mine, theirs}

    def test_its_query_count_does_not_grow_with_comments_logs_and_assignees(
        self, login, org, today, django_assert_num_queries
    ):
        client = login(org.lead)
        task = make_task(org.lead, org.staff)
        url = reverse("tasks:task_detail", args=[task.pk])
        log_on(task, org.staff_profile, today)
        services.task_comment_add(actor=org.lead, task=task, body="First")
        client.get(url)  # warm caches (content types) first
        with CaptureQueriesContext(connection) as few:
            client.get(url)
        people = [StaffProfileFactory(department=org.engineering) for _ in range(10)]
        TaskAssignment.objects.bulk_create(
            TaskAssignment(task=task, assignee=p.user) for p in people
        )
        for person in people:
            services.assignment_start(
                actor=person.user, assignment=assignment_of(task, person.user)
            )
            log_on(task, person, today)
            services.task_comment_add(actor=person.user, task=task, body="Done my part")
        with django_assert_num_queries(len(few)):
            response = client.get(url)
        assert len(response.context["comments"]) == 11


# --------------------------------------------------------------------------- comments


class TestComments:
    @pytest.mark.parametrize(
        ("who", "expected"),
        [
            ("lead", 302),
            ("staff", 302),
            ("admin", 302),
            ("supervisor", 403),
            ("delegate", 403),
            ("outsider", 404),
            (ANONYMOUS, 302),
        ],
    )
    def test_who_may_comment(self, client, org, today, task, who, expected):
        url = reverse("tasks:task_comment", args=[task.pk])
        response = client_for(client, org, who).post(url, {"body": "Any news?"})
        assert response.status_code == expected
        stored = TaskComment.objects.filter(task=task).exists()
        assert stored == (expected == 302 and who != ANONYMOUS)

    def test_it_needs_post(self, login, org, today, task):
        url = reverse("tasks:task_comment", args=[task.pk])
        assert login(org.staff).get(url).status_code == 405

    def test_an_htmx_post_returns_the_thread(self, login, org, today, task):
        url = reverse("tasks:task_comment", args=[task.pk])
        response = login(org.staff).post(url, {"body": "Called them"}, HTTP_HX_REQUEST="true")
        html = response.content.decode()
        assert response.status_code == 200
        assert "Called them" in html
        assert "<html" not in html
        assert 'id="comments"' in html
        assert TaskComment.objects.filter(task=task, author=org.staff).count() == 1

    def test_an_htmx_post_with_an_error_returns_the_thread_with_the_message(
        self, login, org, today, task
    ):
        url = reverse("tasks:task_comment", args=[task.pk])
        response = login(org.staff).post(url, {"body": "  "}, HTTP_HX_REQUEST="true")
        assert response.status_code == 200
        assert "Write something first." in response.content.decode()
        assert not TaskComment.objects.exists()

    @pytest.mark.parametrize(
        ("body", "message"),
        [("", "Write something first."), ("y" * 10_000, "Keep comments under 2000 characters.")],
    )
    def test_it_rejects_bad_comments_beside_the_field(self, login, org, today, task, body, message):
        url = reverse("tasks:task_comment", args=[task.pk])
        response = login(org.staff).post(url, {"body": body})
        assert response.status_code == 200
        assert response.context["comment_form"].errors["body"] == [message]
        assert body in response.content.decode()
        assert not TaskComment.objects.exists()

    def test_it_shows_markup_escaped(self, login, org, today, task):
        client = login(org.staff)
        client.post(reverse("tasks:task_comment", args=[task.pk]), {"body": SCRIPT})
        assert TaskComment.objects.get().body == SCRIPT
        html = client.get(reverse("tasks:task_detail", args=[task.pk])).content.decode()
        assert SCRIPT not in html
        assert ESCAPED in html


# --------------------------------------------------------------------------- cancel / close


class TestCancelAndClose:
    @pytest.mark.parametrize(
        ("who", "expected"),
        [
            ("lead", 302),
            ("admin", 302),
            ("staff", 403),
            ("supervisor", 403),
            ("delegate", 403),
            ("outsider", 404),
            (ANONYMOUS, 302),
        ],
    )
    def test_only_the_creating_lead_or_an_admin_cancels(
        self, client, org, today, task, who, expected
    ):
        url = reverse("tasks:task_cancel", args=[task.pk])
        response = client_for(client, org, who).post(url, {"reason": "Client withdrew"})
        assert response.status_code == expected
        cancelled = who in ("lead", "admin")
        assert (status_of(task) == MarketingTask.Status.CANCELLED) == cancelled

    def test_another_lead_cannot_cancel(self, client, org, today, task):
        other_lead = StaffProfileFactory(department=org.marketing, is_marketing_lead=True).user
        client.force_login(other_lead)
        response = client.post(reverse("tasks:task_cancel", args=[task.pk]), {"reason": "Mine now"})
        assert response.status_code == 404
        assert status_of(task) == MarketingTask.Status.OPEN

    def test_cancelling_records_the_reason(self, login, org, today, task):
        url = reverse("tasks:task_cancel", args=[task.pk])
        response = login(org.lead).post(url, {"reason": "Client withdrew"}, follow=True)
        assert "Task cancelled." in messages_of(response)
        change = response.context["history"].last()
        assert (change.to_state, change.reason, change.actor) == (
            "cancelled",
            "Client withdrew",
            org.lead,
        )

    def test_cancelling_needs_a_reason_beside_the_field(self, login, org, today, task):
        url = reverse("tasks:task_cancel", args=[task.pk])
        response = login(org.lead).post(url, {"reason": "   "})
        assert response.status_code == 200
        assert response.context["cancel_form"].errors["reason"] == [
            "Say why the task is cancelled."
        ]
        assert "Say why the task is cancelled." in response.content.decode()
        assert status_of(task) == MarketingTask.Status.OPEN

    def test_a_done_task_cannot_be_cancelled(self, login, org, today, task):
        services.assignment_start(actor=org.staff, assignment=assignment_of(task, org.staff))
        services.task_close(actor=org.lead, task=task)
        url = reverse("tasks:task_cancel", args=[task.pk])
        response = login(org.lead).post(url, {"reason": "Too late"}, follow=True)
        assert "A task that is Done cannot become Cancelled." in messages_of(response)
        assert status_of(task) == MarketingTask.Status.DONE

    def test_closing_an_open_task_is_refused_with_a_message(self, login, org, today, task):
        url = reverse("tasks:task_close", args=[task.pk])
        response = login(org.lead).post(url, follow=True)
        assert "A task that is Open cannot become Done." in messages_of(response)
        assert status_of(task) == MarketingTask.Status.OPEN

    def test_the_lead_closes_a_task_in_progress(self, login, org, today, task):
        services.assignment_start(actor=org.staff, assignment=assignment_of(task, org.staff))
        response = login(org.lead).post(reverse("tasks:task_close", args=[task.pk]), follow=True)
        assert "Task closed as done." in messages_of(response)
        assert status_of(task) == MarketingTask.Status.DONE

    @pytest.mark.parametrize(
        ("who", "expected"), [("staff", 403), ("supervisor", 403), ("outsider", 404)]
    )
    def test_others_cannot_close(self, client, org, today, task, who, expected):
        services.assignment_start(actor=org.staff, assignment=assignment_of(task, org.staff))
        url = reverse("tasks:task_close", args=[task.pk])
        assert client_for(client, org, who).post(url).status_code == expected
        assert status_of(task) == MarketingTask.Status.IN_PROGRESS

    @pytest.mark.parametrize("name", ["tasks:task_cancel", "tasks:task_close"])
    def test_they_need_post(self, login, org, today, task, name):
        assert login(org.lead).get(reverse(name, args=[task.pk])).status_code == 405


# --------------------------------------------------------------------------- my tasks


class TestMyTasks:
    @pytest.mark.parametrize("who", [w for w in EVERYONE if w != ANONYMOUS])
    def test_everyone_sees_only_their_own_assignments(self, client, org, today, task, who):
        response = client_for(client, org, who).get(MY_TASKS)
        assert response.status_code == 200
        mine = [a.assignee for a in response.context["active"]]
        assert mine == ([org.staff] if who == "staff" else [])

    def test_anonymous_is_sent_to_log_in(self, client, org, today):
        assert client.get(MY_TASKS).status_code == 302

    def test_it_shows_an_empty_state(self, login, org, today):
        html = login(org.staff).get(MY_TASKS).content.decode()
        assert "Nothing to do" in html
        assert "No finished tasks yet." in html

    def test_it_groups_open_and_finished_assignments(self, login, org, today, task):
        done = make_task(org.lead, org.staff, title="Write a reference")
        services.assignment_complete(
            actor=org.staff, assignment=assignment_of(done, org.staff), outcome="Sent it"
        )
        cancelled = make_task(org.lead, org.staff, title="Trade fair")
        services.task_cancel(actor=org.lead, task=cancelled, reason="Fair postponed")
        response = login(org.staff).get(MY_TASKS)
        assert [a.task for a in response.context["active"]] == [task]
        assert {a.task for a in response.context["finished"]} == {done, cancelled}
        html = response.content.decode()
        assert reverse("tasks:assignment_start", args=[assignment_of(task, org.staff).pk]) in html
        assert "Sent it" in html

    def test_its_query_count_does_not_grow_with_assignments(
        self, login, org, today, django_assert_num_queries
    ):
        client = login(org.staff)
        make_task(org.lead, org.staff)
        finished = make_task(org.lead, org.staff)
        services.task_cancel(actor=org.lead, task=finished, reason="No longer needed")
        client.get(MY_TASKS)  # warm caches (content types) first
        with CaptureQueriesContext(connection) as few:
            client.get(MY_TASKS)
        for n in range(30):
            extra = make_task(org.lead, org.staff, title=f"Extra {n}")
            if n % 2:
                services.task_cancel(actor=org.lead, task=extra, reason="Dropped")
        with django_assert_num_queries(len(few)):
            response = client.get(MY_TASKS)
        assert response.context["active"].paginator.count == 16


# --------------------------------------------------------------------------- assignments


class TestAssignmentActions:
    @pytest.mark.parametrize(
        ("who", "expected"),
        [
            ("staff", 302),
            ("lead", 403),
            ("supervisor", 403),
            ("admin", 403),
            ("delegate", 403),
            ("other_supervisor", 404),
            ("outsider", 404),
            (ANONYMOUS, 302),
        ],
    )
    @pytest.mark.parametrize(
        ("name", "data"),
        [
            ("tasks:assignment_start", {}),
            ("tasks:assignment_complete", {"outcome": "Done"}),
            ("tasks:assignment_decline", {"reason": "Busy"}),
        ],
    )
    def test_only_the_assignee_answers(self, client, org, today, who, expected, name, data):
        task = make_task(org.lead, org.staff)
        assignment = assignment_of(task, org.staff)
        prefix = name.rsplit("_", 1)[1]
        posted = {f"{prefix}-{assignment.pk}-{key}": value for key, value in data.items()}
        url = reverse(name, args=[assignment.pk])
        response = client_for(client, org, who).post(url, posted)
        assert response.status_code == expected
        answered = assignment_of(task, org.staff).status != TaskAssignment.Status.ASSIGNED
        assert answered == (who == "staff")

    def test_a_fellow_assignee_cannot_answer_for_someone_else(self, login, org, today, task):
        assignment = assignment_of(task, org.staff)
        url = reverse("tasks:assignment_start", args=[assignment.pk])
        assert login(org.other_staff).post(url).status_code == 403
        assert assignment_of(task, org.staff).status == TaskAssignment.Status.ASSIGNED

    @pytest.mark.parametrize(
        "name", ["tasks:assignment_start", "tasks:assignment_complete", "tasks:assignment_decline"]
    )
    def test_they_need_post(self, login, org, today, task, name):
        url = reverse(name, args=[assignment_of(task, org.staff).pk])
        assert login(org.staff).get(url).status_code == 405

    def test_completing_needs_an_outcome_beside_the_field(self, login, org, today, task):
        assignment = assignment_of(task, org.staff)
        url = reverse("tasks:assignment_complete", args=[assignment.pk])
        response = login(org.staff).post(url, {f"complete-{assignment.pk}-outcome": " "})
        assert response.status_code == 200
        html = response.content.decode()
        assert "Describe the outcome: what came of the work?" in html
        assert f'id="id_complete-{assignment.pk}-outcome"' in html
        assert assignment_of(task, org.staff).status == TaskAssignment.Status.ASSIGNED

    def test_a_ten_thousand_character_outcome_is_refused_and_kept(self, login, org, today, task):
        assignment = assignment_of(task, org.staff)
        url = reverse("tasks:assignment_complete", args=[assignment.pk])
        response = login(org.staff).post(url, {f"complete-{assignment.pk}-outcome": "z" * 10_000})
        html = response.content.decode()
        assert "Keep the outcome under 2000 characters." in html
        assert "z" * 10_000 in html
        assert assignment_of(task, org.staff).status == TaskAssignment.Status.ASSIGNED

    def test_declining_needs_a_reason_beside_the_field(self, login, org, today, task):
        assignment = assignment_of(task, org.staff)
        url = reverse("tasks:assignment_decline", args=[assignment.pk])
        response = login(org.staff).post(url, {f"decline-{assignment.pk}-reason": ""})
        assert response.status_code == 200
        assert "Say why you decline, so that the lead can reassign it." in response.content.decode()
        assert assignment_of(task, org.staff).status == TaskAssignment.Status.ASSIGNED

    def test_an_outcome_with_markup_is_shown_escaped(self, login, org, today, task):
        assignment = assignment_of(task, org.staff)
        client = login(org.staff)
        client.post(
            reverse("tasks:assignment_complete", args=[assignment.pk]),
            {f"complete-{assignment.pk}-outcome": SCRIPT},
        )
        assert assignment_of(task, org.staff).outcome == SCRIPT
        html = client.get(MY_TASKS).content.decode()
        assert SCRIPT not in html
        assert ESCAPED in html

    def test_starting_a_cancelled_task_is_refused_with_a_message(self, login, org, today, task):
        services.task_cancel(actor=org.lead, task=task, reason="Budget cut")
        assignment = assignment_of(task, org.staff)
        url = reverse("tasks:assignment_start", args=[assignment.pk])
        response = login(org.staff).post(url, follow=True)
        assert "This task is closed." in messages_of(response)
        assert assignment_of(task, org.staff).status == TaskAssignment.Status.ASSIGNED
        assert status_of(task) == MarketingTask.Status.CANCELLED

    def test_starting_twice_is_refused_with_a_message(self, login, org, today, task):
        client = login(org.staff)
        url = reverse("tasks:assignment_start", args=[assignment_of(task, org.staff).pk])
        client.post(url)
        response = client.post(url, follow=True)
        assert "You already responded to this task." in messages_of(response)

    def test_the_redirect_keeps_the_page(self, login, org, today, task):
        url = reverse("tasks:assignment_start", args=[assignment_of(task, org.staff).pk])
        response = login(org.staff).post(f"{url}?page=2")
        assert response.url == f"{MY_TASKS}?page=2"


# --------------------------------------------------------------------------- lifecycle


class TestLifecycle:
    def post_answer(self, client, task, user, kind, text=""):
        assignment = assignment_of(task, user)
        url = reverse(f"tasks:assignment_{kind}", args=[assignment.pk])
        field = {"complete": "outcome", "decline": "reason"}.get(kind)
        data = {f"{kind}-{assignment.pk}-{field}": text} if field else {}
        return client.post(url, data)

    def test_open_in_progress_done_when_everyone_answered(self, client, org, today):
        client.force_login(org.lead)
        client.post(
            CREATE,
            form_data(org, assignees=[org.staff_profile.pk, org.other_staff.profile.pk]),
        )
        task = MarketingTask.objects.get()
        assert task.status == MarketingTask.Status.OPEN

        client.force_login(org.staff)
        assert self.post_answer(client, task, org.staff, "start").status_code == 302
        assert status_of(task) == MarketingTask.Status.IN_PROGRESS

        assert (
            self.post_answer(client, task, org.staff, "complete", "Met the buyer").status_code
            == 302
        )
        assert status_of(task) == MarketingTask.Status.IN_PROGRESS

        client.force_login(org.other_staff)
        assert (
            self.post_answer(client, task, org.other_staff, "decline", "Off sick").status_code
            == 302
        )
        assert status_of(task) == MarketingTask.Status.DONE

        client.force_login(org.lead)
        html = client.get(reverse("tasks:task_detail", args=[task.pk])).content.decode()
        assert "Met the buyer" in html
        assert "Off sick" in html
        finished = client_for(client, org, "staff").get(MY_TASKS).context["finished"]
        assert [a.task for a in finished] == [task]

    def test_completing_without_starting_also_moves_the_task_on(self, client, org, today):
        task = make_task(org.lead, org.staff)
        client.force_login(org.staff)
        self.post_answer(client, task, org.staff, "complete", "Done in one go")
        assert status_of(task) == MarketingTask.Status.DONE

    def test_the_lead_closes_when_not_everyone_finished(self, client, org, today, task):
        client.force_login(org.staff)
        self.post_answer(client, task, org.staff, "start")
        client.force_login(org.lead)
        client.post(reverse("tasks:task_close", args=[task.pk]))
        assert status_of(task) == MarketingTask.Status.DONE
        client.force_login(org.other_staff)
        response = self.post_answer(client, task, org.other_staff, "start")
        assert response.status_code == 302
        assert assignment_of(task, org.other_staff).status == TaskAssignment.Status.ASSIGNED

    def test_a_cancelled_task_leaves_my_open_list(self, client, org, today, task):
        client.force_login(org.lead)
        client.post(reverse("tasks:task_cancel", args=[task.pk]), {"reason": "Client withdrew"})
        client.force_login(org.staff)
        response = client.get(MY_TASKS)
        assert list(response.context["active"]) == []
        assert [a.task for a in response.context["finished"]] == [task]


# --------------------------------------------------------------------------- admin


class TestAdmin:
    @pytest.mark.parametrize(
        "model",
        ["assistcategory", "marketingtask", "timelog", "budgetextension", "statechange"],
    )
    def test_the_changelists_open(self, login, org, today, task, model):
        log_on(task, org.staff_profile, today)
        response = login(org.admin).get(reverse(f"admin:tasks_{model}_changelist"))
        assert response.status_code == 200

    def test_the_task_page_shows_assignments_and_comments_inline(self, login, org, today, task):
        services.task_comment_add(actor=org.lead, task=task, body="Inline comment")
        response = login(org.admin).get(reverse("admin:tasks_marketingtask_change", args=[task.pk]))
        assert response.status_code == 200
        assert "Inline comment" in response.content.decode()

    def test_state_changes_cannot_be_added_changed_or_deleted(self, login, org, today, task):
        change = StateChange.objects.first()
        client = login(org.admin)
        assert client.get(reverse("admin:tasks_statechange_add")).status_code == 403
        assert (
            client.get(reverse("admin:tasks_statechange_delete", args=[change.pk])).status_code
            == 403
        )
        response = client.post(
            reverse("admin:tasks_statechange_change", args=[change.pk]), {"to_state": "done"}
        )
        assert response.status_code == 403
        assert StateChange.objects.get(pk=change.pk).to_state == "open"

    def test_time_log_decisions_are_read_only(self, login, org, today, task):
        log = log_on(task, org.staff_profile, today)
        response = login(org.admin).get(reverse("admin:tasks_timelog_change", args=[log.pk]))
        form = response.context["adminform"].form
        for field in ("status", "decided_by", "rejection_reason", "outcome_status", "minutes"):
            assert field not in form.fields

    def test_categories_are_ordered_and_switched_on_in_the_list(self, login, org, today):
        response = login(org.admin).get(reverse("admin:tasks_assistcategory_changelist"))
        assert response.context["cl"].list_editable == ["order", "is_active"]

    def test_non_admins_are_kept_out(self, client, org, today):
        client.force_login(org.lead)
        response = client.get(reverse("admin:tasks_marketingtask_changelist"))
        assert response.status_code == 302
