"""``/api/v1/logs/``: logging time, changing it, and its approval, as each standing user."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tasks import permissions
from tasks.models import TimeLog

LOGS = "/api/v1/logs/"
DAY = datetime.timedelta(days=1)


def body(category, day, **overrides) -> dict:
    return {
        "date": day.isoformat(),
        "minutes": 30,
        "category": category.pk,
        "description": "Called three trade-show contacts",
        "outcome": "One asked for a quote",
        "duties_done": True,
        **overrides,
    }


def user_of(org, name):
    return None if name == "anonymous" else getattr(org, name)


class TestCreate:
    def test_staff_log_time_and_get_201_submitted(self, org, api, today, category):
        response = api(org.staff).post(LOGS, body(category, today), format="json")

        assert response.status_code == 201
        data = response.json()
        assert data["status"] == "submitted"
        assert data["staff"] == org.staff_profile.pk
        assert data["date"] == today.isoformat()
        log = TimeLog.objects.get(pk=data["id"])
        assert (log.minutes, log.description, log.outcome) == (
            30,
            "Called three trade-show contacts",
            "One asked for a quote",
        )

    def test_it_rejects_minutes_over_remaining_budget(self, org, api, today, category, make_log):
        make_log(org.staff_profile, day=today, minutes=100)

        response = api(org.staff).post(LOGS, body(category, today, minutes=30), format="json")

        assert response.status_code == 400
        assert list(response.json()) == ["minutes"]
        assert "Only 20 minutes of your budget remain" in response.json()["minutes"][0]
        assert TimeLog.objects.count() == 1

    def test_service_errors_use_the_api_field_names(self, org, api, today, category):
        response = api(org.staff).post(LOGS, body(category, today + DAY), format="json")

        assert response.status_code == 400
        assert response.json() == {"date": ["You cannot log time for a future day."]}

    def test_several_service_errors_come_together(self, org, api, today, category):
        response = api(org.staff).post(
            LOGS,
            body(category, today, minutes=0, description="  ", duties_done=False),
            format="json",
        )

        assert response.status_code == 400
        assert set(response.json()) == {"minutes", "description", "duties_done"}

    def test_logging_on_a_task_not_assigned_is_a_task_error(self, org, api, today, category, task):
        response = api(org.outsider).post(LOGS, body(category, today, task=task.pk), format="json")

        assert response.status_code == 400
        assert response.json() == {"task": ["You can only log time on tasks assigned to you."]}

    def test_logging_on_ones_own_task(self, org, api, today, category, task):
        response = api(org.staff).post(LOGS, body(category, today, task=task.pk), format="json")

        assert response.status_code == 201
        assert response.json()["task"] == task.pk

    @pytest.mark.parametrize("name", ["lead", "admin"])
    def test_people_who_do_not_log_time_get_403(self, org, api, today, category, name):
        response = api(getattr(org, name)).post(LOGS, body(category, today), format="json")

        assert response.status_code == 403
        assert not TimeLog.objects.exists()


# Who may do what with a submitted entry of ``org.staff`` (rule 3: only the line supervisor
# or the active delegate approves; nobody approves their own).
MATRIX = {
    #                   retrieve update delete approve reject
    "staff": (200, 200, 204, 403, 403),
    "supervisor": (200, 403, 403, 200, 200),
    "delegate": (200, 403, 403, 200, 200),
    "lead": (200, 403, 403, 403, 403),
    "admin": (200, 403, 403, 403, 403),
    "other_supervisor": (404, 404, 404, 404, 404),
    "outsider": (404, 404, 404, 404, 404),
    "other_staff": (404, 404, 404, 404, 404),
    "finance": (404, 404, 404, 404, 404),
    "anonymous": (401, 401, 401, 401, 401),
}


@pytest.mark.parametrize("name", list(MATRIX))
class TestOneEntryAsEachRole:
    @pytest.fixture
    def log(self, org, today, make_log):
        return make_log(org.staff_profile, day=today)

    def test_retrieve(self, org, api, log, name):
        response = api(user_of(org, name)).get(f"{LOGS}{log.pk}/")

        assert response.status_code == MATRIX[name][0]
        if response.status_code == 200:
            assert response.json()["id"] == log.pk

    def test_update(self, org, api, log, name, category, today):
        response = api(user_of(org, name)).put(
            f"{LOGS}{log.pk}/", body(category, today, minutes=45), format="json"
        )

        assert response.status_code == MATRIX[name][1]
        log.refresh_from_db()
        assert log.minutes == (45 if response.status_code == 200 else 30)

    def test_delete(self, org, api, log, name):
        response = api(user_of(org, name)).delete(f"{LOGS}{log.pk}/")

        assert response.status_code == MATRIX[name][2]
        assert TimeLog.objects.filter(pk=log.pk).exists() == (response.status_code != 204)

    def test_approve(self, org, api, log, name):
        response = api(user_of(org, name)).post(f"{LOGS}{log.pk}/approve/")

        assert response.status_code == MATRIX[name][3]
        log.refresh_from_db()
        if response.status_code == 200:
            assert response.json()["status"] == log.status == "approved"
            assert log.decided_by == getattr(org, name)
        else:
            assert log.status == "submitted"

    def test_reject(self, org, api, log, name):
        response = api(user_of(org, name)).post(
            f"{LOGS}{log.pk}/reject/", {"reason": "Not marketing work"}, format="json"
        )

        assert response.status_code == MATRIX[name][4]
        log.refresh_from_db()
        expected = "rejected" if response.status_code == 200 else "submitted"
        assert log.status == expected


class TestChanges:
    def test_a_partial_update_changes_only_what_is_sent(self, org, api, today, make_log):
        log = make_log(org.staff_profile, day=today, minutes=30)

        response = api(org.staff).patch(f"{LOGS}{log.pk}/", {"minutes": 20}, format="json")

        assert response.status_code == 200
        log.refresh_from_db()
        assert (log.minutes, log.description) == (20, "Called a client")

    def test_a_change_is_held_to_the_budget(self, org, api, today, make_log):
        log = make_log(org.staff_profile, day=today, minutes=30)
        make_log(org.staff_profile, day=today, minutes=80)

        response = api(org.staff).patch(f"{LOGS}{log.pk}/", {"minutes": 50}, format="json")

        assert response.status_code == 400
        assert list(response.json()) == ["minutes"]

    def test_a_decided_entry_cannot_change_any_more(self, org, api, today, make_log):
        log = make_log(org.staff_profile, day=today)
        api(org.supervisor).post(f"{LOGS}{log.pk}/approve/")

        response = api(org.staff).patch(f"{LOGS}{log.pk}/", {"minutes": 10}, format="json")

        assert response.status_code == 400
        assert list(response.json()) == ["non_field_errors"]

    def test_rejecting_needs_a_reason(self, org, api, today, make_log):
        log = make_log(org.staff_profile, day=today)

        response = api(org.supervisor).post(f"{LOGS}{log.pk}/reject/", {"reason": " "})

        assert response.status_code == 400
        assert list(response.json()) == ["reason"]

    def test_approving_twice_is_a_400(self, org, api, today, make_log):
        log = make_log(org.staff_profile, day=today)
        api(org.supervisor).post(f"{LOGS}{log.pk}/approve/")

        response = api(org.delegate).post(f"{LOGS}{log.pk}/approve/")

        assert response.status_code == 400

    def test_the_tasks_lead_reviews_the_outcome(self, org, api, today, make_log, task):
        log = make_log(org.staff_profile, day=today, task=task)
        url = f"{LOGS}{log.pk}/review-outcome/"

        refused = api(org.supervisor).post(url, {"outcome_status": "confirmed"}, format="json")
        confirmed = api(org.lead).post(url, {"outcome_status": "confirmed"}, format="json")

        assert refused.status_code == 403
        assert confirmed.status_code == 200
        assert confirmed.json()["outcome_status"] == "confirmed"
        assert confirmed.json()["outcome_by"] == "lead"


class TestBulkDecisions:
    def test_a_supervisor_approves_several_entries(self, org, api, today, make_log):
        logs = [make_log(org.staff_profile, day=today - DAY * n) for n in range(3)]

        response = api(org.supervisor).post(
            f"{LOGS}approve/", {"ids": [log.pk for log in logs]}, format="json"
        )

        assert response.status_code == 200
        assert response.json() == {"count": 3}
        assert set(TimeLog.objects.values_list("status", flat=True)) == {"approved"}

    def test_it_is_all_or_nothing(self, org, api, today, make_log):
        mine = make_log(org.staff_profile, day=today)
        not_mine = make_log(org.other_staff.profile, day=today)

        response = api(org.supervisor).post(
            f"{LOGS}approve/", {"ids": [mine.pk, not_mine.pk]}, format="json"
        )

        assert response.status_code == 403
        assert set(TimeLog.objects.values_list("status", flat=True)) == {"submitted"}

    def test_an_unknown_id_stops_the_batch(self, org, api, today, make_log):
        log = make_log(org.staff_profile, day=today)

        response = api(org.supervisor).post(
            f"{LOGS}approve/", {"ids": [log.pk, 999999]}, format="json"
        )

        assert response.status_code == 400
        assert list(response.json()) == ["non_field_errors"]
        log.refresh_from_db()
        assert log.status == "submitted"

    def test_bulk_reject_with_one_reason(self, org, api, today, make_log):
        logs = [make_log(org.staff_profile, day=today - DAY * n) for n in range(2)]

        response = api(org.delegate).post(
            f"{LOGS}reject/",
            {"ids": [log.pk for log in logs], "reason": "Duplicate"},
            format="json",
        )

        assert response.status_code == 200
        assert set(TimeLog.objects.values_list("rejection_reason", flat=True)) == {"Duplicate"}

    def test_ids_must_be_numbers(self, org, api):
        response = api(org.supervisor).post(f"{LOGS}approve/", {"ids": ["x"]}, format="json")

        assert response.status_code == 400
        assert "ids" in response.json()


class TestList:
    @pytest.fixture
    def logs(self, org, today, make_log, task):
        return {
            "staff": make_log(org.staff_profile, day=today, task=task),
            "outsider": make_log(org.outsider.profile, day=today),
            "other_staff": make_log(org.other_staff.profile, day=today - DAY),
            "supervisor": make_log(org.supervisor.profile, day=today),
        }

    @pytest.mark.parametrize(
        ("name", "expected"),
        [
            ("staff", {"staff"}),
            ("supervisor", {"staff", "outsider", "supervisor"}),
            ("delegate", {"staff", "outsider"}),
            ("other_supervisor", {"other_staff"}),
            ("lead", {"staff", "outsider", "other_staff"}),
            ("outsider", {"outsider"}),
            ("finance", set()),
            ("admin", {"staff", "outsider", "other_staff", "supervisor"}),
        ],
    )
    def test_each_user_sees_what_the_pages_let_them_see(self, org, api, logs, name, expected):
        user = getattr(org, name)

        response = api(user).get(LOGS)

        ids = {item["id"] for item in response.json()["results"]}
        assert ids == {logs[owner].pk for owner in expected}
        # The list and the predicate agree, in both directions.
        for log in TimeLog.objects.select_related("staff", "task"):
            assert (log.pk in ids) == permissions.can_view_time_log(user, log)

    def test_pagination_shape(self, org, api, logs):
        response = api(org.admin).get(LOGS)

        assert set(response.json()) == {"count", "next", "previous", "results"}
        assert response.json()["count"] == 4
        assert response.json()["next"] is None

    def test_pages_of_fifty(self, org, api, today, category):
        TimeLog.objects.bulk_create(
            TimeLog(
                staff=org.staff_profile,
                day=today,
                minutes=1,
                category=category,
                description="x",
                duties_done=True,
            )
            for _ in range(55)
        )

        first = api(org.staff).get(LOGS).json()
        second = api(org.staff).get(first["next"]).json()

        assert (first["count"], len(first["results"]), len(second["results"])) == (55, 50, 5)
        assert second["previous"] is not None

    def test_filters(self, org, api, logs, today):
        client = api(org.admin)
        api(org.supervisor).post(f"{LOGS}{logs['staff'].pk}/approve/")

        def ids(query):
            response = client.get(f"{LOGS}?{query}")
            assert response.status_code == 200, response.json()
            return {item["id"] for item in response.json()["results"]}

        assert ids("status=approved") == {logs["staff"].pk}
        assert ids("status=submitted&date_after=" + today.isoformat()) == {
            logs["outsider"].pk,
            logs["supervisor"].pk,
        }
        assert ids("date_before=" + (today - DAY).isoformat()) == {logs["other_staff"].pk}
        assert ids(f"staff={org.outsider.profile.pk}") == {logs["outsider"].pk}
        assert ids(f"department={org.operations.pk}") == {logs["other_staff"].pk}
        assert ids(f"task={logs['staff'].task_id}") == {logs["staff"].pk}

    def test_a_bad_filter_value_is_a_400(self, org, api, logs):
        response = api(org.admin).get(f"{LOGS}?status=maybe&date_after=yesterday")

        assert response.status_code == 400
        assert set(response.json()) == {"status", "date"}

    def test_ordering(self, org, api, logs):
        response = api(org.admin).get(f"{LOGS}?ordering=date")

        days = [item["date"] for item in response.json()["results"]]
        assert days == sorted(days)

    def test_the_query_count_does_not_grow_with_the_entries(
        self, org, api, today, category, make_log
    ):
        client = api(org.supervisor)
        make_log(org.staff_profile, day=today, minutes=5)

        def count_queries() -> tuple[int, int]:
            with CaptureQueriesContext(connection) as queries:
                response = client.get(LOGS)
            assert response.status_code == 200
            return len(queries), response.json()["count"]

        few, one = count_queries()
        for n in range(29):
            log = make_log(
                org.staff_profile if n % 2 else org.outsider.profile,
                day=today - DAY * (n % 6),
                minutes=5,
            )
            if n % 3 == 0:
                api(org.supervisor).post(f"{LOGS}{log.pk}/approve/")
        many, thirty = count_queries()

        assert (one, thirty) == (1, 30)
        assert many == few
