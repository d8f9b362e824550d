"""``me``, departments, staff, categories and the organisation import."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from departments.models import Department, StaffProfile
from departments.permissions import can_view_profile

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
]


class TestMe:
    def test_staff_see_their_budget_for_today(self, org, api, today, make_log):
        make_log(org.staff_profile, day=today, minutes=45)
        make_log(org.staff_profile, day=today - datetime.timedelta(days=1), minutes=60)

        response = api(org.staff).get("/api/v1/me/")

        assert response.status_code == 200
        data = response.json()
        assert data["username"] == "staff"
        assert data["roles"] == ["staff"]
        assert data["staff"] == org.staff_profile.pk
        assert data["budget_today_minutes"] == 120
        assert data["remaining_today_minutes"] == 75
        assert data["logged_today_minutes"] == 45

    @pytest.mark.parametrize(
        ("name", "roles"),
        [
            ("staff", ["staff"]),
            ("supervisor", ["staff", "line_supervisor"]),
            ("delegate", ["staff", "line_supervisor"]),
            ("lead", ["marketing_lead"]),
            ("finance", ["staff", "finance"]),
            ("admin", ["admin"]),
        ],
    )
    def test_roles(self, org, api, name, roles):
        assert api(getattr(org, name)).get("/api/v1/me/").json()["roles"] == roles

    def test_an_account_without_a_profile_has_no_budget(self, org, api):
        data = api(org.admin).get("/api/v1/me/").json()

        assert data["staff"] is None
        assert data["budget_today_minutes"] is None
        assert data["remaining_today_minutes"] is None


class TestDepartments:
    @pytest.mark.parametrize("name", NAMES)
    def test_everybody_reads_the_tree(self, org, api, name):
        response = api(getattr(org, name)).get("/api/v1/departments/")

        assert response.status_code == 200
        assert response.json()["count"] == 3

    def test_admins_add_departments(self, org, api):
        response = api(org.admin).post(
            "/api/v1/departments/",
            {"name": "Logistics", "code": "LOG", "kind": "non_marketing", "parent": None},
            format="json",
        )

        assert response.status_code == 201
        assert Department.objects.get(code="LOG").name == "Logistics"

    @pytest.mark.parametrize("name", [n for n in NAMES if n != "admin"])
    def test_nobody_else_writes(self, org, api, name):
        client = api(getattr(org, name))

        created = client.post("/api/v1/departments/", {"name": "X", "code": "X"}, format="json")
        changed = client.patch(
            f"/api/v1/departments/{org.engineering.pk}/", {"name": "R&D"}, format="json"
        )

        assert (created.status_code, changed.status_code) == (403, 403)
        org.engineering.refresh_from_db()
        assert org.engineering.name == "Engineering"

    def test_the_models_rules_apply(self, org, api):
        client = api(org.admin)
        client.patch(
            f"/api/v1/departments/{org.operations.pk}/",
            {"parent": org.engineering.pk},
            format="json",
        )

        cycle = client.patch(
            f"/api/v1/departments/{org.engineering.pk}/",
            {"parent": org.operations.pk},
            format="json",
        )
        duplicate = client.post(
            "/api/v1/departments/", {"name": "Again", "code": "ENG"}, format="json"
        )

        assert cycle.status_code == 400
        assert list(cycle.json()) == ["parent"]
        assert duplicate.status_code == 400
        assert list(duplicate.json()) == ["code"]

    def test_filter_by_kind(self, org, api):
        response = api(org.staff).get("/api/v1/departments/?kind=marketing")

        assert [item["code"] for item in response.json()["results"]] == ["MKT"]


class TestStaff:
    @pytest.mark.parametrize("name", NAMES)
    def test_the_list_is_what_the_profile_pages_allow(self, org, api, name):
        user = getattr(org, name)

        response = api(user).get("/api/v1/staff/")

        ids = {item["id"] for item in response.json()["results"]}
        for profile in StaffProfile.objects.all():
            assert (profile.pk in ids) == can_view_profile(user, profile), profile

    def test_supervisors_see_their_reports(self, org, api):
        response = api(org.supervisor).get("/api/v1/staff/")

        usernames = {item["username"] for item in response.json()["results"]}
        assert usernames == {"supervisor", "staff", "outsider"}

    def test_someone_elses_profile_is_404(self, org, api):
        response = api(org.staff).get(f"/api/v1/staff/{org.other_staff.profile.pk}/")

        assert response.status_code == 404

    def test_own_profile(self, org, api):
        response = api(org.staff).get(f"/api/v1/staff/{org.staff_profile.pk}/")

        assert response.status_code == 200
        assert response.json()["line_supervisor"] == "supervisor"
        assert response.json()["marketing_lead"] == "lead"

    def test_filter_by_department(self, org, api):
        response = api(org.admin).get(f"/api/v1/staff/?department={org.operations.pk}")

        assert {item["username"] for item in response.json()["results"]} == {
            "other_supervisor",
            "other_staff",
            "finance",
        }


class TestCategories:
    def test_active_categories_only(self, org, api, category):
        category.is_active = False
        category.save()

        codes = {
            item["code"] for item in api(org.staff).get("/api/v1/categories/").json()["results"]
        }

        assert "phone-marketing" not in codes


IMPORT = "/api/v1/import/organisation/"


def upload(text: str, name: str = "departments.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


class TestImport:
    def test_an_admin_imports_departments(self, org, api):
        file = upload("code,name,kind,parent_code\nLOG,Logistics,non_marketing,OPS\n")

        response = api(org.admin).post(IMPORT, {"file": file}, format="multipart")

        assert response.status_code == 200, response.json()
        assert response.json()["departments_created"] == 1
        assert Department.objects.get(code="LOG").parent == org.operations

    def test_a_file_with_a_problem_imports_nothing(self, org, api):
        file = upload(
            "code,name,kind,parent_code\nLOG,Logistics,non_marketing,\nBAD,Bad,sideways,\n"
        )

        response = api(org.admin).post(IMPORT, {"file": file}, format="multipart")

        assert response.status_code == 400
        body = response.json()
        assert set(body) == {"file", "rows"}
        assert body["rows"][0]["line"] == 3
        assert body["rows"][0]["column"] == "kind"
        assert len(body["file"]) == len(body["rows"])
        assert not Department.objects.filter(code__in=["LOG", "BAD"]).exists()

    def test_only_csv_and_xlsx(self, org, api):
        response = api(org.admin).post(
            IMPORT, {"file": upload("x", name="org.txt")}, format="multipart"
        )

        assert response.status_code == 400
        assert list(response.json()) == ["file"]

    def test_a_file_is_required(self, org, api):
        response = api(org.admin).post(IMPORT, {}, format="multipart")

        assert response.status_code == 400
        assert list(response.json()) == ["file"]

    @pytest.mark.parametrize("name", [n for n in NAMES if n != "admin"])
    def test_nobody_else_imports(self, org, api, name):
        file = upload("code,name,kind,parent_code\nLOG,Logistics,non_marketing,\n")

        response = api(getattr(org, name)).post(IMPORT, {"file": file}, format="multipart")

        assert response.status_code == 403
        assert not Department.objects.filter(code="LOG").exists()
