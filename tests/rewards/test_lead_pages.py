"""Lead pages as every standing user, the marketing lead's journey through the forms, bad
input kept beside its message, escaping, and the pipeline's constant query count."""

from __future__ import annotations

import datetime
import zoneinfo
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from rewards.models import Collection, CreditShare, Lead
from rewards.services import leads as services
from tests.factories import StaffProfileFactory, UserFactory

MOMENT = datetime.datetime(2026, 3, 10, 10, 0, tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))
USERS = [
    "anonymous",
    "staff",
    "supervisor",
    "delegate",
    "lead",
    "other_supervisor",
    "outsider",
    "finance",
    "admin",
]


@pytest.fixture
def today():
    with time_machine.travel(MOMENT, tick=False):
        yield MOMENT.date()


def expected_row(*codes):
    return dict(zip(USERS, codes, strict=True))


def client_for(client, org, name):
    if name != "anonymous":
        client.force_login(getattr(org, name))
    return client


def introduce(profile, client_name="Acme Co., Ltd.", **kwargs):
    kwargs.setdefault("need", "A new billing system")
    kwargs.setdefault("contact", "")
    kwargs.setdefault("estimated_value", Decimal("50000.00"))
    return services.lead_introduce(staff=profile, client_name=client_name, **kwargs)


def won(org, lead, today, contract="1000.00"):
    services.lead_qualify(actor=org.lead, lead=lead)
    return services.lead_win(
        actor=org.lead, lead=lead, contract_amount=Decimal(contract), won_on=today
    )


@pytest.fixture
def lead(org, today):
    return introduce(org.staff_profile)


@pytest.fixture
def won_lead(org, lead, today):
    return won(org, lead, today)


def detail_url(lead):
    return reverse("rewards:lead_detail", args=[lead.pk])


# --------------------------------------------------------------------------- who sees what

# 302 for anonymous means "go and log in"; 403: may see but not do; 404: may not even know.
GET_PAGES = {
    "my_leads": expected_row(302, 200, 200, 200, 403, 200, 200, 200, 403),
    "lead_create": expected_row(302, 200, 200, 200, 403, 200, 200, 200, 403),
    "lead_detail": expected_row(302, 200, 200, 200, 200, 404, 404, 404, 200),
    "pipeline": expected_row(302, 403, 403, 403, 200, 403, 403, 403, 403),
}


@pytest.mark.parametrize("name", USERS)
@pytest.mark.parametrize("page", list(GET_PAGES))
def test_get_page_as_each_standing_user(client, org, lead, page, name):
    url = detail_url(lead) if page == "lead_detail" else reverse(f"rewards:{page}")

    response = client_for(client, org, name).get(url)

    assert response.status_code == GET_PAGES[page][name]
    if name == "anonymous":
        assert response.url == f"{reverse('login')}?next={url}"


# Only the lead's marketing lead and admins act; the introducer and their supervisors
# see the lead (403), everybody else does not (404).
POST_CODES = expected_row(302, 403, 403, 403, 302, 404, 404, 404, 302)
POSTS = {
    "lead_transition": {"action": "qualify"},
    "lead_key_role": {},
    "lead_claim": {"claim-decision": "accept"},
    "lead_collection": {},
    "lead_split": {},
}


@pytest.mark.parametrize("name", USERS)
@pytest.mark.parametrize("endpoint", list(POSTS))
def test_post_endpoint_as_each_standing_user(client, org, lead, endpoint, name):
    url = reverse(f"rewards:{endpoint}", args=[lead.pk])

    response = client_for(client, org, name).post(url, POSTS[endpoint])

    expected = POST_CODES[name]
    if name in ("lead", "admin") and endpoint in ("lead_collection", "lead_split"):
        expected = 200  # allowed in; the empty form is shown again with its errors
    assert response.status_code == expected


@pytest.mark.parametrize("endpoint", list(POSTS))
def test_post_endpoints_refuse_get(login, org, lead, endpoint):
    response = login(org.lead).get(reverse(f"rewards:{endpoint}", args=[lead.pk]))

    assert response.status_code == 405


def test_the_person_sharing_the_credit_sees_the_lead(login, org, won_lead):
    services.credit_split_set(
        actor=org.lead,
        lead=won_lead,
        shares=[
            (org.staff_profile, Decimal("60"), ""),
            (org.other_staff.profile, Decimal("40"), "Proposal"),
        ],
    )

    response = login(org.other_staff).get(detail_url(won_lead))

    assert response.status_code == 200
    mine = login(org.other_staff).get(reverse("rewards:my_leads"))
    assert "Deals where you share the credit" in mine.text
    assert "Acme Co., Ltd." in mine.text


def test_a_delegate_whose_delegation_ended_no_longer_sees_the_lead(login, org, lead):
    org.delegate.delegations_received.update(end_date=datetime.date(2026, 3, 1))

    response = login(org.delegate).get(detail_url(lead))

    assert response.status_code == 404


def test_read_only_viewers_get_no_forms(login, org, won_lead):
    for user in (org.staff, org.supervisor, org.delegate):
        text = login(user).get(detail_url(won_lead)).text
        assert reverse("rewards:lead_collection", args=[won_lead.pk]) not in text
        assert reverse("rewards:lead_transition", args=[won_lead.pk]) not in text


# --------------------------------------------------------------------------- my leads


class TestMyLeads:
    def test_it_lists_my_leads_with_protection_claim_and_money(self, login, org, today):
        paid = won(org, introduce(org.staff_profile, client_name="Paid client"), today)
        services.collection_add(
            actor=org.lead, lead=paid, received_on=today, amount=Decimal("400.00")
        )
        introduce(org.outsider.profile, client_name="Contested Ltd")
        introduce(org.staff_profile, client_name="Contested Limited")
        introduce(org.outsider.profile, client_name="Somebody else's client")

        response = login(org.staff).get(reverse("rewards:my_leads"))

        text = response.text
        assert "Paid client" in text
        assert "400.00 CNY" in text
        assert "Contested Limited" in text
        assert "Second claim: awaiting decision" in text
        assert "2026-06-08" in text or "06/08/2026" in text  # protected 90 days
        assert "Somebody else" not in text

    def test_introducing_from_the_page_goes_to_the_new_lead(self, login, org, today):
        response = login(org.staff).post(
            reverse("rewards:lead_create"),
            {
                "from": "my_leads",
                "client_name": "星光科技有限公司",
                "contact": "wang@xingguang.cn",
                "need": "Needs a data platform",
                "estimated_value": "120000.50",
            },
        )

        lead = Lead.objects.get()
        assert response.status_code == 302
        assert response.url == detail_url(lead)
        assert (lead.client_key, lead.estimated_value) == ("星光科技", Decimal("120000.50"))
        assert lead.introducer == org.staff_profile

    def test_an_empty_estimate_counts_as_zero(self, login, org, today):
        login(org.staff).post(
            reverse("rewards:lead_create"),
            {"client_name": "Acme", "need": "Servers", "estimated_value": ""},
        )

        assert Lead.objects.get().estimated_value == Decimal("0.00")

    def test_a_second_claim_is_recorded_with_a_warning(self, login, org, today):
        introduce(org.outsider.profile)

        response = login(org.staff).post(
            reverse("rewards:lead_create"),
            {"client_name": "ACME limited", "need": "Servers"},
            follow=True,
        )

        assert "A colleague introduced this client earlier" in response.text
        assert Lead.objects.filter(claim_status=Lead.Claim.PENDING).count() == 1

    @pytest.mark.parametrize(
        ("data", "field", "message"),
        [
            ({"client_name": "", "need": "Servers"}, "client_name", "Name the client."),
            (
                {"client_name": "Acme", "need": ""},
                "need",
                "Describe what the client needs.",
            ),
            (
                {"client_name": "Acme", "need": "Servers", "estimated_value": "lots"},
                "estimated_value",
                "Enter a number.",
            ),
            (
                {"client_name": "Acme", "need": "Servers", "estimated_value": "-5"},
                "estimated_value",
                "Ensure this value is greater than or equal to 0.",
            ),
            (
                {"client_name": "Acme", "need": "Servers", "estimated_value": "1.234"},
                "estimated_value",
                "Ensure that there are no more than 2 decimal places.",
            ),
        ],
    )
    @pytest.mark.parametrize("page", ["my_leads", "lead_create"])
    def test_bad_input_keeps_what_was_typed(self, login, org, today, data, field, message, page):
        typed = {"contact": "Mr Wang 138 0013 8000", **data}
        if page == "my_leads":
            typed["from"] = "my_leads"

        response = login(org.staff).post(reverse("rewards:lead_create"), typed)

        assert response.status_code == 200
        form = response.context["form"]
        assert form.errors[field] == [message]
        assert f'id="error_1_id_{field}"' in response.text  # beside the field
        assert 'value="Mr Wang 138 0013 8000"' in response.text
        assert not Lead.objects.exists()
        template = "rewards/my_leads.html" if page == "my_leads" else "rewards/lead_form.html"
        assert template in [t.name for t in response.templates]

    def test_the_same_introducer_twice_is_told_beside_the_client(self, login, org, lead):
        response = login(org.staff).post(
            reverse("rewards:lead_create"), {"client_name": "ACME Ltd.", "need": "More"}
        )

        assert (
            "You already introduced this client on"
            in response.context["form"].errors["client_name"][0]
        )
        assert 'value="ACME Ltd."' in response.text

    def test_messages_are_translated(self, client, org, today):
        client.force_login(org.staff)

        response = client.post(
            reverse("rewards:lead_create"),
            {"client_name": "Acme", "need": "Servers", "estimated_value": "lots"},
            HTTP_ACCEPT_LANGUAGE="zh-hans",
        )

        assert response.context["form"].errors["estimated_value"] == ["输入一个数字。"]


# --------------------------------------------------------------------------- detail


class TestLeadDetail:
    def test_it_shows_money_split_and_history(self, login, org, won_lead, today):
        services.collection_add(
            actor=org.lead, lead=won_lead, received_on=today, amount=Decimal("700.00")
        )
        services.collection_add(
            actor=org.lead,
            lead=won_lead,
            received_on=today,
            amount=Decimal("50.00"),
            kind=Collection.Kind.REFUND,
        )

        response = login(org.staff).get(detail_url(won_lead))

        text = response.text
        assert "1,000.00 CNY" in text  # contract
        assert "650.00 CNY" in text  # net collected
        assert "350.00 CNY" in text  # remaining to the contract
        assert "-50.00 CNY" in text
        assert "No split: the introducer has all the credit." in text
        assert "Qualified" in text  # history
        assert "0.00 CNY collected</span> → <strong>700.00 CNY collected" in text

    def test_the_marketing_lead_qualifies_wins_collects_and_the_lead_is_paid(
        self, login, org, lead, today
    ):
        browser = login(org.lead)
        transition = reverse("rewards:lead_transition", args=[lead.pk])

        assert browser.post(transition, {"action": "qualify"}).status_code == 302
        response = browser.post(
            transition,
            {"action": "win", "win-contract_amount": "1000", "win-won_on": today.isoformat()},
        )
        assert response.status_code == 302
        response = browser.post(
            reverse("rewards:lead_collection", args=[lead.pk]),
            {
                "collection-kind": "collection",
                "collection-received_on": today.isoformat(),
                "collection-amount": "1000.00",
                "collection-note": "Bank ref 42",
            },
            follow=True,
        )

        lead.refresh_from_db()
        assert lead.status == Lead.Status.PAID
        assert "Collection recorded." in response.text
        assert "Bank ref 42" in response.text

    def test_losing_needs_a_reason_shown_beside_the_field(self, login, org, lead):
        response = login(org.lead).post(
            reverse("rewards:lead_transition", args=[lead.pk]),
            {"action": "lose", "lose-reason": "  "},
        )

        assert response.status_code == 200
        assert response.context["lose_form"].errors["reason"] == [
            "Say why the lead was lost; the introducer sees it."
        ]
        lead.refresh_from_db()
        assert lead.status == Lead.Status.NEW

    def test_an_illegal_move_is_refused_with_a_message(self, login, org, lead, today):
        response = login(org.lead).post(
            reverse("rewards:lead_transition", args=[lead.pk]),
            {"action": "win", "win-contract_amount": "10", "win-won_on": today.isoformat()},
            follow=True,
        )

        assert "A lead that is New cannot become Won." in response.text
        lead.refresh_from_db()
        assert lead.status == Lead.Status.NEW

    @pytest.mark.parametrize(
        ("amount", "won_on", "field", "message"),
        [
            ("abc", "2026-03-09", "contract_amount", "Enter a number."),
            ("-1", "2026-03-09", "contract_amount", "greater than or equal to 0"),
            ("0", "2026-03-09", "contract_amount", "Enter an amount greater than zero."),
            ("100", "2026-03-11", "won_on", "The contract cannot be signed on a future day."),
            ("100", "tomorrow", "won_on", "Enter a valid date."),
        ],
    )
    def test_bad_win_input_is_kept_beside_its_message(
        self, login, org, lead, today, amount, won_on, field, message
    ):
        services.lead_qualify(actor=org.lead, lead=lead)

        response = login(org.lead).post(
            reverse("rewards:lead_transition", args=[lead.pk]),
            {"action": "win", "win-contract_amount": amount, "win-won_on": won_on},
        )

        assert response.status_code == 200
        assert message in " ".join(response.context["win_form"].errors[field])
        assert f'value="{amount}"' in response.text
        lead.refresh_from_db()
        assert lead.status == Lead.Status.QUALIFIED

    def test_a_collection_above_the_contract_is_refused_beside_the_amount(
        self, login, org, won_lead, today
    ):
        services.collection_add(
            actor=org.lead, lead=won_lead, received_on=today, amount=Decimal("600")
        )

        response = login(org.lead).post(
            reverse("rewards:lead_collection", args=[won_lead.pk]),
            {
                "collection-kind": "collection",
                "collection-received_on": today.isoformat(),
                "collection-amount": "400.01",
                "collection-note": "Second instalment",
            },
        )

        assert response.status_code == 200
        [message] = response.context["collection_form"].errors["amount"]
        assert "Collection above contract" in message
        assert "400.00 CNY" in message
        assert 'value="400.01"' in response.text
        assert 'value="Second instalment"' in response.text
        assert Collection.objects.count() == 1

    def test_the_marketing_lead_sets_the_split_with_the_formset(self, login, org, won_lead):
        browser = login(org.lead)
        page = browser.get(detail_url(won_lead))
        formset = page.context["split_formset"]
        assert len(formset.forms) >= 4  # the introducer's row and at least three empty rows
        assert sum(1 for form in formset.forms if not form.initial) >= 3

        data = {
            "split-TOTAL_FORMS": "4",
            "split-INITIAL_FORMS": "0",
            "split-0-staff": str(org.staff_profile.pk),
            "split-0-percent": "33.33",
            "split-0-role": "Introducer",
            "split-1-staff": str(org.outsider.profile.pk),
            "split-1-percent": "33.33",
            "split-1-role": "Proposal",
            "split-2-staff": str(org.other_staff.profile.pk),
            "split-2-percent": "33.34",
            "split-2-role": "Client visit",
        }
        response = browser.post(reverse("rewards:lead_split", args=[won_lead.pk]), data)

        assert response.status_code == 302
        assert CreditShare.objects.filter(lead=won_lead).count() == 3

    def test_a_split_off_100_is_shown_with_what_was_typed(self, login, org, won_lead):
        data = {
            "split-TOTAL_FORMS": "4",
            "split-INITIAL_FORMS": "0",
            "split-0-staff": str(org.staff_profile.pk),
            "split-0-percent": "60",
            "split-1-staff": str(org.outsider.profile.pk),
            "split-1-percent": "39.99",
            "split-1-role": "Proposal input",
        }

        response = login(org.lead).post(reverse("rewards:lead_split", args=[won_lead.pk]), data)

        assert response.status_code == 200
        assert "The shares add up to 99.99 %; they must add up to 100 %." in response.text
        assert 'value="39.99"' in response.text
        assert 'value="Proposal input"' in response.text
        assert not CreditShare.objects.exists()

    def test_a_row_without_a_share_is_marked(self, login, org, won_lead):
        data = {
            "split-TOTAL_FORMS": "3",
            "split-INITIAL_FORMS": "0",
            "split-0-staff": str(org.staff_profile.pk),
            "split-0-percent": "",
        }

        response = login(org.lead).post(reverse("rewards:lead_split", args=[won_lead.pk]), data)

        assert response.status_code == 200
        assert "Enter this person&#x27;s share." in response.text
        assert "is-invalid" in response.text

    def test_the_pending_claim_is_shown_side_by_side_and_decided(self, login, org, lead):
        second = introduce(org.outsider.profile, client_name="ACME Limited")
        browser = login(org.lead)

        page = browser.get(detail_url(second))
        assert page.context["earlier"] == lead
        assert "Earlier claim" in page.text
        refused = browser.post(
            reverse("rewards:lead_claim", args=[second.pk]), {"claim-decision": "reject"}
        )
        assert refused.status_code == 200
        assert refused.context["claim_form"].errors["note"] == [
            "Say why the claim is rejected; the introducer sees it."
        ]
        browser.post(
            reverse("rewards:lead_claim", args=[second.pk]),
            {"claim-decision": "reject", "claim-note": "Same project"},
        )

        second.refresh_from_db()
        assert (second.status, second.claim_status) == (Lead.Status.LOST, Lead.Claim.REJECTED)
        introducer_view = login(org.outsider).get(detail_url(second)).text
        assert "Same project" in introducer_view

    def test_the_second_introducer_does_not_see_the_earlier_lead(self, login, org, lead):
        second = introduce(org.outsider.profile, client_name="ACME Limited")

        response = login(org.outsider).get(detail_url(second))

        assert "earlier" not in response.context
        assert "the marketing lead decides whether it counts" in response.text
        assert login(org.outsider).get(detail_url(lead)).status_code == 404

    def test_the_key_role_is_confirmed_from_the_page(self, login, org, won_lead):
        response = login(org.lead).post(
            reverse("rewards:lead_key_role", args=[won_lead.pk]), follow=True
        )

        assert "Key role confirmed." in response.text
        won_lead.refresh_from_db()
        assert won_lead.key_role_confirmed


# --------------------------------------------------------------------------- escaping


def test_script_in_client_and_need_is_shown_escaped(login, org, today):
    lead = introduce(
        org.staff_profile,
        client_name="<script>alert('client')</script>",
        need="<script>alert('need')</script>",
    )

    pages = [
        login(org.staff).get(reverse("rewards:my_leads")).text,
        login(org.lead).get(detail_url(lead)).text,
        login(org.lead).get(reverse("rewards:pipeline")).text,
    ]

    for text in pages:
        assert "<script>alert(" not in text
        assert "&lt;script&gt;alert(" in text


# --------------------------------------------------------------------------- pipeline


class TestPipeline:
    def test_columns_count_and_sum_per_status(self, login, org, today):
        introduce(org.staff_profile, client_name="New one", estimated_value=Decimal("100.00"))
        introduce(org.other_staff.profile, client_name="New two", estimated_value=Decimal("50.50"))
        paid = won(org, introduce(org.outsider.profile, client_name="Paid"), today, "300.00")
        services.collection_add(
            actor=org.lead, lead=paid, received_on=today, amount=Decimal("300.00")
        )
        services.collection_add(
            actor=org.lead,
            lead=paid,
            received_on=today,
            amount=Decimal("25.00"),
            kind=Collection.Kind.REFUND,
        )

        response = login(org.lead).get(reverse("rewards:pipeline"))

        columns = {column["status"]: column for column in response.context["columns"]}
        assert [column["status"] for column in response.context["columns"]] == [
            "new",
            "qualified",
            "won",
            "paid",
            "lost",
        ]
        assert (columns["new"]["count"], columns["new"]["estimated"]) == (2, Decimal("150.50"))
        assert columns["paid"]["count"] == 1
        assert columns["paid"]["contract"] == Decimal("300.00")
        assert columns["paid"]["collected"] == Decimal("275.00")
        assert columns["paid"]["cards"][0].net_collected == Decimal("275.00")
        assert columns["lost"]["count"] == 0
        assert "275.00 CNY" in response.text

    def test_pending_claims_are_highlighted_at_the_top(self, login, org, lead):
        second = introduce(org.outsider.profile, client_name="ACME Limited")

        response = login(org.lead).get(reverse("rewards:pipeline"))

        assert response.context["pending"] == [second]
        text = response.text
        assert text.index("second claim waits for your decision") < text.index('id="column-new"')

    def test_it_filters_by_the_introducer_department(self, login, org, today):
        introduce(org.staff_profile, client_name="Engineering's client")
        introduce(org.other_staff.profile, client_name="Operations' client")

        response = login(org.lead).get(
            reverse("rewards:pipeline"), {"department": org.operations.pk}
        )

        cards = [
            card.client_name for column in response.context["columns"] for card in column["cards"]
        ]
        assert cards == ["Operations' client"]
        assert response.context["department"] == org.operations
        assert {d.code for d in response.context["departments"]} == {"ENG", "OPS"}

    def test_an_unknown_department_shows_everything(self, login, org, lead):
        response = login(org.lead).get(reverse("rewards:pipeline"), {"department": "nope"})

        assert response.status_code == 200
        assert response.context["department"] is None

    def test_another_marketing_lead_sees_only_their_own(self, login, org, lead):
        other = StaffProfileFactory(
            user=UserFactory(username="other_lead"),
            department=org.marketing,
            is_marketing_lead=True,
        ).user

        response = login(other).get(reverse("rewards:pipeline"))

        assert all(not column["cards"] for column in response.context["columns"])
        assert login(other).get(detail_url(lead)).status_code == 404

    def test_the_query_count_does_not_grow_with_the_leads(self, client, org, today):
        client.force_login(org.lead)

        def count_queries() -> int:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(reverse("rewards:pipeline")).status_code == 200
            return len(queries)

        first = won(org, introduce(org.staff_profile, client_name="Client 0"), today)
        services.collection_add(actor=org.lead, lead=first, received_on=today, amount=Decimal("10"))
        introduce(org.outsider.profile, client_name="Client 0 Ltd")  # a pending claim
        one = count_queries()

        people = [
            StaffProfileFactory(
                user=UserFactory(username=f"introducer{i}"),
                department=org.operations if i % 2 else org.engineering,
                marketing_lead=org.lead,
            )
            for i in range(5)
        ]
        for i in range(1, 40):
            lead = introduce(people[i % 5], client_name=f"Client {i}")
            if i % 3 == 0:
                won(org, lead, today)
                services.collection_add(
                    actor=org.lead, lead=lead, received_on=today, amount=Decimal("5")
                )
            if i % 7 == 0:
                introduce(people[(i + 1) % 5], client_name=f"Client {i} Co.")
        forty = count_queries()

        assert Lead.objects.count() > 40
        assert forty == one
