"""Issue journey: a staff member logs time within the budget, the line supervisor
approves it, the marketing lead confirms the outcome and sees it on the task."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from tasks import services
from tasks.models import AssistCategory, TimeLog
from tests.browser.conftest import log_in, log_out

pytestmark = [pytest.mark.browser]


@pytest.fixture
def fresh_task(demo_company):
    users = get_user_model().objects
    eng1 = users.get(username="eng.1")
    TimeLog.objects.filter(staff=eng1.profile, day=timezone.localdate()).delete()
    from tasks.models import DayLedger

    DayLedger.objects.filter(staff=eng1.profile, day=timezone.localdate()).delete()
    return services.task_create(
        actor=users.get(username="marketing"),
        title="Demo day for Northwind Logistics",
        category=AssistCategory.objects.get(code="client-visit"),
        due_date=timezone.localdate() + datetime.timedelta(days=7),
        estimated_minutes=90,
        assignees=[eng1],
        description="Show the tracking dashboard and answer technical questions.",
    )


def test_log_approve_and_confirm_outcome(fresh_task, open_page, shoot):
    page = open_page()
    log_in(page, "eng.1")
    page.goto("/today/")
    page.locator("select[name=category]").select_option(label="Client visit")
    page.locator("select[name=task]").select_option(label=fresh_task.title)
    page.locator("input[name=minutes]").fill("90")
    page.locator("textarea[name=description]").fill("Ran the demo with their IT lead")
    page.locator("textarea[name=outcome]").fill("They asked for a quote")
    page.locator("input[name=duties_done]").check()
    shoot(page, "1-today-filled")
    page.get_by_role("button", name="Log time").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_test_id("remaining").inner_text().strip() == "30"

    page.locator("select[name=category]").select_option(label="Client visit")
    page.locator("input[name=minutes]").fill("45")
    page.locator("textarea[name=description]").fill("Follow-up call")
    page.locator("input[name=duties_done]").check()
    page.get_by_role("button", name="Log time").click()
    page.wait_for_load_state("networkidle")
    error = page.locator(".invalid-feedback, .text-danger").filter(has_text="30")
    assert error.count() >= 1
    assert "Only 30 minutes" in error.first.inner_text()
    assert page.locator("input[name=minutes]").input_value() == "45"
    shoot(page, "2-today-over-budget")
    log = TimeLog.objects.get(task=fresh_task)
    assert log.minutes == 90

    log_out(page)
    log_in(page, "eng.lead")
    page.goto("/approvals/")
    page.locator(f"#log-{log.pk}").check()
    shoot(page, "3-queue")
    page.get_by_role("button", name="Approve ticked").click()
    page.wait_for_load_state("networkidle")
    log.refresh_from_db()
    assert log.status == TimeLog.Status.APPROVED

    log_out(page)
    log_in(page, "marketing")
    page.goto("/outcomes/")
    card = page.locator(f"#outcome-{log.pk}")
    assert "They asked for a quote" in card.inner_text()
    card.get_by_role("button", name="Confirm outcome").click()
    page.locator(f"#outcome-{log.pk} [role=status]").wait_for()
    page.goto(f"/tasks/{fresh_task.pk}/")
    shoot(page, "4-task-confirmed")
    assert "Confirmed" in page.locator("main").inner_text()
    log.refresh_from_db()
    assert log.outcome_status == TimeLog.OutcomeStatus.CONFIRMED
