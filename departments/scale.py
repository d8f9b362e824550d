"""A large organisation for load tests and the benchmark: ``manage.py seed_scale``.

The data is generated from one ``random.Random(seed)``, so a seed always gives the same
company, and it is written straight into the tables in bulk (``COPY`` on PostgreSQL,
batched inserts elsewhere) instead of through the services: the services would take
hours for millions of rows. Every row respects the rules the services enforce — a day's
logged minutes stay within the day's budget plus granted extensions, rejections carry a
reason, each non-marketing person has a line supervisor and a marketing lead who holds
the role in a marketing department — and the database constraints check the rest.

Then the real code builds what is derived: ``summaries_rebuild`` the summary tables, and
the payout calculation last month's statements. History rows (``StateChange``) are not
written for generated logs; the audit log stays empty.

Shape, for ``people`` = 10,000 and ``days`` = 365:

- about 100 departments under ten divisions, 4 % of people in marketing departments,
  one marketing lead per ten marketing people;
- in each non-marketing department a head, and line supervisors with 50 reports each
  (the last team of a department may be smaller);
- on 80 % of working days a person logs, one entry or two: about 2.5 million logs; old
  days mostly approved (some rejected), the last week mostly waiting for approval;
- tasks with assignments, leads at every stage with collections and a few refunds,
  granted extensions, budget rules per department and person, delegations;
- a payout period per month: older months paid, last month calculated, this month open.
"""

from __future__ import annotations

import datetime
import io
import json
import random
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User
from django.core.management.color import no_style
from django.db import DatabaseError, connection, models, transaction
from django.utils import timezone

from departments.models import BudgetRule, Delegation, Department, StaffProfile
from departments.roles import ADMIN_GROUP, FINANCE_GROUP
from rewards.models import Collection, CreditShare, Lead, PayoutPeriod, RewardRule, RewardTier
from rewards.services.leads import normalise_client, normalise_contact
from tasks.models import (
    AssistCategory,
    BudgetExtension,
    DayLedger,
    MarketingTask,
    TaskAssignment,
    TimeLog,
)

DAY = datetime.timedelta(days=1)
TEAM_SIZE = 50
DIVISIONS = 10
PEOPLE_PER_DEPARTMENT = 100
MARKETING_SHARE = 0.04
LOG_CHANCE = 0.8
SECOND_LOG_CHANCE = 0.28
RECENT_DAYS = 7
PASSWORD = "allhands-scale"  # noqa: S105 - shared by every generated account, for load tests

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国文"
DEPARTMENT_NAMES = [
    "Engineering",
    "Operations",
    "Finance",
    "Manufacturing",
    "Quality",
    "Logistics",
    "Procurement",
    "Customer Service",
    "Research",
    "Human Resources",
    "Legal",
    "IT",
]
WORK = [
    "Introduced our product to a contact at {client}",
    "Shared the case study with {client}",
    "Answered a technical question for {client}",
    "Accompanied the marketing team to {client}",
    "Prepared a demo for {client}",
    "Posted the product launch to my network",
    "Collected feedback from {client} on the pilot",
    "Helped at the trade fair booth",
]
OUTCOMES = ["Meeting booked", "They asked for a quote", "Feedback passed on", ""]
REJECTION = "Not marketing work: part of the regular project duties."


class Progress:
    """One line per phase on stderr, redrawn as the phase advances."""

    def __init__(self, stream=None, *, enabled: bool = True):
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.started = time.monotonic()

    def phase(self, label: str, total: int) -> Callable[[int], None]:
        start = time.monotonic()
        width = 30

        def advance(done: int) -> None:
            if not self.enabled:
                return
            share = done / total if total else 1.0
            bar = "#" * int(share * width)
            self.stream.write(
                f"\r  {label:<22} [{bar:<{width}}] {share:6.1%} {done:>10,}/{total:,}"
                f"  {time.monotonic() - start:6.1f}s"
            )
            if done >= total:
                self.stream.write("\n")
            self.stream.flush()

        return advance

    def total_seconds(self) -> float:
        return time.monotonic() - self.started


# ----------------------------------------------------------------------------- loading


def _text(value) -> str:
    """A value in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, (dict, list)):
        value = json.dumps(value, ensure_ascii=False)
    return (
        str(value)
        .replace("\\", "\\\\")
        .replace("\t", "\\t")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
    )


class Loader:
    """Write rows into a model's table: COPY on PostgreSQL, batched INSERTs elsewhere."""

    CHUNK = 50_000

    def __init__(self):
        self.postgres = connection.vendor == "postgresql"

    def load(self, model: type[models.Model], columns: list[str], rows: Iterable[tuple]) -> int:
        table = model._meta.db_table
        # Columns the rows leave out take their field's default, as ``save()`` would.
        defaults = [
            (field.column, field.get_default())
            for field in model._meta.concrete_fields
            if field.column not in columns and field.has_default()
        ]
        columns = [*columns, *(column for column, _value in defaults)]
        tail = tuple(value for _column, value in defaults)
        quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
        count = 0
        chunk: list[tuple] = []
        for row in rows:
            chunk.append(row + tail if tail else row)
            if len(chunk) >= self.CHUNK:
                count += self._write(table, quoted, columns, chunk)
                chunk = []
        if chunk:
            count += self._write(table, quoted, columns, chunk)
        return count

    def _write(self, table: str, quoted: str, columns: list[str], chunk: list[tuple]) -> int:
        with connection.cursor() as cursor:
            if self.postgres:
                buffer = io.StringIO()
                buffer.writelines("\t".join(map(_text, row)) + "\n" for row in chunk)
                buffer.seek(0)
                cursor.cursor.copy_expert(f"COPY {table} ({quoted}) FROM STDIN", buffer)
            else:
                marks = ", ".join(["%s"] * len(columns))
                cursor.executemany(
                    f"INSERT INTO {table} ({quoted}) VALUES ({marks})",  # noqa: S608 - names from models
                    [
                        tuple(json.dumps(v) if isinstance(v, (dict, list)) else v for v in row)
                        for row in chunk
                    ],
                )
        return len(chunk)


def _next_id(model: type[models.Model]) -> int:
    return (model.objects.aggregate(top=models.Max("pk"))["top"] or 0) + 1


# ----------------------------------------------------------------------------- shape


@dataclass
class Person:
    user_id: int
    profile_id: int
    department: int
    marketing: bool
    supervisor: int | None = None  # user id
    lead: int | None = None  # user id
    is_lead: bool = False
    pace: float = LOG_CHANCE


class ScaleSeed:
    def __init__(
        self,
        *,
        people: int,
        days: int,
        seed: int = 42,
        today: datetime.date | None = None,
        progress: Progress | None = None,
    ):
        if people < 20:
            raise ValueError("seed_scale needs at least 20 people.")
        if days < 1:
            raise ValueError("seed_scale needs at least one day.")
        self.size = people
        self.days = days
        self.random = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
        self.today = today or timezone.localdate()
        self.first_day = self.today - (days - 1) * DAY
        self.progress = progress or Progress(enabled=False)
        self.loader = Loader()
        self.tz = timezone.get_current_timezone()
        self.people: list[Person] = []
        self.departments: dict[int, dict] = {}
        self.counts: dict[str, int] = {}

    # ------------------------------------------------------------------ entry point

    def run(self) -> dict[str, int]:
        if StaffProfile.objects.exists():
            raise RuntimeError(
                "seed_scale fills an empty organisation and this database already has "
                "people: point DATABASE_URL at a new, migrated database."
            )
        with transaction.atomic():
            replica = self.loader.postgres and self._skip_row_triggers()
            self.seed_organisation()
            self.seed_rules()
            self.seed_tasks()
            self.seed_leads()
            self.seed_logs()
            if replica:
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL session_replication_role = origin")
            self.reset_sequences()
        # Statistics of the tables just loaded, before the real code reads them: without
        # them PostgreSQL plans the summary rebuild for empty tables (three minutes
        # instead of seconds). And again at the end, for what the rebuild and the
        # calculation wrote.
        self._analyze()
        self.build_summaries()
        self.seed_periods()
        self._analyze()
        return self.counts

    def _analyze(self) -> None:
        if self.loader.postgres:
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")

    @staticmethod
    def _skip_row_triggers() -> bool:
        """Foreign keys and triggers are satisfied by construction here, and COPY with
        millions of per-row foreign-key checks would take most of the time: skip them
        for this transaction when the database user may (a superuser), else keep them."""
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = replica")
        except DatabaseError:
            return False
        return True

    def at(self, day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
        return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=self.tz)

    def working_days(self) -> list[datetime.date]:
        days = [self.first_day + n * DAY for n in range(self.days)]
        return [day for day in days if day.weekday() < 5]

    def reset_sequences(self) -> None:
        tables = [
            User,
            Department,
            StaffProfile,
            BudgetRule,
            Delegation,
            MarketingTask,
            TaskAssignment,
            TimeLog,
            DayLedger,
            BudgetExtension,
            Lead,
            Collection,
            CreditShare,
        ]
        statements = connection.ops.sequence_reset_sql(no_style(), tables)
        if statements:
            with connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql)

    # ------------------------------------------------------------------ organisation

    def _name(self) -> tuple[str, str]:
        return self.random.choice(SURNAMES), "".join(self.random.choices(GIVEN, k=2))

    def seed_organisation(self) -> None:
        rnd = self.random
        marketing_people = max(2, round(self.size * MARKETING_SHARE))
        other_people = self.size - marketing_people - 2  # the finance and admin accounts
        departments = max(1, round(other_people / PEOPLE_PER_DEPARTMENT))
        marketing_departments = max(1, round(departments * MARKETING_SHARE))

        department_id = _next_id(Department)
        department_rows = []
        divisions = []
        for n in range(min(DIVISIONS, departments)):
            divisions.append(department_id)
            department_rows.append(
                (department_id, f"Division {n + 1}", f"div-{n + 1:02d}", "non_marketing", None)
            )
            department_id += 1
        plain = []
        for n in range(departments):
            name = f"{DEPARTMENT_NAMES[n % len(DEPARTMENT_NAMES)]} {n // len(DEPARTMENT_NAMES) + 1}"
            department_rows.append(
                (
                    department_id,
                    name,
                    f"dept-{n + 1:03d}",
                    "non_marketing",
                    divisions[n % len(divisions)],
                )
            )
            plain.append(department_id)
            department_id += 1
        marketing = []
        for n in range(marketing_departments):
            department_rows.append(
                (department_id, f"Marketing {n + 1}", f"mkt-{n + 1:02d}", "marketing", None)
            )
            marketing.append(department_id)
            department_id += 1
        hq = department_id
        department_rows.append((hq, "Head Office", "hq", "non_marketing", None))
        self.counts["departments"] = self.loader.load(
            Department, ["id", "name", "code", "kind", "parent_id"], department_rows
        )

        # People, department by department: marketing first (leads are needed below).
        user_id, profile_id = _next_id(User), _next_id(StaffProfile)
        members: dict[int, list[Person]] = defaultdict(list)

        def add(department: int, is_marketing: bool) -> Person:
            nonlocal user_id, profile_id
            person = Person(user_id, profile_id, department, is_marketing)
            person.pace = min(1.0, max(0.2, rnd.gauss(LOG_CHANCE, 0.15)))
            user_id += 1
            profile_id += 1
            members[department].append(person)
            self.people.append(person)
            return person

        for n in range(marketing_people):
            add(marketing[n % len(marketing)], True)
        for n in range(other_people):
            add(plain[n * len(plain) // other_people], False)
        finance, admin = add(hq, False), add(hq, False)

        leads = []
        for department in marketing:
            head, *rest = members[department]
            head.is_lead = True
            leads.append(head)
            for index, person in enumerate(rest):
                person.supervisor = head.user_id
                person.is_lead = index % 10 == 9
                if person.is_lead:
                    leads.append(person)
        for department in plain:
            head, *rest = members[department]
            for index, person in enumerate(rest):
                team = index // (TEAM_SIZE + 1)
                supervisor = rest[team * (TEAM_SIZE + 1)]
                person.supervisor = head.user_id if person is supervisor else supervisor.user_id
            head.supervisor = admin.user_id  # the general manager
            self.departments[department] = {"head": head.user_id}
        finance.supervisor = admin.user_id
        non_marketing = [p for p in self.people if not p.marketing]
        for index, person in enumerate(non_marketing):
            person.lead = leads[index % len(leads)].user_id

        password = make_password(PASSWORD)
        joined = self.at(self.first_day - 30 * DAY, 9)
        user_rows, profile_rows = [], []
        for index, person in enumerate(self.people, start=1):
            last, first = self._name()
            special = {finance.user_id: "scale-finance", admin.user_id: "scale-admin"}
            username = special.get(person.user_id, f"s{index:05d}")
            user_rows.append(
                (
                    person.user_id,
                    password,
                    None,
                    person is admin,
                    username,
                    first,
                    last,
                    f"{username}@scale.example.com",
                    person is admin,
                    True,
                    joined,
                )
            )
            profile_rows.append(
                (
                    person.profile_id,
                    person.user_id,
                    f"S{index:06d}",
                    person.department,
                    "",
                    "",
                    "",
                    "",
                    person.supervisor,
                    person.lead,
                    person.is_lead,
                    "zh-hans" if rnd.random() < 0.7 else "en",
                    True,
                    joined,
                    joined,
                )
            )
        self.counts["users"] = self.loader.load(
            User,
            [
                "id",
                "password",
                "last_login",
                "is_superuser",
                "username",
                "first_name",
                "last_name",
                "email",
                "is_staff",
                "is_active",
                "date_joined",
            ],
            user_rows,
        )
        self.loader.load(
            StaffProfile,
            [
                "id",
                "user_id",
                "employee_number",
                "department_id",
                "title",
                "goals",
                "primary_duties",
                "auxiliary_duties",
                "line_supervisor_id",
                "marketing_lead_id",
                "is_marketing_lead",
                "language",
                "is_active",
                "created_at",
                "updated_at",
            ],
            profile_rows,
        )
        heads = Department.objects.in_bulk(list(self.departments))
        for department, info in self.departments.items():
            heads[department].head_id = info["head"]
        Department.objects.bulk_update(heads.values(), ["head"], batch_size=500)
        finance_group, _ = Group.objects.get_or_create(name=FINANCE_GROUP)
        admin_group, _ = Group.objects.get_or_create(name=ADMIN_GROUP)
        User.groups.through.objects.bulk_create(
            [
                User.groups.through(user_id=finance.user_id, group_id=finance_group.pk),
                User.groups.through(user_id=admin.user_id, group_id=admin_group.pk),
            ]
        )
        self.leads = leads
        self.marketing = [p for p in self.people if p.marketing]
        self.staff = [p for p in self.people if not p.marketing]
        self.finance, self.admin = finance, admin
        self.counts["people"] = len(self.people)

        # Delegations: a supervisor in twenty is away for a week or two at some point,
        # and one is away today.
        supervisors = sorted({p.supervisor for p in self.staff if p.supervisor})
        peers: dict[int, list[int]] = defaultdict(list)
        by_user = {p.user_id: p for p in self.people}
        for supervisor in supervisors:
            peers[by_user[supervisor].department].append(supervisor)
        rows = []
        delegation_id = _next_id(Delegation)
        for index, supervisor in enumerate(supervisors):
            others = [s for s in peers[by_user[supervisor].department] if s != supervisor]
            if not others or (index % 20 and index != 1):
                continue
            start = (
                self.today - 3 * DAY
                if index == 1
                else self.first_day + rnd.randrange(max(1, self.days - 14)) * DAY
            )
            rows.append(
                (
                    delegation_id,
                    supervisor,
                    rnd.choice(others),
                    start,
                    start + rnd.choice([6, 13]) * DAY,
                    "Annual leave",
                    self.at(start - 7 * DAY, 10),
                )
            )
            delegation_id += 1
        self.counts["delegations"] = self.loader.load(
            Delegation,
            ["id", "delegator_id", "delegate_id", "start_date", "end_date", "reason", "created_at"],
            rows,
        )

    # ------------------------------------------------------------------ rules

    def seed_rules(self) -> None:
        rnd = self.random
        start = self.first_day.replace(day=1)
        rule_id = _next_id(BudgetRule)
        rows = [(rule_id, None, None, 120, start, "Company policy: two hours a day", None)]
        rule_id += 1
        self.budget: dict[int, int] = {}  # by department (ignoring divisions: none set)
        self.person_budget: dict[int, tuple[datetime.date, int]] = {}
        for department in sorted(self.departments):
            if rnd.random() < 0.2:
                minutes = rnd.choice([60, 90, 150])
                self.budget[department] = minutes
                rows.append((rule_id, department, None, minutes, start, "Department policy", None))
                rule_id += 1
        for person in rnd.sample(self.staff, k=max(1, len(self.staff) // 200)):
            effective = self.first_day + rnd.randrange(self.days) * DAY
            minutes = rnd.choice([30, 60, 180])
            self.person_budget[person.profile_id] = (effective, minutes)
            rows.append((rule_id, None, person.profile_id, minutes, effective, "Agreed", None))
            rule_id += 1
        created = self.at(start, 9)
        self.counts["budget_rules"] = self.loader.load(
            BudgetRule,
            [
                "id",
                "department_id",
                "staff_id",
                "daily_minutes",
                "effective_from",
                "note",
                "created_by_id",
                "created_at",
            ],
            [(*row, created) for row in rows],
        )

        if not RewardRule.objects.exists():
            RewardRule.objects.create(
                kind=RewardRule.Kind.SUPPORT,
                effective_from=start,
                amount_per_approved_hour=Decimal("20.00"),
                amount_per_completed_task=Decimal("30.00"),
                monthly_cap_per_person=Decimal("600.00"),
                note="Basic reward for support work",
            )
            revenue = RewardRule.objects.create(
                kind=RewardRule.Kind.DIRECT_REVENUE,
                effective_from=start,
                percent_of_collected=Decimal("3.00"),
                cap_per_lead=Decimal("20000.00"),
                holdback_days=30,
                note="Large reward for introduced business",
            )
            RewardTier.objects.create(
                rule=revenue, threshold=Decimal("50000.00"), bonus=Decimal("500.00")
            )

    # ------------------------------------------------------------------ tasks

    def seed_tasks(self) -> None:
        rnd = self.random
        self.categories = list(
            AssistCategory.objects.filter(is_active=True).values_list("pk", "reward_class")
        )
        if not self.categories:
            raise RuntimeError("No assist categories: run the migrations first.")
        support = [pk for pk, kind in self.categories if kind == "support"] or [
            self.categories[0][0]
        ]
        reports: dict[int, list[Person]] = defaultdict(list)
        for person in self.staff:
            reports[person.lead].append(person)
        task_id, assignment_id = _next_id(MarketingTask), _next_id(TaskAssignment)
        task_rows, assignment_rows = [], []
        self.tasks_of: dict[int, list[tuple[datetime.date, datetime.date, int, int]]] = defaultdict(
            list
        )
        recent = self.today - RECENT_DAYS * DAY
        for _n in range(max(10, self.size // 5)):
            lead = rnd.choice(self.leads)
            team = reports.get(lead.user_id)
            if not team:
                continue
            due = self.first_day + rnd.randrange(self.days + 14) * DAY
            start = max(self.first_day, due - 14 * DAY)
            category = rnd.choice(support)
            if due < recent:
                status = rnd.choices(["done", "cancelled", "in_progress"], [8, 1, 1])[0]
            else:
                status = rnd.choice(["open", "in_progress"])
            task_rows.append(
                (
                    task_id,
                    f"Campaign {task_id}: reach {rnd.choice(['clients', 'partners', 'alumni'])}",
                    "Contact the people on the list and record who showed interest.",
                    category,
                    lead.user_id,
                    due,
                    rnd.choice([60, 90, 120, 240]),
                    status,
                    self.at(start, 9),
                    self.at(min(due, self.today), 18),
                )
            )
            for person in rnd.sample(team, k=min(len(team), rnd.randint(3, 8))):
                if status == "done":
                    state = "completed" if rnd.random() < 0.9 else "declined"
                elif status == "in_progress":
                    state = rnd.choice(["assigned", "started"])
                else:
                    state = "assigned"
                responded = self.at(min(due, self.today), 16) if state != "assigned" else None
                assignment_rows.append(
                    (
                        assignment_id,
                        task_id,
                        person.user_id,
                        state,
                        "Three contacts interested" if state == "completed" else "",
                        "Busy with the quarter close" if state == "declined" else "",
                        responded,
                    )
                )
                assignment_id += 1
                if state != "declined":
                    self.tasks_of[person.profile_id].append((start, due, task_id, category))
            task_id += 1
        self.counts["tasks"] = self.loader.load(
            MarketingTask,
            [
                "id",
                "title",
                "description",
                "category_id",
                "created_by_id",
                "due_date",
                "estimated_minutes",
                "status",
                "created_at",
                "updated_at",
            ],
            task_rows,
        )
        self.counts["assignments"] = self.loader.load(
            TaskAssignment,
            [
                "id",
                "task_id",
                "assignee_id",
                "status",
                "outcome",
                "decline_reason",
                "responded_at",
            ],
            assignment_rows,
        )

    # ------------------------------------------------------------------ leads

    def seed_leads(self) -> None:
        rnd = self.random
        lead_id, collection_id, share_id = (
            _next_id(Lead),
            _next_id(Collection),
            _next_id(CreditShare),
        )
        lead_rows, collection_rows, share_rows = [], [], []
        self.clients = []
        for n in range(max(5, self.size // 4)):
            person = rnd.choice(self.staff)
            client = f"Client {n + 1:05d} Co., Ltd."
            self.clients.append(client)
            contact = f"buyer{n + 1}@client{n + 1:05d}.example.cn"
            created = self.first_day + rnd.randrange(self.days) * DAY
            status = rnd.choices(["new", "qualified", "won", "paid", "lost"], [2, 2, 1.5, 2.5, 2])[
                0
            ]
            contract = won_on = None
            if status in ("won", "paid"):
                won_on = min(self.today, created + rnd.randint(10, 40) * DAY)
                contract = Decimal(rnd.randrange(10_000, 500_000, 500))
                collected = Decimal("0")
                parts = 1 if status == "won" else rnd.randint(1, 3)
                for part in range(parts):
                    received = min(self.today, won_on + (part + 1) * rnd.randint(5, 30) * DAY)
                    if status == "won":
                        amount = (contract * Decimal("0.3")).quantize(Decimal("0.01"))
                    elif part == parts - 1:
                        amount = contract - collected
                    else:
                        amount = (contract / parts).quantize(Decimal("0.01"))
                    collected += amount
                    collection_rows.append(
                        (
                            collection_id,
                            lead_id,
                            "collection",
                            received,
                            amount,
                            "",
                            person.lead,
                            self.at(received, 15),
                        )
                    )
                    collection_id += 1
                if status == "paid" and rnd.random() < 0.02:
                    refunded = min(self.today, received + rnd.randint(5, 60) * DAY)
                    collection_rows.append(
                        (
                            collection_id,
                            lead_id,
                            "refund",
                            refunded,
                            (contract * Decimal("0.2")).quantize(Decimal("0.01")),
                            "Partial refund after a returned order",
                            person.lead,
                            self.at(refunded, 15),
                        )
                    )
                    collection_id += 1
                if rnd.random() < 0.3:
                    partner = rnd.choice(self.staff)
                    if partner is not person:
                        share_rows.append(
                            (share_id, lead_id, person.profile_id, Decimal("60.00"), "Introduced")
                        )
                        share_rows.append(
                            (share_id + 1, lead_id, partner.profile_id, Decimal("40.00"), "Demo")
                        )
                        share_id += 2
            lead_rows.append(
                (
                    lead_id,
                    person.profile_id,
                    person.lead,
                    client,
                    normalise_client(client),
                    contact,
                    normalise_contact(contact),
                    "Looking for a supplier for next year's project.",
                    Decimal(rnd.randrange(10_000, 500_000, 1000)),
                    status,
                    contract,
                    won_on,
                    "Chose a competitor" if status == "lost" else "",
                    created + 180 * DAY,
                    None,
                    "",
                    "",
                    status in ("won", "paid"),
                    self.at(created, 11),
                    self.at(won_on or created, 11),
                )
            )
            lead_id += 1
        self.counts["leads"] = self.loader.load(
            Lead,
            [
                "id",
                "introducer_id",
                "marketing_lead_id",
                "client_name",
                "client_key",
                "contact",
                "contact_key",
                "need",
                "estimated_value",
                "status",
                "contract_amount",
                "won_on",
                "lost_reason",
                "protected_until",
                "conflicting_lead_id",
                "claim_status",
                "claim_note",
                "key_role_confirmed",
                "created_at",
                "updated_at",
            ],
            lead_rows,
        )
        self.counts["collections"] = self.loader.load(
            Collection,
            [
                "id",
                "lead_id",
                "kind",
                "received_on",
                "amount",
                "note",
                "recorded_by_id",
                "created_at",
            ],
            collection_rows,
        )
        self.counts["credit_shares"] = self.loader.load(
            CreditShare, ["id", "lead_id", "staff_id", "percent", "role"], share_rows
        )

    # ------------------------------------------------------------------ logs

    def _budget(self, person: Person, day: datetime.date) -> int:
        own = self.person_budget.get(person.profile_id)
        if own is not None and own[0] <= day:
            return own[1]
        return self.budget.get(person.department, 120)

    def _status(self, day: datetime.date) -> str:
        roll = self.random.random()
        if day >= self.today - RECENT_DAYS * DAY:
            return "submitted" if roll < 0.7 else ("approved" if roll < 0.98 else "rejected")
        if day >= self.today.replace(day=1):
            return "approved" if roll < 0.9 else ("submitted" if roll < 0.97 else "rejected")
        return "approved" if roll < 0.96 else "rejected"

    def _logs(self, advance: Callable[[int], None]) -> Iterator[tuple]:
        rnd = self.random
        log_id, ledger_id, extension_id = (
            _next_id(TimeLog),
            _next_id(DayLedger),
            _next_id(BudgetExtension),
        )
        support = [pk for pk, kind in self.categories if kind == "support"]
        categories = [pk for pk, _kind in self.categories]
        weights = [4 if pk in support else 1 for pk in categories]
        self.ledgers: list[tuple] = []
        self.extensions: list[tuple] = []
        days = self.working_days()
        for index, day in enumerate(days, start=1):
            decided = self.at(min(day + DAY, self.today), 10)
            created = self.at(day, 17)
            for person in self.staff:
                if rnd.random() > person.pace:
                    continue
                budget = self._budget(person, day)
                if budget < 15:
                    continue
                if rnd.random() < 0.005:
                    extra = rnd.choice([30, 60])
                    self.extensions.append(
                        (
                            extension_id,
                            person.profile_id,
                            day,
                            extra,
                            "Customer visit ran late",
                            "granted",
                            person.supervisor,
                            self.at(day, 12),
                            "",
                            self.at(day, 11),
                        )
                    )
                    extension_id += 1
                    budget += extra
                first = min(budget, 15 * rnd.choice([2, 3, 4, 4, 6, 8]))
                entries = [first]
                if budget - first >= 15 and rnd.random() < SECOND_LOG_CHANCE:
                    entries.append(15 * rnd.randint(1, (budget - first) // 15))
                logged = 0
                for minutes in entries:
                    status = self._status(day)
                    task = category = None
                    for start, due, task_id, task_category in self.tasks_of.get(
                        person.profile_id, ()
                    ):
                        if start <= day <= due and rnd.random() < 0.5:
                            task, category = task_id, task_category
                            break
                    if category is None:
                        category = rnd.choices(categories, weights)[0]
                    confirmed = status == "approved" and task is not None and rnd.random() < 0.5
                    rejected = status == "rejected"
                    if not rejected:
                        logged += minutes
                    yield (
                        log_id,
                        person.profile_id,
                        day,
                        minutes,
                        category,
                        task,
                        rnd.choice(WORK).format(client=rnd.choice(self.clients)),
                        rnd.choice(OUTCOMES),
                        True,
                        status,
                        None if status == "submitted" else person.supervisor,
                        None if status == "submitted" else decided,
                        REJECTION if rejected else "",
                        "confirmed" if confirmed else "",
                        "",
                        person.lead if confirmed else None,
                        decided if confirmed else None,
                        created,
                        decided if status != "submitted" else created,
                    )
                    log_id += 1
                self.ledgers.append((ledger_id, person.profile_id, day, logged, False, created))
                ledger_id += 1
            advance(index)

    def seed_logs(self) -> None:
        advance = self.progress.phase("time logs (days)", len(self.working_days()))
        self.counts["time_logs"] = self.loader.load(
            TimeLog,
            [
                "id",
                "staff_id",
                "day",
                "minutes",
                "category_id",
                "task_id",
                "description",
                "outcome",
                "duties_done",
                "status",
                "decided_by_id",
                "decided_at",
                "rejection_reason",
                "outcome_status",
                "outcome_note",
                "outcome_by_id",
                "outcome_at",
                "created_at",
                "updated_at",
            ],
            self._logs(advance),
        )
        self.counts["day_ledgers"] = self.loader.load(
            DayLedger,
            ["id", "staff_id", "day", "logged_minutes", "dirty", "updated_at"],
            self.ledgers,
        )
        self.counts["extensions"] = self.loader.load(
            BudgetExtension,
            [
                "id",
                "staff_id",
                "day",
                "minutes",
                "reason",
                "status",
                "decided_by_id",
                "decided_at",
                "decision_note",
                "created_at",
            ],
            self.extensions,
        )
        self.ledgers = self.extensions = []

    # ------------------------------------------------------------------ derived

    def build_summaries(self) -> None:
        from tasks.summaries import summaries_rebuild

        advance = self.progress.phase("summaries", 1)
        result = summaries_rebuild()
        advance(1)
        self.counts["person_day_summaries"] = result["person_days"]

    def seed_periods(self) -> None:
        """Older months paid, last month calculated by the real calculation, this month
        open."""
        from rewards.services.payouts import payout_period_calculate

        this_month = self.today.replace(day=1)
        last_month = (this_month - DAY).replace(day=1)
        month = self.first_day.replace(day=1)
        rows = []
        while month <= this_month:
            end = (month + 32 * DAY).replace(day=1) - DAY
            if month == this_month:
                status = PayoutPeriod.Status.OPEN
            elif month == last_month:
                status = PayoutPeriod.Status.CLOSED
            else:
                status = PayoutPeriod.Status.PAID
            closed = self.at(end + 3 * DAY, 9) if status != PayoutPeriod.Status.OPEN else None
            paid = self.at(end + 20 * DAY, 9) if status == PayoutPeriod.Status.PAID else None
            rows.append(
                PayoutPeriod(
                    start_date=month,
                    end_date=end,
                    status=status,
                    closed_at=closed,
                    closed_by_id=self.finance.user_id if closed else None,
                    calculation_state=PayoutPeriod.CalculationState.DONE
                    if paid
                    else PayoutPeriod.CalculationState.IDLE,
                    calculated_at=self.at(end + 4 * DAY, 9) if paid else None,
                    approved_at=self.at(end + 15 * DAY, 9) if paid else None,
                    paid_at=paid,
                    paid_by_id=self.finance.user_id if paid else None,
                )
            )
            month = end + DAY
        PayoutPeriod.objects.bulk_create(rows, ignore_conflicts=True)
        self.counts["payout_periods"] = len(rows)
        period = PayoutPeriod.objects.filter(start_date=last_month).first()
        if period is not None and period.status == PayoutPeriod.Status.CLOSED:
            advance = self.progress.phase("payout calculation", 1)
            period.calculation_run = 1
            period.save(update_fields=["calculation_run"])
            result = payout_period_calculate(period_id=period.pk, run=1)
            advance(1)
            self.counts["statements"] = result.get("people", 0)
