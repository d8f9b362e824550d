"""Role journeys in both languages (English, Simplified Chinese) on a desktop and a phone
viewport: a staff member's day, a supervisor's approvals, the marketing lead's work,
finance's payout month and the administrator's organisation import.

Selectors avoid translated text: URLs, form field names, ids, data-testid and the
name/value of submit buttons. On the phone, the navigation sits behind the navbar toggler.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import expect

from tasks import services
from tasks.models import AssistCategory, BudgetExtension, DayLedger, TimeLog
from tests.browser.conftest import log_in, log_out

pytestmark = [pytest.mark.browser]

DAY = datetime.timedelta(days=1)
OUTCOME_ID = re.compile(r"outcome-(\d+)")
VIEWPORTS = {
    "desktop": {"width": 1280, "height": 900},
    "phone": {"width": 390, "height": 844},
}

parametrize_language_viewport = pytest.mark.parametrize(
    ("language", "viewport"),
    [(language, name) for language in ("en", "zh-hans") for name in VIEWPORTS],
)


def _user(username: str):
    return get_user_model().objects.get(username=username)


def _nav(page, href: str, viewport: str) -> None:
    """Follow a main-navigation link, opening the collapsed menu first on the phone."""
    if viewport == "phone":
        page.locator("nav .navbar-toggler").click()
        page.locator("#nav-main.show").wait_for()
    page.locator(f'#nav-main a[href="{href}"]').first.click()
    page.wait_for_url(f"**{href}")
    page.wait_for_load_state("networkidle")


def _check_language(page, language: str) -> None:
    assert page.locator("html").get_attribute("lang").lower() == language


def _clear_day(profile, day: datetime.date) -> None:
    TimeLog.objects.filter(staff=profile, day=day).delete()
    DayLedger.objects.filter(staff=profile, day=day).delete()
    BudgetExtension.objects.filter(staff=profile, day=day).delete()


# --------------------------------------------------------------------------- (a) staff day


@parametrize_language_viewport
def test_staff_day(demo_company, open_page, shoot, language, viewport):
    eng1 = _user("eng.1").profile
    today = timezone.localdate()
    _clear_day(eng1, today)
    category = AssistCategory.objects.get(code="proposal-input")

    page = open_page(language=language, viewport=VIEWPORTS[viewport])
    log_in(page, "eng.1")
    _nav(page, "/today/", viewport)
    _check_language(page, language)
    assert page.get_by_test_id("remaining").inner_text().strip() == "120"

    form = page.locator("main form[method=post]:has(input[name=minutes])")
    form.locator("select[name=category]").select_option(value=str(category.pk))
    form.locator("input[name=minutes]").fill("60")
    form.locator("textarea[name=description]").fill("Estimated the integration effort")
    form.locator("input[name=duties_done]").check()
    shoot(page, "1-today-filled")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    log = TimeLog.objects.get(staff=eng1, day=today)
    assert log.minutes == 60
    assert page.get_by_test_id("remaining").inner_text().strip() == "60"

    # Edit it to 90 minutes.
    page.locator(f'main a[href="/logs/{log.pk}/edit/"]').click()
    page.wait_for_url(f"**/logs/{log.pk}/edit/")
    page.locator("main form input[name=minutes]").fill("90")
    shoot(page, "2-edit")
    page.locator("main form:has(input[name=minutes]) button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    log.refresh_from_db()
    assert log.minutes == 90

    # 45 more minutes do not fit in the 30 left: the message names the 30.
    page.goto("/today/")
    assert page.get_by_test_id("remaining").inner_text().strip() == "30"
    form.locator("select[name=category]").select_option(value=str(category.pk))
    form.locator("input[name=minutes]").fill("45")
    form.locator("textarea[name=description]").fill("Follow-up call")
    form.locator("input[name=duties_done]").check()
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    error = page.locator("main .invalid-feedback, main .text-danger").filter(has_text="30")
    expect(error.first).to_be_visible()
    if language == "en":
        assert "30 minutes" in error.first.inner_text()
    assert page.locator("input[name=minutes]").input_value() == "45"
    shoot(page, "3-over-budget")
    assert TimeLog.objects.filter(staff=eng1, day=today).count() == 1

    # My week shows the entry.
    _nav(page, "/week/", viewport)
    _check_language(page, language)
    assert page.locator(f'main a[href="/logs/{log.pk}/"]').count() >= 1
    shoot(page, "4-week")


# --------------------------------------------------------------------------- (b) supervisor


def _pending_eng_logs(count: int) -> list[TimeLog]:
    """Submitted entries of eng.* this week, created through the service when the demo has
    too few that are still open."""
    today = timezone.localdate()
    pending = list(
        TimeLog.objects.filter(
            staff__user__username__startswith="eng.",
            status=TimeLog.Status.SUBMITTED,
        ).order_by("-day", "pk")
    )
    category = AssistCategory.objects.get(code="proposal-input")
    for username in ("eng.3", "eng.2", "eng.1"):
        if len(pending) >= count:
            break
        user = _user(username)
        _clear_day(user.profile, today)
        pending.append(
            services.time_log_create(
                staff=user.profile,
                day=today,
                minutes=30,
                category=category,
                description="Reviewed a proposal draft",
                duties_done=True,
            )
        )
    return pending


@parametrize_language_viewport
def test_supervisor(demo_company, open_page, shoot, language, viewport):
    today = timezone.localdate()
    eng2 = _user("eng.2").profile
    approve, reject, *_rest = _pending_eng_logs(3)
    BudgetExtension.objects.filter(staff=eng2, day=today).delete()
    extension = services.extension_request(
        staff=eng2, day=today, minutes=30, reason="Client workshop runs long"
    )

    page = open_page(language=language, viewport=VIEWPORTS[viewport])
    log_in(page, "eng.lead")
    _nav(page, "/approvals/", viewport)
    _check_language(page, language)
    queue = page.locator("main form.ah-queue")
    queue.locator(f"#log-{approve.pk}").check()
    shoot(page, "1-queue")
    queue.locator("button[name=action][value=approve]").click()
    page.wait_for_load_state("networkidle")
    approve.refresh_from_db()
    assert approve.status == TimeLog.Status.APPROVED

    queue.locator(f"#log-{reject.pk}").check()
    queue.locator("[name=reason]").fill("Not marketing work")
    queue.locator("button[name=action][value=reject]").click()
    page.wait_for_load_state("networkidle")
    reject.refresh_from_db()
    assert reject.status == TimeLog.Status.REJECTED
    shoot(page, "2-rejected")

    page.goto("/approvals/extensions/")
    row = page.locator(f"#extension-{extension.pk}")
    row.locator("button[name=decision][value=grant]").click()
    expect(page.locator(f"#extension-{extension.pk} button[name=decision]")).to_have_count(0)
    extension.refresh_from_db()
    assert extension.status == BudgetExtension.Status.GRANTED
    shoot(page, "3-extension-granted")

    ops_lead = _user("ops.lead")
    page.goto("/delegations/")
    form = page.locator("main form:has(select[name=delegate])")
    form.locator("select[name=delegate]").select_option(value=str(ops_lead.pk))
    form.locator("input[name=start_date]").fill(today.isoformat())
    form.locator("input[name=end_date]").fill((today + 7 * DAY).isoformat())
    form.locator("input[name=reason]").fill("Trade fair")
    shoot(page, "4-delegation")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    from departments.models import Delegation

    assert Delegation.objects.filter(delegator=_user("eng.lead"), delegate=ops_lead).exists()

    still_pending = TimeLog.objects.filter(
        staff__user__username__startswith="eng.", status=TimeLog.Status.SUBMITTED
    ).first()
    assert still_pending is not None
    log_out(page)
    log_in(page, "ops.lead")
    _nav(page, "/approvals/", viewport)
    expect(page.locator(f"#log-{still_pending.pk}")).to_have_count(1)
    shoot(page, "5-delegate-queue")


# --------------------------------------------------------------------------- (c) marketing lead


def _new_lead():
    from rewards.models import Lead
    from rewards.services import leads

    lead = Lead.objects.filter(status=Lead.Status.NEW).exclude(claim_status=Lead.Claim.PENDING)
    if lead.exists():
        return lead.order_by("pk").first()
    return leads.lead_introduce(
        staff=_user("ops.1").profile,
        client_name="Harbour Freight Partners",
        need="Tracking for twelve trucks",
        estimated_value=50000,
    )


@parametrize_language_viewport
def test_marketing_lead(demo_company, open_page, shoot, language, viewport):
    from rewards.models import Lead, Statement

    today = timezone.localdate()
    eng3 = _user("eng.3").profile
    category = AssistCategory.objects.get(code="client-visit")
    lead = _new_lead()
    draft = (
        Statement.objects.filter(status=Statement.Status.DRAFT, staff__marketing_lead__isnull=False)
        .order_by("pk")
        .first()
    )
    assert draft is not None

    page = open_page(language=language, viewport=VIEWPORTS[viewport])
    log_in(page, "marketing")
    _nav(page, "/tasks/", viewport)
    _check_language(page, language)
    shoot(page, "1-task-board")
    page.locator('main a[href="/tasks/new/"]').first.click()
    page.wait_for_url("**/tasks/new/")
    form = page.locator("main form[method=post]")
    title = f"Trade fair stand ({language}, {viewport})"
    form.locator("input[name=title]").fill(title)
    form.locator("select[name=category]").select_option(value=str(category.pk))
    form.locator("input[name=due_date]").fill((today + 10 * DAY).isoformat())
    form.locator("input[name=estimated_minutes]").fill("60")
    form.locator("textarea[name=description]").fill("Staff the stand for an afternoon.")
    form.locator(f"input[name=assignees][value='{eng3.pk}']").check()
    shoot(page, "2-new-task")
    form.locator("button[type=submit]:not([name])").click()
    page.wait_for_load_state("networkidle")
    from tasks.models import MarketingTask

    task = MarketingTask.objects.get(title=title)
    assert list(task.assignments.values_list("assignee_id", flat=True)) == [eng3.user_id]
    assert f"/tasks/{task.pk}/" in page.url

    page.goto("/outcomes/")
    ids = page.eval_on_selector_all("main [id^='outcome-']", "cards => cards.map(c => c.id)")
    pks = [int(found.group(1)) for found in map(OUTCOME_ID.fullmatch, ids) if found]
    assert pks, "the demo company has no outcome to review"
    outcome = TimeLog.objects.get(pk=pks[0])
    card = page.locator(f"#outcome-{outcome.pk}")
    shoot(page, "3-outcomes")
    card.locator("button[name=outcome_status][value=confirmed]").click()
    page.locator(f"#outcome-{outcome.pk} [role=status]").wait_for()
    outcome.refresh_from_db()
    assert outcome.outcome_status == TimeLog.OutcomeStatus.CONFIRMED

    page.goto(f"/leads/{lead.pk}/")
    page.locator("main form:has(input[name=action][value=qualify]) button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    lead.refresh_from_db()
    assert lead.status == Lead.Status.QUALIFIED
    win = page.locator("main form:has(input[name=action][value=win])")
    win.locator("input[name=win-contract_amount]").fill("80000")
    win.locator("input[name=win-won_on]").fill(today.isoformat())
    shoot(page, "4-win")
    win.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    lead.refresh_from_db()
    assert lead.status == Lead.Status.WON
    assert lead.contract_amount == 80000

    page.goto("/rewards/recommend/")
    signoff = page.locator("main form.ah-signoff")
    signoff.locator(f"#statement-{draft.pk}").check()
    shoot(page, "5-recommend")
    signoff.locator("button[name=action]:not([value=return])").click()
    page.wait_for_load_state("networkidle")
    draft.refresh_from_db()
    assert draft.status == Statement.Status.RECOMMENDED


# --------------------------------------------------------------------------- (d) finance


def _approved_period():
    """The seeded calculated month, with every statement recommended and approved."""
    from rewards.models import PayoutPeriod, Statement
    from rewards.services import payouts, signoff

    period = PayoutPeriod.objects.get(status=PayoutPeriod.Status.CALCULATED)
    for statement in Statement.objects.filter(
        period=period, status=Statement.Status.DRAFT
    ).select_related("staff"):
        if statement.staff.marketing_lead_id:
            signoff.statements_recommend(
                actor=statement.staff.marketing_lead, statement_ids=[statement.pk]
            )
    for statement in Statement.objects.filter(period=period).exclude(
        status=Statement.Status.APPROVED
    ):
        signoff.statements_approve(
            actor=statement.staff.line_supervisor, statement_ids=[statement.pk]
        )
    period.refresh_from_db()
    if period.status != PayoutPeriod.Status.APPROVED:
        payouts.approve_period_when_complete(period=period, actor=_user("finance"))
        period.refresh_from_db()
    assert period.status == PayoutPeriod.Status.APPROVED
    return period


@parametrize_language_viewport
def test_finance(demo_company, open_page, shoot, language, viewport):
    from rewards.models import PayoutPeriod

    period = _approved_period()
    page = open_page(language=language, viewport=VIEWPORTS[viewport])
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page, "finance")
    page.goto("/payouts/")
    _check_language(page, language)
    row = page.locator(f"tr[data-period='{period.pk}']")
    shoot(page, "1-periods")
    with page.expect_download() as download:
        row.locator(f'a[href="/payouts/{period.pk}/export.csv"]').click()
    assert download.value.suggested_filename.endswith(".csv")
    with open(download.value.path(), encoding="utf-8-sig") as exported:
        lines = exported.read().splitlines()
    assert len(lines) >= 2
    row.locator(f"form[action='/payouts/{period.pk}/mark-paid/'] button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    period.refresh_from_db()
    assert period.status == PayoutPeriod.Status.PAID
    shoot(page, "2-paid")


# --------------------------------------------------------------------------- (e) admin import

PEOPLE_HEADER = ",".join(
    [
        "employee_number",
        "username",
        "first_name",
        "last_name",
        "email",
        "department_code",
        "title",
        "line_supervisor_employee_number",
        "marketing_lead_employee_number",
        "is_marketing_lead",
        "daily_budget_minutes",
        "active",
    ]
)


def _people_csv(tmp_path, department: str):
    rows = [
        PEOPLE_HEADER,
        "E0304,eng.4,Hui,Ma,eng.4@example.com,ENG,Test engineer,E0300,E0100,no,,yes",
        f"E0305,eng.5,Jun,Gao,eng.5@example.com,{department},Support engineer,E0300,E0100,no,,yes",
    ]
    path = tmp_path / "people.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@parametrize_language_viewport
def test_admin_import(demo_company, open_page, shoot, tmp_path, language, viewport):
    from departments.models import StaffProfile

    page = open_page(language=language, viewport=VIEWPORTS[viewport])
    log_in(page, "admin")
    page.goto("/admin/departments/staffprofile/")
    page.locator('a[href="/admin/departments/staffprofile/import/"]').click()
    page.wait_for_url("**/staffprofile/import/")
    _check_language(page, language)
    page.locator("input[type=file][name=file]").set_input_files(
        str(_people_csv(tmp_path, department="NOPE"))
    )
    page.locator("form[enctype='multipart/form-data'] input[type=submit]").click()
    page.wait_for_load_state("networkidle")
    errors = page.locator("#import-errors")
    expect(errors).to_be_visible()
    assert "3" in [
        cell.strip() for cell in errors.locator("tbody td:first-child").all_inner_texts()
    ]
    assert not StaffProfile.objects.filter(employee_number__in=["E0304", "E0305"]).exists()
    shoot(page, "1-import-error")

    page.locator("input[type=file][name=file]").set_input_files(
        str(_people_csv(tmp_path, department="ENG"))
    )
    page.locator("form[enctype='multipart/form-data'] input[type=submit]").click()
    page.wait_for_url("**/admin/departments/staffprofile/")
    expect(page.locator(".messagelist .success")).to_be_visible()
    assert StaffProfile.objects.filter(employee_number__in=["E0304", "E0305"]).count() == 2
    shoot(page, "2-imported")
