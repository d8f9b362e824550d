"""Delegations: who approves a person's records, and the page supervisors manage them on."""

import datetime

import pytest
from django.urls import reverse

from departments import selectors
from departments.models import Delegation
from tests.factories import DelegationFactory, StaffProfileFactory, UserFactory

DAY = datetime.timedelta(days=1)


@pytest.fixture
def stand_in(org):
    """A colleague of the supervisor with no delegation yet."""
    return StaffProfileFactory(
        user=UserFactory(username="stand_in"), department=org.engineering
    ).user


class TestApproverIds:
    def test_the_line_supervisor_and_the_active_delegate_approve(self, org, today):
        assert selectors.approver_ids_for(staff=org.staff_profile, day=today) == {
            org.supervisor.pk,
            org.delegate.pk,
        }

    def test_an_expired_delegation_gives_no_approval(self, org, today, stand_in):
        DelegationFactory(
            delegator=org.supervisor,
            delegate=stand_in,
            start_date=today - 10 * DAY,
            end_date=today - DAY,
        )

        approvers = selectors.approver_ids_for(staff=org.staff_profile, day=today)
        assert stand_in.pk not in approvers
        assert selectors.approver_ids_for(staff=org.staff_profile, day=today - DAY) >= {stand_in.pk}

    def test_a_future_delegation_gives_no_approval_yet(self, org, today, stand_in):
        DelegationFactory(
            delegator=org.supervisor,
            delegate=stand_in,
            start_date=today + DAY,
            end_date=today + 5 * DAY,
        )

        assert stand_in.pk not in selectors.approver_ids_for(staff=org.staff_profile, day=today)
        assert stand_in.pk in selectors.approver_ids_for(staff=org.staff_profile, day=today + DAY)

    def test_the_first_and_last_day_are_both_covered(self, org, today, stand_in):
        DelegationFactory(
            delegator=org.supervisor, delegate=stand_in, start_date=today, end_date=today + DAY
        )

        for day, covered in [
            (today - DAY, False),
            (today, True),
            (today + DAY, True),
            (today + 2 * DAY, False),
        ]:
            approvers = selectors.approver_ids_for(staff=org.staff_profile, day=day)
            assert (stand_in.pk in approvers) is covered, day

    def test_a_delegation_of_another_supervisor_does_not_count(self, org, today, stand_in):
        DelegationFactory(delegator=org.other_supervisor, delegate=stand_in)

        assert stand_in.pk not in selectors.approver_ids_for(staff=org.staff_profile, day=today)
        assert stand_in.pk in selectors.approver_ids_for(staff=org.other_staff.profile, day=today)

    def test_a_person_never_approves_their_own_records(self, org, today):
        # The supervisor hands their approvals to one of their own reports.
        DelegationFactory(delegator=org.supervisor, delegate=org.staff)

        approvers = selectors.approver_ids_for(staff=org.staff_profile, day=today)
        assert org.staff.pk not in approvers
        assert org.supervisor.pk in approvers
        assert org.staff.pk in selectors.approver_ids_for(staff=org.outsider.profile, day=today)

    def test_nobody_approves_for_a_person_without_line_supervisor(self, org, today):
        loner = StaffProfileFactory(department=org.engineering)

        assert selectors.approver_ids_for(staff=loner, day=today) == set()


class TestSupervisedProfiles:
    def people(self, user, day):
        return {p.user.username for p in selectors.supervised_profiles(user=user, day=day)}

    def test_a_supervisor_supervises_their_active_reports(self, org, today):
        StaffProfileFactory(
            user=UserFactory(username="left"),
            department=org.engineering,
            line_supervisor=org.supervisor,
            is_active=False,
        )

        assert self.people(org.supervisor, today) == {"staff", "outsider"}
        assert self.people(org.other_supervisor, today) == {"other_staff"}

    def test_a_delegate_supervises_the_delegators_reports_while_active(self, org, today):
        assert self.people(org.delegate, today) == {"staff", "outsider"}

        Delegation.objects.filter(delegate=org.delegate).update(end_date=today - DAY)
        assert self.people(org.delegate, today) == set()

    def test_a_delegate_who_is_a_report_never_supervises_themselves(self, org, today):
        DelegationFactory(delegator=org.supervisor, delegate=org.staff)

        assert self.people(org.staff, today) == {"outsider"}

    def test_staff_supervise_nobody(self, org, today):
        assert self.people(org.staff, today) == set()


class TestDelegationPage:
    url = reverse("departments:delegations")

    def post(self, client, **data):
        return client.post(self.url, {key: str(value) for key, value in data.items()})

    def test_a_supervisor_sees_the_form_and_their_delegation(self, org, today, login):
        response = login(org.supervisor).get(self.url)

        assert response.status_code == 200
        assert response.context["form"] is not None
        assert list(response.context["delegations"]) == list(
            Delegation.objects.filter(delegator=org.supervisor)
        )

    def test_a_supervisor_creates_a_delegation(self, org, today, login, stand_in):
        response = self.post(
            login(org.supervisor),
            delegate=stand_in.pk,
            start_date=today + DAY,
            end_date=today + 7 * DAY,
            reason="Trade fair",
        )

        assert response.status_code == 302
        delegation = Delegation.objects.get(delegate=stand_in)
        assert (delegation.delegator, delegation.start_date, delegation.end_date) == (
            org.supervisor,
            today + DAY,
            today + 7 * DAY,
        )
        assert stand_in.pk in selectors.approver_ids_for(
            staff=org.staff_profile, day=today + 3 * DAY
        )

    @pytest.mark.parametrize(
        ("start", "end", "message"),
        [
            (3, 2, "cannot be before the start date"),
            (-5, -1, "cannot end in the past"),
        ],
    )
    def test_bad_dates_show_an_error_on_the_end_date(
        self, org, today, login, stand_in, start, end, message
    ):
        response = self.post(
            login(org.supervisor),
            delegate=stand_in.pk,
            start_date=today + start * DAY,
            end_date=today + end * DAY,
        )

        assert response.status_code == 200
        assert list(response.context["form"].errors) == ["end_date"]
        assert message in response.content.decode()
        assert not Delegation.objects.filter(delegate=stand_in).exists()

    def test_a_supervisor_cannot_delegate_to_themselves(self, org, today, login):
        response = self.post(
            login(org.supervisor),
            delegate=org.supervisor.pk,
            start_date=today,
            end_date=today + DAY,
        )

        assert response.status_code == 200
        assert list(response.context["form"].errors) == ["delegate"]
        assert not Delegation.objects.filter(delegate=org.supervisor).exists()

    def test_a_staff_member_without_reports_sees_no_form_and_cannot_post(
        self, org, today, login, stand_in
    ):
        client = login(org.staff)

        response = client.get(self.url)
        assert response.status_code == 200
        assert response.context["form"] is None

        response = self.post(client, delegate=stand_in.pk, start_date=today, end_date=today + DAY)
        assert response.status_code == 403
        assert not Delegation.objects.filter(delegator=org.staff).exists()

    def test_a_delegate_cannot_pass_the_approvals_on(self, org, today, login, stand_in):
        response = self.post(
            login(org.delegate), delegate=stand_in.pk, start_date=today, end_date=today + DAY
        )

        assert response.status_code == 403
        assert not Delegation.objects.filter(delegate=stand_in).exists()


class TestEndingADelegation:
    def end(self, client, delegation):
        return client.post(reverse("departments:delegation_end", args=[delegation.pk]))

    def test_ending_an_active_delegation_stops_it_today(self, org, today, login):
        delegation = Delegation.objects.get(delegator=org.supervisor, delegate=org.delegate)

        response = self.end(login(org.supervisor), delegation)

        assert response.status_code == 302
        delegation.refresh_from_db()
        assert delegation.end_date == today - DAY
        assert selectors.approver_ids_for(staff=org.staff_profile, day=today) == {org.supervisor.pk}

    def test_ending_a_delegation_that_has_not_begun_removes_it(self, org, today, login, stand_in):
        delegation = DelegationFactory(
            delegator=org.supervisor,
            delegate=stand_in,
            start_date=today + 2 * DAY,
            end_date=today + 4 * DAY,
        )

        self.end(login(org.supervisor), delegation)

        assert not Delegation.objects.filter(pk=delegation.pk).exists()

    def test_ending_a_finished_delegation_does_not_bring_it_back(self, org, today, login, stand_in):
        delegation = DelegationFactory(
            delegator=org.supervisor,
            delegate=stand_in,
            start_date=today - 30 * DAY,
            end_date=today - 20 * DAY,
        )

        self.end(login(org.supervisor), delegation)

        delegation.refresh_from_db()
        assert delegation.end_date == today - 20 * DAY
        assert stand_in.pk not in selectors.approver_ids_for(
            staff=org.staff_profile, day=today - 10 * DAY
        )

    def test_someone_elses_delegation_is_not_found(self, org, today, login):
        delegation = Delegation.objects.get(delegator=org.supervisor, delegate=org.delegate)

        for user in (org.other_supervisor, org.staff):
            assert self.end(login(user), delegation).status_code == 404

        delegation.refresh_from_db()
        assert delegation.end_date == datetime.date(2099, 12, 31)

    def test_the_delegate_may_see_but_not_end_it(self, org, today, login):
        delegation = Delegation.objects.get(delegator=org.supervisor, delegate=org.delegate)

        assert self.end(login(org.delegate), delegation).status_code == 403

        delegation.refresh_from_db()
        assert delegation.end_date == datetime.date(2099, 12, 31)

    def test_an_admin_may_end_any_delegation(self, org, today, login):
        delegation = Delegation.objects.get(delegator=org.supervisor, delegate=org.delegate)

        assert self.end(login(org.admin), delegation).status_code == 302

        delegation.refresh_from_db()
        assert delegation.end_date == today - DAY
