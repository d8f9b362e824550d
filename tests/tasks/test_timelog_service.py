"""The rules of time logs and budget extensions, as the services enforce them."""

import datetime
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum

from rewards.models import PayoutPeriod
from tasks import services
from tasks.history import history_of
from tasks.models import (
    MAX_LOG_MINUTES,
    AssistCategory,
    BudgetExtension,
    DayLedger,
    MarketingTask,
    TimeLog,
)
from tests.factories import BudgetRuleFactory

DAY = datetime.date(2026, 3, 10)  # a Tuesday


@pytest.fixture(autouse=True)
def frozen_clock(settings):
    moment = datetime.datetime(2026, 3, 10, 10, 0, tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))
    with time_machine.travel(moment, tick=False):
        yield


@pytest.fixture
def category(db):
    return AssistCategory.objects.get(code="phone-marketing")


def log_time(org, *, minutes=30, day=DAY, **extra):
    fields = {
        "staff": org.staff_profile,
        "day": day,
        "minutes": minutes,
        "category": AssistCategory.objects.get(code="phone-marketing"),
        "description": "Called three clients",
        "duties_done": True,
    }
    fields.update(extra)
    return services.time_log_create(**fields)


def errors_of(excinfo) -> dict:
    return excinfo.value.message_dict


def ledger_minutes(profile, day=DAY) -> int:
    """The ledger's running total; a day nobody has written to yet has no row (0)."""
    ledger = DayLedger.objects.filter(staff=profile, day=day).first()
    return ledger.logged_minutes if ledger else 0


def counted_minutes(profile, day=DAY) -> int:
    return (
        TimeLog.objects.filter(staff=profile, day=day)
        .exclude(status=TimeLog.Status.REJECTED)
        .aggregate(total=Sum("minutes"))["total"]
        or 0
    )


def grant_extension(org, *, minutes, day=DAY):
    extension = services.extension_request(
        staff=org.staff_profile, day=day, minutes=minutes, reason="Trade fair"
    )
    return services.extension_decide(actor=org.supervisor, extension=extension, grant=True)


def assigned_task(org, *, assignee=None, category=None):
    return services.task_create(
        actor=org.lead,
        title="Call the spring list",
        category=category or AssistCategory.objects.get(code="phone-marketing"),
        due_date=DAY + datetime.timedelta(days=7),
        estimated_minutes=60,
        assignees=[assignee or org.staff],
    )


class TestTimeLogCreate:
    def test_it_creates_a_submitted_entry_with_history(self, org):
        log = log_time(org, minutes=45, outcome="  Meeting agreed  ")

        assert log.status == TimeLog.Status.SUBMITTED
        assert log.minutes == 45
        assert log.outcome == "Meeting agreed"
        change = history_of(log).get()
        assert (change.from_state, change.to_state, change.actor) == ("", "submitted", org.staff)

    def test_it_keeps_the_day_ledger_equal_to_the_counted_minutes(self, org):
        log_time(org, minutes=30)
        log_time(org, minutes=45)

        assert ledger_minutes(org.staff_profile) == 75 == counted_minutes(org.staff_profile)

    def test_it_accepts_exactly_the_remaining_budget(self, org):
        log_time(org, minutes=90)
        log_time(org, minutes=30)

        assert counted_minutes(org.staff_profile) == 120

    def test_it_rejects_minutes_over_remaining_budget_naming_what_remains(self, org):
        log_time(org, minutes=90)

        with pytest.raises(ValidationError) as excinfo:
            log_time(org, minutes=45)

        message = errors_of(excinfo)["minutes"][0]
        assert "Only 30 minutes of your budget remain" in message
        assert TimeLog.objects.count() == 1
        assert ledger_minutes(org.staff_profile) == 90

    def test_a_granted_extension_raises_the_cap(self, org):
        grant_extension(org, minutes=60)

        log_time(org, minutes=180)

        assert ledger_minutes(org.staff_profile) == 180
        with pytest.raises(ValidationError) as excinfo:
            log_time(org, minutes=1)
        assert "Only 0 minutes" in errors_of(excinfo)["minutes"][0]

    @pytest.mark.parametrize("decision", ["pending", "refused", "withdrawn"])
    def test_an_extension_not_granted_leaves_the_cap(self, org, decision):
        extension = services.extension_request(
            staff=org.staff_profile, day=DAY, minutes=60, reason="Trade fair"
        )
        if decision == "refused":
            services.extension_decide(
                actor=org.supervisor, extension=extension, grant=False, note="Not this week"
            )
        elif decision == "withdrawn":
            services.extension_withdraw(actor=org.staff, extension=extension)

        with pytest.raises(ValidationError):
            log_time(org, minutes=121)

    def test_an_extension_on_another_day_leaves_the_cap(self, org):
        grant_extension(org, minutes=60, day=DAY - datetime.timedelta(days=1))

        with pytest.raises(ValidationError):
            log_time(org, minutes=121)

    def test_rejected_minutes_free_the_budget(self, org):
        log = log_time(org, minutes=120)
        services.time_logs_reject(actor=org.supervisor, log_ids=[log.pk], reason="Not assist work")
        assert ledger_minutes(org.staff_profile) == 0

        log_time(org, minutes=120)

        assert ledger_minutes(org.staff_profile) == 120 == counted_minutes(org.staff_profile)

    def test_approved_minutes_still_count(self, org):
        log = log_time(org, minutes=120)
        services.time_logs_approve(actor=org.supervisor, log_ids=[log.pk])

        with pytest.raises(ValidationError):
            log_time(org, minutes=15)

    def test_the_department_budget_overrides_the_default(self, org):
        BudgetRuleFactory(department=org.engineering, daily_minutes=60)

        with pytest.raises(ValidationError) as excinfo:
            log_time(org, minutes=61)

        assert "Only 60 minutes" in errors_of(excinfo)["minutes"][0]

    def test_the_person_budget_overrides_the_department_budget(self, org):
        BudgetRuleFactory(department=org.engineering, daily_minutes=60)
        BudgetRuleFactory(staff=org.staff_profile, daily_minutes=180)

        log_time(org, minutes=180)

        assert ledger_minutes(org.staff_profile) == 180

    def test_a_budget_change_from_tomorrow_does_not_apply_today(self, org):
        BudgetRuleFactory(staff=org.staff_profile, daily_minutes=30, effective_from=DAY)
        BudgetRuleFactory(
            staff=org.staff_profile,
            daily_minutes=300,
            effective_from=DAY + datetime.timedelta(days=1),
        )

        with pytest.raises(ValidationError) as excinfo:
            log_time(org, minutes=31)

        assert "Only 30 minutes" in errors_of(excinfo)["minutes"][0]

    def test_another_persons_minutes_do_not_count(self, org):
        services.time_log_create(
            staff=org.other_staff.profile,
            day=DAY,
            minutes=120,
            category=AssistCategory.objects.get(code="phone-marketing"),
            description="Their work",
            duties_done=True,
        )

        log_time(org, minutes=120)

    def test_it_refuses_a_future_day(self, org):
        with pytest.raises(ValidationError) as excinfo:
            log_time(org, day=DAY + datetime.timedelta(days=1))

        assert "future" in errors_of(excinfo)["day"][0]
        assert not TimeLog.objects.exists()

    def test_it_accepts_the_last_day_of_the_edit_window(self, org, settings):
        settings.ALLHANDS_EDIT_WINDOW_DAYS = 7

        log_time(org, day=DAY - datetime.timedelta(days=7))

    def test_it_refuses_a_day_older_than_the_edit_window(self, org, settings):
        settings.ALLHANDS_EDIT_WINDOW_DAYS = 7

        with pytest.raises(ValidationError) as excinfo:
            log_time(org, day=DAY - datetime.timedelta(days=8))

        assert "older than 7 days" in errors_of(excinfo)["day"][0]
        assert not TimeLog.objects.exists()

    @pytest.mark.parametrize("status", ["closed", "calculated", "approved", "paid"])
    def test_it_refuses_a_day_inside_a_period_no_longer_open(self, org, status):
        PayoutPeriod.objects.create(
            start_date=datetime.date(2026, 3, 1), end_date=datetime.date(2026, 3, 31), status=status
        )

        with pytest.raises(ValidationError) as excinfo:
            log_time(org)

        assert "2026-03 is closed" in errors_of(excinfo)["day"][0]
        assert not TimeLog.objects.exists()

    def test_it_accepts_a_day_inside_an_open_period(self, org):
        PayoutPeriod.objects.create(
            start_date=datetime.date(2026, 3, 1), end_date=datetime.date(2026, 3, 31)
        )

        log_time(org)

    def test_a_closed_period_does_not_block_the_next_one(self, org):
        PayoutPeriod.objects.create(
            start_date=datetime.date(2026, 2, 1),
            end_date=datetime.date(2026, 2, 28),
            status=PayoutPeriod.Status.CLOSED,
        )

        log_time(org, day=datetime.date(2026, 3, 3))

    @pytest.mark.parametrize("minutes", [0, -5, MAX_LOG_MINUTES + 1, 10**12, "30", 1.5, True, None])
    def test_it_refuses_minutes_that_are_not_a_positive_whole_number(self, org, minutes):
        with pytest.raises(ValidationError) as excinfo:
            log_time(org, minutes=minutes)

        assert "minutes" in errors_of(excinfo)
        assert not TimeLog.objects.exists()

    @pytest.mark.parametrize("duties_done", [False, None, "yes"])
    def test_it_requires_the_own_duties_confirmation(self, org, duties_done):
        with pytest.raises(ValidationError) as excinfo:
            log_time(org, duties_done=duties_done)

        assert "own duties" in errors_of(excinfo)["duties_done"][0]

    @pytest.mark.parametrize("description", ["", "   ", None])
    def test_it_requires_a_description(self, org, description):
        with pytest.raises(ValidationError) as excinfo:
            log_time(org, description=description)

        assert "description" in errors_of(excinfo)

    def test_it_refuses_texts_over_2000_characters(self, org):
        with pytest.raises(ValidationError) as excinfo:
            log_time(org, description="x" * 10_000, outcome="y" * 2001)

        errors = errors_of(excinfo)
        assert "under 2000 characters" in errors["description"][0]
        assert "under 2000 characters" in errors["outcome"][0]

    def test_it_reports_every_field_error_at_once(self, org):
        with pytest.raises(ValidationError) as excinfo:
            log_time(org, minutes=0, description="", duties_done=False)

        assert set(errors_of(excinfo)) == {"minutes", "description", "duties_done"}

    def test_it_refuses_an_inactive_category(self, org, category):
        category.is_active = False
        category.save()

        with pytest.raises(ValidationError) as excinfo:
            log_time(org, category=category)

        assert "category" in errors_of(excinfo)

    def test_it_refuses_an_inactive_person(self, org):
        org.staff_profile.is_active = False
        org.staff_profile.save()

        with pytest.raises(ValidationError):
            log_time(org)

    def test_it_accepts_a_task_assigned_to_the_person(self, org):
        task = assigned_task(org)

        log = log_time(org, task=task)

        assert log.task == task

    def test_it_refuses_a_task_assigned_to_somebody_else(self, org):
        task = assigned_task(org, assignee=org.other_staff)

        with pytest.raises(ValidationError) as excinfo:
            log_time(org, task=task)

        assert "assigned to you" in errors_of(excinfo)["task"][0]

    def test_it_refuses_a_task_the_person_declined(self, org):
        task = assigned_task(org)
        services.assignment_decline(
            actor=org.staff, assignment=task.assignments.get(), reason="No time this month"
        )

        with pytest.raises(ValidationError) as excinfo:
            log_time(org, task=task)

        assert "task" in errors_of(excinfo)

    def test_it_refuses_a_cancelled_task(self, org):
        task = assigned_task(org)
        services.task_cancel(actor=org.lead, task=task, reason="Client withdrew")
        task.refresh_from_db()

        with pytest.raises(ValidationError) as excinfo:
            log_time(org, task=task)

        assert "cancelled" in errors_of(excinfo)["task"][0]
        assert task.status == MarketingTask.Status.CANCELLED


class TestTimeLogUpdate:
    def test_the_owner_changes_a_submitted_entry(self, org, category):
        log = log_time(org, minutes=30)
        visit = AssistCategory.objects.get(code="client-visit")

        services.time_log_update(
            actor=org.staff, log=log, minutes=60, category=visit, description="  Visited  "
        )

        log.refresh_from_db()
        assert (log.minutes, log.category, log.description) == (60, visit, "Visited")
        assert ledger_minutes(org.staff_profile) == 60

    def test_the_entry_being_changed_does_not_count_against_itself(self, org):
        log = log_time(org, minutes=100)

        services.time_log_update(actor=org.staff, log=log, minutes=120)

        assert ledger_minutes(org.staff_profile) == 120

    def test_it_rejects_a_change_over_the_budget(self, org):
        log_time(org, minutes=90)
        log = log_time(org, minutes=15)

        with pytest.raises(ValidationError) as excinfo:
            services.time_log_update(actor=org.staff, log=log, minutes=45)

        assert "Only 30 minutes" in errors_of(excinfo)["minutes"][0]
        log.refresh_from_db()
        assert log.minutes == 15
        assert ledger_minutes(org.staff_profile) == 105

    def test_moving_an_entry_to_another_day_updates_both_ledgers(self, org):
        log = log_time(org, minutes=40)
        yesterday = DAY - datetime.timedelta(days=1)

        services.time_log_update(actor=org.staff, log=log, day=yesterday)

        assert ledger_minutes(org.staff_profile, DAY) == 0
        assert ledger_minutes(org.staff_profile, yesterday) == 40

    def test_it_checks_the_budget_of_the_day_moved_to(self, org):
        yesterday = DAY - datetime.timedelta(days=1)
        log_time(org, minutes=100, day=yesterday)
        log = log_time(org, minutes=40)

        with pytest.raises(ValidationError) as excinfo:
            services.time_log_update(actor=org.staff, log=log, day=yesterday)

        assert "Only 20 minutes" in errors_of(excinfo)["minutes"][0]

    def test_it_refuses_moving_an_entry_to_the_future(self, org):
        log = log_time(org)

        with pytest.raises(ValidationError) as excinfo:
            services.time_log_update(actor=org.staff, log=log, day=DAY + datetime.timedelta(days=1))

        assert "day" in errors_of(excinfo)

    def test_it_refuses_changing_an_entry_older_than_the_edit_window(self, org):
        with time_machine.travel(datetime.datetime(2026, 3, 1, 10, tzinfo=datetime.UTC)):
            log = log_time(org, day=datetime.date(2026, 3, 1))

        with pytest.raises(ValidationError) as excinfo:
            services.time_log_update(actor=org.staff, log=log, minutes=15)

        assert "older than" in errors_of(excinfo)["day"][0]

    def test_it_refuses_changing_an_entry_in_a_closed_period(self, org):
        log = log_time(org)
        PayoutPeriod.objects.create(
            start_date=datetime.date(2026, 3, 1),
            end_date=datetime.date(2026, 3, 31),
            status=PayoutPeriod.Status.CLOSED,
        )

        with pytest.raises(ValidationError):
            services.time_log_update(actor=org.staff, log=log, minutes=15)

    @pytest.mark.parametrize("decision", ["approve", "reject"])
    def test_only_submitted_entries_can_be_changed(self, org, decision):
        log = log_time(org, minutes=30)
        if decision == "approve":
            services.time_logs_approve(actor=org.supervisor, log_ids=[log.pk])
        else:
            services.time_logs_reject(actor=org.supervisor, log_ids=[log.pk], reason="No")

        with pytest.raises(ValidationError) as excinfo:
            services.time_log_update(actor=org.staff, log=log, minutes=15)

        assert "Only submitted time can be changed" in excinfo.value.messages[0]
        log.refresh_from_db()
        assert log.minutes == 30

    @pytest.mark.parametrize("who", ["supervisor", "delegate", "lead", "outsider", "admin"])
    def test_only_the_owner_changes_an_entry(self, org, who):
        log = log_time(org, minutes=30)

        with pytest.raises(PermissionDenied):
            services.time_log_update(actor=getattr(org, who), log=log, minutes=15)

        log.refresh_from_db()
        assert log.minutes == 30

    def test_it_validates_the_new_values(self, org):
        log = log_time(org)

        with pytest.raises(ValidationError) as excinfo:
            services.time_log_update(
                actor=org.staff, log=log, minutes=-1, description="", duties_done=False
            )

        assert set(errors_of(excinfo)) == {"minutes", "description", "duties_done"}

    def test_it_refuses_unknown_fields(self, org):
        log = log_time(org)

        with pytest.raises(TypeError):
            services.time_log_update(actor=org.staff, log=log, status="approved")


class TestTimeLogDelete:
    def test_the_owner_deletes_a_submitted_entry_and_frees_the_budget(self, org):
        log = log_time(org, minutes=120)

        services.time_log_delete(actor=org.staff, log=log)

        assert not TimeLog.objects.exists()
        assert ledger_minutes(org.staff_profile) == 0
        change = history_of(log).last()
        assert (change.from_state, change.to_state, change.actor) == (
            "submitted",
            "deleted",
            org.staff,
        )
        log_time(org, minutes=120)

    @pytest.mark.parametrize("decision", ["approve", "reject"])
    def test_only_submitted_entries_can_be_deleted(self, org, decision):
        log = log_time(org)
        if decision == "approve":
            services.time_logs_approve(actor=org.supervisor, log_ids=[log.pk])
        else:
            services.time_logs_reject(actor=org.supervisor, log_ids=[log.pk], reason="No")

        with pytest.raises(ValidationError):
            services.time_log_delete(actor=org.staff, log=log)

        assert TimeLog.objects.filter(pk=log.pk).exists()

    @pytest.mark.parametrize("who", ["supervisor", "delegate", "lead", "outsider", "admin"])
    def test_only_the_owner_deletes_an_entry(self, org, who):
        log = log_time(org)

        with pytest.raises(PermissionDenied):
            services.time_log_delete(actor=getattr(org, who), log=log)

        assert TimeLog.objects.filter(pk=log.pk).exists()

    def test_it_refuses_deleting_an_entry_older_than_the_edit_window(self, org):
        with time_machine.travel(datetime.datetime(2026, 3, 1, 10, tzinfo=datetime.UTC)):
            log = log_time(org, day=datetime.date(2026, 3, 1))

        with pytest.raises(ValidationError):
            services.time_log_delete(actor=org.staff, log=log)

        assert TimeLog.objects.filter(pk=log.pk).exists()


class TestDayLedger:
    def test_it_stays_equal_to_the_non_rejected_minutes_through_every_change(self, org):
        profile = org.staff_profile
        yesterday = DAY - datetime.timedelta(days=1)

        def assert_consistent():
            for day in (DAY, yesterday):
                assert ledger_minutes(profile, day) == counted_minutes(profile, day)

        first = log_time(org, minutes=30)
        second = log_time(org, minutes=45)
        third = log_time(org, minutes=20)
        assert_consistent()
        services.time_log_update(actor=org.staff, log=first, minutes=50)
        assert_consistent()
        services.time_log_update(actor=org.staff, log=second, day=yesterday)
        assert_consistent()
        services.time_logs_reject(actor=org.supervisor, log_ids=[third.pk], reason="Duplicate")
        assert_consistent()
        services.time_logs_approve(actor=org.supervisor, log_ids=[first.pk])
        assert_consistent()
        services.time_log_delete(actor=org.staff, log=second)
        assert_consistent()
        assert ledger_minutes(profile, DAY) == 50
        assert ledger_minutes(profile, yesterday) == 0


class TestExtensionRequest:
    def test_it_records_a_pending_request_with_history(self, org):
        extension = services.extension_request(
            staff=org.staff_profile, day=DAY, minutes=60, reason="  Trade fair  "
        )

        assert extension.status == BudgetExtension.Status.REQUESTED
        assert extension.reason == "Trade fair"
        change = history_of(extension).get()
        assert (change.to_state, change.actor, change.reason) == (
            "requested",
            org.staff,
            "Trade fair",
        )

    def test_it_accepts_a_day_up_to_60_days_ahead(self, org):
        services.extension_request(
            staff=org.staff_profile,
            day=DAY + datetime.timedelta(days=60),
            minutes=60,
            reason="Trade fair",
        )

    def test_it_refuses_a_day_more_than_60_days_ahead(self, org):
        with pytest.raises(ValidationError) as excinfo:
            services.extension_request(
                staff=org.staff_profile,
                day=DAY + datetime.timedelta(days=61),
                minutes=60,
                reason="Trade fair",
            )

        assert "60 days ahead" in errors_of(excinfo)["day"][0]

    def test_it_refuses_a_day_older_than_the_edit_window(self, org):
        with pytest.raises(ValidationError) as excinfo:
            services.extension_request(
                staff=org.staff_profile,
                day=DAY - datetime.timedelta(days=8),
                minutes=60,
                reason="Trade fair",
            )

        assert "older than" in errors_of(excinfo)["day"][0]

    @pytest.mark.parametrize("minutes", [0, -30, MAX_LOG_MINUTES + 1, "60", 2.5, None])
    def test_it_refuses_minutes_that_are_not_a_positive_whole_number(self, org, minutes):
        with pytest.raises(ValidationError) as excinfo:
            services.extension_request(
                staff=org.staff_profile, day=DAY, minutes=minutes, reason="Trade fair"
            )

        assert "minutes" in errors_of(excinfo)
        assert not BudgetExtension.objects.exists()

    @pytest.mark.parametrize("reason", ["", "   ", None, "x" * 2001])
    def test_it_requires_a_short_reason(self, org, reason):
        with pytest.raises(ValidationError) as excinfo:
            services.extension_request(staff=org.staff_profile, day=DAY, minutes=60, reason=reason)

        assert "reason" in errors_of(excinfo)

    def test_it_refuses_a_second_pending_request_for_the_same_day(self, org):
        services.extension_request(staff=org.staff_profile, day=DAY, minutes=60, reason="Fair")

        with pytest.raises(ValidationError) as excinfo:
            services.extension_request(staff=org.staff_profile, day=DAY, minutes=30, reason="Fair")

        assert "already have a pending request" in errors_of(excinfo)["day"][0]
        assert BudgetExtension.objects.count() == 1

    def test_a_decided_request_does_not_block_a_new_one(self, org):
        grant_extension(org, minutes=60)

        services.extension_request(staff=org.staff_profile, day=DAY, minutes=30, reason="More")

        assert BudgetExtension.objects.count() == 2

    def test_it_refuses_a_person_without_a_line_supervisor(self, org):
        org.staff_profile.line_supervisor = None
        org.staff_profile.save()

        with pytest.raises(ValidationError) as excinfo:
            services.extension_request(staff=org.staff_profile, day=DAY, minutes=60, reason="Fair")

        assert "no line supervisor" in errors_of(excinfo)["day"][0]


class TestExtensionWithdraw:
    def test_the_owner_withdraws_a_pending_request(self, org):
        extension = services.extension_request(
            staff=org.staff_profile, day=DAY, minutes=60, reason="Fair"
        )

        services.extension_withdraw(actor=org.staff, extension=extension)

        extension.refresh_from_db()
        assert extension.status == BudgetExtension.Status.WITHDRAWN
        assert history_of(extension).last().to_state == "withdrawn"

    def test_nobody_else_withdraws_it(self, org):
        extension = services.extension_request(
            staff=org.staff_profile, day=DAY, minutes=60, reason="Fair"
        )

        with pytest.raises(PermissionDenied):
            services.extension_withdraw(actor=org.supervisor, extension=extension)

    def test_a_decided_request_cannot_be_withdrawn(self, org):
        extension = grant_extension(org, minutes=60)

        with pytest.raises(ValidationError):
            services.extension_withdraw(actor=org.staff, extension=extension)
