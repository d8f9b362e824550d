"""Lead services: client keys, client protection (撞单), the pipeline moves, collections
and refunds, the credit split, and the history every change leaves."""

from __future__ import annotations

import datetime
import threading
import zoneinfo
from collections.abc import Callable
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections

from rewards.models import Collection, CreditShare, Lead
from rewards.services import leads as services
from tasks.history import history_of
from tests.factories import StaffProfileFactory, UserFactory

MOMENT = datetime.datetime(2026, 3, 10, 10, 0, tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))
DAY = datetime.timedelta(days=1)


@pytest.fixture
def today():
    with time_machine.travel(MOMENT, tick=False):
        yield MOMENT.date()


def introduce(profile, client_name="Acme Co., Ltd.", contact="", **kwargs):
    kwargs.setdefault("need", "A new billing system")
    kwargs.setdefault("estimated_value", Decimal("50000.00"))
    return services.lead_introduce(
        staff=profile, client_name=client_name, contact=contact, **kwargs
    )


def won_lead(org, today, contract="1000.00", won_on=None):
    lead = introduce(org.staff_profile)
    services.lead_qualify(actor=org.lead, lead=lead)
    return services.lead_win(
        actor=org.lead, lead=lead, contract_amount=Decimal(contract), won_on=won_on or today
    )


def field_errors(excinfo) -> dict:
    return excinfo.value.message_dict


def transitions(lead) -> list[tuple[str, str]]:
    return [(change.from_state, change.to_state) for change in history_of(lead)]


# --------------------------------------------------------------------------- keys


class TestClientKey:
    @pytest.mark.parametrize(
        ("name", "key"),
        [
            ("Acme Co., Ltd.", "acme"),
            ("ACME LIMITED", "acme"),
            ("acme inc.", "acme"),
            ("Acme Corporation", "acme"),
            ("Acme Group Co. Ltd", "acme"),
            ("A.C.M.E. LLC", "acme"),
            ("ＡＣＭＥ　Ｃｏ．，Ｌｔｄ．", "acme"),  # full-width, as typed on a Chinese keyboard
            ("北京星光科技有限公司", "北京星光科技"),
            ("北京星光科技股份有限公司", "北京星光科技"),
            ("北京星光科技公司", "北京星光科技"),
            ("星光集团有限公司", "星光"),
            ("星光（北京）科技有限公司", "星光北京科技"),
            ("Straße GmbH", "strassegmbh"),
            ("Cooper Tools", "coopertools"),  # "co" only goes as a whole word at the end
        ],
    )
    def test_it_normalises_client_names(self, name, key):
        assert services.normalise_client(name) == key

    @pytest.mark.parametrize("name", ["", "   ", "Co., Ltd.", "有限公司", "!!!"])
    def test_names_made_of_suffixes_or_punctuation_have_no_key(self, name):
        assert services.normalise_client(name) == ""

    @pytest.mark.parametrize(
        ("contact", "key"),
        [
            ("Wang.Li@Acme.COM", "wang.li@acme.com"),
            ("Mr Wang <Wang@ACME.cn>", "wang@acme.cn"),
            ("+86 138-0013-8000", "13800138000"),
            ("138 0013 8000", "13800138000"),
            ("０１０－１２３４５６７８", "01012345678"),
            ("ext. 12", ""),
            ("", ""),
        ],
    )
    def test_it_normalises_contacts(self, contact, key):
        assert services.normalise_contact(contact) == key


# --------------------------------------------------------------------------- introduce


class TestIntroduce:
    def test_it_creates_a_protected_lead_for_the_marketing_lead(self, org, today):
        lead = introduce(org.staff_profile, contact="+86 138 0013 8000")

        assert lead.status == Lead.Status.NEW
        assert lead.client_key == "acme"
        assert lead.contact_key == "13800138000"
        assert lead.marketing_lead == org.lead
        assert lead.protected_until == today + datetime.timedelta(days=90)
        assert lead.claim_status == Lead.Claim.CLEAR
        assert transitions(lead) == [("", "new")]
        assert history_of(lead).get().actor == org.staff

    def test_protection_follows_the_setting(self, org, today, settings):
        settings.ALLHANDS_CLIENT_PROTECTION_DAYS = 30

        lead = introduce(org.staff_profile)

        assert lead.protected_until == today + datetime.timedelta(days=30)

    @pytest.mark.parametrize(
        ("fields", "field"),
        [
            ({"client_name": "  "}, "client_name"),
            ({"client_name": "x" * 201}, "client_name"),
            ({"need": ""}, "need"),
            ({"need": "x" * 2001}, "need"),
            ({"contact": "x" * 201}, "contact"),
            ({"estimated_value": Decimal("-1")}, "estimated_value"),
            ({"estimated_value": Decimal("10000000000")}, "estimated_value"),
            ({"estimated_value": Decimal("1.005")}, "estimated_value"),
            ({"estimated_value": 12.5}, "estimated_value"),
            ({"estimated_value": "12.50"}, "estimated_value"),
        ],
    )
    def test_it_rejects_bad_input_beside_the_field(self, org, today, fields, field):
        with pytest.raises(ValidationError) as excinfo:
            introduce(org.staff_profile, **fields)

        assert field in field_errors(excinfo)
        assert not Lead.objects.exists()

    def test_a_zero_estimate_is_fine(self, org, today):
        assert introduce(org.staff_profile, estimated_value=Decimal("0")).estimated_value == 0

    def test_marketing_staff_do_not_introduce_leads(self, org, today):
        with pytest.raises(PermissionDenied):
            introduce(org.lead.profile)

    def test_an_inactive_profile_cannot_introduce(self, org, today):
        org.staff_profile.is_active = False
        org.staff_profile.save()

        with pytest.raises(PermissionDenied):
            introduce(org.staff_profile)

    def test_someone_without_a_marketing_lead_is_told_to_ask_an_admin(self, org, today):
        profile = org.supervisor.profile  # has no marketing lead

        with pytest.raises(ValidationError, match="no marketing lead"):
            introduce(profile)


class TestClientProtection:
    def test_the_same_introducer_cannot_claim_a_client_twice(self, org, today):
        introduce(org.staff_profile, client_name="北京星光科技有限公司")

        with pytest.raises(ValidationError) as excinfo:
            introduce(org.staff_profile, client_name="北京星光科技股份有限公司")

        message = field_errors(excinfo)["client_name"][0]
        assert "You already introduced this client on" in message
        assert Lead.objects.count() == 1

    def test_a_second_claim_by_someone_else_is_flagged(self, org, today):
        first = introduce(org.staff_profile, client_name="Acme Co., Ltd.")

        second = introduce(org.outsider.profile, client_name="ACME limited")

        assert second.claim_status == Lead.Claim.PENDING
        assert second.conflicting_lead == first
        assert first.claim_status == Lead.Claim.CLEAR
        assert ("", "claim:pending") in transitions(second)

    def test_the_same_contact_under_another_name_is_a_second_claim(self, org, today):
        first = introduce(org.staff_profile, client_name="Acme", contact="wang@acme.cn")

        second = introduce(
            org.outsider.profile, client_name="Acme Holdings", contact="WANG@acme.cn"
        )

        assert second.conflicting_lead == first

    def test_the_earliest_claim_is_the_one_named(self, org, today):
        first = introduce(org.staff_profile)
        introduce(org.outsider.profile)

        third = introduce(org.other_staff.profile)

        assert third.conflicting_lead == first

    def test_the_protection_holds_on_its_last_day(self, org, today):
        first = introduce(org.staff_profile)

        with time_machine.travel(MOMENT + datetime.timedelta(days=90), tick=False):
            second = introduce(org.outsider.profile)

        assert second.conflicting_lead == first

    def test_after_the_protection_window_anybody_may_introduce_the_client(self, org, today):
        introduce(org.staff_profile)

        with time_machine.travel(MOMENT + datetime.timedelta(days=91), tick=False):
            second = introduce(org.outsider.profile)
            again = introduce(org.staff_profile)

        assert second.claim_status == Lead.Claim.CLEAR
        assert second.conflicting_lead is None
        assert again.claim_status == Lead.Claim.PENDING  # now second's client
        assert again.conflicting_lead == second

    def test_a_lost_lead_protects_nobody(self, org, today):
        first = introduce(org.staff_profile)
        services.lead_lose(actor=org.lead, lead=first, reason="Budget cut")

        second = introduce(org.outsider.profile)
        again = introduce(org.staff_profile, client_name="Acme Ltd")

        assert second.claim_status == Lead.Claim.CLEAR
        assert again.conflicting_lead == second

    def test_empty_keys_never_match(self, org, today):
        introduce(org.staff_profile, client_name="Co., Ltd.", contact="ext. 12")

        second = introduce(org.outsider.profile, client_name="有限公司", contact="ext. 12")

        assert second.claim_status == Lead.Claim.CLEAR

    def test_the_marketing_lead_accepts_a_second_claim(self, org, today):
        introduce(org.staff_profile)
        second = introduce(org.outsider.profile)

        decided = services.lead_decide_claim(actor=org.lead, lead=second, accept=True, note="")

        assert decided.claim_status == Lead.Claim.ACCEPTED
        assert decided.status == Lead.Status.NEW
        assert ("claim:pending", "claim:accepted") in transitions(decided)
        services.lead_qualify(actor=org.lead, lead=decided)

    def test_the_marketing_lead_rejects_a_second_claim_with_a_reason(self, org, today):
        introduce(org.staff_profile)
        second = introduce(org.outsider.profile)

        decided = services.lead_decide_claim(
            actor=org.lead, lead=second, accept=False, note="Same project as the first"
        )

        assert decided.claim_status == Lead.Claim.REJECTED
        assert decided.status == Lead.Status.LOST
        assert decided.lost_reason == "Same project as the first"
        assert transitions(decided)[-2:] == [("claim:pending", "claim:rejected"), ("new", "lost")]
        assert history_of(decided).last().reason == "Same project as the first"

    def test_rejecting_needs_a_note(self, org, today):
        introduce(org.staff_profile)
        second = introduce(org.outsider.profile)

        with pytest.raises(ValidationError) as excinfo:
            services.lead_decide_claim(actor=org.lead, lead=second, accept=False, note=" ")

        assert "note" in field_errors(excinfo)
        second.refresh_from_db()
        assert second.claim_status == Lead.Claim.PENDING

    def test_a_claim_is_decided_once(self, org, today):
        introduce(org.staff_profile)
        second = introduce(org.outsider.profile)
        services.lead_decide_claim(actor=org.lead, lead=second, accept=True)

        with pytest.raises(ValidationError, match="no second claim"):
            services.lead_decide_claim(actor=org.lead, lead=second, accept=False, note="No")

    @pytest.mark.parametrize("who", ["outsider", "supervisor", "other_supervisor", "finance"])
    def test_only_the_marketing_lead_decides(self, org, today, who):
        introduce(org.staff_profile)
        second = introduce(org.outsider.profile)

        with pytest.raises(PermissionDenied):
            services.lead_decide_claim(actor=getattr(org, who), lead=second, accept=True)

    def test_an_admin_may_decide(self, org, today):
        introduce(org.staff_profile)
        second = introduce(org.outsider.profile)

        decided = services.lead_decide_claim(actor=org.admin, lead=second, accept=True)

        assert decided.claim_status == Lead.Claim.ACCEPTED

    @pytest.mark.parametrize("step", ["qualify", "win"])
    def test_a_pending_claim_cannot_move_on_until_decided(self, org, today, step):
        introduce(org.staff_profile)
        second = introduce(org.outsider.profile)

        move = {
            "qualify": lambda: services.lead_qualify(actor=org.lead, lead=second),
            "win": lambda: services.lead_win(
                actor=org.lead, lead=second, contract_amount=Decimal("10"), won_on=today
            ),
        }[step]

        with pytest.raises(ValidationError, match="decide the second claim"):
            move()

        second.refresh_from_db()
        assert second.status == Lead.Status.NEW


# --------------------------------------------------------------------------- transitions


class TestTransitions:
    def test_a_lead_goes_new_qualified_won(self, org, today):
        lead = won_lead(org, today, contract="8000.00", won_on=today - DAY)

        assert lead.status == Lead.Status.WON
        assert lead.contract_amount == Decimal("8000.00")
        assert lead.won_on == today - DAY
        assert transitions(lead) == [("", "new"), ("new", "qualified"), ("qualified", "won")]
        assert all(change.actor == org.lead for change in history_of(lead)[1:])

    def test_it_cannot_win_before_it_is_qualified(self, org, today):
        lead = introduce(org.staff_profile)

        with pytest.raises(ValidationError, match="A lead that is New cannot become Won"):
            services.lead_win(actor=org.lead, lead=lead, contract_amount=Decimal("1"), won_on=today)

        lead.refresh_from_db()
        assert (lead.status, lead.contract_amount) == (Lead.Status.NEW, None)

    def test_a_lost_lead_stays_lost(self, org, today):
        lead = introduce(org.staff_profile)
        services.lead_lose(actor=org.lead, lead=lead, reason="Chose a competitor")

        with pytest.raises(ValidationError, match="cannot become Qualified"):
            services.lead_qualify(actor=org.lead, lead=lead)

    def test_qualifying_twice_is_refused(self, org, today):
        lead = introduce(org.staff_profile)
        services.lead_qualify(actor=org.lead, lead=lead)

        with pytest.raises(ValidationError, match="cannot become Qualified"):
            services.lead_qualify(actor=org.lead, lead=lead)

    @pytest.mark.parametrize(
        ("contract", "won_in_days", "field"),
        [
            (Decimal("0"), 0, "contract_amount"),
            (Decimal("-5"), 0, "contract_amount"),
            (Decimal("1.001"), 0, "contract_amount"),
            (Decimal("10000000000"), 0, "contract_amount"),
            (Decimal("10"), 1, "won_on"),
        ],
    )
    def test_winning_needs_a_positive_contract_and_a_past_date(
        self, org, today, contract, won_in_days, field
    ):
        lead = introduce(org.staff_profile)
        services.lead_qualify(actor=org.lead, lead=lead)

        with pytest.raises(ValidationError) as excinfo:
            services.lead_win(
                actor=org.lead,
                lead=lead,
                contract_amount=contract,
                won_on=today + won_in_days * DAY,
            )

        assert field in field_errors(excinfo)
        lead.refresh_from_db()
        assert lead.status == Lead.Status.QUALIFIED

    def test_losing_needs_a_reason(self, org, today):
        lead = introduce(org.staff_profile)

        with pytest.raises(ValidationError) as excinfo:
            services.lead_lose(actor=org.lead, lead=lead, reason="")

        assert "reason" in field_errors(excinfo)

    def test_a_won_lead_may_be_lost_with_its_reason_recorded(self, org, today):
        lead = won_lead(org, today)

        services.lead_lose(actor=org.lead, lead=lead, reason="Contract cancelled")

        lead.refresh_from_db()
        assert (lead.status, lead.lost_reason) == (Lead.Status.LOST, "Contract cancelled")
        assert history_of(lead).last().reason == "Contract cancelled"

    def test_a_lead_with_money_collected_is_not_simply_lost(self, org, today):
        lead = won_lead(org, today)
        services.collection_add(
            actor=org.lead, lead=lead, received_on=today, amount=Decimal("100.00")
        )

        with pytest.raises(ValidationError, match="record the refund"):
            services.lead_lose(actor=org.lead, lead=lead, reason="Cancelled")

    @pytest.mark.parametrize("who", ["staff", "supervisor", "delegate", "outsider", "finance"])
    def test_only_the_marketing_lead_moves_a_lead(self, org, today, who):
        lead = introduce(org.staff_profile)

        with pytest.raises(PermissionDenied):
            services.lead_qualify(actor=getattr(org, who), lead=lead)

    def test_the_marketing_lead_confirms_the_key_role_once(self, org, today):
        lead = won_lead(org, today)

        services.lead_confirm_key_role(actor=org.lead, lead=lead)

        lead.refresh_from_db()
        assert lead.key_role_confirmed
        assert transitions(lead)[-1] == ("key_role:open", "key_role:confirmed")
        with pytest.raises(ValidationError, match="already confirmed"):
            services.lead_confirm_key_role(actor=org.lead, lead=lead)

    def test_the_introducer_cannot_confirm_their_own_key_role(self, org, today):
        lead = won_lead(org, today)

        with pytest.raises(PermissionDenied):
            services.lead_confirm_key_role(actor=org.staff, lead=lead)


# --------------------------------------------------------------------------- collections


class TestCollections:
    def test_collections_add_up_and_the_last_one_makes_the_lead_paid(self, org, today):
        lead = won_lead(org, today, contract="1000.00")

        services.collection_add(
            actor=org.lead, lead=lead, received_on=today, amount=Decimal("400.00"), note="First"
        )
        lead.refresh_from_db()
        assert lead.status == Lead.Status.WON
        services.collection_add(actor=org.lead, lead=lead, received_on=today, amount=Decimal("600"))

        lead.refresh_from_db()
        assert lead.status == Lead.Status.PAID
        assert services.net_collected(lead=lead) == Decimal("1000.00")
        assert transitions(lead)[-3:] == [
            ("collected:0.00", "collected:400.00"),
            ("collected:400.00", "collected:1000.00"),
            ("won", "paid"),
        ]
        collection = Collection.objects.first()
        assert [(c.to_state, c.actor) for c in history_of(collection)] == [("collection", org.lead)]

    def test_a_collection_above_the_contract_is_refused_and_nothing_changes(self, org, today):
        lead = won_lead(org, today, contract="1000.00")
        services.collection_add(actor=org.lead, lead=lead, received_on=today, amount=Decimal("700"))
        changes = history_of(lead).count()

        with pytest.raises(ValidationError) as excinfo:
            services.collection_add(
                actor=org.lead, lead=lead, received_on=today, amount=Decimal("300.01")
            )

        message = field_errors(excinfo)["amount"][0]
        assert "Collection above contract" in message
        assert "300.00 CNY" in message
        assert Collection.objects.count() == 1
        assert history_of(lead).count() == changes
        lead.refresh_from_db()
        assert lead.status == Lead.Status.WON

    def test_a_refund_above_what_was_collected_is_refused(self, org, today):
        lead = won_lead(org, today, contract="1000.00")
        services.collection_add(actor=org.lead, lead=lead, received_on=today, amount=Decimal("200"))

        with pytest.raises(ValidationError) as excinfo:
            services.collection_add(
                actor=org.lead,
                lead=lead,
                received_on=today,
                amount=Decimal("200.01"),
                kind=Collection.Kind.REFUND,
            )

        assert "200.00 CNY" in field_errors(excinfo)["amount"][0]
        assert services.net_collected(lead=lead) == Decimal("200.00")

    def test_a_refund_on_a_paid_lead_keeps_it_paid_and_makes_room(self, org, today):
        lead = won_lead(org, today, contract="1000.00")
        services.collection_add(
            actor=org.lead, lead=lead, received_on=today, amount=Decimal("1000")
        )

        services.collection_add(
            actor=org.lead,
            lead=lead,
            received_on=today,
            amount=Decimal("250.00"),
            kind=Collection.Kind.REFUND,
            note="Returned goods",
        )

        lead.refresh_from_db()
        assert lead.status == Lead.Status.PAID
        assert services.net_collected(lead=lead) == Decimal("750.00")
        services.collection_add(actor=org.lead, lead=lead, received_on=today, amount=Decimal("250"))
        assert services.net_collected(lead=lead) == Decimal("1000.00")

    @pytest.mark.parametrize(
        ("fields", "field"),
        [
            ({"amount": Decimal("0")}, "amount"),
            ({"amount": Decimal("-3")}, "amount"),
            ({"amount": Decimal("0.001")}, "amount"),
            ({"amount": 3.5}, "amount"),
            ({"received_on_days": 1}, "received_on"),
            ({"received_on_days": -3}, "received_on"),  # before the contract was signed
            ({"kind": "gift"}, "kind"),
            ({"note": "x" * 201}, "note"),
        ],
    )
    def test_it_rejects_bad_collections_beside_the_field(self, org, today, fields, field):
        lead = won_lead(org, today, won_on=today - DAY)
        days = fields.pop("received_on_days", 0)
        kwargs = {"amount": Decimal("10"), "received_on": today + days * DAY, **fields}

        with pytest.raises(ValidationError) as excinfo:
            services.collection_add(actor=org.lead, lead=lead, **kwargs)

        assert field in field_errors(excinfo)
        assert not Collection.objects.exists()

    def test_money_is_only_recorded_on_won_leads(self, org, today):
        lead = introduce(org.staff_profile)

        with pytest.raises(ValidationError, match="won or paid"):
            services.collection_add(
                actor=org.lead, lead=lead, received_on=today, amount=Decimal("1")
            )

    @pytest.mark.parametrize("who", ["staff", "supervisor", "outsider", "finance"])
    def test_only_the_marketing_lead_records_money(self, org, today, who):
        lead = won_lead(org, today)

        with pytest.raises(PermissionDenied):
            services.collection_add(
                actor=getattr(org, who), lead=lead, received_on=today, amount=Decimal("1")
            )

    def test_sequential_collections_never_exceed_the_contract(self, org, today):
        """The plain rule behind the row lock, as SQLite runs it: one writer at a time."""
        lead = won_lead(org, today, contract="1000.00")
        outcomes = []
        for _ in range(8):
            try:
                services.collection_add(
                    actor=org.lead, lead=lead, received_on=today, amount=Decimal("300")
                )
                outcomes.append("ok")
            except ValidationError:
                outcomes.append("refused")

        assert outcomes.count("ok") == 3
        assert services.net_collected(lead=lead) == Decimal("900.00")

    def test_net_collected_is_annotated_in_one_query(self, org, today, django_assert_num_queries):
        lead = won_lead(org, today, contract="1000.00")
        services.collection_add(actor=org.lead, lead=lead, received_on=today, amount=Decimal("400"))
        services.collection_add(
            actor=org.lead,
            lead=lead,
            received_on=today,
            amount=Decimal("100"),
            kind=Collection.Kind.REFUND,
        )
        introduce(org.outsider.profile, client_name="Other client")

        with django_assert_num_queries(1):
            values = dict(
                services.with_net_collected(Lead.objects.all()).values_list(
                    "client_name", "net_collected"
                )
            )

        assert values == {"Acme Co., Ltd.": Decimal("300.00"), "Other client": Decimal("0.00")}


# --------------------------------------------------------------------------- split


class TestCreditSplit:
    @pytest.fixture
    def people(self, org):
        return org.staff_profile, org.outsider.profile, org.other_staff.profile

    def test_without_a_split_the_introducer_has_all_the_credit(self, org, today):
        lead = won_lead(org, today)

        [(profile, percent, _role)] = services.effective_credit_split(lead=lead)

        assert (profile, percent) == (org.staff_profile, Decimal("100"))

    def test_thirds_to_the_fen_are_accepted(self, org, today, people):
        lead = won_lead(org, today)
        a, b, c = people

        services.credit_split_set(
            actor=org.lead,
            lead=lead,
            shares=[
                (a, Decimal("33.33"), "Introducer"),
                (b, Decimal("33.33"), "Proposal"),
                (c, Decimal("33.34"), "Client visit"),
            ],
        )

        assert sorted(CreditShare.objects.values_list("percent", flat=True)) == [
            Decimal("33.33"),
            Decimal("33.33"),
            Decimal("33.34"),
        ]
        assert transitions(lead)[-1] == ("split:introducer", "split:set")
        assert "33.34 %" in history_of(lead).last().reason

    @pytest.mark.parametrize(("second", "total"), [("39.99", "99.99"), ("40.01", "100.01")])
    def test_shares_must_add_up_to_exactly_100(self, org, today, people, second, total):
        lead = won_lead(org, today)
        a, b, _c = people

        with pytest.raises(ValidationError) as excinfo:
            services.credit_split_set(
                actor=org.lead,
                lead=lead,
                shares=[(a, Decimal("60"), ""), (b, Decimal(second), "")],
            )

        assert field_errors(excinfo)["shares"] == [
            f"The shares add up to {total} %; they must add up to 100 %."
        ]
        assert not CreditShare.objects.exists()

    def test_a_new_split_replaces_the_old_one(self, org, today, people):
        lead = won_lead(org, today)
        a, b, _c = people
        services.credit_split_set(actor=org.lead, lead=lead, shares=[(a, Decimal("100"), "")])

        services.credit_split_set(
            actor=org.lead, lead=lead, shares=[(a, Decimal("70"), ""), (b, Decimal("30"), "")]
        )

        assert dict(CreditShare.objects.values_list("staff_id", "percent")) == {
            a.pk: Decimal("70.00"),
            b.pk: Decimal("30.00"),
        }
        assert transitions(lead)[-1] == ("split:set", "split:set")

    @pytest.mark.parametrize(
        "problem", ["duplicate", "three_decimals", "zero", "marketing", "inactive", "empty"]
    )
    def test_it_refuses_bad_shares(self, org, today, people, problem):
        lead = won_lead(org, today)
        a, b, _c = people
        shares = {
            "duplicate": [(a, Decimal("50"), ""), (a, Decimal("50"), "")],
            "three_decimals": [(a, Decimal("50.005"), ""), (b, Decimal("49.995"), "")],
            "zero": [(a, Decimal("100"), ""), (b, Decimal("0"), "")],
            "marketing": [(a, Decimal("50"), ""), (org.lead.profile, Decimal("50"), "")],
            "inactive": [(a, Decimal("50"), ""), (b, Decimal("50"), "")],
            "empty": [],
        }[problem]
        if problem == "inactive":
            b.is_active = False
            b.save()

        with pytest.raises(ValidationError) as excinfo:
            services.credit_split_set(actor=org.lead, lead=lead, shares=shares)

        assert "shares" in field_errors(excinfo)
        assert not CreditShare.objects.exists()

    def test_only_won_leads_are_split(self, org, today, people):
        lead = introduce(org.staff_profile)

        with pytest.raises(ValidationError, match="won or paid"):
            services.credit_split_set(
                actor=org.lead, lead=lead, shares=[(people[0], Decimal("100"), "")]
            )


# --------------------------------------------------------------------------- concurrency


def run_together(jobs: list[Callable[[], object]]) -> list[tuple[str, object]]:
    """Start every job at once, each in its own thread with its own connection."""
    barrier = threading.Barrier(len(jobs))
    results: list[tuple[str, object] | None] = [None] * len(jobs)

    def worker(index: int, job: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = ("ok", job())
        except Exception as exc:  # every outcome is asserted by the caller
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


@pytest.fixture
def ticking_today():
    with time_machine.travel(MOMENT, tick=True):
        yield MOMENT.date()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_claims_on_one_client_have_exactly_one_first(org, ticking_today):
    people = [org.staff_profile, org.outsider.profile, org.other_staff.profile]
    people += [
        StaffProfileFactory(
            user=UserFactory(username=f"racer{i}"),
            department=org.engineering,
            line_supervisor=org.supervisor,
            marketing_lead=org.lead,
        )
        for i in range(5)
    ]
    spellings = ["Acme Co., Ltd.", "ACME LIMITED", "acme inc", "Acme Corp", "ACME"]

    results = run_together(
        [
            (lambda p=profile, i=i: introduce(p, client_name=spellings[i % len(spellings)]))
            for i, profile in enumerate(people)
        ]
    )

    assert [kind for kind, _value in results] == ["ok"] * len(people)
    leads = list(Lead.objects.order_by("created_at", "pk"))
    assert [lead.claim_status for lead in leads].count(Lead.Claim.CLEAR) == 1
    first = next(lead for lead in leads if lead.claim_status == Lead.Claim.CLEAR)
    assert all(lead.conflicting_lead_id == first.pk for lead in leads if lead != first)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_person_racing_themselves_gets_one_lead(org, ticking_today):
    results = run_together([lambda: introduce(org.staff_profile) for _ in range(6)])

    kinds = sorted(kind for kind, _value in results)
    assert kinds == ["error"] * 5 + ["ok"]
    assert all(isinstance(value, ValidationError) for kind, value in results if kind == "error")
    assert Lead.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_collections_never_exceed_the_contract(org, ticking_today):
    lead = won_lead(org, ticking_today, contract="1000.00")

    results = run_together(
        [
            lambda: services.collection_add(
                actor=org.lead, lead=lead, received_on=ticking_today, amount=Decimal("300")
            )
            for _ in range(8)
        ]
    )

    assert [kind for kind, _value in results].count("ok") == 3
    assert services.net_collected(lead=lead) == Decimal("900.00")


def test_claims_one_after_the_other_follow_the_same_rule(org, today):
    """What the advisory lock guarantees under concurrency, run sequentially (SQLite)."""
    outcomes = []
    for profile in [org.staff_profile, org.outsider.profile, org.staff_profile]:
        try:
            outcomes.append(introduce(profile).claim_status)
        except ValidationError:
            outcomes.append("refused")

    assert outcomes == [Lead.Claim.CLEAR, Lead.Claim.PENDING, "refused"]
