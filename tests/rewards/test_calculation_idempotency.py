"""Rule 4: a payout calculation can run any number of times, concurrently or after a crash,
and each person still gets exactly one statement per period with the right total.

The expected totals are worked out by hand in the comments; ``snapshot`` compares
whole statements (total, status, every line with its explanation) between runs.
"""

import datetime
import signal
import threading
import time
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction

from departments.models import StaffProfile
from rewards.models import PayoutPeriod, RewardLine, RewardRule, Statement
from rewards.services import payouts, signoff
from tasks.history import history_of
from tasks.models import TimeLog
from tests.celery_worker import live_celery_worker, running_worker  # noqa: F401 - a fixture
from tests.factories import StaffProfileFactory, UserFactory
from tests.rewards.factories import (
    AssistCategoryFactory,
    CollectionFactory,
    CreditShareFactory,
    LeadFactory,
    RewardRuleFactory,
    TaskAssignmentFactory,
    TimeLogFactory,
    close,
    local,
    month,
    snapshot,
)

MARCH_2 = datetime.date(2026, 3, 2)
WAIT_SECONDS = 120


@pytest.fixture
def rules(db):
    RewardRuleFactory(
        kind=RewardRule.Kind.SUPPORT,
        amount_per_approved_hour=Decimal("30.00"),
        amount_per_completed_task=Decimal("20.00"),
        monthly_cap_per_person=Decimal("150.00"),
    )
    RewardRuleFactory(kind=RewardRule.Kind.DIRECT_REVENUE, percent_of_collected=Decimal("5.00"))


@pytest.fixture
def team(org, rules):
    """Three people with something to earn in March, one with nothing approved."""
    engineer = StaffProfileFactory(
        user=UserFactory(username="engineer"),
        department=org.engineering,
        line_supervisor=org.supervisor,
        marketing_lead=org.lead,
    )
    staff = org.staff_profile
    TimeLogFactory(staff=staff, day=MARCH_2, minutes=120)
    TaskAssignmentFactory(assignee=org.staff, responded_at=local(2026, 3, 12))
    lead = LeadFactory(introducer=staff)
    CreditShareFactory(lead=lead, staff=staff, percent=Decimal("60.00"))
    CreditShareFactory(lead=lead, staff=engineer, percent=Decimal("40.00"))
    CollectionFactory(lead=lead, amount=Decimal("10000.00"), recorded_by=org.lead)
    TimeLogFactory(staff=engineer, day=MARCH_2, minutes=30)
    TimeLogFactory(staff=org.other_staff.profile, day=MARCH_2, minutes=400)
    TimeLogFactory(
        staff=org.outsider.profile, day=MARCH_2, minutes=60, status=TimeLog.Status.SUBMITTED
    )
    period = month(2026, 3)
    close(period)
    return period, engineer


def expected_totals(org, engineer) -> dict[int, Decimal]:
    return {
        # 120 min × 30.00 / 60 = 60.00 + task 20.00 + 60 % of 5 % of 10000.00 = 300.00
        org.staff_profile.pk: Decimal("380.00"),
        # 30 min = 15.00 + 40 % of 500.00 = 200.00
        engineer.pk: Decimal("215.00"),
        # 400 min = 200.00, capped at 150.00
        org.other_staff.profile.pk: Decimal("150.00"),
    }


def totals(period) -> dict[int, Decimal]:
    return dict(Statement.objects.filter(period=period).values_list("staff_id", "total"))


def run(period) -> dict:
    return payouts.payout_period_calculate(period_id=period.pk)


# --------------------------------------------------------------------------- one process


class TestRepeatedRuns:
    def test_two_runs_leave_one_identical_statement_per_person(self, org, team):
        period, engineer = team

        run(period)
        first = snapshot(period)
        first_ids = set(Statement.objects.values_list("pk", flat=True))
        lines = RewardLine.objects.count()
        run(period)

        assert snapshot(period) == first
        assert set(Statement.objects.values_list("pk", flat=True)) == first_ids
        assert RewardLine.objects.count() == lines
        assert totals(period) == expected_totals(org, engineer)
        period.refresh_from_db()
        assert period.status == PayoutPeriod.Status.CALCULATED
        assert period.calculation_state == PayoutPeriod.CalculationState.DONE

    def test_a_recalculation_after_new_approvals_replaces_the_draft_lines(self, org, team):
        period, _engineer = team
        run(period)
        staff_statement = Statement.objects.get(staff=org.staff_profile)
        signoff.statements_recommend(actor=org.lead, statement_ids=[staff_statement.pk])
        # Approved late (before the calculation ran again): 60 more minutes for the staff
        # member, and the outsider's waiting hour.
        TimeLogFactory(staff=org.staff_profile, day=datetime.date(2026, 3, 3), minutes=60)
        TimeLog.objects.filter(staff=org.outsider.profile).update(status=TimeLog.Status.APPROVED)

        run(period)

        staff_statement.refresh_from_db()
        # (120 + 60) min × 30.00 / 60 = 90.00 + 20.00 + 300.00 = 410.00
        assert staff_statement.total == Decimal("410.00")
        assert list(
            staff_statement.lines.order_by("source", "amount").values_list("source", "amount")
        ) == [
            ("lead", Decimal("300.00")),
            ("support_time", Decimal("90.00")),
            ("task", Decimal("20.00")),
        ]
        assert staff_statement.status == Statement.Status.DRAFT
        assert staff_statement.recommended_by is None
        assert staff_statement.recommended_at is None
        assert [(c.from_state, c.to_state, c.reason) for c in history_of(staff_statement)] == [
            ("draft", "recommended", ""),
            ("recommended", "draft", "recalculated"),
        ]
        # 60 min × 30.00 / 60 = 30.00
        assert totals(period)[org.outsider.profile.pk] == Decimal("30.00")
        assert Statement.objects.count() == 4

    def test_an_approved_statement_is_left_as_it_is(self, org, team):
        period, engineer = team
        run(period)
        statement = Statement.objects.get(staff=engineer)
        signoff.statements_recommend(actor=org.lead, statement_ids=[statement.pk])
        signoff.statements_approve(actor=org.supervisor, statement_ids=[statement.pk])
        statement.refresh_from_db()
        before = snapshot(period)[engineer.pk]
        line_ids = set(statement.lines.values_list("pk", flat=True))
        TimeLogFactory(staff=engineer, day=datetime.date(2026, 3, 3), minutes=60)
        TimeLogFactory(staff=org.staff_profile, day=datetime.date(2026, 3, 3), minutes=60)

        run(period)

        after = Statement.objects.get(pk=statement.pk)
        assert snapshot(period)[engineer.pk] == before
        assert set(after.lines.values_list("pk", flat=True)) == line_ids
        assert (after.status, after.approved_by, after.total) == (
            Statement.Status.APPROVED,
            org.supervisor,
            Decimal("215.00"),
        )
        assert after.updated_at == statement.updated_at
        # The others are recalculated: 380.00 + 60 min × 30.00 / 60 = 410.00
        assert totals(period)[org.staff_profile.pk] == Decimal("410.00")


@pytest.mark.django_db(transaction=True)
class TestCrash:
    def test_a_crash_keeps_the_people_done_and_a_rerun_finishes(
        self, org, team, monkeypatch, settings
    ):
        period, engineer = team
        settings.ALLHANDS_PAYOUT_BATCH = 1  # one person per transaction
        real = payouts.statements_calculate
        calls = []

        def crash_on_the_third(**kwargs):
            calls.extend(kwargs["lines_by_staff"])
            if len(calls) == 3:
                raise RuntimeError("worker lost")
            return real(**kwargs)

        monkeypatch.setattr(payouts, "statements_calculate", crash_on_the_third)
        with pytest.raises(RuntimeError, match="worker lost"):
            run(period)

        period.refresh_from_db()
        assert period.status == PayoutPeriod.Status.CLOSED
        assert period.calculation_state == PayoutPeriod.CalculationState.FAILED
        assert period.calculation_error == "RuntimeError: worker lost"
        expected = expected_totals(org, engineer)
        done = sorted(expected)[:2]
        assert calls == sorted(expected)
        # Committed, each in its own transaction, with the right totals.
        assert totals(period) == {staff_id: expected[staff_id] for staff_id in done}

        monkeypatch.setattr(payouts, "statements_calculate", real)
        run(period)

        assert totals(period) == expected
        period.refresh_from_db()
        assert period.status == PayoutPeriod.Status.CALCULATED
        assert period.calculation_state == PayoutPeriod.CalculationState.DONE
        assert period.calculation_error == ""


# --------------------------------------------------------------------------- concurrency


def crowd(org, size: int) -> dict[int, Decimal]:
    """``size`` people, each with 90 approved minutes (90 × 30.00 / 60 = 45.00); every
    third one also introduced a lead with 2000.00 collected (5 % = 100.00).
    Returns the hand-worked total of each."""
    users = get_user_model().objects.bulk_create(
        get_user_model()(username=f"crowd{number:04d}") for number in range(size)
    )
    profiles = StaffProfile.objects.bulk_create(
        StaffProfile(
            user=user,
            employee_number=f"C{number:05d}",
            department=org.engineering,
            line_supervisor=org.supervisor,
            marketing_lead=org.lead,
        )
        for number, user in enumerate(users)
    )
    category = AssistCategoryFactory()
    TimeLog.objects.bulk_create(
        TimeLog(
            staff=profile,
            day=MARCH_2 + datetime.timedelta(days=number % 20),
            minutes=90,
            category=category,
            description="Called a client",
            duties_done=True,
            status=TimeLog.Status.APPROVED,
        )
        for number, profile in enumerate(profiles)
    )
    expected = {}
    for number, profile in enumerate(profiles):
        expected[profile.pk] = Decimal("45.00")
        if number % 3 == 0:
            lead = LeadFactory(introducer=profile)
            CollectionFactory(lead=lead, amount=Decimal("2000.00"), recorded_by=org.lead)
            expected[profile.pk] = Decimal("145.00")
    return expected


def clean_run(period) -> dict:
    """What a single run from nothing gives on the same data."""
    RewardLine.objects.filter(statement__period=period).delete()
    Statement.objects.filter(period=period).delete()
    run(period)
    return snapshot(period)


def in_threads(count: int, target) -> list[BaseException]:
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def worker():
        try:
            barrier.wait(timeout=30)
            target()
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=WAIT_SECONDS)
    assert not any(thread.is_alive() for thread in threads)
    return errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
class TestConcurrentRuns:
    @pytest.mark.parametrize("runs", [2, 4])
    def test_concurrent_first_runs_give_one_statement_each(self, org, rules, runs):
        expected = crowd(org, 30)
        period = close(month(2026, 3))

        errors = in_threads(runs, lambda: run(period))

        assert errors == []
        assert totals(period) == expected
        # 30 × 45.00 = 1350.00 + 10 × 100.00 = 2350.00
        assert sum(totals(period).values()) == Decimal("2350.00")
        assert Statement.objects.filter(period=period).count() == 30
        assert RewardLine.objects.filter(statement__period=period).count() == 40
        concurrent = snapshot(period)
        assert clean_run(period) == concurrent

    def test_concurrent_recalculations_with_statements_going_away(self, org, rules):
        """Some people lose every line (their support rate drops to nothing) while
        several recalculations run at once: their statements go, the rest stay."""
        expected = crowd(org, 30)
        period = close(month(2026, 3))
        run(period)
        RewardRule.objects.filter(kind=RewardRule.Kind.SUPPORT).update(
            amount_per_approved_hour=Decimal("0.00")
        )

        errors = in_threads(4, lambda: run(period))

        assert errors == []
        # Only the lead introducers are left, each with 100.00.
        assert totals(period) == {
            staff_id: Decimal("100.00")
            for staff_id, total in expected.items()
            if total == Decimal("145.00")
        }
        concurrent = snapshot(period)
        assert clean_run(period) == concurrent

    def test_a_statement_deleted_while_another_run_waits_for_its_lock(self, org, rules):
        """The race above, step by step: run A empties and deletes a statement and holds
        its transaction open; run B has already seen the row and waits for the lock; A
        commits. B must carry on (and find nothing to keep), not fail."""
        TimeLogFactory(staff=org.staff_profile, day=MARCH_2, minutes=60)
        period = close(month(2026, 3))
        run(period)
        staff_id = org.staff_profile.pk
        deleted = threading.Event()
        release = threading.Event()
        results: dict[str, object] = {}

        def run_a():
            try:
                with transaction.atomic():
                    results["a"] = payouts.statement_calculate(
                        period=period, staff_id=staff_id, lines=[], run=2
                    )
                    deleted.set()
                    release.wait(timeout=30)
            finally:
                connection.close()

        def run_b():
            try:
                deleted.wait(timeout=30)
                results["b"] = payouts.statement_calculate(
                    period=period, staff_id=staff_id, lines=[], run=2
                )
            except Exception as error:
                results["b"] = error
            finally:
                connection.close()

        threads = [threading.Thread(target=run_a), threading.Thread(target=run_b)]
        for thread in threads:
            thread.start()
        deleted.wait(timeout=30)
        wait_for(lock_waiters, "run B to wait for the statement's lock", every=0.01)
        release.set()
        for thread in threads:
            thread.join(timeout=WAIT_SECONDS)

        assert results == {"a": None, "b": None}
        assert not Statement.objects.exists()


def lock_waiters() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


# --------------------------------------------------------------------------- a real worker


def wait_for(predicate, what: str, timeout: float = WAIT_SECONDS, every: float = 0.2):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(every)


def calculation_finished(period, run_number: int) -> bool:
    period.refresh_from_db()
    if period.calculation_state == PayoutPeriod.CalculationState.FAILED:
        pytest.fail(f"the calculation failed: {period.calculation_error}")
    return (
        period.calculation_run == run_number
        and period.calculation_state == PayoutPeriod.CalculationState.DONE
    )


@pytest.fixture
def route_to():
    """Send the jobs the services queue with ``.delay()`` to this worker's own queue."""
    from config.celery import app

    default = app.conf.task_default_queue

    def route(worker):
        app.conf.task_default_queue = worker.queue

    yield route
    app.conf.task_default_queue = default


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
class TestRealWorker:
    def test_a_requested_calculation_runs_in_the_worker(
        self,
        org,
        team,
        live_celery_worker,  # noqa: F811
        route_to,
    ):
        from config.celery import app

        period, engineer = team
        route_to(live_celery_worker)
        assert app.conf.task_always_eager is False

        run_number = payouts.payout_period_request_calculation(actor=org.finance, period=period)

        wait_for(lambda: calculation_finished(period, run_number), "the calculation")
        assert totals(period) == expected_totals(org, engineer)
        assert period.status == PayoutPeriod.Status.CALCULATED
        assert "rewards.calculate_payout_period" in live_celery_worker.log()

    def test_a_worker_killed_half_way_is_made_good_by_a_new_request(
        self, org, rules, tmp_path, route_to, monkeypatch
    ):
        # Small transactions, so that the worker is killed between two of them.
        monkeypatch.setenv("ALLHANDS_PAYOUT_BATCH", "10")
        expected = crowd(org, 300)
        period = close(month(2026, 3))

        with running_worker(tmp_path) as worker:
            route_to(worker)
            first = payouts.payout_period_request_calculation(actor=org.finance, period=period)

            def under_way():
                period.refresh_from_db()
                return period.calculation_done > 0

            wait_for(under_way, "the calculation to start", every=0.005)
            worker.process.send_signal(signal.SIGKILL)
            worker.process.wait(timeout=30)

        period.refresh_from_db()
        assert period.calculation_run == first
        assert period.calculation_state == PayoutPeriod.CalculationState.RUNNING
        assert 0 < period.calculation_done < period.calculation_total == 300
        assert period.status == PayoutPeriod.Status.CLOSED
        half_way = Statement.objects.filter(period=period).count()
        assert 0 < half_way < 300

        with running_worker(tmp_path) as worker:
            route_to(worker)
            second = payouts.payout_period_request_calculation(actor=org.finance, period=period)
            wait_for(lambda: calculation_finished(period, second), "the second calculation")

        assert second == first + 1
        assert totals(period) == expected
        # 300 × 45.00 = 13500.00 + 100 × 100.00 = 10000.00
        assert sum(totals(period).values()) == Decimal("23500.00")
        finished = snapshot(period)
        assert clean_run(period) == finished
