"""The audit log page and its CSV export: administrators only, filtered, constant queries."""

import csv
import datetime
import io

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from audit import services
from audit.models import AuditEntry
from tests.audit.conftest import entries

A = AuditEntry.Action
LIST = reverse("audit:list")
EXPORT = reverse("audit:export")


def at(day: datetime.date, **kwargs) -> AuditEntry:
    moment = datetime.datetime.combine(day, datetime.time(12), tzinfo=datetime.UTC)
    with time_machine.travel(moment, tick=False):
        return services.record(**kwargs)


@pytest.fixture
def sample(org):
    """Three entries on three days, by two people, about two kinds of object."""
    return [
        at(
            datetime.date(2026, 3, 1),
            action=A.TIME_APPROVED,
            obj=org.staff_profile,
            actor=org.supervisor,
            summary="Time approved",
        ),
        at(
            datetime.date(2026, 3, 5),
            action=A.PERIOD_PAID,
            obj=org.engineering,
            actor=org.finance,
            summary="=HYPERLINK(evil)",
        ),
        at(
            datetime.date(2026, 3, 9),
            action=A.LOGIN_FAILED,
            actor_repr="ghost",
            summary="Failed login",
        ),
    ]


def rows(response) -> list:
    return list(response.context["entries"])


class TestAccess:
    def test_anonymous_visitors_go_to_the_login(self, client, db):
        for url in (LIST, EXPORT):
            response = client.get(url)
            assert response.status_code == 302
            assert response.url.startswith(reverse("login"))

    @pytest.mark.parametrize("name", ["staff", "supervisor", "lead", "finance"])
    def test_others_get_403(self, org, login, name):
        client = login(getattr(org, name))
        assert client.get(LIST).status_code == 403
        assert client.get(EXPORT).status_code == 403
        assert not entries(A.AUDIT_EXPORTED)

    def test_admins_see_the_log(self, org, login, sample):
        response = login(org.admin).get(LIST)
        assert response.status_code == 200
        assert response.context["page"].paginator.count == len(entries())

    def test_the_admin_navigation_links_to_it(self, org, login):
        assert LIST.encode() in login(org.admin).get(reverse("home"), follow=True).content
        assert LIST.encode() not in login(org.finance).get(reverse("home"), follow=True).content


class TestFilters:
    def test_newest_first(self, org, login, sample):
        listed = rows(login(org.admin).get(LIST, {"date_to": "2026-03-31"}))
        assert listed == [sample[2], sample[1], sample[0]]

    def test_by_date_range(self, org, login, sample):
        listed = rows(
            login(org.admin).get(LIST, {"date_from": "2026-03-02", "date_to": "2026-03-06"})
        )
        assert listed == [sample[1]]

    def test_by_user(self, org, login, sample):
        assert rows(login(org.admin).get(LIST, {"user": "finance"})) == [sample[1]]

    def test_by_action(self, org, login, sample):
        assert rows(login(org.admin).get(LIST, {"action": A.LOGIN_FAILED})) == [sample[2]]

    def test_by_object_type(self, org, login, sample):
        engineering_type = ContentType.objects.get_for_model(org.engineering)
        listed = rows(login(org.admin).get(LIST, {"object_type": engineering_type.pk}))
        assert listed == [sample[1]]

    def test_by_text(self, org, login, sample):
        assert rows(login(org.admin).get(LIST, {"q": "ghost"})) == [sample[2]]
        assert rows(login(org.admin).get(LIST, {"q": "Engineering"})) == [sample[1]]

    def test_a_bad_filter_shows_everything_with_the_error(self, org, login, sample):
        response = login(org.admin).get(LIST, {"date_from": "not a date"})
        assert response.status_code == 200
        assert response.context["form"].errors
        assert len(rows(response)) == len(entries())

    def test_it_pages_by_fifty(self, org, login):
        for _ in range(60):
            services.record(action=A.LOGIN, actor=org.staff)
        client = login(org.admin)
        first = client.get(LIST, {"action": A.LOGIN, "user": "staff"})
        assert len(rows(first)) == 50
        second = client.get(LIST, {"action": A.LOGIN, "user": "staff", "page": 2})
        assert len(rows(second)) == 10


class TestExport:
    def test_it_exports_the_filtered_rows_and_is_audited(self, org, login, sample):
        response = login(org.admin).get(
            EXPORT, {"date_from": "2026-03-01", "date_to": "2026-03-06"}, REMOTE_ADDR="192.0.2.77"
        )
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        assert "attachment" in response["Content-Disposition"]
        table = list(csv.reader(io.StringIO(response.content.decode())))
        assert table[0][:3] == ["When", "User", "Action"]
        body = table[1:]
        assert [row[1] for row in body] == ["finance", "supervisor"]
        assert [row[2] for row in body] == [A.PERIOD_PAID, A.TIME_APPROVED]
        # A spreadsheet does not run an exported cell as a formula.
        assert body[0][3] == "'=HYPERLINK(evil)"
        assert body[0][4] == "departments.department"
        exported = entries(A.AUDIT_EXPORTED)
        assert len(exported) == 1
        assert (exported[0].actor, exported[0].ip_address) == (org.admin, "192.0.2.77")
        assert exported[0].extra == {
            "filters": {"date_from": "2026-03-01", "date_to": "2026-03-06"},
            "rows": 2,
        }


class TestQueryCount:
    @pytest.mark.parametrize("count", [5, 60])
    def test_the_list_costs_the_same_for_5_and_60_entries(
        self, org, login, django_assert_num_queries, count
    ):
        for number in range(count):
            services.record(
                action=A.TIME_APPROVED if number % 2 else A.LOGIN,
                obj=org.staff_profile if number % 2 else org.engineering,
                actor=org.supervisor if number % 3 else None,
            )
        client = login(org.admin)
        client.get(LIST)  # warm the session and caches
        with django_assert_num_queries(QUERIES):
            assert client.get(LIST).status_code == 200


QUERIES = 6
