"""The navigation's count of entries waiting: exactly the entries the approver may decide."""

import datetime

import pytest

from departments.models import Delegation
from tasks.models import TimeLog
from tasks.selectors import pending_approval_count
from tasks.selectors_approvals import approvable_people
from tests.factories import DelegationFactory, StaffProfileFactory
from tests.tasks.test_approvals import category

pytestmark = pytest.mark.django_db


def _entry(profile, day, status=TimeLog.Status.SUBMITTED):
    return TimeLog.objects.create(
        staff=profile,
        day=day,
        minutes=15,
        category=category(),
        description="Work",
        duties_done=True,
        status=status,
        rejection_reason="No" if status == TimeLog.Status.REJECTED else "",
    )


def test_counts_reports_and_delegators_reports_but_never_ones_own(org, today):
    Delegation.objects.all().delete()
    # The delegate is one of the supervisor's reports and holds their approvals this week.
    delegate = org.delegate.profile
    delegate.line_supervisor = org.supervisor
    delegate.save()
    DelegationFactory(
        delegator=org.supervisor,
        delegate=org.delegate,
        start_date=today - datetime.timedelta(days=1),
        end_date=today + datetime.timedelta(days=1),
    )
    for _ in range(3):
        _entry(org.staff_profile, today)
    _entry(org.staff_profile, today, TimeLog.Status.APPROVED)
    _entry(org.staff_profile, today, TimeLog.Status.REJECTED)
    _entry(delegate, today)  # the delegate's own entry: the supervisor's, not theirs
    _entry(org.other_staff.profile, today)  # another supervisor's report
    own_report = StaffProfileFactory(department=org.engineering, line_supervisor=org.delegate)
    _entry(own_report, today)

    assert pending_approval_count(user=org.supervisor, day=today) == 4
    assert pending_approval_count(user=org.delegate, day=today) == 3 + 1
    assert pending_approval_count(user=org.other_supervisor, day=today) == 1
    # Outside the delegation the delegate holds only their own reports'.
    after = today + datetime.timedelta(days=2)
    assert pending_approval_count(user=org.delegate, day=after) == 1
    assert pending_approval_count(user=org.staff, day=today) == 0


@pytest.mark.parametrize("who", ["supervisor", "delegate", "other_supervisor", "staff"])
@pytest.mark.parametrize("days_later", [0, 2])  # inside and after the delegation
def test_the_badge_counts_what_the_queue_lists(org, today, who, days_later):
    """The navigation's count and the queue's people are two readers of one rule: they
    agree for a delegate, an inactive report, one's own entry and an ended delegation."""
    Delegation.objects.all().delete()
    delegate = org.delegate.profile
    delegate.line_supervisor = org.supervisor
    delegate.save()
    DelegationFactory(
        delegator=org.supervisor,
        delegate=org.delegate,
        start_date=today - datetime.timedelta(days=1),
        end_date=today + datetime.timedelta(days=1),
    )
    gone = StaffProfileFactory(
        department=org.engineering, line_supervisor=org.supervisor, is_active=False
    )
    for profile in [org.staff_profile, org.staff_profile, delegate, gone, org.other_staff.profile]:
        _entry(profile, today)
    day = today + datetime.timedelta(days=days_later)
    user = getattr(org, who)

    listed = sum(person.waiting for person in approvable_people(user=user, day=day))

    assert pending_approval_count(user=user, day=day) == listed
