"""The marketing lead confirms what came of the time logged on their tasks."""

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from tasks import services
from tasks.models import StateChange, TimeLog
from tasks.templatetags.tasks_extras import state_label
from tests.factories import StaffProfileFactory
from tests.tasks.test_approvals import ANONYMOUS, category, client_for, make_log

OUTCOMES = reverse("tasks:outcome_queue")


def review_url(log):
    return reverse("tasks:log_review_outcome", args=[log.pk])


def make_task(org, today, *, title="Trade fair stand", assignees=None):
    return services.task_create(
        actor=org.lead,
        title=title,
        category=category(),
        due_date=today + datetime.timedelta(days=7),
        estimated_minutes=120,
        assignees=assignees or [org.staff],
    )


@pytest.fixture
def task(org, today):
    return make_task(org, today)


@pytest.fixture
def log(org, today, task):
    return make_log(org.staff_profile, today, 40, task=task, description="Built the stand")


class TestOutcomeQueue:
    @pytest.mark.parametrize(
        ("name", "expected"),
        [
            ("lead", 200),
            ("staff", 403),
            ("supervisor", 403),
            ("delegate", 403),
            ("other_supervisor", 403),
            ("outsider", 403),
            ("finance", 403),
            (ANONYMOUS, 302),
        ],
    )
    def test_it_is_for_marketing_leads(self, client, org, log, name, expected):
        assert client_for(client, org, name).get(OUTCOMES).status_code == expected

    def test_it_lists_unreviewed_entries_on_the_leads_tasks(self, client, org, log, today):
        make_log(org.staff_profile, today, 10, description="Untied to a task")
        response = client_for(client, org, "lead").get(OUTCOMES)
        assert [row.log.pk for row in response.context["rows"]] == [log.pk]
        body = response.content.decode()
        assert "Built the stand" in body
        assert "Untied to a task" not in body
        assert "1 entry to review" in body

    def test_reviewed_and_rejected_entries_leave_the_queue(self, client, org, task, today):
        reviewed = make_log(org.staff_profile, today, 10, task=task, description="Reviewed")
        rejected = make_log(org.staff_profile, today, 10, task=task, description="Rejected")
        waiting = make_log(org.staff_profile, today, 10, task=task, description="Waiting")
        services.time_log_review_outcome(
            actor=org.lead, log=reviewed, outcome_status=TimeLog.OutcomeStatus.CONFIRMED
        )
        services.time_logs_reject(actor=org.supervisor, log_ids=[rejected.pk], reason="No")
        response = client_for(client, org, "lead").get(OUTCOMES)
        assert [row.log.pk for row in response.context["rows"]] == [waiting.pk]

    def test_approved_entries_stay_until_reviewed(self, client, org, log):
        services.time_logs_approve(actor=org.supervisor, log_ids=[log.pk])
        response = client_for(client, org, "lead").get(OUTCOMES)
        assert [row.log.pk for row in response.context["rows"]] == [log.pk]

    def test_another_leads_tasks_are_not_listed(self, client, org, log, today):
        other_lead = StaffProfileFactory(department=org.marketing, is_marketing_lead=True).user
        client.force_login(other_lead)
        response = client.get(OUTCOMES)
        assert response.status_code == 200
        assert response.context["rows"] == []
        assert "No outcomes wait for your review." in response.content.decode()

    def test_it_filters_by_task(self, client, org, log, today):
        second = make_task(org, today, title="Webinar")
        other = make_log(org.staff_profile, today, 10, task=second, description="Webinar slides")
        response = client_for(client, org, "lead").get(OUTCOMES, {"task": second.pk})
        assert [row.log.pk for row in response.context["rows"]] == [other.pk]
        choices = list(response.context["filters"].fields["task"].queryset)
        assert choices == [log.task, second]

    def test_the_query_count_does_not_grow(
        self, client, org, task, today, django_assert_num_queries
    ):
        make_log(org.staff_profile, today, 5, task=task)
        client_for(client, org, "lead")
        with CaptureQueriesContext(connection) as few:
            client.get(OUTCOMES)
        team = [
            StaffProfileFactory(department=org.engineering, line_supervisor=org.supervisor)
            for _ in range(3)
        ]
        for profile in team:
            task.assignments.create(assignee=profile.user)
        for n in range(40):
            make_log(team[n % 3], today - datetime.timedelta(days=n % 4), 5, task=task)
        with django_assert_num_queries(len(few)):
            response = client.get(OUTCOMES)
        assert len(response.context["rows"]) == 41


class TestReviewOutcome:
    def test_the_lead_confirms(self, client, org, log):
        response = client_for(client, org, "lead").post(
            review_url(log), {"outcome_status": "confirmed", "note": ""}
        )
        assert response.status_code == 302
        assert response.url == OUTCOMES
        log.refresh_from_db()
        assert (log.outcome_status, log.outcome_by) == ("confirmed", org.lead)
        change = StateChange.objects.filter(
            content_type=ContentType.objects.get_for_model(TimeLog), object_id=log.pk
        ).last()
        assert (change.from_state, change.to_state) == ("outcome:unreviewed", "outcome:confirmed")

    def test_follow_up_needs_a_note_beside_the_field(self, client, org, log):
        response = client_for(client, org, "lead").post(
            review_url(log), {"outcome_status": "needs_follow_up", "note": " "}
        )
        assert response.status_code == 200
        [row] = response.context["rows"]
        assert row.form.errors["note"] == ["Say what needs follow-up."]
        assert "Say what needs follow-up." in response.content.decode()
        log.refresh_from_db()
        assert log.outcome_status == ""

    def test_follow_up_with_a_note(self, client, org, log):
        client_for(client, org, "lead").post(
            review_url(log), {"outcome_status": "needs_follow_up", "note": "Call them again"}
        )
        log.refresh_from_db()
        assert (log.outcome_status, log.outcome_note) == ("needs_follow_up", "Call them again")

    def test_an_unknown_status_is_refused_and_the_note_kept(self, client, org, log):
        response = client_for(client, org, "lead").post(
            review_url(log), {"outcome_status": "great", "note": "Kept text"}
        )
        assert response.status_code == 200
        [row] = response.context["rows"]
        assert "outcome_status" in row.form.errors
        assert "Kept text</textarea>" in response.content.decode()

    @pytest.mark.parametrize(
        ("name", "expected"),
        [
            ("supervisor", 403),
            ("delegate", 403),
            ("staff", 403),
            ("other_supervisor", 404),
            ("outsider", 404),
            ("finance", 404),
            (ANONYMOUS, 302),
        ],
    )
    def test_only_the_tasks_lead_reviews(self, client, org, log, name, expected):
        response = client_for(client, org, name).post(
            review_url(log), {"outcome_status": "confirmed"}
        )
        assert response.status_code == expected
        log.refresh_from_db()
        assert log.outcome_status == ""

    def test_an_invalid_post_from_someone_who_may_not_review_is_still_403(self, client, org, log):
        response = client_for(client, org, "supervisor").post(review_url(log), {})
        assert response.status_code == 403

    def test_a_lead_who_did_not_create_the_task_cannot_review(self, client, org, log):
        other_lead = StaffProfileFactory(department=org.marketing, is_marketing_lead=True).user
        client.force_login(other_lead)
        response = client.post(review_url(log), {"outcome_status": "confirmed"})
        assert response.status_code == 404

    def test_the_staffs_marketing_lead_sees_but_cannot_review_another_leads_task(
        self, client, org, today
    ):
        other_lead = StaffProfileFactory(department=org.marketing, is_marketing_lead=True).user
        task = services.task_create(
            actor=other_lead,
            title="Other lead's task",
            category=category(),
            due_date=today,
            estimated_minutes=30,
            assignees=[org.staff],
        )
        log = make_log(org.staff_profile, today, 10, task=task)
        response = client_for(client, org, "lead").post(
            review_url(log), {"outcome_status": "confirmed"}
        )
        assert response.status_code == 403

    def test_a_missing_entry_is_404(self, client, org, today):
        response = client_for(client, org, "lead").post(
            reverse("tasks:log_review_outcome", args=[999999]), {"outcome_status": "confirmed"}
        )
        assert response.status_code == 404

    def test_get_is_not_allowed(self, client, org, log):
        assert client_for(client, org, "lead").get(review_url(log)).status_code == 405

    def test_it_returns_to_a_safe_next(self, client, org, log):
        target = reverse("tasks:task_detail", args=[log.task_id])
        response = client_for(client, org, "lead").post(
            review_url(log), {"outcome_status": "confirmed", "next": target}
        )
        assert response.url == target

    def test_it_ignores_a_foreign_next(self, client, org, log):
        response = client_for(client, org, "lead").post(
            review_url(log), {"outcome_status": "confirmed", "next": "https://evil.example/"}
        )
        assert response.url == OUTCOMES

    def test_htmx_swaps_the_row(self, client, org, log):
        response = client_for(client, org, "lead").post(
            review_url(log), {"outcome_status": "confirmed"}, HTTP_HX_REQUEST="true"
        )
        body = response.content.decode()
        assert response.status_code == 200
        assert body.strip().startswith("<article")
        assert f'id="outcome-{log.pk}"' in body
        assert "<form" not in body

    def test_a_second_review_changes_the_verdict_and_is_recorded(self, client, org, log):
        client_for(client, org, "lead").post(review_url(log), {"outcome_status": "confirmed"})
        client.post(review_url(log), {"outcome_status": "needs_follow_up", "note": "Wait"})
        log.refresh_from_db()
        assert log.outcome_status == "needs_follow_up"
        states = list(
            StateChange.objects.filter(
                content_type=ContentType.objects.get_for_model(TimeLog), object_id=log.pk
            ).values_list("to_state", flat=True)
        )
        assert states == ["submitted", "outcome:confirmed", "outcome:needs_follow_up"]


class TestStateLabel:
    @pytest.mark.parametrize(
        ("value", "label"),
        [
            ("submitted", "Submitted"),
            ("approved", "Approved"),
            ("rejected", "Rejected"),
            ("in_progress", "In progress"),
            ("granted", "Granted"),
            ("withdrawn", "Withdrawn"),
            ("declined", "Declined"),
            ("deleted", "Deleted"),
            ("outcome:confirmed", "Confirmed"),
            ("outcome:needs_follow_up", "Needs follow-up"),
            ("outcome:unreviewed", "Not reviewed"),
            ("outcome:", "Not reviewed"),
            ("something_else", "something_else"),
            ("", ""),
            (None, ""),
        ],
    )
    def test_it_labels_history_states(self, value, label):
        with translation.override("en"):
            assert state_label(value) == label

    def test_it_gives_the_models_label_in_the_active_language(self):
        with translation.override("zh-hans"):
            assert state_label("submitted") == str(TimeLog.Status.SUBMITTED.label)
            assert state_label("outcome:confirmed") == str(TimeLog.OutcomeStatus.CONFIRMED.label)

    def test_the_history_partial_uses_it(self, org):
        template = Template('{% include "tasks/_history.html" %}')
        changes = [
            StateChange(from_state="", to_state="submitted", actor=org.staff),
            StateChange(from_state="outcome:unreviewed", to_state="outcome:needs_follow_up"),
        ]
        with translation.override("en"):
            html = template.render(Context({"history": changes}))
        assert "<strong>Submitted</strong>" in html
        assert "Not reviewed" in html
        assert "<strong>Needs follow-up</strong>" in html
        assert "needs_follow_up" not in html
        assert org.staff.get_full_name() in html
        assert "system" in html  # no actor: a job did it
