"""Rewards journey: a staff member introduces a lead, the marketing lead wins it and
records the money, finance closes and calculates the month, the marketing lead recommends
the statement, the line supervisor approves it, finance exports it and marks it paid, and
the staff member reads the explained lines of the statement.

The journey runs in its own month, three months ago, which the demo company leaves
without a period: the seeded months (two months ago paid, last month calculated, this
month open) stay as they are. Time in a month that long ago cannot be logged any more, so
the fixture writes eng.1's approved support time there the way the demo seeding does.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from rewards.models import Lead, PayoutPeriod, RewardLine, RewardRule, Statement
from rewards.services import payouts
from tasks.history import record_change
from tasks.models import AssistCategory, DayLedger, TimeLog
from tests.browser.conftest import log_in, log_out

pytestmark = [pytest.mark.browser]

DAY = datetime.timedelta(days=1)
CLIENT = "Northwind Cold Storage"
CONTRACT = Decimal("180000.00")
# (working day of the month, minutes): 405 minutes = 6.75 hours × 20.00 = 135.00.
SUPPORT_TIME = [(0, 90), (1, 60), (2, 120), (4, 45), (6, 90)]


def _three_months_ago(today: datetime.date) -> datetime.date:
    year, month = divmod(today.year * 12 + today.month - 1 - 3, 12)
    return datetime.date(year, month + 1, 1)


@pytest.fixture
def journey(demo_company):
    """The journey's month, with eng.1's approved support time in it, and the days of the
    contract and the collection (the collection just past the hold-back at month end)."""
    users = get_user_model().objects
    eng1 = users.get(username="eng.1").profile
    start = _three_months_ago(timezone.localdate())
    assert not PayoutPeriod.objects.filter(start_date=start).exists()
    period = payouts.payout_period_for(day=start)

    category = AssistCategory.objects.get(code="proposal-input")
    workdays = [day for day in (start + n * DAY for n in range(28)) if day.weekday() < 5]
    for index, minutes in SUPPORT_TIME:
        day = workdays[index]
        log = TimeLog.objects.create(
            staff=eng1,
            day=day,
            minutes=minutes,
            category=category,
            description="Estimated the integration effort for a client proposal",
            outcome="Estimate sent to marketing",
            duties_done=True,
            status=TimeLog.Status.APPROVED,
            decided_by=eng1.line_supervisor,
            decided_at=timezone.now(),
        )
        record_change(subject=log, from_state="", to_state="submitted", actor=eng1.user)
        record_change(
            subject=log, from_state="submitted", to_state="approved", actor=eng1.line_supervisor
        )
        DayLedger.objects.update_or_create(
            staff=eng1, day=day, defaults={"logged_minutes": minutes, "dirty": True}
        )

    holdback = RewardRule.objects.get(kind=RewardRule.Kind.DIRECT_REVENUE).holdback_days
    collected_on = period.end_date - holdback * DAY
    return {
        "period": period,
        "eng1": eng1,
        "won_on": collected_on - 14 * DAY,
        "collected_on": collected_on,
    }


def _accept_confirmations(page) -> None:
    """The Close and Mark paid buttons ask first (window.confirm)."""
    page.on("dialog", lambda dialog: dialog.accept())


def test_introduce_win_collect_calculate_sign_off_pay_and_read(journey, open_page, shoot):
    period: PayoutPeriod = journey["period"]
    page = open_page()
    _accept_confirmations(page)

    # eng.1 introduces the client from My leads.
    log_in(page, "eng.1")
    page.goto("/leads/")
    page.locator("input[name=client_name]").fill(CLIENT)
    page.locator("input[name=contact]").fill("Ma Li, purchasing, ma.li@northwind-cold.cn")
    page.locator("textarea[name=need]").fill(
        "Temperature logging for six cold rooms, with alerts to the night shift."
    )
    page.locator("input[name=estimated_value]").fill("150000")
    shoot(page, "1-introduce")
    page.get_by_role("button", name="Introduce the lead").click()
    page.wait_for_load_state("networkidle")
    lead = Lead.objects.get(client_name=CLIENT)
    assert lead.introducer_id == journey["eng1"].pk
    assert lead.status == Lead.Status.NEW
    assert CLIENT in page.locator("main").inner_text()

    # The marketing lead qualifies it, wins it and records the money.
    log_out(page)
    log_in(page, "marketing")
    page.goto(f"/leads/{lead.pk}/")
    page.get_by_role("button", name="Qualify").click()
    page.wait_for_load_state("networkidle")
    page.locator("input[name=win-contract_amount]").fill(str(CONTRACT))
    page.locator("input[name=win-won_on]").fill(journey["won_on"].isoformat())
    shoot(page, "2-win")
    page.get_by_role("button", name="Mark as won").click()
    page.wait_for_load_state("networkidle")
    lead.refresh_from_db()
    assert lead.status == Lead.Status.WON
    page.get_by_text("Record a collection or refund").click()
    page.locator("input[name=collection-received_on]").fill(journey["collected_on"].isoformat())
    page.locator("input[name=collection-amount]").fill(str(CONTRACT))
    page.locator("input[name=collection-note]").fill("Invoice NW-0107, paid in full")
    page.get_by_role("button", name="Record", exact=True).click()
    page.wait_for_load_state("networkidle")
    lead.refresh_from_db()
    assert lead.status == Lead.Status.PAID
    shoot(page, "3-collected")

    # Finance closes the month and calculates it.
    log_out(page)
    log_in(page, "finance")
    page.goto("/payouts/")
    row = page.locator(f"tr[data-period='{period.pk}']")
    row.get_by_role("button", name="Close for logging").click()
    page.wait_for_load_state("networkidle")
    period.refresh_from_db()
    assert period.status == PayoutPeriod.Status.CLOSED
    row = page.locator(f"tr[data-period='{period.pk}']")
    row.get_by_role("button", name="Calculate").click()
    page.wait_for_load_state("networkidle")
    page.locator("#period-progress[data-state='done']").wait_for()
    assert "100 %" in page.locator("#period-progress [role=status]").inner_text()
    shoot(page, "4-calculated")
    period.refresh_from_db()
    assert period.status == PayoutPeriod.Status.CALCULATED
    statement = Statement.objects.get(period=period, staff=journey["eng1"])
    assert list(Statement.objects.filter(period=period)) == [statement]
    assert "Wang Lei" in page.locator("main table").inner_text()

    # The marketing lead recommends eng.1's statement.
    log_out(page)
    log_in(page, "marketing")
    page.goto("/rewards/recommend/")
    page.locator(f"#statement-{statement.pk}").check()
    shoot(page, "5-recommend")
    page.get_by_role("button", name="Recommend ticked").click()
    page.wait_for_load_state("networkidle")
    statement.refresh_from_db()
    assert statement.status == Statement.Status.RECOMMENDED

    # eng.lead, the line supervisor, approves (executes) it.
    log_out(page)
    log_in(page, "eng.lead")
    page.goto("/rewards/approve/")
    page.locator(f"#statement-{statement.pk}").check()
    shoot(page, "6-approve")
    page.get_by_role("button", name="Approve ticked").click()
    page.wait_for_load_state("networkidle")
    statement.refresh_from_db()
    assert statement.status == Statement.Status.APPROVED
    period.refresh_from_db()
    assert period.status == PayoutPeriod.Status.APPROVED

    # Finance exports the month for payroll and marks it paid.
    log_out(page)
    log_in(page, "finance")
    page.goto(f"/payouts/{period.pk}/")
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    assert download.value.suggested_filename == f"payout-{period}.csv"
    with open(download.value.path(), encoding="utf-8-sig") as exported:
        rows = list(csv.reader(io.StringIO(exported.read())))
    assert rows[1][:2] == ["E0301", "Wang Lei"]
    assert Decimal(rows[1][4]) == statement.total
    page.get_by_role("button", name="Mark paid").click()
    page.wait_for_load_state("networkidle")
    period.refresh_from_db()
    assert period.status == PayoutPeriod.Status.PAID
    shoot(page, "7-paid")

    # eng.1 reads the statement: a large revenue line and a basic support line, explained.
    log_out(page)
    log_in(page, "eng.1")
    page.goto("/rewards/")
    page.get_by_role("link", name=str(period), exact=True).click()
    page.wait_for_load_state("networkidle")
    revenue = RewardLine.objects.get(statement=statement, source=RewardLine.Source.LEAD)
    support = RewardLine.objects.get(statement=statement, source=RewardLine.Source.SUPPORT_TIME)
    # 3 % of 180,000.00 = 5,400.00, plus the 500.00 tier from 50,000.00 on.
    assert revenue.amount == Decimal("5900.00")
    # 405 minutes = 6.75 hours × 20.00.
    assert support.amount == Decimal("135.00")
    revenue_card = page.locator(f"#line-{revenue.pk}")
    support_card = page.locator(f"#line-{support.pk}")
    assert "Collected revenue" in revenue_card.inner_text()
    assert re.search(r"5,?900\.00", revenue_card.locator("strong").inner_text())
    explained = revenue_card.get_by_test_id("explanation").inner_text()
    assert f"“{CLIENT}”" in explained
    assert re.search(r"180,?000\.00 CNY collected", explained)
    assert "3.00 %" in explained
    assert "Approved support time" in support_card.inner_text()
    assert (
        "6.75 approved hours of support work"
        in support_card.get_by_test_id("explanation").inner_text()
    )
    assert "Paid" in page.locator("main h1").inner_text()
    shoot(page, "8-statement")
