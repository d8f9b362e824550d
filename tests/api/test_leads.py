"""``/api/v1/leads/``: introducing clients and working the pipeline, as each standing user."""

from __future__ import annotations

from decimal import Decimal

import pytest

from rewards import permissions
from rewards.models import Collection, CreditShare, Lead
from rewards.services import leads as lead_services

LEADS = "/api/v1/leads/"
NAMES = [
    "staff",
    "supervisor",
    "delegate",
    "lead",
    "admin",
    "outsider",
    "other_supervisor",
    "other_staff",
    "finance",
    "anonymous",
]


def user_of(org, name):
    return None if name == "anonymous" else getattr(org, name)


@pytest.fixture
def lead(org, today):
    return lead_services.lead_introduce(
        staff=org.staff_profile,
        client_name="Hangzhou Logistics Co.",
        contact="zhao@example.com",
        need="Warehouse scanners",
    )


def won(org, lead, today, amount="1000.00"):
    lead_services.lead_qualify(actor=org.lead, lead=lead)
    lead_services.lead_win(actor=org.lead, lead=lead, contract_amount=Decimal(amount), won_on=today)
    lead.refresh_from_db()
    return lead


class TestIntroduce:
    def test_staff_introduce_a_client(self, org, api, today):
        response = api(org.staff).post(
            LEADS,
            {"client_name": "Acme Ltd", "need": "A new line", "estimated_value": "5000.50"},
            format="json",
        )

        assert response.status_code == 201
        data = response.json()
        assert (data["status"], data["introducer"], data["marketing_lead"]) == (
            "new",
            org.staff_profile.pk,
            "lead",
        )
        assert data["estimated_value"] == "5000.50"
        assert data["net_collected"] == "0.00"

    def test_a_second_claim_is_flagged_not_refused(self, org, api, lead):
        response = api(org.outsider).post(
            LEADS, {"client_name": "Hangzhou Logistics", "need": "Scanners"}, format="json"
        )

        assert response.status_code == 201
        assert response.json()["claim_status"] == "pending"
        assert response.json()["conflicting_lead"] == lead.pk

    def test_introducing_the_same_client_twice_is_a_client_name_error(self, org, api, lead):
        response = api(org.staff).post(
            LEADS, {"client_name": "Hangzhou Logistics Co", "need": "More"}, format="json"
        )

        assert response.status_code == 400
        assert list(response.json()) == ["client_name"]

    def test_missing_fields(self, org, api):
        response = api(org.staff).post(LEADS, {"client_name": " ", "need": ""}, format="json")

        assert response.status_code == 400
        assert set(response.json()) == {"client_name", "need"}

    @pytest.mark.parametrize("name", ["lead", "admin"])
    def test_people_outside_staff_do_not_introduce(self, org, api, name):
        response = api(getattr(org, name)).post(
            LEADS, {"client_name": "Acme", "need": "x"}, format="json"
        )

        assert response.status_code == 403
        assert not Lead.objects.exists()


# lead introduced by org.staff, worked by org.lead:   view  work
LEAD_MATRIX = {
    "staff": (200, 403),
    "supervisor": (200, 403),
    "delegate": (200, 403),
    "lead": (200, 200),
    "admin": (200, 200),
    "outsider": (404, 404),
    "other_supervisor": (404, 404),
    "other_staff": (404, 404),
    "finance": (404, 404),
    "anonymous": (401, 401),
}


@pytest.mark.parametrize("name", NAMES)
class TestOneLeadAsEachRole:
    def test_retrieve(self, org, api, lead, name):
        response = api(user_of(org, name)).get(f"{LEADS}{lead.pk}/")

        assert response.status_code == LEAD_MATRIX[name][0]

    def test_qualify(self, org, api, lead, name):
        response = api(user_of(org, name)).post(f"{LEADS}{lead.pk}/qualify/")

        assert response.status_code == LEAD_MATRIX[name][1]
        lead.refresh_from_db()
        assert lead.status == ("qualified" if response.status_code == 200 else "new")

    def test_lose(self, org, api, lead, name):
        response = api(user_of(org, name)).post(
            f"{LEADS}{lead.pk}/lose/", {"reason": "Competitor"}, format="json"
        )

        assert response.status_code == LEAD_MATRIX[name][1]

    def test_collections(self, org, api, lead, name, today):
        won(org, lead, today)

        response = api(user_of(org, name)).post(
            f"{LEADS}{lead.pk}/collections/",
            {"received_on": today.isoformat(), "amount": "100.00"},
            format="json",
        )

        expected = 201 if LEAD_MATRIX[name][1] == 200 else LEAD_MATRIX[name][1]
        assert response.status_code == expected
        assert Collection.objects.count() == (1 if expected == 201 else 0)

    def test_split(self, org, api, lead, name, today):
        won(org, lead, today)

        response = api(user_of(org, name)).post(
            f"{LEADS}{lead.pk}/split/",
            {"shares": [{"staff": org.staff_profile.pk, "percent": "100"}]},
            format="json",
        )

        assert response.status_code == LEAD_MATRIX[name][1]


class TestPipeline:
    def test_from_new_to_paid(self, org, api, lead, today):
        client = api(org.lead)
        url = f"{LEADS}{lead.pk}/"

        assert client.post(f"{url}qualify/").json()["status"] == "qualified"
        won_ = client.post(
            f"{url}win/", {"contract_amount": "1000.00", "won_on": today.isoformat()}
        ).json()
        assert (won_["status"], won_["contract_amount"]) == ("won", "1000.00")
        first = client.post(
            f"{url}collections/", {"received_on": today.isoformat(), "amount": "400.00"}
        )
        assert first.status_code == 201
        assert first.json()["recorded_by"] == "lead"
        client.post(f"{url}collections/", {"received_on": today.isoformat(), "amount": "600.00"})
        after = client.get(url).json()
        assert (after["status"], after["net_collected"]) == ("paid", "1000.00")
        assert client.post(f"{url}key-role/").json()["key_role_confirmed"] is True

    def test_a_collection_above_the_contract_is_an_amount_error(self, org, api, lead, today):
        won(org, lead, today)

        response = api(org.lead).post(
            f"{LEADS}{lead.pk}/collections/",
            {"received_on": today.isoformat(), "amount": "1000.01"},
            format="json",
        )

        assert response.status_code == 400
        assert list(response.json()) == ["amount"]

    def test_money_must_be_a_decimal_with_two_places(self, org, api, lead, today):
        won(org, lead, today)

        response = api(org.lead).post(
            f"{LEADS}{lead.pk}/collections/",
            {"received_on": today.isoformat(), "amount": "1.234"},
            format="json",
        )

        assert response.status_code == 400
        assert list(response.json()) == ["amount"]

    def test_a_skipped_step_is_a_non_field_error(self, org, api, lead, today):
        response = api(org.lead).post(
            f"{LEADS}{lead.pk}/win/",
            {"contract_amount": "1000.00", "won_on": today.isoformat()},
            format="json",
        )

        assert response.status_code == 400
        assert list(response.json()) == ["non_field_errors"]

    def test_the_split_must_add_up_to_100(self, org, api, lead, today):
        won(org, lead, today)
        url = f"{LEADS}{lead.pk}/split/"
        shares = [
            {"staff": org.staff_profile.pk, "percent": "60", "role": "Introduced"},
            {"staff": org.outsider.profile.pk, "percent": "30", "role": "Proposal"},
        ]

        wrong = api(org.lead).post(url, {"shares": shares}, format="json")
        shares[1]["percent"] = "40"
        right = api(org.lead).post(url, {"shares": shares}, format="json")

        assert wrong.status_code == 400
        assert list(wrong.json()) == ["shares"]
        assert right.status_code == 200
        assert {(s["staff"], s["percent"]) for s in right.json()} == {
            (org.staff_profile.pk, "60.00"),
            (org.outsider.profile.pk, "40.00"),
        }
        assert CreditShare.objects.count() == 2

    def test_a_second_claim_must_be_decided_before_moving_on(self, org, api, lead):
        second = lead_services.lead_introduce(
            staff=org.outsider.profile, client_name="Hangzhou Logistics", need="Scanners"
        )
        client = api(org.lead)

        blocked = client.post(f"{LEADS}{second.pk}/qualify/")
        decided = client.post(f"{LEADS}{second.pk}/claim/", {"accept": True}, format="json")
        moved = client.post(f"{LEADS}{second.pk}/qualify/")

        assert blocked.status_code == 400
        assert decided.json()["claim_status"] == "accepted"
        assert moved.json()["status"] == "qualified"

    def test_rejecting_a_claim_needs_a_note(self, org, api, lead):
        second = lead_services.lead_introduce(
            staff=org.outsider.profile, client_name="Hangzhou Logistics", need="Scanners"
        )

        response = api(org.lead).post(
            f"{LEADS}{second.pk}/claim/", {"accept": False, "note": ""}, format="json"
        )

        assert response.status_code == 400
        assert list(response.json()) == ["note"]


class TestLeadList:
    @pytest.mark.parametrize(
        ("name", "sees"),
        [
            ("staff", True),
            ("lead", True),
            ("supervisor", True),
            ("delegate", True),
            ("admin", True),
            ("outsider", False),
            ("other_supervisor", False),
            ("finance", False),
        ],
    )
    def test_visibility_matches_the_predicate(self, org, api, lead, name, sees):
        user = getattr(org, name)

        ids = {item["id"] for item in api(user).get(LEADS).json()["results"]}

        assert (lead.pk in ids) == sees == permissions.can_view_lead(user, lead)

    def test_people_sharing_the_credit_see_the_lead(self, org, api, lead, today):
        won(org, lead, today)
        lead_services.credit_split_set(
            actor=org.lead,
            lead=lead,
            shares=[(org.staff_profile, 50, ""), (org.other_staff.profile, 50, "")],
        )

        ids = {item["id"] for item in api(org.other_staff).get(LEADS).json()["results"]}

        assert ids == {lead.pk}

    def test_filters_and_net_collected_in_the_list(self, org, api, lead, today):
        won(org, lead, today)
        lead_services.collection_add(
            actor=org.lead, lead=lead, received_on=today, amount=Decimal("250")
        )
        lead_services.lead_introduce(staff=org.other_staff.profile, client_name="Other", need="x")
        client = api(org.lead)

        won_leads = client.get(f"{LEADS}?status=won").json()["results"]
        engineering = client.get(f"{LEADS}?department={org.engineering.pk}").json()["results"]

        assert [(item["id"], item["net_collected"]) for item in won_leads] == [(lead.pk, "250.00")]
        assert [item["id"] for item in engineering] == [lead.pk]
