"""``/api/v1/tasks/`` and ``/api/v1/extensions/`` as each standing user."""

from __future__ import annotations

import datetime

import pytest

from tasks import permissions, services
from tasks.models import BudgetExtension, MarketingTask, TaskAssignment

TASKS = "/api/v1/tasks/"
EXTENSIONS = "/api/v1/extensions/"
NAMES = [
    "staff",
    "supervisor",
    "delegate",
    "lead",
    "admin",
    "outsider",
    "other_supervisor",
    "other_staff",
    "finance",
    "anonymous",
]


def user_of(org, name):
    return None if name == "anonymous" else getattr(org, name)


def task_body(org, category, today, **overrides) -> dict:
    return {
        "title": "Call back the trade-show contacts",
        "description": "The list is in the thread.",
        "category": category.pk,
        "due_date": (today + datetime.timedelta(days=7)).isoformat(),
        "estimated_minutes": 60,
        "assignees": [org.staff_profile.pk, org.other_staff.profile.pk],
        **overrides,
    }


class TestTaskCreate:
    def test_a_marketing_lead_creates_and_assigns(self, org, api, today, category):
        response = api(org.lead).post(TASKS, task_body(org, category, today), format="json")

        assert response.status_code == 201
        data = response.json()
        assert data["status"] == "open"
        assert data["created_by"] == "lead"
        assert {a["staff"] for a in data["assignments"]} == {
            org.staff_profile.pk,
            org.other_staff.profile.pk,
        }
        assert MarketingTask.objects.get(pk=data["id"]).assignees.count() == 2

    @pytest.mark.parametrize("name", ["staff", "supervisor", "admin", "finance"])
    def test_nobody_else_creates_tasks(self, org, api, today, category, name):
        response = api(getattr(org, name)).post(
            TASKS, task_body(org, category, today), format="json"
        )

        assert response.status_code == 403
        assert not MarketingTask.objects.exists()

    def test_the_services_rules_come_back_as_field_errors(self, org, api, today, category):
        response = api(org.lead).post(
            TASKS,
            task_body(
                org,
                category,
                today,
                title="",
                due_date=(today - datetime.timedelta(days=1)).isoformat(),
                assignees=[org.lead.profile.pk],
            ),
            format="json",
        )

        assert response.status_code == 400
        assert set(response.json()) == {"title", "due_date", "assignees"}

    def test_unknown_people_are_an_assignees_error(self, org, api, today, category):
        response = api(org.lead).post(
            TASKS, task_body(org, category, today, assignees=[999999]), format="json"
        )

        assert response.status_code == 400
        assert list(response.json()) == ["assignees"]


# task of org.lead assigned to org.staff:   view  assignee-actions  lead-actions
# (the supervisor's active delegate reads their reports' tasks, like the supervisor)
TASK_MATRIX = {
    "staff": (200, 200, 403),
    "supervisor": (200, 403, 403),
    "delegate": (200, 403, 403),
    "lead": (200, 403, 200),
    "admin": (200, 403, 200),
    "outsider": (404, 404, 404),
    "other_supervisor": (404, 404, 404),
    "other_staff": (404, 404, 404),
    "finance": (404, 404, 404),
    "anonymous": (401, 401, 401),
}


@pytest.mark.parametrize("name", NAMES)
class TestOneTaskAsEachRole:
    def test_retrieve(self, org, api, task, name):
        response = api(user_of(org, name)).get(f"{TASKS}{task.pk}/")

        assert response.status_code == TASK_MATRIX[name][0]

    @pytest.mark.parametrize(
        ("verb", "payload", "assignment_status"),
        [
            ("start", {}, "started"),
            ("complete", {"outcome": "Two meetings booked"}, "completed"),
            ("decline", {"reason": "On call all week"}, "declined"),
        ],
    )
    def test_assignee_actions(self, org, api, task, name, verb, payload, assignment_status):
        response = api(user_of(org, name)).post(f"{TASKS}{task.pk}/{verb}/", payload, format="json")

        assert response.status_code == TASK_MATRIX[name][1]
        assignment = TaskAssignment.objects.get(task=task, assignee=org.staff)
        expected = assignment_status if response.status_code == 200 else "assigned"
        assert assignment.status == expected

    def test_cancel(self, org, api, task, name):
        response = api(user_of(org, name)).post(
            f"{TASKS}{task.pk}/cancel/", {"reason": "The fair was postponed"}, format="json"
        )

        assert response.status_code == TASK_MATRIX[name][2]
        task.refresh_from_db()
        assert task.status == ("cancelled" if response.status_code == 200 else "open")

    def test_close(self, org, api, task, name):
        services.assignment_start(actor=org.staff, assignment=TaskAssignment.objects.get(task=task))

        response = api(user_of(org, name)).post(f"{TASKS}{task.pk}/close/")

        assert response.status_code == TASK_MATRIX[name][2]
        task.refresh_from_db()
        assert task.status == ("done" if response.status_code == 200 else "in_progress")


class TestTaskFlow:
    def test_start_then_complete_closes_a_single_assignee_task(self, org, api, task):
        client = api(org.staff)

        started = client.post(f"{TASKS}{task.pk}/start/")
        completed = client.post(
            f"{TASKS}{task.pk}/complete/", {"outcome": "Two meetings"}, format="json"
        )

        assert started.json()["status"] == "in_progress"
        assert completed.json()["status"] == "done"
        assert completed.json()["assignments"][0]["outcome"] == "Two meetings"

    def test_completing_needs_an_outcome(self, org, api, task):
        response = api(org.staff).post(f"{TASKS}{task.pk}/complete/", {"outcome": ""})

        assert response.status_code == 400
        assert list(response.json()) == ["outcome"]

    def test_cancelling_needs_a_reason(self, org, api, task):
        response = api(org.lead).post(f"{TASKS}{task.pk}/cancel/", {"reason": ""})

        assert response.status_code == 400
        assert list(response.json()) == ["reason"]

    def test_closing_an_open_task_is_refused(self, org, api, task):
        response = api(org.lead).post(f"{TASKS}{task.pk}/close/")

        assert response.status_code == 400
        assert list(response.json()) == ["non_field_errors"]


class TestTaskList:
    @pytest.mark.parametrize(
        ("name", "sees"),
        [
            ("staff", True),
            ("supervisor", True),
            ("lead", True),
            ("admin", True),
            ("delegate", True),
            ("outsider", False),
            ("other_supervisor", False),
        ],
    )
    def test_visibility_matches_the_predicate(self, org, api, task, name, sees):
        user = getattr(org, name)

        ids = {item["id"] for item in api(user).get(TASKS).json()["results"]}

        assert (task.pk in ids) == sees == permissions.can_view_task(user, task)

    def test_filters(self, org, api, task, today, category):
        other = services.task_create(
            actor=org.lead,
            title="Prepare the proposal",
            category=category,
            due_date=today + datetime.timedelta(days=30),
            estimated_minutes=30,
            assignees=[org.other_staff, org.staff],
        )
        client = api(org.lead)

        def ids(query):
            return {item["id"] for item in client.get(f"{TASKS}?{query}").json()["results"]}

        assert ids(f"staff={org.other_staff.profile.pk}") == {other.pk}
        assert ids(f"staff={org.staff_profile.pk}") == {task.pk, other.pk}
        assert ids("due_date_before=" + (today + datetime.timedelta(days=10)).isoformat()) == {
            task.pk
        }
        assert ids("status=open") == {task.pk, other.pk}


# --------------------------------------------------------------------------- extensions


@pytest.fixture
def extension(org, today):
    return services.extension_request(
        staff=org.staff_profile, day=today, minutes=60, reason="Trade show all afternoon"
    )


# extension of org.staff:   view  grant/refuse  withdraw
EXTENSION_MATRIX = {
    "staff": (200, 403, 200),
    "supervisor": (200, 200, 403),
    "delegate": (200, 200, 403),
    "admin": (200, 403, 403),
    "lead": (404, 404, 404),
    "outsider": (404, 404, 404),
    "other_supervisor": (404, 404, 404),
    "other_staff": (404, 404, 404),
    "finance": (404, 404, 404),
    "anonymous": (401, 401, 401),
}


@pytest.mark.parametrize("name", NAMES)
class TestOneExtensionAsEachRole:
    def test_retrieve(self, org, api, extension, name):
        response = api(user_of(org, name)).get(f"{EXTENSIONS}{extension.pk}/")

        assert response.status_code == EXTENSION_MATRIX[name][0]

    def test_grant(self, org, api, extension, name):
        response = api(user_of(org, name)).post(f"{EXTENSIONS}{extension.pk}/grant/")

        assert response.status_code == EXTENSION_MATRIX[name][1]
        extension.refresh_from_db()
        assert extension.status == ("granted" if response.status_code == 200 else "requested")

    def test_refuse(self, org, api, extension, name):
        response = api(user_of(org, name)).post(
            f"{EXTENSIONS}{extension.pk}/refuse/", {"note": "Over budget"}, format="json"
        )

        assert response.status_code == EXTENSION_MATRIX[name][1]

    def test_withdraw(self, org, api, extension, name):
        response = api(user_of(org, name)).post(f"{EXTENSIONS}{extension.pk}/withdraw/")

        assert response.status_code == EXTENSION_MATRIX[name][2]
        extension.refresh_from_db()
        assert extension.status == ("withdrawn" if response.status_code == 200 else "requested")


class TestExtensions:
    def test_staff_ask_for_more_time(self, org, api, today):
        response = api(org.staff).post(
            EXTENSIONS,
            {"date": today.isoformat(), "minutes": 60, "reason": "Trade show"},
            format="json",
        )

        assert response.status_code == 201
        assert response.json()["status"] == "requested"
        assert BudgetExtension.objects.get().staff == org.staff_profile

    def test_a_second_pending_request_for_the_day_is_a_date_error(self, org, api, extension):
        response = api(org.staff).post(
            EXTENSIONS,
            {"date": extension.day.isoformat(), "minutes": 30, "reason": "More"},
            format="json",
        )

        assert response.status_code == 400
        assert list(response.json()) == ["date"]

    def test_a_marketing_lead_does_not_ask(self, org, api, today):
        response = api(org.lead).post(
            EXTENSIONS, {"date": today.isoformat(), "minutes": 60, "reason": "x"}, format="json"
        )

        assert response.status_code == 403

    def test_refusing_needs_a_note(self, org, api, extension):
        response = api(org.supervisor).post(f"{EXTENSIONS}{extension.pk}/refuse/", {"note": ""})

        assert response.status_code == 400
        assert list(response.json()) == ["note"]

    def test_a_granted_extension_raises_the_remaining_budget(self, org, api, extension):
        api(org.supervisor).post(f"{EXTENSIONS}{extension.pk}/grant/")

        me = api(org.staff).get("/api/v1/me/").json()

        assert (me["budget_today_minutes"], me["extension_today_minutes"]) == (120, 60)
        assert me["remaining_today_minutes"] == 180

    @pytest.mark.parametrize(
        ("name", "sees"),
        [
            ("staff", True),
            ("supervisor", True),
            ("delegate", True),
            ("admin", True),
            ("lead", False),
            ("outsider", False),
            ("other_supervisor", False),
        ],
    )
    def test_list_visibility(self, org, api, extension, name, sees):
        user = getattr(org, name)

        ids = {item["id"] for item in api(user).get(EXTENSIONS).json()["results"]}

        assert (extension.pk in ids) == sees == permissions.can_view_extension(user, extension)

    def test_filters(self, org, api, extension, today):
        client = api(org.supervisor)

        assert client.get(f"{EXTENSIONS}?status=requested").json()["count"] == 1
        assert client.get(f"{EXTENSIONS}?status=granted").json()["count"] == 0
        assert client.get(f"{EXTENSIONS}?date_after={today.isoformat()}").json()["count"] == 1


def test_the_task_list_query_count_does_not_grow(org, api, task, today, category):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api(org.lead)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(TASKS).status_code == 200
        return len(captured)

    few = queries()
    for n in range(8):
        services.task_create(
            actor=org.lead,
            title=f"Task {n}",
            category=category,
            due_date=today + datetime.timedelta(days=n),
            estimated_minutes=30,
            assignees=[org.staff, org.other_staff, org.outsider],
        )
    assert queries() == few
