"""How long entries have waited, as the queue and the team dashboard count them: since
the day before yesterday began (local time), within the week, or longer."""

import datetime
import zoneinfo

import pytest
from django.utils import timezone

from tasks.models import TimeLog
from tasks.selectors_approvals import approvable_people
from tests.tasks.test_pending_count import _entry

pytestmark = pytest.mark.django_db

SECOND = datetime.timedelta(seconds=1)


def midnight_in_shanghai(day: datetime.date) -> datetime.datetime:
    return datetime.datetime(
        day.year, day.month, day.day, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai")
    )


def test_each_entry_falls_in_its_age_to_the_second_of_local_midnight(org, today, settings):
    settings.TIME_ZONE = "Asia/Shanghai"  # eight hours from UTC: a naive midnight would show
    with timezone.override("Asia/Shanghai"):
        two_days = midnight_in_shanghai(today - datetime.timedelta(days=2))
        a_week = midnight_in_shanghai(today - datetime.timedelta(days=7))
        submitted = {
            "fresh": [two_days],
            "week": [two_days - SECOND, a_week],
            "old": [a_week - SECOND, a_week - SECOND],
        }
        for moments in submitted.values():
            for moment in moments:
                log = _entry(org.staff_profile, today)
                TimeLog.objects.filter(pk=log.pk).update(created_at=moment)

        (person,) = [p for p in approvable_people(user=org.supervisor, day=today) if p.waiting]

    # 15 minutes an entry
    assert person.waiting_by_age == {"fresh": (1, 15), "week": (2, 30), "old": (2, 30)}
