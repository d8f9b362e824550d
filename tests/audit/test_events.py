"""Every audited event leaves exactly one entry, with the right actor and address."""

import datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse

from audit.models import AuditEntry
from departments.importing import DEPARTMENT_COLUMNS, PEOPLE_COLUMNS
from departments.models import BudgetRule, Delegation
from rewards.models import Collection, PayoutPeriod, RewardRule, Statement
from rewards.services import leads as lead_services
from rewards.services import payouts, signoff
from tasks import services as task_services
from tasks.models import BudgetExtension, TimeLog
from tests.audit.conftest import entries
from tests.departments.test_import import IMPORT_URL, csv_bytes, number
from tests.departments.test_import import person as import_person
from tests.departments.test_import import run as import_run
from tests.factories import StaffProfileFactory, UserFactory
from tests.rewards.factories import RewardRuleFactory, TimeLogFactory, calculate, month
from tests.rewards.test_leads import introduce, won_lead
from tests.tasks.test_approvals import make_log
from tests.tasks.test_outcomes import make_task

A = AuditEntry.Action
WRONG = "not-the-password"
MARCH_2 = datetime.date(2026, 3, 2)


def only(action) -> AuditEntry:
    rows = entries(action)
    assert len(rows) == 1, rows
    return rows[0]


def login_post(client, username, password, address="198.51.100.7"):
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
        HTTP_USER_AGENT="Browser/" + "x" * 400,
    )


class TestLogins:
    def test_a_login_is_recorded_with_the_address_and_agent(self, org, client, today):
        login_post(client, "staff", org.password)
        entry = only(A.LOGIN)
        assert (entry.actor, entry.actor_repr, entry.ip_address) == (
            org.staff,
            "staff",
            "198.51.100.7",
        )
        assert entry.user_agent.startswith("Browser/")
        assert len(entry.user_agent) == 255

    def test_a_logout_is_recorded(self, org, client, today):
        login_post(client, "staff", org.password)
        client.post(reverse("logout"), REMOTE_ADDR="198.51.100.8")
        entry = only(A.LOGOUT)
        assert (entry.actor, entry.ip_address) == (org.staff, "198.51.100.8")

    def test_a_failed_login_is_recorded_with_the_username_tried(self, org, client, today):
        login_post(client, "staff", WRONG)
        entry = only(A.LOGIN_FAILED)
        assert entry.actor is None
        assert (entry.actor_repr, entry.extra, entry.ip_address) == (
            "staff",
            {"username": "staff"},
            "198.51.100.7",
        )
        assert WRONG not in str(entry.extra)
        assert not entries(A.LOGIN)

    def test_a_lockout_is_recorded_once(self, org, client, today):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            login_post(client, "staff", WRONG)
        assert len(entries(A.LOGIN_FAILED)) == settings.AXES_FAILURE_LIMIT
        entry = only(A.LOCKED_OUT)
        assert (entry.actor_repr, entry.ip_address) == ("staff", "198.51.100.7")


class TestAddresses:
    def test_forwarded_for_is_ignored_without_a_trusted_proxy(self, org, client, today):
        client.post(
            reverse("login"),
            {"username": "staff", "password": org.password},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR="203.0.113.5, 10.0.0.1",
        )
        assert only(A.LOGIN).ip_address == "10.0.0.1"

    def test_the_first_forwarded_hop_is_used_behind_a_trusted_proxy(
        self, org, client, today, settings
    ):
        settings.ALLHANDS_TRUSTED_PROXY = True
        client.post(
            reverse("login"),
            {"username": "staff", "password": org.password},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR="203.0.113.5, 10.0.0.1",
        )
        assert only(A.LOGIN).ip_address == "203.0.113.5"

    def test_a_forged_forwarded_value_falls_back_to_the_peer(self, org, client, today, settings):
        settings.ALLHANDS_TRUSTED_PROXY = True
        client.post(
            reverse("login"),
            {"username": "staff", "password": org.password},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR="<script>, 10.0.0.1",
        )
        assert only(A.LOGIN).ip_address == "10.0.0.1"


class TestPermissionDenied:
    def test_a_403_is_recorded_with_the_user_and_path(self, org, login):
        client = login(org.staff)
        before = len(entries())
        response = client.get(reverse("audit:list"), REMOTE_ADDR="192.0.2.44")
        assert response.status_code == 403
        entry = only(A.PERMISSION_DENIED)
        assert (entry.actor, entry.ip_address) == (org.staff, "192.0.2.44")
        assert entry.extra == {"method": "GET", "path": "/audit/"}
        assert len(entries()) == before + 1

    def test_a_normal_page_records_nothing(self, org, login):
        client = login(org.staff)
        before = len(entries())
        assert client.get(reverse("home")).status_code in (200, 302)
        assert len(entries()) == before


class TestTime:
    @pytest.fixture
    def logs(self, org, today):
        yesterday = today - datetime.timedelta(days=1)
        return [
            make_log(org.staff_profile, yesterday, 30),
            make_log(org.staff_profile, yesterday, 45),
        ]

    def test_each_approved_entry_is_recorded(self, org, logs, as_request):
        with as_request(org.supervisor, "192.0.2.1"):
            task_services.time_logs_approve(actor=org.supervisor, log_ids=[log.pk for log in logs])
        rows = entries(A.TIME_APPROVED)
        assert [row.object_id for row in rows] == [str(log.pk) for log in logs]
        assert {(row.actor, row.ip_address) for row in rows} == {(org.supervisor, "192.0.2.1")}
        assert rows[0].content_type == ContentType.objects.get_for_model(TimeLog)

    def test_a_rejection_is_recorded_with_the_reason(self, org, logs, as_request):
        with as_request(org.delegate):
            task_services.time_logs_reject(
                actor=org.delegate, log_ids=[logs[0].pk], reason="Not marketing"
            )
        entry = only(A.TIME_REJECTED)
        assert (entry.actor, entry.object_id, entry.extra["reason"]) == (
            org.delegate,
            str(logs[0].pk),
            "Not marketing",
        )

    def test_a_rolled_back_approval_leaves_no_entry(self, org, logs, as_request):
        class LaterStepError(Exception):
            pass

        @transaction.atomic
        def approve_then_fail():
            task_services.time_logs_approve(actor=org.supervisor, log_ids=[logs[0].pk])
            raise LaterStepError

        with as_request(org.supervisor), pytest.raises(LaterStepError):
            approve_then_fail()
        assert not entries(A.TIME_APPROVED)
        assert TimeLog.objects.get(pk=logs[0].pk).status == TimeLog.Status.SUBMITTED

    def test_a_refused_approval_leaves_no_entry(self, org, logs, as_request):
        with as_request(org.other_supervisor), pytest.raises(Exception):  # noqa: B017
            task_services.time_logs_approve(actor=org.other_supervisor, log_ids=[logs[0].pk])
        assert not entries(A.TIME_APPROVED)

    @pytest.mark.parametrize(
        ("grant", "action"), [(True, A.EXTENSION_GRANTED), (False, A.EXTENSION_REFUSED)]
    )
    def test_an_extension_decision_is_recorded(self, org, today, as_request, grant, action):
        extension = task_services.extension_request(
            staff=org.staff_profile, day=today, minutes=60, reason="Trade fair"
        )
        with as_request(org.supervisor, "192.0.2.2"):
            task_services.extension_decide(
                actor=org.supervisor, extension=extension, grant=grant, note="" if grant else "No"
            )
        entry = only(action)
        assert (entry.actor, entry.ip_address, entry.object_id) == (
            org.supervisor,
            "192.0.2.2",
            str(extension.pk),
        )
        assert entry.content_type == ContentType.objects.get_for_model(BudgetExtension)


@pytest.fixture
def march(org):
    RewardRuleFactory(kind=RewardRule.Kind.SUPPORT, amount_per_approved_hour=Decimal("30.00"))
    TimeLogFactory(staff=org.staff_profile, day=MARCH_2, minutes=60)
    return calculate(month(2026, 3))


@pytest.fixture
def mine(org, march):
    return Statement.objects.get(period=march, staff=org.staff_profile)


class TestSignOffAndPayouts:
    def test_the_automatic_close_is_recorded_without_an_actor(self, march):
        entry = only(A.PERIOD_CLOSED)
        assert (entry.actor, entry.object_id) == (None, str(march.pk))

    def test_recommend_return_and_approve_are_recorded(self, org, mine, as_request):
        with as_request(org.lead, "192.0.2.3"):
            signoff.statements_recommend(actor=org.lead, statement_ids=[mine.pk])
        with as_request(org.supervisor, "192.0.2.4"):
            signoff.statements_return(actor=org.supervisor, statement_ids=[mine.pk], note="Fix")
        with as_request(org.lead, "192.0.2.3"):
            signoff.statements_recommend(actor=org.lead, statement_ids=[mine.pk])
        with as_request(org.supervisor, "192.0.2.4"):
            signoff.statements_approve(actor=org.supervisor, statement_ids=[mine.pk])
        assert [(row.actor, row.ip_address) for row in entries(A.STATEMENT_RECOMMENDED)] == [
            (org.lead, "192.0.2.3"),
            (org.lead, "192.0.2.3"),
        ]
        returned = only(A.STATEMENT_RETURNED)
        assert (returned.actor, returned.extra) == (org.supervisor, {"note": "Fix"})
        approved = only(A.STATEMENT_APPROVED)
        assert (approved.actor, approved.object_id) == (org.supervisor, str(mine.pk))

    def test_the_period_approved_by_its_last_statement_is_recorded(
        self, org, mine, march, as_request
    ):
        signoff.statements_recommend(actor=org.lead, statement_ids=[mine.pk])
        assert not entries(A.PERIOD_APPROVED)
        with as_request(org.supervisor, "192.0.2.4"):
            signoff.statements_approve(actor=org.supervisor, statement_ids=[mine.pk])
        entry = only(A.PERIOD_APPROVED)
        assert (entry.actor, entry.object_id) == (org.supervisor, str(march.pk))
        assert PayoutPeriod.objects.get(pk=march.pk).status == PayoutPeriod.Status.APPROVED

    def test_a_calculation_request_is_recorded(self, org, march, as_request):
        with as_request(org.finance):
            run = payouts.payout_period_request_calculation(actor=org.finance, period=march)
        entry = only(A.PERIOD_CALCULATION_REQUESTED)
        assert (entry.actor, entry.extra) == (org.finance, {"run": run})

    def test_an_adjustment_is_recorded(self, org, march, as_request):
        with as_request(org.supervisor):
            line = payouts.reward_adjustment_add(
                actor=org.supervisor,
                staff=org.staff_profile,
                period=march,
                amount=Decimal("12.50"),
                reason="Stood in at the fair",
            )
        entry = only(A.ADJUSTMENT_ADDED)
        assert (entry.actor, entry.object_id) == (org.supervisor, str(line.pk))
        assert entry.extra["amount"] == "12.50"
        assert entry.extra["reason"] == "Stood in at the fair"

    def test_a_refused_adjustment_leaves_no_entry(self, org, march, as_request):
        with as_request(org.outsider), pytest.raises(Exception):  # noqa: B017
            payouts.reward_adjustment_add(
                actor=org.outsider,
                staff=org.staff_profile,
                period=march,
                amount=Decimal("12.50"),
                reason="Nope",
            )
        assert not entries(A.ADJUSTMENT_ADDED)

    def test_marking_paid_and_exporting_are_recorded(self, org, mine, march, login):
        signoff.statements_recommend(actor=org.lead, statement_ids=[mine.pk])
        signoff.statements_approve(actor=org.supervisor, statement_ids=[mine.pk])
        client = login(org.finance)
        response = client.post(
            reverse("rewards:period_mark_paid", args=[march.pk]), REMOTE_ADDR="192.0.2.5"
        )
        assert response.status_code == 302
        paid = only(A.PERIOD_PAID)
        assert (paid.actor, paid.ip_address, paid.extra) == (
            org.finance,
            "192.0.2.5",
            {"statements": 1},
        )
        response = client.get(
            reverse("rewards:period_export", args=[march.pk, "csv"]), REMOTE_ADDR="192.0.2.6"
        )
        assert response.status_code == 200
        exported = only(A.PAYOUT_EXPORTED)
        assert (exported.actor, exported.ip_address, exported.object_id, exported.extra) == (
            org.finance,
            "192.0.2.6",
            str(march.pk),
            {"format": "csv"},
        )
        assert march.pk == PayoutPeriod.objects.get(pk=march.pk).pk


class TestAdminChanges:
    def test_an_admin_change_is_copied_into_the_audit_log(self, org, login):
        client = login(org.admin)
        response = client.post(
            reverse("admin:auth_group_add"), {"name": "auditors"}, REMOTE_ADDR="192.0.2.9"
        )
        assert response.status_code == 302
        group = Group.objects.get(name="auditors")
        entry = only(A.ADMIN_ADDED)
        assert (entry.actor, entry.ip_address, entry.object_id, entry.object_repr) == (
            org.admin,
            "192.0.2.9",
            str(group.pk),
            "auditors",
        )
        assert entry.content_type == ContentType.objects.get_for_model(Group)


class TestOrganisationChanges:
    """Changes to who belongs where and who may approve, made outside the Django admin."""

    def test_an_organisation_import_is_recorded_once_with_its_counts(self, org, client):
        data = csv_bytes(
            [
                list(DEPARTMENT_COLUMNS),
                ["QA", "Quality", "non_marketing", "ENG", ""],
                ["ENG", "Engineering and IT", "non_marketing", "", ""],
            ]
        )
        client.force_login(org.admin)
        response = client.post(
            reverse(IMPORT_URL),
            {"file": SimpleUploadedFile("departments.csv", data, content_type="text/csv")},
            REMOTE_ADDR="192.0.2.31",
        )

        assert response.status_code == 302
        entry = only(A.ORG_IMPORTED)
        assert (entry.actor, entry.ip_address) == (org.admin, "192.0.2.31")
        assert entry.extra == {
            "file": "departments.csv",
            "departments_created": 1,
            "departments_updated": 1,
            "people_created": 0,
            "people_updated": 0,
            "budgets_changed": 0,
        }

    def test_an_import_refused_for_a_bad_row_leaves_no_entry(self, org):
        data = csv_bytes([list(DEPARTMENT_COLUMNS), ["NEW", "New", "sales", "", ""]])

        assert not import_run(data, "departments.csv", org.admin).ok
        assert not entries(A.ORG_IMPORTED)

    def test_a_delegation_and_its_end_are_recorded(self, org, login, today):
        stand_in = StaffProfileFactory(
            user=UserFactory(username="stand_in"), department=org.engineering
        ).user
        client = login(org.supervisor)
        start, end = today + datetime.timedelta(days=1), today + datetime.timedelta(days=7)
        client.post(
            reverse("departments:delegations"),
            {"delegate": stand_in.pk, "start_date": start, "end_date": end, "reason": "Fair"},
            REMOTE_ADDR="192.0.2.32",
        )
        delegation = Delegation.objects.get(delegate=stand_in)
        added = only(A.DELEGATION_ADDED)
        assert (added.actor, added.ip_address, added.object_id) == (
            org.supervisor,
            "192.0.2.32",
            str(delegation.pk),
        )
        assert added.extra == {
            "delegator": "supervisor",
            "delegate": "stand_in",
            "start_date": start.isoformat(),
            "end_date": end.isoformat(),
        }

        client.post(reverse("departments:delegation_end", args=[delegation.pk]))

        ended = only(A.DELEGATION_ENDED)
        assert (ended.actor, ended.object_id, ended.extra["withdrawn"]) == (
            org.supervisor,
            str(delegation.pk),
            True,
        )
        assert not Delegation.objects.filter(pk=delegation.pk).exists()

    def test_ending_a_running_delegation_records_the_last_day(self, org, login, today):
        delegation = Delegation.objects.get(delegator=org.supervisor, delegate=org.delegate)

        login(org.supervisor).post(reverse("departments:delegation_end", args=[delegation.pk]))

        ended = only(A.DELEGATION_ENDED)
        assert ended.extra["ended_on"] == (today - datetime.timedelta(days=1)).isoformat()
        assert ended.actor == org.supervisor


class TestLeadDecisions:
    """The marketing lead's decisions that decide direct-revenue rewards."""

    def test_winning_confirming_collecting_and_splitting_are_recorded(self, org, today, as_request):
        with as_request(org.lead, "192.0.2.51"):
            lead = won_lead(org, today, contract="1000.00")
            lead_services.lead_confirm_key_role(actor=org.lead, lead=lead)
            lead_services.collection_add(
                actor=org.lead, lead=lead, received_on=today, amount=Decimal("400.00")
            )
            lead_services.collection_add(
                actor=org.lead,
                lead=lead,
                received_on=today,
                amount=Decimal("100.00"),
                kind=Collection.Kind.REFUND,
                note="Part returned",
            )
            lead_services.credit_split_set(
                actor=org.lead,
                lead=lead,
                shares=[
                    (org.staff_profile, Decimal("60"), "Introduced"),
                    (org.outsider.profile, Decimal("40"), "Proposal"),
                ],
            )

        won = only(A.LEAD_WON)
        assert (won.actor, won.ip_address, won.object_id) == (org.lead, "192.0.2.51", str(lead.pk))
        assert won.extra == {"contract_amount": "1000.00", "won_on": today.isoformat()}
        assert only(A.LEAD_KEY_ROLE_CONFIRMED).extra == {"introducer": org.staff_profile.pk}
        money = entries(A.LEAD_MONEY_RECORDED)
        assert [
            (row.extra["kind"], row.extra["amount"], row.extra["net_collected"]) for row in money
        ] == [
            ("collection", "400.00", "400.00"),
            ("refund", "100.00", "300.00"),
        ]
        split = only(A.LEAD_CREDIT_SPLIT)
        assert split.extra == {
            "shares": [
                {"staff": org.staff_profile.pk, "percent": "60", "role": "Introduced"},
                {"staff": org.outsider.profile.pk, "percent": "40", "role": "Proposal"},
            ]
        }
        assert {row.actor for row in entries() if row.action.startswith("lead_")} == {org.lead}

    @pytest.mark.parametrize("accept", [True, False])
    def test_a_second_claim_decision_is_recorded(self, org, today, as_request, accept):
        introduce(org.staff_profile)
        second = introduce(org.outsider.profile)

        with as_request(org.lead):
            lead_services.lead_decide_claim(
                actor=org.lead, lead=second, accept=accept, note="" if accept else "Same project"
            )

        entry = only(A.LEAD_CLAIM_DECIDED)
        assert (entry.actor, entry.object_id, entry.extra["accepted"]) == (
            org.lead,
            str(second.pk),
            accept,
        )

    def test_a_refused_money_entry_leaves_no_record(self, org, today, as_request):
        lead = won_lead(org, today, contract="1000.00")
        with as_request(org.lead), pytest.raises(ValidationError):
            lead_services.collection_add(
                actor=org.lead, lead=lead, received_on=today, amount=Decimal("5000.00")
            )
        assert not entries(A.LEAD_MONEY_RECORDED)


class TestOutcomeReview:
    def test_the_marketing_leads_review_is_recorded(self, org, today, as_request):
        log = make_log(org.staff_profile, today, 30, task=make_task(org, today))

        with as_request(org.lead, "192.0.2.61"):
            task_services.time_log_review_outcome(
                actor=org.lead, log=log, outcome_status="needs_follow_up", note="Call again"
            )

        entry = only(A.OUTCOME_REVIEWED)
        assert (entry.actor, entry.ip_address, entry.object_id) == (
            org.lead,
            "192.0.2.61",
            str(log.pk),
        )
        assert entry.extra == {"outcome_status": "needs_follow_up", "note": "Call again"}


class TestBudgets:
    """Budgets set or withdrawn outside Django's own admin forms (which LogEntry covers)."""

    def test_a_supervisor_setting_and_withdrawing_a_budget_is_recorded(self, org, login, today):
        client = login(org.supervisor)
        url = reverse("departments:budget", args=[org.staff_profile.pk])
        start = today + datetime.timedelta(days=3)

        client.post(
            url,
            {"daily_minutes": 45, "effective_from": start.isoformat(), "note": "Release"},
            REMOTE_ADDR="192.0.2.71",
        )
        rule = BudgetRule.objects.get(staff=org.staff_profile, effective_from=start)
        client.post(reverse("departments:budget_rule_delete", args=[org.staff_profile.pk, rule.pk]))

        details = {
            "department": None,
            "staff": org.staff_profile.employee_number,
            "daily_minutes": 45,
            "effective_from": start.isoformat(),
            "note": "Release",
        }
        added = only(A.BUDGET_SET)
        assert (added.actor, added.ip_address, added.object_id, added.extra) == (
            org.supervisor,
            "192.0.2.71",
            str(rule.pk),
            details,
        )
        withdrawn = only(A.BUDGET_WITHDRAWN)
        assert (withdrawn.actor, withdrawn.object_id, withdrawn.extra) == (
            org.supervisor,
            str(rule.pk),
            details,
        )

    def test_the_admins_bulk_withdrawal_is_recorded(self, org, login, today):
        rule = BudgetRule.objects.create(
            department=org.engineering,
            daily_minutes=90,
            effective_from=today + datetime.timedelta(days=5),
        )

        login(org.admin).post(
            reverse("admin:departments_budgetrule_changelist"),
            {"action": "withdraw_future_rules", "_selected_action": [rule.pk]},
        )

        entry = only(A.BUDGET_WITHDRAWN)
        assert (entry.actor, entry.object_id, entry.extra["department"]) == (
            org.admin,
            str(rule.pk),
            org.engineering.code,
        )

    def test_an_import_changing_budgets_records_one_entry_for_the_file(self, org, today):
        people = [
            list(PEOPLE_COLUMNS),
            import_person(
                number(org.staff),
                "staff",
                "ENG",
                line=number(org.supervisor),
                lead=number(org.lead),
                budget="45",
            ),
        ]

        result = import_run(csv_bytes(people), "people.csv", org.admin)

        assert result.ok, result.errors
        assert result.budgets_changed == 1
        assert not entries(A.BUDGET_SET)
        assert only(A.ORG_IMPORTED).extra["budgets_changed"] == 1
