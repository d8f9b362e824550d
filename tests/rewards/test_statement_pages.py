"""Statement pages: my rewards, one statement with its explained lines, inquiries and
adjustments, the marketing lead's recommendations, the line supervisor's approvals
(rule 3), nominations and the honour board."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from rewards.explanations import explain
from rewards.models import (
    Inquiry,
    PayoutPeriod,
    RewardLine,
    RoleModelCandidate,
    Statement,
)
from rewards.services import payouts, signoff
from rewards.services import statements as statement_services
from tasks.models import StateChange
from tests.factories import StaffProfileFactory, UserFactory
from tests.rewards.test_payout_pages import (
    ANONYMOUS,
    EVERYONE,
    approve_all,
    approved_log,
    calculated_period,
    client_for,
    extra_people,
    messages_of,
    paid_period,
    statement_of,
)

MY_REWARDS = reverse("rewards:my_statements")
RECOMMEND = reverse("rewards:recommend_queue")
APPROVE = reverse("rewards:approve_queue")
HONOUR_BOARD = reverse("rewards:honour_board")
NOMINATIONS = reverse("rewards:nominations")


@pytest.fixture
def period(org, today):
    return calculated_period(org)


@pytest.fixture
def statement(org, period):
    """The staff member's statement: one line of 30.00 for 90 approved minutes."""
    return statement_of(period, org.staff)


def detail(statement) -> str:
    return reverse("rewards:statement_detail", args=[statement.pk])


def states(*statements) -> list[str]:
    return [Statement.objects.get(pk=s.pk).status for s in statements]


def frozen(period: PayoutPeriod) -> tuple:
    """Everything a refused change must leave as it was."""
    return (
        sorted(
            Statement.objects.filter(period=period).values_list(
                "pk", "status", "total", "recommended_by", "approved_by", "returned_note"
            )
        ),
        RewardLine.objects.filter(statement__period=period).count(),
        PayoutPeriod.objects.get(pk=period.pk).status,
        StateChange.objects.count(),
    )


# --------------------------------------------------------------------------- my rewards


class TestMyRewards:
    def test_it_lists_my_statements_and_what_i_was_granted_so_far(self, login, org, today):
        january = calculated_period(
            org, minutes={org.staff: 30, org.outsider: 30}, day=datetime.date(2026, 1, 1)
        )
        approve_all(org, january)
        payouts.payout_period_mark_paid(actor=org.finance, period=january)
        february = calculated_period(org)
        response = login(org.staff).get(MY_REWARDS)
        content = response.content.decode()
        assert [s.period for s in response.context["statements"]] == [february, january]
        assert response.context["so_far"] == Decimal("10.00")  # the draft does not count
        assert "10.00" in content
        assert "30.00" in content
        assert detail(statement_of(february, org.staff)) in content
        assert detail(statement_of(february, org.outsider)) not in content

    def test_someone_without_statements_sees_an_empty_page(self, login, org, today):
        response = login(org.admin).get(MY_REWARDS)
        assert response.status_code == 200
        assert response.context["statements"] == []

    def test_it_needs_a_login(self, client, org, today):
        assert client.get(MY_REWARDS).status_code == 302


# --------------------------------------------------------------------------- one statement


class TestStatementAccess:
    @pytest.mark.parametrize(
        ("name", "expected"),
        [
            ("staff", 200),
            ("supervisor", 200),
            ("delegate", 200),
            ("lead", 200),
            ("admin", 200),
            ("other_supervisor", 404),
            ("other_staff", 404),
            ("outsider", 404),
            ("finance", 404),  # not before the period is approved
            (ANONYMOUS, 302),
        ],
    )
    def test_who_sees_a_statement(self, client, org, statement, name, expected):
        response = client_for(client, org, name).get(detail(statement))
        assert response.status_code == expected

    def test_finance_sees_statements_of_an_approved_period(self, login, org, period, statement):
        approve_all(org, period)
        assert login(org.finance).get(detail(statement)).status_code == 200

    def test_an_unknown_statement_is_404(self, login, org, today):
        assert login(org.admin).get("/statements/999999/").status_code == 404


class TestStatementDetail:
    def test_it_explains_every_line(self, login, org, statement):
        line = statement.lines.get()
        response = login(org.staff).get(detail(statement))
        content = response.content.decode()
        assert "Approved support time" in content
        assert "30.00" in content
        assert explain(line) in content
        assert "1.50 approved hours of support work" in content

    def test_it_shows_the_sign_off_state(self, login, org, period, statement):
        signoff.statements_recommend(actor=org.lead, statement_ids=[statement.pk])
        signoff.statements_return(
            actor=org.supervisor, statement_ids=[statement.pk], note="Check the hours"
        )
        content = login(org.staff).get(detail(statement)).content.decode()
        assert "Check the hours" in content
        assert "Returned" in content
        signoff.statements_recommend(actor=org.lead, statement_ids=[statement.pk])
        signoff.statements_approve(actor=org.supervisor, statement_ids=[statement.pk])
        response = login(org.staff).get(detail(statement))
        content = response.content.decode()
        assert org.lead.get_full_name() in content
        assert org.supervisor.get_full_name() in content
        # The history shows every step with who took it.
        history = [(c.to_state, c.actor) for c in response.context["history"]]
        assert history == [
            ("recommended", org.lead),
            ("returned", org.supervisor),
            ("recommended", org.lead),
            ("approved", org.supervisor),
        ]

    def test_the_owner_may_raise_an_inquiry_on_each_line(self, login, org, statement):
        line = statement.lines.get()
        url = reverse("rewards:inquiry_raise", args=[line.pk])
        assert url in login(org.staff).get(detail(statement)).content.decode()
        assert url not in login(org.supervisor).get(detail(statement)).content.decode()

    def test_approvers_get_the_adjustment_form_others_do_not(self, login, org, statement):
        url = reverse("rewards:statement_adjust", args=[statement.pk])
        for user in (org.supervisor, org.delegate, org.admin):
            assert url in login(user).get(detail(statement)).content.decode()
        for user in (org.staff, org.lead):
            assert url not in login(user).get(detail(statement)).content.decode()

    def test_it_links_the_lead_of_a_revenue_line(self, login, org, statement):
        from rewards.models import Lead

        lead = Lead.objects.create(
            introducer=org.staff.profile,
            marketing_lead=org.lead,
            client_name="Acme Ltd",
            need="Servers",
            protected_until=datetime.date(2026, 6, 1),
        )
        RewardLine.objects.create(
            statement=statement,
            source=RewardLine.Source.LEAD,
            amount=Decimal("100.00"),
            lead=lead,
            explanation={"client": "Acme Ltd", "collected": "1000.00", "percents": ["10"]},
        )
        content = login(org.staff).get(detail(statement)).content.decode()
        assert f'<a href="{reverse("rewards:lead_detail", args=[lead.pk])}">Acme Ltd</a>' in content
        assert "Collected revenue" in content

    def test_its_query_count_does_not_grow_with_lines(self, login, org, period, statement):
        client = login(org.supervisor)
        statement_services.inquiry_raise(
            actor=org.staff, line=statement.lines.get(), question="Why only 1.5 hours?"
        )
        client.get(detail(statement))  # content types are cached from then on
        with CaptureQueriesContext(connection) as one:
            client.get(detail(statement))
        for number in range(29):
            line = payouts.reward_adjustment_add(
                actor=org.supervisor,
                staff=org.staff.profile,
                period=period,
                amount=Decimal("1.00"),
                reason=f"Correction {number}",
            )
            statement_services.inquiry_raise(
                actor=org.staff, line=line, question=f"Question {number}"
            )
        with CaptureQueriesContext(connection) as thirty:
            response = client.get(detail(statement))
        assert len(response.context["rows"]) == 30
        assert sum(len(row.inquiries) for row in response.context["rows"]) == 30
        assert len(thirty) == len(one) == 8


# --------------------------------------------------------------------------- inquiries


class TestInquiries:
    def raise_(self, client, line, question="The hours are wrong"):
        return client.post(reverse("rewards:inquiry_raise", args=[line.pk]), {"question": question})

    @pytest.mark.parametrize(
        ("name", "expected"),
        [
            ("supervisor", 403),
            ("delegate", 403),
            ("lead", 403),
            ("admin", 403),
            ("other_supervisor", 404),
            ("outsider", 404),
            ("finance", 404),
            (ANONYMOUS, 302),
        ],
    )
    def test_only_the_owner_raises_an_inquiry(self, client, org, statement, name, expected):
        response = self.raise_(client_for(client, org, name), statement.lines.get())
        assert response.status_code == expected
        assert not Inquiry.objects.exists()

    def test_the_owner_raises_an_inquiry(self, login, org, statement):
        line = statement.lines.get()
        response = self.raise_(login(org.staff), line)
        assert response.status_code == 302
        assert response.url == f"{detail(statement)}#line-{line.pk}"
        inquiry = Inquiry.objects.get()
        assert (inquiry.line, inquiry.raised_by, inquiry.status) == (line, org.staff, "open")
        page = login(org.supervisor).get(detail(statement)).content.decode()
        assert "The hours are wrong" in page
        assert reverse("rewards:inquiry_answer", args=[inquiry.pk]) in page

    def test_an_empty_question_is_refused_next_to_the_field(self, login, org, statement):
        response = self.raise_(login(org.staff), statement.lines.get(), question="   ")
        assert response.status_code == 200
        assert "Say what you disagree with." in response.content.decode()
        assert not Inquiry.objects.exists()

    def test_a_second_open_inquiry_is_refused_keeping_the_text(self, login, org, statement):
        line = statement.lines.get()
        client = login(org.staff)
        self.raise_(client, line)
        # The form is hidden while an inquiry is open; a stale page still posts.
        response = self.raise_(client, line, question="Again, please")
        assert response.status_code == 200
        content = response.content.decode()
        assert "This line already has an open inquiry." in content
        assert "Again, please" in content
        assert Inquiry.objects.count() == 1


class TestInquiryAnswers:
    @pytest.fixture
    def inquiry(self, org, statement):
        return statement_services.inquiry_raise(
            actor=org.staff, line=statement.lines.get(), question="Where is Tuesday?"
        )

    def answer(self, client, inquiry, text="Tuesday was rejected"):
        return client.post(reverse("rewards:inquiry_answer", args=[inquiry.pk]), {"answer": text})

    @pytest.mark.parametrize("name", ["supervisor", "delegate"])
    def test_the_approver_answers(self, login, org, statement, inquiry, name):
        response = self.answer(login(getattr(org, name)), inquiry)
        assert response.status_code == 302
        inquiry.refresh_from_db()
        assert (inquiry.status, inquiry.answer) == ("answered", "Tuesday was rejected")
        assert inquiry.answered_by == getattr(org, name)
        assert "Tuesday was rejected" in login(org.staff).get(detail(statement)).content.decode()

    @pytest.mark.parametrize(
        ("name", "expected"),
        [
            ("staff", 403),
            ("lead", 403),
            ("admin", 403),
            ("other_supervisor", 404),
            ("outsider", 404),
            ("finance", 404),
            (ANONYMOUS, 302),
        ],
    )
    def test_nobody_else_answers(self, client, org, inquiry, name, expected):
        response = self.answer(client_for(client, org, name), inquiry)
        assert response.status_code == expected
        inquiry.refresh_from_db()
        assert inquiry.status == Inquiry.Status.OPEN

    def test_a_second_answer_is_refused_with_a_message(self, login, org, inquiry):
        client = login(org.supervisor)
        self.answer(client, inquiry)
        response = self.answer(client, inquiry, text="Changed my mind")
        assert response.status_code == 200
        assert "This inquiry was already answered." in response.content.decode()
        inquiry.refresh_from_db()
        assert inquiry.answer == "Tuesday was rejected"

    def test_an_empty_answer_is_refused_next_to_the_field(self, login, org, inquiry):
        response = self.answer(login(org.supervisor), inquiry, text="")
        assert response.status_code == 200
        assert "Write an answer." in response.content.decode()
        inquiry.refresh_from_db()
        assert inquiry.status == Inquiry.Status.OPEN


# --------------------------------------------------------------------------- adjustments


class TestAdjustments:
    def adjust(self, client, statement, amount="-5.50", reason="Double-counted meeting"):
        return client.post(
            reverse("rewards:statement_adjust", args=[statement.pk]),
            {"amount": amount, "reason": reason},
        )

    @pytest.mark.parametrize("name", ["supervisor", "delegate", "admin"])
    def test_the_supervisor_delegate_or_admin_adds_a_negative_adjustment(
        self, login, org, statement, name
    ):
        signoff.statements_recommend(actor=org.lead, statement_ids=[statement.pk])
        response = self.adjust(login(getattr(org, name)), statement)
        assert response.status_code == 302
        statement.refresh_from_db()
        assert statement.total == Decimal("24.50")
        assert statement.status == Statement.Status.DRAFT  # signed off again
        line = statement.lines.get(source=RewardLine.Source.ADJUSTMENT)
        assert (line.amount, line.reason, line.created_by) == (
            Decimal("-5.50"),
            "Double-counted meeting",
            getattr(org, name),
        )
        assert "Manual adjustment: Double-counted meeting" in (
            login(org.staff).get(detail(statement)).content.decode()
        )

    @pytest.mark.parametrize(
        ("name", "expected"),
        [
            ("staff", 403),
            ("lead", 403),
            ("other_supervisor", 404),
            ("outsider", 404),
            ("finance", 404),
            (ANONYMOUS, 302),
        ],
    )
    def test_nobody_else_adjusts(self, client, org, period, statement, name, expected):
        before = frozen(period)
        response = self.adjust(client_for(client, org, name), statement)
        assert response.status_code == expected
        assert frozen(period) == before

    @pytest.mark.parametrize(
        ("data", "field", "message"),
        [
            ({"amount": "5", "reason": ""}, "reason", "Say why the amount is adjusted."),
            ({"amount": "abc", "reason": "Typo"}, "amount", "Enter a number."),
            ({"amount": "0", "reason": "Typo"}, "amount", "An adjustment of zero changes nothing."),
            ({"amount": "1.234", "reason": "Typo"}, "amount", "Ensure that there are no more"),
        ],
    )
    def test_bad_input_is_refused_next_to_the_field_keeping_it(
        self, login, org, period, statement, data, field, message
    ):
        before = frozen(period)
        response = self.adjust(login(org.supervisor), statement, **data)
        assert response.status_code == 200
        form = response.context["adjust_form"]
        assert any(message in error for error in form.errors[field])
        assert message in response.content.decode()
        assert form.data["amount"] == data["amount"]
        assert frozen(period) == before


# --------------------------------------------------------------------------- paid periods


class TestPaidPeriodRejectsEveryChange:
    @pytest.fixture
    def paid(self, org, today):
        return paid_period(org)

    def test_an_adjustment_is_refused_with_a_message(self, login, org, paid):
        statement = statement_of(paid, org.staff)
        before = frozen(paid)
        response = login(org.supervisor).post(
            reverse("rewards:statement_adjust", args=[statement.pk]),
            {"amount": "10.00", "reason": "Forgot a day"},
        )
        assert response.status_code == 200
        assert "is paid and can no longer change" in response.content.decode()
        assert frozen(paid) == before

    def test_its_statement_page_offers_no_adjustment(self, login, org, paid):
        statement = statement_of(paid, org.staff)
        content = login(org.supervisor).get(detail(statement)).content.decode()
        assert reverse("rewards:statement_adjust", args=[statement.pk]) not in content
        assert "record a correction in a later period" in content

    @pytest.mark.parametrize(
        ("queue", "user", "action", "note"),
        [
            (RECOMMEND, "lead", "recommend", ""),
            (RECOMMEND, "lead", "return", "Again"),
            (APPROVE, "supervisor", "approve", ""),
            (APPROVE, "supervisor", "return", "Again"),
        ],
    )
    def test_sign_off_is_refused_with_a_message(self, login, org, paid, queue, user, action, note):
        ids = [statement_of(paid, org.staff).pk, statement_of(paid, org.outsider).pk]
        before = frozen(paid)
        response = login(getattr(org, user)).post(
            queue, {"statements": ids, "action": action, "note": note}
        )
        assert response.status_code == 200
        assert "is not open for sign-off" in response.content.decode()
        assert frozen(paid) == before


# --------------------------------------------------------------------------- recommendations


class TestRecommendQueue:
    @pytest.mark.parametrize(
        ("name", "expected"),
        [
            ("lead", 200),
            ("staff", 403),
            ("supervisor", 403),
            ("delegate", 403),
            ("other_supervisor", 403),
            ("outsider", 403),
            ("finance", 403),
            ("admin", 403),
            (ANONYMOUS, 302),
        ],
    )
    def test_it_is_for_marketing_leads(self, client, org, period, name, expected):
        assert client_for(client, org, name).get(RECOMMEND).status_code == expected

    def test_it_lists_drafts_and_returned_statements_of_my_people(self, login, org, period):
        staff, outsider, other = (
            statement_of(period, user) for user in (org.staff, org.outsider, org.other_staff)
        )
        signoff.statements_recommend(actor=org.lead, statement_ids=[outsider.pk])
        signoff.statements_return(actor=org.lead, statement_ids=[other.pk], note="Fix")
        response = login(org.lead).get(RECOMMEND)
        listed = [row["statement"] for row in response.context["rows"]]
        assert set(listed) == {staff, other}
        content = response.content.decode()
        assert "Fix" in content
        assert "1.50 approved hours of support work" in content  # the lines, expandable

    def test_it_recommends_the_ticked_statements(self, login, org, period):
        staff, outsider = statement_of(period, org.staff), statement_of(period, org.outsider)
        response = login(org.lead).post(
            RECOMMEND, {"statements": [f"{staff.pk},{outsider.pk}"], "action": "recommend"}
        )
        assert response.status_code == 302
        assert messages_of(response) == ["2 statements recommended."]
        assert states(staff, outsider) == ["recommended", "recommended"]
        assert Statement.objects.get(pk=staff.pk).recommended_by == org.lead

    def test_returning_needs_a_note(self, login, org, period):
        staff = statement_of(period, org.staff)
        before = frozen(period)
        response = login(org.lead).post(
            RECOMMEND, {"statements": [staff.pk], "action": "return", "note": "  "}
        )
        assert response.status_code == 200
        assert "Say what should change." in response.content.decode()
        assert response.context["form"].errors["note"] == ["Say what should change."]
        assert frozen(period) == before

    def test_it_returns_with_a_note(self, login, org, period):
        staff = statement_of(period, org.staff)
        login(org.lead).post(
            RECOMMEND, {"statements": [staff.pk], "action": "return", "note": "Add the visit"}
        )
        staff.refresh_from_db()
        assert (staff.status, staff.returned_note) == ("returned", "Add the visit")

    def test_a_selection_with_someone_elses_statement_fails_as_a_whole(self, login, org, period):
        other_lead = StaffProfileFactory(
            user=UserFactory(username="other_lead"),
            department=org.marketing,
            is_marketing_lead=True,
        ).user
        stranger = extra_people(org, 1, marketing_lead=other_lead)[0]
        approved_log(stranger.profile, datetime.date(2026, 2, 9), 60)
        payouts.payout_period_request_calculation(actor=org.finance, period=period)
        payouts.payout_period_calculate(period_id=period.pk)
        before = frozen(period)
        ids = [statement_of(period, org.staff).pk, statement_of(period, stranger).pk]
        response = login(org.lead).post(RECOMMEND, {"statements": ids, "action": "recommend"})
        assert response.status_code == 403
        assert frozen(period) == before

    def test_nothing_ticked_is_refused(self, login, org, period):
        response = login(org.lead).post(RECOMMEND, {"action": "recommend"})
        assert response.status_code == 200
        assert "Select at least one statement." in response.content.decode()

    def test_its_query_count_does_not_grow_with_statements(self, login, org, today):
        period = calculated_period(org, minutes={org.staff: 60})
        client = login(org.lead)
        client.get(RECOMMEND)  # the first request after logging in does more
        with CaptureQueriesContext(connection) as one:
            client.get(RECOMMEND)
        for user in extra_people(org, 29):
            approved_log(user.profile, datetime.date(2026, 2, 12), 30)
        payouts.payout_period_request_calculation(actor=org.finance, period=period)
        payouts.payout_period_calculate(period_id=period.pk)
        with CaptureQueriesContext(connection) as thirty:
            response = client.get(RECOMMEND)
        assert len(response.context["rows"]) == 30
        assert len(thirty) == len(one) == 5


# --------------------------------------------------------------------------- approvals


class TestApproveQueue:
    @pytest.fixture
    def recommended(self, org, period):
        ids = list(Statement.objects.filter(period=period).values_list("pk", flat=True))
        signoff.statements_recommend(actor=org.lead, statement_ids=ids)
        return period

    @pytest.mark.parametrize(
        ("name", "expected"),
        [
            ("supervisor", 200),
            ("delegate", 200),
            ("other_supervisor", 200),
            ("staff", 403),
            ("lead", 403),
            ("outsider", 403),
            ("finance", 403),
            ("admin", 403),
            (ANONYMOUS, 302),
        ],
    )
    def test_it_is_for_line_supervisors_and_delegates(self, client, org, period, name, expected):
        assert client_for(client, org, name).get(APPROVE).status_code == expected

    @pytest.mark.parametrize(
        ("name", "people"),
        [
            ("supervisor", {"staff", "outsider"}),
            ("delegate", {"staff", "outsider"}),
            ("other_supervisor", {"other_staff"}),
        ],
    )
    def test_it_lists_the_recommended_statements_of_my_reports(
        self, login, org, recommended, name, people
    ):
        response = login(getattr(org, name)).get(APPROVE)
        listed = {row["statement"].staff.user.username for row in response.context["rows"]}
        assert listed == people

    def test_drafts_wait_for_the_recommendation_unless_nobody_can_give_it(self, login, org, period):
        assert login(org.supervisor).get(APPROVE).context["rows"] == []
        no_lead = extra_people(org, 1)[0]
        no_lead.profile.marketing_lead = None
        no_lead.profile.save()
        approved_log(no_lead.profile, datetime.date(2026, 2, 9), 60)
        payouts.payout_period_request_calculation(actor=org.finance, period=period)
        payouts.payout_period_calculate(period_id=period.pk)
        rows = login(org.supervisor).get(APPROVE).context["rows"]
        assert [row["statement"].staff.user for row in rows] == [no_lead]

    def test_approving_every_statement_approves_the_period(self, login, org, recommended):
        ids = list(Statement.objects.filter(period=recommended).values_list("pk", flat=True))
        mine = [s for s in ids if Statement.objects.get(pk=s).staff.user != org.other_staff]
        response = login(org.supervisor).post(APPROVE, {"statements": mine, "action": "approve"})
        assert messages_of(response) == ["2 statements approved."]
        recommended.refresh_from_db()
        assert recommended.status == PayoutPeriod.Status.CALCULATED
        login(org.other_supervisor).post(
            APPROVE,
            {"statements": statement_of(recommended, org.other_staff).pk, "action": "approve"},
        )
        recommended.refresh_from_db()
        assert recommended.status == PayoutPeriod.Status.APPROVED
        assert Statement.objects.get(pk=mine[0]).approved_by == org.supervisor

    def test_a_selection_with_someone_elses_statement_fails_as_a_whole(
        self, login, org, recommended
    ):
        before = frozen(recommended)
        ids = [statement_of(recommended, u).pk for u in (org.staff, org.other_staff)]
        response = login(org.supervisor).post(APPROVE, {"statements": ids, "action": "approve"})
        assert response.status_code == 403
        assert frozen(recommended) == before

    def test_returning_needs_a_note(self, login, org, recommended):
        before = frozen(recommended)
        response = login(org.delegate).post(
            APPROVE,
            {"statements": statement_of(recommended, org.staff).pk, "action": "return"},
        )
        assert response.status_code == 200
        assert "Say what should change." in response.content.decode()
        assert frozen(recommended) == before

    def test_it_returns_to_the_marketing_lead_with_a_note(self, login, org, recommended):
        staff = statement_of(recommended, org.staff)
        login(org.supervisor).post(
            APPROVE, {"statements": staff.pk, "action": "return", "note": "Too high"}
        )
        staff.refresh_from_db()
        assert (staff.status, staff.returned_note) == ("returned", "Too high")
        rows = login(org.lead).get(RECOMMEND).context["rows"]
        assert staff in [row["statement"] for row in rows]

    def test_an_unknown_action_is_refused(self, login, org, recommended):
        response = login(org.supervisor).post(
            APPROVE, {"statements": statement_of(recommended, org.staff).pk, "action": "recommend"}
        )
        assert response.status_code == 200
        assert states(statement_of(recommended, org.staff)) == ["recommended"]

    def test_its_query_count_does_not_grow_with_statements(self, login, org, today):
        period = calculated_period(org, minutes={org.staff: 60})
        signoff.statements_recommend(
            actor=org.lead, statement_ids=[statement_of(period, org.staff).pk]
        )
        client = login(org.supervisor)
        client.get(APPROVE)  # the first request after logging in does more
        with CaptureQueriesContext(connection) as one:
            client.get(APPROVE)
        for user in extra_people(org, 29):
            approved_log(user.profile, datetime.date(2026, 2, 12), 30)
        payouts.payout_period_request_calculation(actor=org.finance, period=period)
        payouts.payout_period_calculate(period_id=period.pk)
        ids = list(
            Statement.objects.filter(period=period, status="draft").values_list("pk", flat=True)
        )
        signoff.statements_recommend(actor=org.lead, statement_ids=ids)
        with CaptureQueriesContext(connection) as thirty:
            response = client.get(APPROVE)
        assert len(response.context["rows"]) == 30
        assert len(thirty) == len(one) == 7


# --------------------------------------------------------------------------- role models


class TestHonourBoard:
    @pytest.mark.parametrize("name", EVERYONE)
    def test_every_logged_in_user_sees_it(self, client, org, today, name):
        assert client_for(client, org, name).get(HONOUR_BOARD).status_code == 200

    def test_it_needs_a_login(self, client, org, today):
        assert client.get(HONOUR_BOARD).status_code == 302

    def test_it_shows_a_nomination_with_department_and_citation(self, login, org, period):
        candidate = RoleModelCandidate.objects.get(period=period, staff__user=org.staff)
        statement_services.role_model_nominate(
            actor=org.supervisor, candidate=candidate, citation="Brought in three clients"
        )
        content = login(org.other_staff).get(HONOUR_BOARD).content.decode()
        assert org.staff.profile.display_name in content
        assert "Brought in three clients" in content
        assert "Engineering" in content
        assert "February 2026" in content
        assert org.outsider.profile.display_name not in content  # proposed, not nominated


class TestNominations:
    def nominate(self, client, candidate, citation="A role model"):
        return client.post(reverse("rewards:nominate", args=[candidate.pk]), {"citation": citation})

    def candidate(self, period, user):
        return RoleModelCandidate.objects.get(period=period, staff__user=user)

    @pytest.mark.parametrize(
        ("name", "expected"),
        [
            ("supervisor", 200),
            ("delegate", 200),
            ("other_supervisor", 200),
            ("admin", 200),
            ("staff", 403),
            ("lead", 403),
            ("outsider", 403),
            ("finance", 403),
            (ANONYMOUS, 302),
        ],
    )
    def test_it_is_for_line_supervisors(self, client, org, period, name, expected):
        assert client_for(client, org, name).get(NOMINATIONS).status_code == expected

    @pytest.mark.parametrize(
        ("name", "people"),
        [
            ("supervisor", {"staff", "outsider"}),
            ("delegate", {"staff", "outsider"}),
            ("other_supervisor", {"other_staff"}),
            ("admin", {"staff", "outsider", "other_staff"}),
        ],
    )
    def test_it_lists_the_candidates_of_my_reports_with_their_figures(
        self, login, org, period, name, people
    ):
        response = login(getattr(org, name)).get(NOMINATIONS)
        rows = response.context["rows"]
        assert {row["candidate"].staff.user.username for row in rows} == people
        if name == "supervisor":
            staff_row = next(row for row in rows if row["candidate"].staff.user == org.staff)
            assert staff_row["hours"] == Decimal("1.5")
            assert staff_row["candidate"].approved_minutes == 90

    def test_open_periods_propose_nobody(self, login, org, today):
        assert login(org.supervisor).get(NOMINATIONS).context["rows"] == []

    def test_the_supervisor_nominates_and_withdraws(self, login, org, period):
        candidate = self.candidate(period, org.staff)
        client = login(org.supervisor)
        response = self.nominate(client, candidate)
        assert response.status_code == 302
        candidate.refresh_from_db()
        assert (candidate.nominated, candidate.citation) == (True, "A role model")
        assert candidate.nominated_by == org.supervisor
        response = client.post(reverse("rewards:nomination_withdraw", args=[candidate.pk]))
        assert response.status_code == 302
        candidate.refresh_from_db()
        assert not candidate.nominated

    def test_a_citation_is_required_next_to_the_field(self, login, org, period):
        candidate = self.candidate(period, org.staff)
        response = self.nominate(login(org.supervisor), candidate, citation="")
        assert response.status_code == 200
        assert "Write a citation" in response.content.decode()
        candidate.refresh_from_db()
        assert not candidate.nominated

    @pytest.mark.parametrize(
        ("name", "expected"),
        [
            ("other_supervisor", 404),
            ("staff", 404),
            ("lead", 404),
            ("outsider", 404),
            ("finance", 404),
            (ANONYMOUS, 302),
        ],
    )
    def test_nobody_else_nominates_or_withdraws(self, client, org, period, name, expected):
        candidate = self.candidate(period, org.staff)
        client = client_for(client, org, name)
        assert self.nominate(client, candidate).status_code == expected
        statement_services.role_model_nominate(
            actor=org.supervisor, candidate=candidate, citation="Kept"
        )
        url = reverse("rewards:nomination_withdraw", args=[candidate.pk])
        assert client.post(url).status_code == expected
        candidate.refresh_from_db()
        assert (candidate.nominated, candidate.citation) == (True, "Kept")
