"""The demo company of the spec, built the same way every time (idempotent)."""

from __future__ import annotations

import datetime
import os

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from departments.models import BudgetRule, Department, StaffProfile
from departments.roles import ADMIN_GROUP, FINANCE_GROUP

DEFAULT_DEMO_PASSWORD = "allhands-demo"  # noqa: S105 - documented demo password

DEPARTMENTS = [
    # code, name, kind, parent code
    ("HQ", "General Management", "non_marketing", None),
    ("MKT", "Marketing", "marketing", "HQ"),
    ("ENG", "Engineering", "non_marketing", "HQ"),
    ("OPS", "Operations", "non_marketing", "HQ"),
    ("FIN", "Finance", "non_marketing", "HQ"),
]

PEOPLE = [
    # username, first, last, employee no, department, title, line supervisor, marketing lead
    ("gm", "Zhou", "Ming", "E0001", "HQ", "General manager", None, None),
    ("admin", "Han", "Xue", "E0002", "HQ", "HR and system administrator", "gm", None),
    ("marketing", "Lin", "Fang", "E0100", "MKT", "Head of marketing", "gm", None),
    ("finance", "Qian", "Li", "E0200", "FIN", "Payroll accountant", "gm", None),
    ("eng.lead", "Chen", "Jie", "E0300", "ENG", "Engineering manager", "gm", "marketing"),
    ("eng.1", "Wang", "Lei", "E0301", "ENG", "Software engineer", "eng.lead", "marketing"),
    ("eng.2", "Zhang", "Min", "E0302", "ENG", "Solutions engineer", "eng.lead", "marketing"),
    ("eng.3", "Liu", "Yang", "E0303", "ENG", "Test engineer", "eng.lead", "marketing"),
    ("ops.lead", "Zhao", "Qiang", "E0400", "OPS", "Operations manager", "gm", "marketing"),
    ("ops.1", "Sun", "Na", "E0401", "OPS", "Logistics coordinator", "ops.lead", "marketing"),
    ("ops.2", "Wu", "Hao", "E0402", "OPS", "Customer support specialist", "ops.lead", "marketing"),
    ("ops.3", "Zheng", "Yu", "E0403", "OPS", "Office administrator", "ops.lead", "marketing"),
]

DUTIES = {
    "ENG": (
        "Design, build and maintain the product.",
        "Shape client proposals technically; join client visits when asked.",
        "Ship the quarterly release on time; help win two client proposals this quarter.",
    ),
    "OPS": (
        "Keep deliveries, support and the office running.",
        "Answer client questions, pass on leads met in daily work.",
        "Keep complaint handling under two days; introduce one qualified lead a month.",
    ),
}


def demo_password() -> str:
    return os.environ.get("DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD


@transaction.atomic
def seed_organisation() -> dict[str, object]:
    user_model = get_user_model()
    password = demo_password()
    departments: dict[str, Department] = {}
    for code, name, kind, parent in DEPARTMENTS:
        departments[code], _ = Department.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": kind,
                "parent": departments.get(parent) if parent else None,
            },
        )

    users = {}
    for username, first, last, *_rest in PEOPLE:
        user, created = user_model.objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "email": f"{username}@example.com"},
        )
        if created or not user.check_password(password):
            user.set_password(password)
        user.first_name, user.last_name, user.is_active = first, last, True
        if username == "admin":
            user.is_staff = user.is_superuser = True
        user.save()
        users[username] = user
    users["admin"].groups.add(Group.objects.get_or_create(name=ADMIN_GROUP)[0])
    users["finance"].groups.add(Group.objects.get_or_create(name=FINANCE_GROUP)[0])

    # Profiles in two passes: leads first, so that the marketing-lead rule holds at every write.
    for pass_number in (1, 2):
        for username, _f, _l, number, dept, title, supervisor, lead in PEOPLE:
            primary, auxiliary, goals = DUTIES.get(dept, ("", "", ""))
            StaffProfile.objects.update_or_create(
                user=users[username],
                defaults={
                    "employee_number": number,
                    "department": departments[dept],
                    "title": title,
                    "primary_duties": primary,
                    "auxiliary_duties": auxiliary,
                    "goals": goals,
                    "line_supervisor": users[supervisor] if supervisor else None,
                    "marketing_lead": users[lead] if lead and pass_number == 2 else None,
                    "is_marketing_lead": username == "marketing",
                    "is_active": True,
                },
            )

    heads = {"HQ": "gm", "MKT": "marketing", "ENG": "eng.lead", "OPS": "ops.lead", "FIN": "finance"}
    for code, username in heads.items():
        Department.objects.filter(code=code).update(head=users[username])

    # Budgets: the company default of 120 minutes; Operations gets 90 from the start of
    # the history, so the resolution is visible in the demo.
    start = timezone.localdate() - datetime.timedelta(days=120)
    BudgetRule.objects.get_or_create(
        department=None, staff=None, effective_from=start, defaults={"daily_minutes": 120}
    )
    BudgetRule.objects.get_or_create(
        department=departments["OPS"],
        staff=None,
        effective_from=start,
        defaults={"daily_minutes": 90, "note": "Seasonal workload in logistics"},
    )
    return {"users": users, "departments": departments}
