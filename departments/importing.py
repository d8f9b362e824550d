"""Import departments and people from CSV or XLSX (the admin's "Import organisation").

The whole file is checked before anything is written, and every problem is reported
with the line the user sees in the file (the header is line 1). Only a file without a
single problem is applied, in one transaction, so an import never leaves half an
organisation behind.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

import audit.services
from departments.models import (
    MAX_DAILY_BUDGET_MINUTES,
    BudgetRule,
    Department,
    StaffProfile,
)
from departments.selectors import budget_minutes_for_people
from departments.services import budget_rule_create

MAX_IMPORT_BYTES = 5 * 1024 * 1024
ALLOWED_EXTENSIONS = (".csv", ".xlsx")

DEPARTMENTS = "departments"
PEOPLE = "people"

DEPARTMENT_COLUMNS = ("code", "name", "kind", "parent_code", "head_employee_number")
DEPARTMENT_REQUIRED = ("code", "name", "kind", "parent_code")
PEOPLE_COLUMNS = (
    "employee_number",
    "username",
    "first_name",
    "last_name",
    "email",
    "department_code",
    "title",
    "line_supervisor_employee_number",
    "marketing_lead_employee_number",
    "is_marketing_lead",
    "daily_budget_minutes",
    "active",
)
PEOPLE_REQUIRED = PEOPLE_COLUMNS[:10]
COLUMNS = {DEPARTMENTS: DEPARTMENT_COLUMNS, PEOPLE: PEOPLE_COLUMNS}
REQUIRED = {DEPARTMENTS: DEPARTMENT_REQUIRED, PEOPLE: PEOPLE_REQUIRED}

TRUE_VALUES = frozenset({"yes", "true", "1"})
FALSE_VALUES = frozenset({"no", "false", "0"})

_CHUNK = 500


@dataclass(frozen=True)
class ImportIssue:
    """One problem, located the way the user sees the file."""

    line: int | None
    sheet: str
    column: str
    reason: str


@dataclass
class ImportResult:
    departments_created: int = 0
    departments_updated: int = 0
    departments_unchanged: int = 0
    people_created: int = 0
    people_updated: int = 0
    people_unchanged: int = 0
    budgets_changed: int = 0
    errors: list[ImportIssue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def created(self) -> int:
        return self.departments_created + self.people_created

    @property
    def updated(self) -> int:
        return self.departments_updated + self.people_updated


@dataclass
class _Row:
    line: int
    sheet: str
    values: dict[str, str]


@dataclass
class _Table:
    kind: str
    sheet: str
    rows: list[_Row]


@dataclass
class _DepartmentPlan:
    row: _Row
    code: str
    name: str
    kind: str
    parent_code: str | None  # None: top of the tree
    head_number: str | None  # None: column absent, keep; "": no head


@dataclass
class _PersonPlan:
    row: _Row
    number: str
    username: str
    first_name: str
    last_name: str
    email: str
    department_code: str
    title: str
    line_number: str
    lead_number: str
    is_lead: bool
    budget: int | None
    active: bool | None  # None: column absent or empty, keep (new people are active)
    user: Any = None  # an existing account without a profile that this row takes over


@dataclass
class _Plan:
    departments: dict[str, _DepartmentPlan]
    people: dict[str, _PersonPlan]
    db_departments: dict[str, Department]
    db_profiles: dict[str, StaffProfile]


class _TooManyRowsError(Exception):
    pass


class _Errors:
    def __init__(self) -> None:
        self.items: list[ImportIssue] = []

    def add(self, row: _Row | None, column: str, reason: str, *, line=None, sheet="") -> None:
        if row is not None:
            line, sheet = row.line, row.sheet
        self.items.append(ImportIssue(line=line, sheet=sheet, column=column, reason=reason))

    def __bool__(self) -> bool:
        return bool(self.items)

    def in_file_order(self) -> list[ImportIssue]:
        """Sheet by sheet, line by line: the order in which the user will fix them."""
        sheets: dict[str, int] = {}
        for issue in self.items:
            sheets.setdefault(issue.sheet, len(sheets))
        return sorted(self.items, key=lambda issue: (sheets[issue.sheet], issue.line or 0))


def org_import(*, file, filename: str, actor) -> ImportResult:
    """Import a departments file, a people file, or an XLSX workbook with both.

    Returns the counts; when ``errors`` is not empty nothing was written.
    """
    errors = _Errors()
    tables = _read_tables(data=file.read(), filename=filename, errors=errors)
    if errors:
        return ImportResult(errors=errors.in_file_order())
    result = ImportResult()
    try:
        with transaction.atomic():
            plan = _validate(tables=tables, errors=errors)
            if errors:
                return ImportResult(errors=errors.in_file_order())
            _apply(plan=plan, actor=actor, result=result)
            audit.services.record(
                action="org_imported",
                actor=actor,
                extra={
                    "file": filename[:200],
                    "departments_created": result.departments_created,
                    "departments_updated": result.departments_updated,
                    "people_created": result.people_created,
                    "people_updated": result.people_updated,
                    "budgets_changed": result.budgets_changed,
                },
            )
    except (IntegrityError, ValidationError) as error:
        # Another change raced this import past its checks; the transaction is rolled back.
        reason = _(
            "Nothing was imported: the database refused a change (%(error)s). "
            "The organisation may have changed meanwhile; please try again."
        ) % {"error": "; ".join(getattr(error, "messages", [str(error)]))}
        return ImportResult(errors=[ImportIssue(line=None, sheet="", column="", reason=reason)])
    return result


# Reading ---------------------------------------------------------------------------------


def _read_tables(*, data: bytes, filename: str, errors: _Errors) -> list[_Table]:
    name = filename.lower()
    counter = Counter()
    try:
        if name.endswith(".csv"):
            return _read_csv(data=data, errors=errors, counter=counter)
        if name.endswith(".xlsx"):
            return _read_xlsx(data=data, errors=errors, counter=counter)
    except _TooManyRowsError:
        errors.add(
            None,
            "",
            _("The file has more than %(max)s rows; split it into smaller files.")
            % {"max": settings.ALLHANDS_IMPORT_MAX_ROWS},
        )
        return []
    errors.add(None, "", _("Only CSV (.csv) and Excel (.xlsx) files can be imported."))
    return []


def _read_csv(*, data: bytes, errors: _Errors, counter: Counter) -> list[_Table]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        errors.add(None, "", _("The CSV file is not UTF-8 text; save it as “CSV UTF-8”."))
        return []

    def rows() -> Iterator[tuple[int, list[str]]]:
        reader = csv.reader(io.StringIO(text, newline=""))
        previous = 0
        for record in reader:
            # A quoted value may span lines: a record starts on the line after the last one.
            yield previous + 1, [cell.strip() for cell in record]
            previous = reader.line_num

    try:
        table = _table(sheet="", kind=None, rows=rows(), errors=errors, counter=counter)
    except csv.Error as error:
        errors.add(None, "", _("The CSV file cannot be read: %(error)s") % {"error": error})
        return []
    return [table] if table else []


def _read_xlsx(*, data: bytes, errors: _Errors, counter: Counter) -> list[_Table]:
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError):
        errors.add(None, "", _("The Excel file cannot be read; save it as .xlsx and try again."))
        return []
    try:
        by_name = {sheet.title.strip().lower(): sheet for sheet in workbook.worksheets}
        chosen = [(kind, by_name[kind]) for kind in (DEPARTMENTS, PEOPLE) if kind in by_name]
        if not chosen and workbook.worksheets:
            chosen = [(None, workbook.worksheets[0])]
        tables = []
        for kind, sheet in chosen:
            rows = (
                (line, [_cell_text(value) for value in values])
                for line, values in enumerate(sheet.iter_rows(values_only=True), start=1)
            )
            table = _table(sheet=sheet.title, kind=kind, rows=rows, errors=errors, counter=counter)
            if table:
                tables.append(table)
        if not chosen:
            errors.add(None, "", _("The file is empty."))
        return tables
    finally:
        workbook.close()


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        # Excel stores every number as a float: 1001 arrives as 1001.0.
        return str(int(value))
    return str(value).strip()


def _header_name(cell: str) -> str:
    return cell.strip().lower().replace(" ", "_").replace("-", "_")


def _table(
    *,
    sheet: str,
    kind: str | None,
    rows: Iterator[tuple[int, list[str]]],
    errors: _Errors,
    counter: Counter,
) -> _Table | None:
    first = next(rows, None)
    if first is None or not any(first[1]):
        errors.add(
            None,
            "",
            _("The header row is missing: line 1 must name the columns."),
            line=1,
            sheet=sheet,
        )
        return None
    header = [_header_name(cell) for cell in first[1]]
    present = [name for name in header if name]
    if kind is None:
        if "employee_number" in present:
            kind = PEOPLE
        elif "code" in present:
            kind = DEPARTMENTS
        else:
            errors.add(
                None,
                "",
                _(
                    "Cannot tell whether this file lists departments or people: the header "
                    "needs a “code” column (departments) or an “employee_number” column (people)."
                ),
                line=1,
                sheet=sheet,
            )
            return None
    header_ok = True
    for name, count in Counter(present).items():
        if name not in COLUMNS[kind]:
            header_ok = False
            errors.add(None, name, _("Unknown column."), line=1, sheet=sheet)
        elif count > 1:
            header_ok = False
            errors.add(None, name, _("This column appears more than once."), line=1, sheet=sheet)
    for name in REQUIRED[kind]:
        if name not in present:
            header_ok = False
            errors.add(None, name, _("Required column is missing."), line=1, sheet=sheet)
    if not header_ok:
        return None

    table = _Table(kind=kind, sheet=sheet, rows=[])
    for line, cells in rows:
        if not any(cells):
            continue
        counter["rows"] += 1
        if counter["rows"] > settings.ALLHANDS_IMPORT_MAX_ROWS:
            raise _TooManyRowsError
        row = _Row(line=line, sheet=sheet, values={})
        for index, name in enumerate(header):
            if name:
                row.values[name] = cells[index] if index < len(cells) else ""
        if any(cells[len(header) :]) or any(
            cells[index] for index, name in enumerate(header) if not name and index < len(cells)
        ):
            errors.add(row, "", _("This row has values in columns without a header."))
        table.rows.append(row)
    return table


# Checking --------------------------------------------------------------------------------


def _field_error(model: type[models.Model], name: str, value: str) -> str | None:
    try:
        model._meta.get_field(name).clean(value, None)
    except ValidationError as error:
        return " ".join(error.messages)
    return None


def _parse_bool(value: str) -> bool | None:
    """True / False, or None for an empty cell; raises ValueError for anything else."""
    text = value.strip().lower()
    if not text:
        return None
    if text in TRUE_VALUES:
        return True
    if text in FALSE_VALUES:
        return False
    raise ValueError(value)


def _chunks(items: list, size: int = _CHUNK) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _validate(*, tables: list[_Table], errors: _Errors) -> _Plan:
    db_departments = {d.code: d for d in Department.objects.all()}
    db_profiles = {
        p.employee_number: p
        for p in StaffProfile.objects.select_related("user", "department").order_by()
    }
    departments: dict[str, _DepartmentPlan] = {}
    people: dict[str, _PersonPlan] = {}
    for table in tables:
        if table.kind == DEPARTMENTS:
            _read_departments(table=table, errors=errors, plans=departments)
        else:
            _read_people(table=table, errors=errors, plans=people)
    plan = _Plan(
        departments=departments,
        people=people,
        db_departments=db_departments,
        db_profiles=db_profiles,
    )
    _check_departments(plan=plan, errors=errors)
    _check_people(plan=plan, errors=errors)
    _check_leads_outside_file(plan=plan, errors=errors)
    return plan


def _read_departments(*, table: _Table, errors: _Errors, plans: dict[str, _DepartmentPlan]):
    for row in table.rows:
        values = row.values
        code = values["code"]
        problem = _field_error(Department, "code", code)
        if problem:
            errors.add(row, "code", problem)
            continue
        if code in plans:
            errors.add(
                row,
                "code",
                _("The code %(code)s already appears on line %(line)s.")
                % {"code": code, "line": plans[code].row.line},
            )
            continue
        name = values["name"]
        problem = _field_error(Department, "name", name)
        if problem:
            errors.add(row, "name", problem)
        kind = values["kind"].strip().lower().replace("-", "_").replace(" ", "_")
        if kind not in Department.Kind.values:
            errors.add(
                row,
                "kind",
                _("The kind must be “marketing” or “non_marketing”, not “%(value)s”.")
                % {"value": values["kind"]},
            )
        plans[code] = _DepartmentPlan(
            row=row,
            code=code,
            name=name,
            kind=kind,
            parent_code=values["parent_code"] or None,
            head_number=values.get("head_employee_number"),
        )


def _read_people(*, table: _Table, errors: _Errors, plans: dict[str, _PersonPlan]):
    User = get_user_model()  # noqa: N806 - the model class
    usernames: dict[str, int] = {}
    for row in table.rows:
        values = row.values
        number = values["employee_number"]
        problem = _field_error(StaffProfile, "employee_number", number)
        if problem:
            errors.add(row, "employee_number", problem)
            continue
        if number in plans:
            errors.add(
                row,
                "employee_number",
                _("The employee number %(number)s already appears on line %(line)s.")
                % {"number": number, "line": plans[number].row.line},
            )
            continue
        for column, model, name in (
            ("username", User, "username"),
            ("first_name", User, "first_name"),
            ("last_name", User, "last_name"),
            ("email", User, "email"),
            ("title", StaffProfile, "title"),
        ):
            problem = _field_error(model, name, values[column])
            if problem:
                errors.add(row, column, problem)
        username = values["username"]
        if username in usernames:
            errors.add(
                row,
                "username",
                _("The username %(username)s already appears on line %(line)s.")
                % {"username": username, "line": usernames[username]},
            )
        elif username:
            usernames[username] = row.line
        if not values["department_code"]:
            errors.add(row, "department_code", _("Every person needs a department."))
        is_lead = _bool_cell(row=row, column="is_marketing_lead", errors=errors)
        active = _bool_cell(row=row, column="active", errors=errors)
        plans[number] = _PersonPlan(
            row=row,
            number=number,
            username=username,
            first_name=values["first_name"],
            last_name=values["last_name"],
            email=values["email"],
            department_code=values["department_code"],
            title=values["title"],
            line_number=values["line_supervisor_employee_number"],
            lead_number=values["marketing_lead_employee_number"],
            is_lead=bool(is_lead),
            budget=_budget_cell(row=row, errors=errors),
            active=active,
        )


def _bool_cell(*, row: _Row, column: str, errors: _Errors) -> bool | None:
    value = row.values.get(column, "")
    try:
        return _parse_bool(value)
    except ValueError:
        errors.add(
            row,
            column,
            _("Write yes or no (also accepted: true/false, 1/0), not “%(value)s”.")
            % {"value": value},
        )
        return None


def _budget_cell(*, row: _Row, errors: _Errors) -> int | None:
    value = row.values.get("daily_budget_minutes", "").strip()
    if not value:
        return None
    try:
        minutes = int(value)
    except ValueError:
        errors.add(
            row,
            "daily_budget_minutes",
            _("The daily budget must be a whole number of minutes, not “%(value)s”.")
            % {"value": value},
        )
        return None
    if not 0 <= minutes <= MAX_DAILY_BUDGET_MINUTES:
        errors.add(
            row,
            "daily_budget_minutes",
            _("The daily budget must be between 0 and %(max)s minutes.")
            % {"max": MAX_DAILY_BUDGET_MINUTES},
        )
        return None
    return minutes


def _final_kind(plan: _Plan, code: str) -> str | None:
    if code in plan.departments:
        return plan.departments[code].kind
    department = plan.db_departments.get(code)
    return department.kind if department else None


def _known_person(plan: _Plan, number: str) -> bool:
    return number in plan.people or number in plan.db_profiles


def _is_final_lead(plan: _Plan, number: str) -> bool:
    """Will this person hold the lead role in a marketing department once imported?"""
    if number in plan.people:
        person = plan.people[number]
        return person.is_lead and _final_kind(plan, person.department_code) == "marketing"
    profile = plan.db_profiles.get(number)
    if profile is None:
        return False
    return profile.is_marketing_lead and _final_kind(plan, profile.department.code) == "marketing"


def _check_departments(*, plan: _Plan, errors: _Errors) -> None:
    id_to_code = {d.pk: code for code, d in plan.db_departments.items()}
    parents: dict[str, str | None] = {
        code: id_to_code.get(d.parent_id) for code, d in plan.db_departments.items()
    }
    for code, department in plan.departments.items():
        row = department.row
        parent = department.parent_code
        if parent is not None:
            if parent == code:
                errors.add(row, "parent_code", _("A department cannot be its own parent."))
            elif parent not in plan.departments and parent not in plan.db_departments:
                errors.add(
                    row,
                    "parent_code",
                    _("Unknown department code %(code)s.") % {"code": parent},
                )
        parents[code] = parent
        head = department.head_number
        if head and not _known_person(plan, head):
            errors.add(
                row,
                "head_employee_number",
                _("Unknown employee number %(number)s.") % {"number": head},
            )
    for code, department in plan.departments.items():
        if department.parent_code in (None, code):
            continue
        seen = {code}
        current = parents.get(department.parent_code)
        while current is not None and current not in seen:
            seen.add(current)
            current = parents.get(current)
        if current == code:
            errors.add(
                department.row,
                "parent_code",
                _("This parent would put the department below itself in the tree."),
            )


def _check_people(*, plan: _Plan, errors: _Errors) -> None:
    User = get_user_model()  # noqa: N806 - the model class
    holders = {p.user.username: p for p in plan.db_profiles.values()}
    wanted = [p.username for p in plan.people.values() if p.username not in holders]
    free_users = {}
    for chunk in _chunks(wanted):
        free_users.update({u.username: u for u in User.objects.filter(username__in=chunk)})
    today_rules = dict(
        BudgetRule.objects.filter(staff__isnull=False, effective_from=timezone.localdate())
        .values_list("staff__employee_number", "daily_minutes")
        .order_by()
    )
    for number, person in plan.people.items():
        row = person.row
        code = person.department_code
        if code and _final_kind(plan, code) is None:
            errors.add(
                row, "department_code", _("Unknown department code %(code)s.") % {"code": code}
            )
        elif code and person.is_lead and _final_kind(plan, code) != "marketing":
            errors.add(
                row,
                "is_marketing_lead",
                _("Only members of a marketing department can hold the marketing lead role."),
            )
        for column, other in (
            ("line_supervisor_employee_number", person.line_number),
            ("marketing_lead_employee_number", person.lead_number),
        ):
            if not other:
                continue
            if other == number:
                errors.add(row, column, _("Nobody can be their own supervisor or lead."))
            elif not _known_person(plan, other):
                errors.add(
                    row, column, _("Unknown employee number %(number)s.") % {"number": other}
                )
            elif column == "marketing_lead_employee_number" and not _is_final_lead(plan, other):
                errors.add(
                    row,
                    column,
                    _(
                        "%(number)s is not a marketing lead: the marketing lead must be a "
                        "member of a marketing department with the marketing lead role."
                    )
                    % {"number": other},
                )
        existing = plan.db_profiles.get(number)
        holder = holders.get(person.username)
        if holder is not None and (existing is None or holder.pk != existing.pk):
            errors.add(
                row,
                "username",
                _("The username %(username)s belongs to employee %(number)s.")
                % {"username": person.username, "number": holder.employee_number},
            )
        elif person.username in free_users:
            if existing is None:
                person.user = free_users[person.username]
            else:
                errors.add(
                    row,
                    "username",
                    _("The username %(username)s belongs to another account.")
                    % {"username": person.username},
                )
        if (
            person.budget is not None
            and number in today_rules
            and today_rules[number] != person.budget
        ):
            errors.add(
                row,
                "daily_budget_minutes",
                _(
                    "This person's budget already changed today (to %(minutes)s minutes); "
                    "a budget never rewrites the past, so change it again tomorrow."
                )
                % {"minutes": today_rules[number]},
            )


def _check_leads_outside_file(*, plan: _Plan, errors: _Errors) -> None:
    """People the file does not mention must keep a valid marketing lead (a database
    trigger insists), so the file may not take the lead role away from their lead."""
    by_user = {p.user_id: p for p in plan.db_profiles.values()}
    reports: Counter = Counter()
    flagged: set[str] = set()
    for profile in plan.db_profiles.values():
        if profile.employee_number in plan.people:
            continue
        if profile.marketing_lead_id:
            reports[profile.marketing_lead_id] += 1
        code = profile.department.code
        if (
            profile.is_marketing_lead
            and code in plan.departments
            and code not in flagged
            and plan.departments[code].kind != "marketing"
        ):
            flagged.add(code)
            errors.add(
                plan.departments[code].row,
                "kind",
                _(
                    "Members of this department hold the marketing lead role; it must stay "
                    "a marketing department."
                ),
            )
    for user_id, count in reports.items():
        lead = by_user.get(user_id)
        if lead is None or lead.employee_number not in plan.people:
            continue
        if not _is_final_lead(plan, lead.employee_number):
            errors.add(
                plan.people[lead.employee_number].row,
                "is_marketing_lead",
                _(
                    "%(count)s people not in this file have this person as their marketing "
                    "lead; keep the lead role in a marketing department or give them "
                    "another lead first."
                )
                % {"count": count},
            )


# Writing ---------------------------------------------------------------------------------


def _apply(*, plan: _Plan, actor, result: ImportResult) -> None:
    """Write in an order in which the marketing-lead trigger holds after every statement:
    leads that change are cleared first, departments turn marketing before people move in
    and turn non-marketing only after they left, and leads are set last."""
    departments = dict(plan.db_departments)
    profiles = dict(plan.db_profiles)
    by_user = {p.user_id: p for p in profiles.values()}
    changed_departments: set[str] = set()
    changed_people: set[str] = set()

    def number_of(user_id: int | None) -> str:
        return by_user[user_id].employee_number if user_id in by_user else ""

    # 1. Clear the marketing leads that will change.
    clearing = []
    for number, person in plan.people.items():
        profile = profiles.get(number)
        if (
            profile
            and profile.marketing_lead_id
            and number_of(profile.marketing_lead_id) != (person.lead_number)
        ):
            clearing.append(profile.pk)
            profile.marketing_lead_id = None
            changed_people.add(number)
    for chunk in _chunks(clearing):
        StaffProfile.objects.filter(pk__in=chunk).update(marketing_lead=None)

    # 2. Departments: create, rename and turn marketing; parents once all exist.
    turning_non_marketing = []
    for code, wanted in plan.departments.items():
        department = departments.get(code)
        if department is None:
            department = Department(code=code, name=wanted.name, kind=wanted.kind)
            department.save()
            departments[code] = department
            result.departments_created += 1
            continue
        fields = []
        if department.name != wanted.name:
            department.name = wanted.name
            fields.append("name")
        if department.kind != wanted.kind:
            if wanted.kind == Department.Kind.MARKETING:
                department.kind = wanted.kind
                fields.append("kind")
            else:
                turning_non_marketing.append(department)
                changed_departments.add(code)
        if fields:
            department.save(update_fields=fields)
            changed_departments.add(code)
    for code, wanted in plan.departments.items():
        department = departments[code]
        parent = departments[wanted.parent_code] if wanted.parent_code else None
        if department.parent_id != (parent.pk if parent else None):
            department.parent = parent
            department.save(update_fields=["parent"])
            changed_departments.add(code)

    # 3. People, without their supervisors and leads.
    User = get_user_model()  # noqa: N806 - the model class
    created_people: set[str] = set()
    for number, person in plan.people.items():
        profile = profiles.get(number)
        user = profile.user if profile else person.user
        if user is None:
            user = User(username=person.username)
            user.set_unusable_password()
        user_fields = _assign(
            user,
            username=person.username,
            first_name=person.first_name,
            last_name=person.last_name,
            email=person.email,
        )
        if user.pk is None:
            user.save()
        elif user_fields:
            user.save(update_fields=user_fields)
        department = departments[person.department_code]
        if profile is None:
            profile = StaffProfile(
                user=user,
                employee_number=number,
                department=department,
                title=person.title,
                is_marketing_lead=person.is_lead,
                is_active=True if person.active is None else person.active,
            )
            profile.save()
            profiles[number] = profile
            by_user[user.pk] = profile
            created_people.add(number)
            continue
        profile_fields = _assign(
            profile,
            department_id=department.pk,
            title=person.title,
            is_marketing_lead=person.is_lead,
        )
        if person.active is not None:
            profile_fields += _assign(profile, is_active=person.active)
        if profile_fields:
            profile.save(update_fields=[*profile_fields, "updated_at"])
        if profile_fields or user_fields:
            changed_people.add(number)

    for department in turning_non_marketing:
        department.kind = Department.Kind.NON_MARKETING
        department.save(update_fields=["kind"])

    # 4. Supervisors and leads, now that everybody exists.
    for number, person in plan.people.items():
        profile = profiles[number]
        line = profiles[person.line_number].user_id if person.line_number else None
        lead = profiles[person.lead_number].user_id if person.lead_number else None
        fields = _assign(profile, line_supervisor_id=line, marketing_lead_id=lead)
        if fields:
            profile.save(update_fields=[*fields, "updated_at"])
            changed_people.add(number)

    # 5. Heads of departments.
    for code, wanted in plan.departments.items():
        if wanted.head_number is None:
            continue
        department = departments[code]
        head = profiles[wanted.head_number].user_id if wanted.head_number else None
        if department.head_id != head:
            department.head_id = head
            department.save(update_fields=["head"])
            changed_departments.add(code)

    # 6. Budgets: a new person rule from today, only where the budget really changes.
    with_budget = [p for p in plan.people.values() if p.budget is not None]
    today = timezone.localdate()
    current = budget_minutes_for_people(people=[profiles[p.number] for p in with_budget], day=today)
    for person in with_budget:
        profile = profiles[person.number]
        if current[profile.pk] != person.budget:
            budget_rule_create(
                actor=actor,
                daily_minutes=person.budget,
                effective_from=today,
                staff=profile,
                audited=False,  # the import's own entry counts the budgets it changed
                note=_("Organisation import"),
            )
            result.budgets_changed += 1
            changed_people.add(person.number)

    created_departments = {code for code in plan.departments if code not in plan.db_departments}
    result.departments_updated = len(changed_departments - created_departments)
    result.departments_unchanged = (
        len(plan.departments) - result.departments_created - result.departments_updated
    )
    result.people_created = len(created_people)
    result.people_updated = len(changed_people - created_people)
    result.people_unchanged = len(plan.people) - result.people_created - result.people_updated


def _assign(instance: models.Model, **values: Any) -> list[str]:
    """Set the values that differ; return the names of the fields that changed."""
    changed = []
    for name, value in values.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed.append(name.removesuffix("_id"))
    return changed


def sample_rows(kind: str) -> list[list[str]]:
    """Header and example rows of the downloadable CSV templates."""
    if kind == DEPARTMENTS:
        return [
            list(DEPARTMENT_COLUMNS),
            ["MKT", "Marketing", "marketing", "", ""],
            ["ENG", "Engineering", "non_marketing", "", ""],
        ]
    return [
        list(PEOPLE_COLUMNS),
        [
            "M0001",
            "li.na",
            "Na",
            "Li",
            "li.na@example.com",
            "MKT",
            "Marketing manager",
            "",
            "",
            "yes",
            "",
            "yes",
        ],
        [
            "E0001",
            "wang.wei",
            "Wei",
            "Wang",
            "wang.wei@example.com",
            "ENG",
            "Engineer",
            "",
            "M0001",
            "no",
            "120",
            "yes",
        ],
    ]
