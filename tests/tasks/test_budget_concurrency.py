"""Rule 1 under load: many writers for one person and one day never push the day over its cap.

Each thread has its own database connection, so on PostgreSQL the writers really race and
the ``DayLedger`` row lock is what keeps them in line. The in-memory SQLite test database
cannot host real concurrent writers, so there the plain sequential rule is checked instead.
"""

from __future__ import annotations

import datetime
import random
import threading
import zoneinfo
from collections.abc import Callable

import pytest
import time_machine
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.db.models import Sum
from django.urls import NoReverseMatch, reverse

from tasks import services
from tasks.models import AssistCategory, DayLedger, TimeLog

DAY = datetime.timedelta(days=1)
BUDGET = 120
WORKERS = 20
ROUNDS = 5
MOMENT = datetime.datetime(2026, 3, 10, 10, 0, tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))


@pytest.fixture
def frozen_today():
    # tick=True: the clock keeps moving so that lock waits and timeouts behave normally.
    with time_machine.travel(MOMENT, tick=True):
        yield MOMENT.date()


@pytest.fixture
def category(db):
    # Transactional tests flush the database, data migrations included: do not rely on them.
    return AssistCategory.objects.get_or_create(
        code="phone-marketing", defaults={"name": "Phone marketing", "order": 10}
    )[0]


def run_together(jobs: list[Callable[[], object]]) -> list[tuple[str, object]]:
    """Start every job at the same moment, each in its own thread with its own connection.

    Returns ("ok", result) or ("error", exception) per job, in job order.
    """
    barrier = threading.Barrier(len(jobs))
    results: list[tuple[str, object] | None] = [None] * len(jobs)

    def worker(index: int, job: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = ("ok", job())
        except Exception as exc:  # every outcome, failures included, is asserted by the caller
            results[index] = ("error", exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a writer hung"
    return [result for result in results if result is not None]


def counted_minutes(profile, day) -> int:
    return (
        TimeLog.objects.filter(staff=profile, day=day)
        .exclude(status=TimeLog.Status.REJECTED)
        .aggregate(total=Sum("minutes"))["total"]
        or 0
    )


def ledger_minutes(profile, day) -> int | None:
    ledger = DayLedger.objects.filter(staff=profile, day=day).first()
    return ledger.logged_minutes if ledger else None


def create_job(profile, day, minutes, category):
    def job():
        return services.time_log_create(
            staff=profile,
            day=day,
            minutes=minutes,
            category=category,
            description="Called back a trade-show contact",
            duties_done=True,
        )

    return job


def minutes_error(outcome) -> str:
    kind, value = outcome
    assert kind == "error", outcome
    assert isinstance(value, ValidationError), repr(value)
    assert set(value.message_dict) == {"minutes"}, value.message_dict
    return value.message_dict["minutes"][0]


@pytest.mark.parametrize(
    ("minutes", "accepted", "remaining"),
    [(15, 8, 0), (25, 4, 20)],
    ids=["fifteen-minute-entries", "entries-that-leave-a-remainder"],
)
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_never_exceed_the_daily_budget(
    org, category, frozen_today, minutes, accepted, remaining
):
    profile = org.staff_profile
    for round_number in range(ROUNDS):
        day = frozen_today - round_number * DAY
        outcomes = run_together(
            [create_job(profile, day, minutes, category) for _ in range(WORKERS)]
        )

        successes = [value for kind, value in outcomes if kind == "ok"]
        failures = [outcome for outcome in outcomes if outcome[0] == "error"]
        assert len(outcomes) == WORKERS
        assert len(successes) == accepted, f"round {round_number}: {failures[:3]}"
        for failure in failures:
            message = minutes_error(failure)
            assert f"Only {remaining} minutes of your budget remain" in message
            assert f"Log at most {remaining} minutes" in message
        assert counted_minutes(profile, day) == accepted * minutes
        assert ledger_minutes(profile, day) == accepted * minutes
        assert DayLedger.objects.filter(staff=profile, day=day).count() == 1


def watch_peaks(profile, days, stop: threading.Event, peaks: list[int]) -> None:
    """Sample the counted minutes while writers run. Any committed over-cap state shows up
    here, even if a later reject or delete brings the total back down before the end."""
    try:
        while not stop.is_set():
            peaks.append(max(counted_minutes(profile, day) for day in days))
    finally:
        connections.close_all()


def _seed_day(profile, day, category, minutes_list):
    return [create_job(profile, day, minutes, category)() for minutes in minutes_list]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_concurrent_mix_of_create_update_move_reject_and_delete_stays_within_the_cap(
    org, category, frozen_today
):
    profile = org.staff_profile
    rng = random.Random(2026)
    for round_number in range(3):
        day = frozen_today - (2 * round_number) * DAY
        other_day = day - DAY
        existing = _seed_day(profile, day, category, [15, 15, 20, 20, 10, 10])  # 90 of 120
        elsewhere = _seed_day(profile, other_day, category, [30, 30, 30])  # 90 of 120
        rng.shuffle(existing)

        def update(log, **fields):
            return lambda: services.time_log_update(actor=org.staff, log=log, **fields)

        def reject(log):
            return lambda: services.time_logs_reject(
                actor=org.supervisor, log_ids=[log.pk], reason="Not marketing work"
            )

        jobs = [create_job(profile, day, 15, category) for _ in range(10)]
        jobs += [update(existing[0], minutes=45), update(existing[1], minutes=40)]
        jobs += [update(elsewhere[0], day=day), update(elsewhere[1], day=day, minutes=5)]
        jobs += [reject(existing[2]), reject(existing[3])]
        jobs += [lambda log=existing[4]: services.time_log_delete(actor=org.staff, log=log)]
        jobs += [create_job(profile, other_day, 20, category) for _ in range(3)]
        rng.shuffle(jobs)

        stop = threading.Event()
        peaks: list[int] = []
        watcher = threading.Thread(
            target=watch_peaks, args=(profile, [day, other_day], stop, peaks)
        )
        watcher.start()
        try:
            outcomes = run_together(jobs)
        finally:
            stop.set()
            watcher.join(timeout=30)

        unexpected = [
            value
            for kind, value in outcomes
            if kind == "error" and not isinstance(value, ValidationError)
        ]
        assert unexpected == [], f"round {round_number}: writers failed: {unexpected!r}"
        assert peaks
        assert max(peaks) <= BUDGET
        for each in (day, other_day):
            assert counted_minutes(profile, each) <= BUDGET
            assert ledger_minutes(profile, each) == counted_minutes(profile, each)
        # The rejects and the delete touch entries nobody else changes: they always succeed.
        assert (
            TimeLog.objects.filter(
                pk__in=[existing[2].pk, existing[3].pk], status=TimeLog.Status.REJECTED
            ).count()
            == 2
        )
        assert not TimeLog.objects.filter(pk=existing[4].pk).exists()
        # Whatever was refused was refused for the budget, never for a lock or a deadlock.
        for kind, value in outcomes:
            if kind == "error":
                assert "minutes" in value.message_dict, value.message_dict


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_granted_extension_raises_the_cap_for_concurrent_writers(org, category, frozen_today):
    profile = org.staff_profile
    day = frozen_today
    extension = services.extension_request(
        staff=profile, day=day, minutes=30, reason="Proposal deadline"
    )
    services.extension_decide(actor=org.supervisor, extension=extension, grant=True)

    outcomes = run_together([create_job(profile, day, 15, category) for _ in range(WORKERS)])

    assert sum(kind == "ok" for kind, _value in outcomes) == 10
    assert counted_minutes(profile, day) == ledger_minutes(profile, day) == 150


def _today_url() -> str | None:
    try:
        return reverse("tasks:today")
    except NoReverseMatch:
        return None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_to_the_today_page_never_exceed_the_daily_budget(
    org, category, frozen_today
):
    from django.test import Client

    url = _today_url()
    assert url is not None, "the Today page (tasks:today) is not routed"
    profile = org.staff_profile

    def post():
        client = Client()
        client.force_login(org.staff)
        return client.post(
            url,
            {
                "day": frozen_today.isoformat(),
                "minutes": "15",
                "category": str(category.pk),
                "task": "",
                "description": "Answered a client's question about delivery times",
                "outcome": "",
                "duties_done": "on",
            },
        )

    outcomes = run_together([post for _ in range(WORKERS)])

    assert all(kind == "ok" for kind, _value in outcomes), outcomes
    responses = [response for _kind, response in outcomes]
    accepted = [response for response in responses if response.status_code == 302]
    refused = [response for response in responses if response.status_code == 200]
    assert len(accepted) == 8
    assert len(refused) == WORKERS - 8
    for response in refused:
        # The form comes back with the reason next to the field, naming what is left.
        assert "Only 0 minutes of your budget remain" in response.content.decode()
    assert counted_minutes(profile, frozen_today) == BUDGET
    assert TimeLog.objects.filter(staff=profile, day=frozen_today).count() == 8
    assert ledger_minutes(profile, frozen_today) == BUDGET


def test_sequential_submissions_over_the_budget_are_refused(org, category, frozen_today):
    """The plain rule, on every database. On SQLite it is also what concurrent writers get:
    transactions begin IMMEDIATE, so the second writer waits for the first to commit."""
    if connection.vendor == "sqlite":
        assert settings.DATABASES["default"]["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    profile = org.staff_profile
    day = frozen_today - DAY
    job = create_job(profile, day, 15, category)

    for _ in range(8):
        job()
    for _ in range(3):
        with pytest.raises(ValidationError) as refused:
            job()
        assert "Only 0 minutes of your budget remain" in refused.value.message_dict["minutes"][0]

    assert counted_minutes(profile, day) == ledger_minutes(profile, day) == BUDGET
    assert TimeLog.objects.filter(staff=profile, day=day).count() == 8
