import csv
import datetime
import io
import zoneinfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from departments.importing import DEPARTMENT_COLUMNS, PEOPLE_COLUMNS, org_import
from departments.models import BudgetRule, Department, StaffProfile
from departments.selectors import budget_minutes_for
from tests.factories import BudgetRuleFactory

User = get_user_model()
TODAY = datetime.date(2025, 3, 10)
IMPORT_URL = "admin:departments_staffprofile_import"


@pytest.fixture(autouse=True)
def frozen_time():
    moment = datetime.datetime(2025, 3, 10, 10, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(moment, tick=False):
        yield


def csv_bytes(rows, *, bom=False) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return ("\ufeff" if bom else "").encode() + buffer.getvalue().encode()


def xlsx_bytes(sheets: dict[str, list[list]]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def run(data: bytes, filename: str, actor):
    return org_import(file=io.BytesIO(data), filename=filename, actor=actor)


def number(user) -> str:
    return user.profile.employee_number


def person(
    emp,
    username,
    department,
    *,
    line="",
    lead="",
    is_lead="no",
    budget="",
    active="",
    title="Engineer",
    email=None,
):
    return [
        emp,
        username,
        username.title(),
        "Tester",
        f"{username}@example.com" if email is None else email,
        department,
        title,
        line,
        lead,
        is_lead,
        budget,
        active,
    ]


def snapshot():
    return (
        Department.objects.count(),
        StaffProfile.objects.count(),
        User.objects.count(),
        BudgetRule.objects.count(),
        sorted(StaffProfile.objects.values_list("employee_number", "title", "department_id")),
        sorted(Department.objects.values_list("code", "name", "kind", "parent_id")),
    )


def reasons(result) -> dict[tuple[int | None, str], str]:
    return {(e.line, e.column): e.reason for e in result.errors}


class TestDepartmentsFile:
    def test_it_creates_and_updates_departments_with_parents_in_the_same_file(self, org):
        data = csv_bytes(
            [
                list(DEPARTMENT_COLUMNS),
                ["QA-AUTO", "Test automation", "non_marketing", "QA", ""],
                ["QA", "Quality", "non_marketing", "ENG", number(org.supervisor)],
                ["ENG", "Engineering and IT", "non_marketing", "", ""],
            ],
            bom=True,
        )

        result = run(data, "departments.csv", org.admin)

        assert result.ok, result.errors
        assert (result.departments_created, result.departments_updated) == (2, 1)
        qa = Department.objects.get(code="QA")
        assert qa.parent == org.engineering
        assert qa.head == org.supervisor
        assert Department.objects.get(code="QA-AUTO").parent == qa
        org.engineering.refresh_from_db()
        assert org.engineering.name == "Engineering and IT"
        assert org.engineering.head is None

    def test_it_reports_every_bad_department_row_and_writes_nothing(self, org):
        before = snapshot()
        data = csv_bytes(
            [
                list(DEPARTMENT_COLUMNS),
                ["NEW", "New", "sales", "", ""],
                ["NEW", "Again", "marketing", "", ""],
                ["A", "A", "non_marketing", "B", ""],
                ["B", "B", "non_marketing", "A", ""],
                ["C", "C", "non_marketing", "NOPE", "X-404"],
                ["ENG", "Engineering", "non_marketing", "ENG", ""],
                ["bad code!", "Bad", "marketing", "", ""],
            ]
        )

        result = run(data, "departments.csv", org.admin)

        assert not result.ok
        found = reasons(result)
        assert "sales" in found[(2, "kind")]
        assert "line 2" in found[(3, "code")]
        assert "below itself" in found[(4, "parent_code")]
        assert "below itself" in found[(5, "parent_code")]
        assert "NOPE" in found[(6, "parent_code")]
        assert "X-404" in found[(6, "head_employee_number")]
        assert "own parent" in found[(7, "parent_code")]
        assert (8, "code") in found
        assert snapshot() == before

    def test_it_refuses_to_turn_a_department_with_leads_non_marketing(self, org):
        data = csv_bytes([list(DEPARTMENT_COLUMNS), ["MKT", "Marketing", "non_marketing", "", ""]])

        result = run(data, "departments.csv", org.admin)

        assert "must stay a marketing department" in reasons(result)[(2, "kind")]
        org.marketing.refresh_from_db()
        assert org.marketing.is_marketing


class TestPeopleFile:
    def people_rows(self, org):
        return [
            list(PEOPLE_COLUMNS),
            person(
                "E100",
                "new.engineer",
                "ENG",
                line=number(org.supervisor),
                lead="M100",
                budget="90",
            ),
            person("M100", "new.lead", "MKT", is_lead="yes", title="Marketing manager"),
            person(
                number(org.staff),
                "staff",
                "ENG",
                line=number(org.supervisor),
                lead=number(org.lead),
                title="Senior engineer",
            ),
            person("E101", "new.junior", "ENG", line="E100", lead=number(org.lead), active="no"),
        ]

    def test_it_creates_people_who_refer_to_each_other_and_to_existing_people(self, org):
        result = run(csv_bytes(self.people_rows(org)), "people.csv", org.admin)

        assert result.ok, result.errors
        assert (result.people_created, result.people_updated) == (3, 1)
        assert result.budgets_changed == 1
        engineer = StaffProfile.objects.select_related("user").get(employee_number="E100")
        lead = User.objects.get(username="new.lead")
        assert engineer.department == org.engineering
        assert engineer.line_supervisor == org.supervisor
        assert engineer.marketing_lead == lead
        assert lead.profile.is_marketing_lead
        assert not engineer.user.has_usable_password()
        assert engineer.user.email == "new.engineer@example.com"
        junior = StaffProfile.objects.get(employee_number="E101")
        assert junior.line_supervisor == engineer.user
        assert not junior.is_active
        org.staff_profile.refresh_from_db()
        assert org.staff_profile.title == "Senior engineer"
        rule = BudgetRule.objects.get(staff=engineer)
        assert (rule.daily_minutes, rule.effective_from, rule.created_by) == (90, TODAY, org.admin)
        assert budget_minutes_for(staff=engineer, day=TODAY) == 90

    def test_a_second_import_of_the_same_file_changes_nothing(self, org):
        data = csv_bytes(self.people_rows(org))
        run(data, "people.csv", org.admin)
        before = snapshot()

        result = run(data, "people.csv", org.admin)

        assert result.ok, result.errors
        assert (result.people_created, result.people_updated, result.people_unchanged) == (0, 0, 4)
        assert result.budgets_changed == 0
        assert snapshot() == before

    def test_a_re_import_updates_what_changed(self, org):
        rows = self.people_rows(org)
        run(csv_bytes(rows), "people.csv", org.admin)
        rows[1] = person("E100", "new.engineer", "OPS", line=number(org.other_supervisor))

        result = run(csv_bytes(rows), "people.csv", org.admin)

        assert result.ok, result.errors
        assert (result.people_created, result.people_updated) == (0, 1)
        engineer = StaffProfile.objects.get(employee_number="E100")
        assert engineer.department == org.operations
        assert engineer.line_supervisor == org.other_supervisor
        assert engineer.marketing_lead is None

    def test_a_budget_equal_to_the_current_one_adds_no_rule(self, org):
        data = csv_bytes(
            [
                list(PEOPLE_COLUMNS),
                person(
                    number(org.staff), "staff", "ENG", line=number(org.supervisor), budget="120"
                ),
            ]
        )

        result = run(data, "people.csv", org.admin)

        assert result.ok, result.errors
        assert result.budgets_changed == 0
        assert not BudgetRule.objects.exists()

    def test_it_will_not_change_a_budget_twice_on_one_day(self, org):
        BudgetRuleFactory(staff=org.staff_profile, daily_minutes=60, effective_from=TODAY)
        data = csv_bytes(
            [list(PEOPLE_COLUMNS), person(number(org.staff), "staff", "ENG", budget="90")]
        )

        result = run(data, "people.csv", org.admin)

        assert "tomorrow" in reasons(result)[(2, "daily_budget_minutes")]

    def test_it_reports_every_bad_row_with_its_line_and_writes_nothing(self, org):
        before = snapshot()
        data = csv_bytes(
            [
                list(PEOPLE_COLUMNS),
                person("E1", "one", "NOPE"),
                person("E2", "two", "ENG", line="X-404"),
                person("E3", "three", "ENG", line="E3"),
                person("E4", "four", "ENG", lead=number(org.supervisor)),
                person("E1", "one.again", "ENG"),
                person("E6", "two", "ENG"),
                person("E7", "seven", "ENG", is_lead="maybe"),
                person("E8", "eight", "ENG", budget="481"),
                person("E9", "nine", "ENG", budget="1.5"),
                person("E10", "ten", "ENG", is_lead="yes"),
                person("E11", "staff", "ENG"),
                person("E12", "twelve", "ENG", email="not-an-email"),
            ]
        )

        result = run(data, "people.csv", org.admin)

        found = reasons(result)
        assert "NOPE" in found[(2, "department_code")]
        assert "X-404" in found[(3, "line_supervisor_employee_number")]
        assert "own supervisor" in found[(4, "line_supervisor_employee_number")]
        assert "not a marketing lead" in found[(5, "marketing_lead_employee_number")]
        assert "line 2" in found[(6, "employee_number")]
        assert "line 3" in found[(7, "username")]
        assert "maybe" in found[(8, "is_marketing_lead")]
        assert "between 0 and 480" in found[(9, "daily_budget_minutes")]
        assert "whole number" in found[(10, "daily_budget_minutes")]
        assert "marketing department" in found[(11, "is_marketing_lead")]
        assert number(org.staff) in found[(12, "username")]
        assert (13, "email") in found
        assert all(e.sheet == "" for e in result.errors)
        assert snapshot() == before

    def test_it_counts_lines_as_the_user_sees_them(self, org):
        rows = [
            list(PEOPLE_COLUMNS),
            person("E1", "one", "ENG", title="Line one\nand two"),
            [],
            person("E2", "two", "NOPE"),
        ]

        result = run(csv_bytes(rows, bom=True), "people.csv", org.admin)

        assert [(e.line, e.column) for e in result.errors] == [(5, "department_code")]

    def test_it_refuses_to_take_the_lead_role_from_someone_with_reports(self, org):
        data = csv_bytes(
            [list(PEOPLE_COLUMNS), person(number(org.lead), "lead", "MKT", is_lead="no")]
        )

        result = run(data, "people.csv", org.admin)

        assert "3 people not in this file" in reasons(result)[(2, "is_marketing_lead")]
        assert User.objects.get(username="lead").profile.is_marketing_lead

    def test_it_refuses_unknown_and_missing_columns(self, org):
        header = [c for c in PEOPLE_COLUMNS if c != "title"] + ["salary"]
        result = run(csv_bytes([header, ["E1"]]), "people.csv", org.admin)

        assert reasons(result) == {
            (1, "salary"): "Unknown column.",
            (1, "title"): "Required column is missing.",
        }

    def test_it_refuses_files_with_too_many_rows(self, org, settings):
        settings.ALLHANDS_IMPORT_MAX_ROWS = 2
        rows = [list(PEOPLE_COLUMNS), *(person(f"E{i}", f"u{i}", "ENG") for i in range(3))]

        result = run(csv_bytes(rows), "people.csv", org.admin)

        assert len(result.errors) == 1
        assert "more than 2 rows" in result.errors[0].reason
        assert not StaffProfile.objects.filter(employee_number="E0").exists()

    def test_it_refuses_other_file_types_and_broken_files(self, org):
        assert "Only CSV" in run(b"x", "people.txt", org.admin).errors[0].reason
        assert "cannot be read" in run(b"not a zip", "people.xlsx", org.admin).errors[0].reason
        assert "UTF-8" in run("é".encode("latin-1"), "people.csv", org.admin).errors[0].reason


class TestWorkbook:
    def test_it_imports_a_workbook_with_departments_and_people_sheets(self, org):
        data = xlsx_bytes(
            {
                "people": [
                    list(PEOPLE_COLUMNS),
                    [2001, "sales.lead", "Li", "Na", "", "SALES", "Head of sales",
                     None, None, True, None, None],
                    [2002, "sales.helper", "Wang", "Wei", "", "ENG", "Engineer",
                     number(org.supervisor), 2001, False, 60, "yes"],
                ],
                "departments": [
                    list(DEPARTMENT_COLUMNS),
                    ["SALES", "Sales", "marketing", "MKT", 2001],
                ],
            }
        )  # fmt: skip

        result = run(data, "org.xlsx", org.admin)

        assert result.ok, result.errors
        assert (result.departments_created, result.people_created) == (1, 2)
        sales = Department.objects.get(code="SALES")
        lead = User.objects.get(username="sales.lead")
        assert sales.parent == org.marketing
        assert sales.head == lead
        helper = StaffProfile.objects.get(employee_number="2002")
        assert helper.marketing_lead == lead
        assert budget_minutes_for(staff=helper, day=TODAY) == 60

    def test_it_detects_the_kind_of_a_single_sheet_and_names_it_in_errors(self, org):
        data = xlsx_bytes(
            {
                "Sheet 1": [
                    list(PEOPLE_COLUMNS),
                    person("E1", "one", "ENG"),
                    [],
                    person("E2", "two", "NOPE"),
                ]
            }
        )

        result = run(data, "people.xlsx", org.admin)

        assert [(e.line, e.sheet, e.column) for e in result.errors] == [
            (4, "Sheet 1", "department_code")
        ]

    def test_a_lead_can_move_while_their_old_department_stops_being_marketing(self, org):
        data = xlsx_bytes(
            {
                "departments": [
                    list(DEPARTMENT_COLUMNS),
                    ["MKT", "Former marketing", "non_marketing", "", ""],
                    ["GROWTH", "Growth", "marketing", "", ""],
                ],
                "people": [
                    list(PEOPLE_COLUMNS),
                    person(number(org.lead), "lead", "GROWTH", is_lead="yes"),
                ],
            }
        )

        result = run(data, "org.xlsx", org.admin)

        assert result.ok, result.errors
        org.marketing.refresh_from_db()
        assert not org.marketing.is_marketing
        assert User.objects.get(username="lead").profile.department.code == "GROWTH"
        org.staff_profile.refresh_from_db()
        assert org.staff_profile.marketing_lead == org.lead


class TestAdminImportView:
    def upload(self, rows, name="people.csv"):
        return SimpleUploadedFile(name, csv_bytes(rows), content_type="text/csv")

    def test_the_changelists_link_to_the_import(self, org, login):
        client = login(org.admin)
        url = reverse(IMPORT_URL)
        for changelist in ("staffprofile", "department"):
            response = client.get(reverse(f"admin:departments_{changelist}_changelist"))
            assert url in response.content.decode()

    def test_an_admin_can_open_the_import_page(self, org, login):
        response = login(org.admin).get(reverse(IMPORT_URL))

        assert response.status_code == 200
        page = response.content.decode()
        assert 'accept=".csv,.xlsx"' in page
        assert "line_supervisor_employee_number" in page

    def test_an_admin_imports_a_file(self, org, login):
        rows = [list(PEOPLE_COLUMNS), person("E100", "new.one", "ENG", line=number(org.supervisor))]

        response = login(org.admin).post(
            reverse(IMPORT_URL), {"file": self.upload(rows)}, follow=True
        )

        assert response.redirect_chain[-1][0] == reverse(
            "admin:departments_staffprofile_changelist"
        )
        assert "People: 1 created, 0 updated, 0 unchanged." in response.content.decode()
        assert StaffProfile.objects.filter(employee_number="E100").exists()

    def test_an_admin_sees_every_problem_in_a_table(self, org, login):
        rows = [
            list(PEOPLE_COLUMNS),
            person("E100", "new.one", "NOPE"),
            person("E101", "new.two", "ENG", budget="lots"),
        ]

        response = login(org.admin).post(reverse(IMPORT_URL), {"file": self.upload(rows)})

        assert response.status_code == 200
        errors = response.context["errors"]
        assert [(e.line, e.column) for e in errors] == [
            (2, "department_code"),
            (3, "daily_budget_minutes"),
        ]
        assert 'id="import-errors"' in response.content.decode()
        assert not StaffProfile.objects.filter(employee_number__in=["E100", "E101"]).exists()

    def test_the_form_refuses_other_file_types(self, org, login):
        upload = SimpleUploadedFile("people.txt", b"hello")

        response = login(org.admin).post(reverse(IMPORT_URL), {"file": upload})

        assert response.status_code == 200
        assert response.context["form"].errors["file"]

    def test_the_templates_can_be_downloaded(self, org, login):
        client = login(org.admin)
        for kind, columns in (("departments", DEPARTMENT_COLUMNS), ("people", PEOPLE_COLUMNS)):
            response = client.get(reverse(f"{IMPORT_URL}_{kind}_template"))
            assert response.status_code == 200
            assert response["Content-Type"].startswith("text/csv")
            text = response.content.decode("utf-8-sig")
            assert text.splitlines()[0] == ",".join(columns)

    def test_the_downloaded_templates_import_cleanly(self, db, login, org):
        client = login(org.admin)
        for kind in ("departments", "people"):
            content = client.get(reverse(f"{IMPORT_URL}_{kind}_template")).content
            result = run(content, f"{kind}.csv", org.admin)
            assert result.ok, result.errors

    @pytest.mark.parametrize("who", ["staff", "supervisor", "lead"])
    def test_people_without_admin_access_are_sent_to_the_admin_login(self, org, login, who):
        client = login(getattr(org, who))
        for url in (reverse(IMPORT_URL), reverse(f"{IMPORT_URL}_people_template")):
            response = client.get(url)
            assert response.status_code == 302
            assert response.url.startswith(reverse("admin:login"))

    def test_a_staff_member_with_permissions_but_without_the_admin_role_is_refused(
        self, org, login
    ):
        org.supervisor.is_staff = True
        org.supervisor.save()
        org.supervisor.user_permissions.add(
            *Permission.objects.filter(
                codename__in=["change_staffprofile", "change_department", "view_staffprofile"]
            )
        )
        client = login(org.supervisor)

        assert client.get(reverse(IMPORT_URL)).status_code == 403
        assert client.post(reverse(IMPORT_URL), {}).status_code == 403
        assert client.get(reverse(f"{IMPORT_URL}_people_template")).status_code == 403
        changelist = client.get(reverse("admin:departments_staffprofile_changelist"))
        assert reverse(IMPORT_URL) not in changelist.content.decode()

    def test_an_admin_without_change_permission_is_refused(self, org, login):
        org.finance.is_staff = True
        org.finance.save()
        org.finance.groups.add(org.admin.groups.get(name="admin"))
        org.finance.user_permissions.add(Permission.objects.get(codename="view_staffprofile"))

        response = login(org.finance).get(reverse(IMPORT_URL))

        assert response.status_code == 403
