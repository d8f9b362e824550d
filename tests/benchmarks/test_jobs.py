"""The benchmark's payout that writes every statement leaves the database as it found it."""

import datetime
from decimal import Decimal

import pytest

from benchmarks import jobs
from rewards.models import Statement
from tests.rewards.factories import RewardRuleFactory, TimeLogFactory, calculate, month

pytestmark = pytest.mark.django_db


def test_digests_forgotten_for_a_run_that_failed_come_back(org):
    RewardRuleFactory(kind="support", amount_per_approved_hour=Decimal("30.00"))
    for profile in (org.staff_profile, org.outsider.profile):
        TimeLogFactory(staff=profile, day=datetime.date(2026, 3, 2), minutes=60)
    march = calculate(month(2026, 3))
    Statement.objects.filter(staff=org.outsider.profile).update(status=Statement.Status.APPROVED)
    before = dict(Statement.objects.values_list("staff_id", "calculated_digest"))

    forgotten = jobs._forget_digests(march)

    # Cleared for the statement the calculation writes, not for the approved one.
    assert dict(Statement.objects.values_list("staff_id", "calculated_digest")) == {
        org.staff_profile.pk: "",
        org.outsider.profile.pk: before[org.outsider.profile.pk],
    }
    jobs._restore_digests(march, forgotten)  # as after a job that failed
    assert dict(Statement.objects.values_list("staff_id", "calculated_digest")) == before
