"""OpenAPI examples, one set per resource, shared by the schema decorators."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample


def request(name: str, value, summary: str = "") -> OpenApiExample:
    return OpenApiExample(name, value=value, summary=summary or name, request_only=True)


def response(name: str, value, summary: str = "", status_codes=None) -> OpenApiExample:
    return OpenApiExample(
        name,
        value=value,
        summary=summary or name,
        response_only=True,
        status_codes=[str(code) for code in (status_codes or ["200"])],
    )


FIELD_ERRORS = response(
    "Field errors",
    {
        "minutes": [
            "Only 30 minutes of your budget remain for 3/10/26 (budget 120, already "
            "logged 90). Log at most 30 minutes, or ask your line supervisor for an "
            "extension."
        ]
    },
    status_codes=["400"],
)

TOKEN_REQUEST = request("Credentials", {"username": "eng.1", "password": "allhands-demo"})
TOKEN_RESPONSE = response("Token", {"token": "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"})
BAD_CREDENTIALS = response(
    "Bad credentials",
    {"non_field_errors": ["Unable to log in with provided credentials."]},
    status_codes=["400"],
)

ME = response(
    "Staff member",
    {
        "id": 7,
        "username": "eng.1",
        "first_name": "Li",
        "last_name": "Wei",
        "email": "eng.1@example.com",
        "staff": 5,
        "department": 2,
        "roles": ["staff"],
        "budget_today_minutes": 120,
        "extension_today_minutes": 0,
        "logged_today_minutes": 45,
        "remaining_today_minutes": 75,
    },
)

DEPARTMENT = {
    "id": 2,
    "name": "Engineering",
    "code": "ENG",
    "kind": "non_marketing",
    "parent": None,
    "head": "eng.lead",
}
DEPARTMENT_REQUEST = request(
    "New department", {"name": "Logistics", "code": "LOG", "kind": "non_marketing"}
)

STAFF = {
    "id": 5,
    "username": "eng.1",
    "first_name": "Li",
    "last_name": "Wei",
    "email": "eng.1@example.com",
    "employee_number": "E0101",
    "department": 2,
    "title": "Engineer",
    "goals": "Two referrals a quarter",
    "primary_duties": "Maintain the billing service",
    "auxiliary_duties": "Technical input to proposals",
    "line_supervisor": "eng.lead",
    "marketing_lead": "marketing",
    "is_marketing_lead": False,
    "is_active": True,
}

CATEGORY = {
    "id": 1,
    "code": "phone-marketing",
    "name": "Phone marketing",
    "name_zh_hans": "电话营销",
    "label": "Phone marketing",
    "reward_class": "support",
}

LOG = {
    "id": 42,
    "staff": 5,
    "date": "2026-03-10",
    "minutes": 30,
    "category": 1,
    "task": None,
    "description": "Called three trade-show contacts",
    "outcome": "One asked for a quote",
    "duties_done": True,
    "status": "submitted",
    "rejection_reason": "",
    "decided_by": None,
    "decided_at": None,
    "outcome_status": "",
    "outcome_note": "",
    "outcome_by": None,
    "created_at": "2026-03-10T10:00:00+08:00",
    "updated_at": "2026-03-10T10:00:00+08:00",
}
LOG_REQUEST = request(
    "Log time",
    {
        "date": "2026-03-10",
        "minutes": 30,
        "category": 1,
        "task": None,
        "description": "Called three trade-show contacts",
        "outcome": "One asked for a quote",
        "duties_done": True,
    },
)
LOG_PATCH = request("Change the minutes", {"minutes": 20})
APPROVED_LOG = {
    **LOG,
    "status": "approved",
    "decided_by": "eng.lead",
    "decided_at": "2026-03-10T18:00:00+08:00",
}
REJECTED_LOG = {
    **LOG,
    "status": "rejected",
    "decided_by": "eng.lead",
    "decided_at": "2026-03-10T18:00:00+08:00",
    "rejection_reason": "Not marketing work",
}
REASON = request("Reason", {"reason": "Not marketing work"})
IDS = request("Entries", {"ids": [42, 43]})
IDS_REASON = request("Entries and reason", {"ids": [42, 43], "reason": "Not marketing work"})
COUNT = response("Count", {"count": 2})
OUTCOME_REVIEW = request(
    "Confirm the outcome", {"outcome_status": "confirmed", "note": "Quote sent"}
)

EXTENSION = {
    "id": 3,
    "staff": 5,
    "date": "2026-03-12",
    "minutes": 60,
    "reason": "Trade show all afternoon",
    "status": "requested",
    "decided_by": None,
    "decided_at": None,
    "decision_note": "",
    "created_at": "2026-03-10T09:00:00+08:00",
}
EXTENSION_REQUEST = request(
    "Ask for more time", {"date": "2026-03-12", "minutes": 60, "reason": "Trade show all afternoon"}
)
NOTE = request("Note", {"note": "Enjoy the show"})

TASK = {
    "id": 9,
    "title": "Call back the trade-show contacts",
    "description": "The list is attached to the task thread.",
    "category": 1,
    "due_date": "2026-03-20",
    "estimated_minutes": 90,
    "status": "open",
    "created_by": "marketing",
    "assignments": [
        {
            "id": 11,
            "staff": 5,
            "username": "eng.1",
            "status": "assigned",
            "outcome": "",
            "decline_reason": "",
            "responded_at": None,
        }
    ],
    "created_at": "2026-03-10T09:00:00+08:00",
    "updated_at": "2026-03-10T09:00:00+08:00",
}
TASK_REQUEST = request(
    "New task",
    {
        "title": "Call back the trade-show contacts",
        "description": "The list is attached to the task thread.",
        "category": 1,
        "due_date": "2026-03-20",
        "estimated_minutes": 90,
        "assignees": [5],
    },
)
OUTCOME = request("Outcome", {"outcome": "Two meetings booked"})

LEAD = {
    "id": 4,
    "introducer": 5,
    "marketing_lead": "marketing",
    "client_name": "Hangzhou Logistics Co.",
    "contact": "Ms Zhao, 138 0000 0000",
    "need": "Warehouse scanners for three sites",
    "estimated_value": "200000.00",
    "status": "new",
    "contract_amount": None,
    "won_on": None,
    "lost_reason": "",
    "protected_until": "2026-06-08",
    "conflicting_lead": None,
    "claim_status": "",
    "claim_note": "",
    "key_role_confirmed": False,
    "net_collected": "0.00",
    "created_at": "2026-03-10T09:00:00+08:00",
    "updated_at": "2026-03-10T09:00:00+08:00",
}
LEAD_REQUEST = request(
    "Introduce a client",
    {
        "client_name": "Hangzhou Logistics Co.",
        "contact": "Ms Zhao, 138 0000 0000",
        "need": "Warehouse scanners for three sites",
        "estimated_value": "200000.00",
    },
)
LEAD_WIN = request("Contract signed", {"contract_amount": "180000.00", "won_on": "2026-03-09"})
LEAD_CLAIM = request("Accept the second claim", {"accept": True, "note": ""})
COLLECTION = {
    "id": 2,
    "lead": 4,
    "kind": "collection",
    "received_on": "2026-03-10",
    "amount": "90000.00",
    "note": "First instalment",
    "recorded_by": "marketing",
    "created_at": "2026-03-10T11:00:00+08:00",
}
COLLECTION_REQUEST = request(
    "Money received",
    {
        "received_on": "2026-03-10",
        "amount": "90000.00",
        "kind": "collection",
        "note": "First instalment",
    },
)
SPLIT_REQUEST = request(
    "Split the credit",
    {
        "shares": [
            {"staff": 5, "percent": "60.00", "role": "Introduced the client"},
            {"staff": 6, "percent": "40.00", "role": "Shaped the proposal"},
        ]
    },
)
SPLIT = [
    {"id": 1, "staff": 5, "percent": "60.00", "role": "Introduced the client"},
    {"id": 2, "staff": 6, "percent": "40.00", "role": "Shaped the proposal"},
]

LINE = {
    "id": 31,
    "amount": "150.00",
    "source": "support_time",
    "explanation": "5.00 approved hours of support work × 30.00 CNY per hour (rule in force "
    "from 1/1/26) = 150.00 CNY",
    "lead": None,
    "reason": "",
    "created_at": "2026-04-02T09:00:00+08:00",
}
REWARD_LINE = {
    "id": 31,
    "statement": 12,
    "staff": 5,
    "period": 3,
    "status": "draft",
    **{key: value for key, value in LINE.items() if key != "id"},
}
STATEMENT = {
    "id": 12,
    "staff": 5,
    "period": 3,
    "total": "150.00",
    "status": "draft",
    "recommended_by": None,
    "recommended_at": None,
    "returned_note": "",
    "approved_by": None,
    "approved_at": None,
    "lines": [LINE],
}
STATEMENT_IDS = request("Statements", {"statements": [12, 13]})
RETURN_NOTE = request("What should change", {"note": "The task of 5 March is missing"})

PERIOD = {
    "id": 3,
    "start_date": "2026-03-01",
    "end_date": "2026-03-31",
    "status": "calculated",
    "calculation_state": "done",
    "calculation_run": 1,
    "calculation_done": 40,
    "calculation_total": 40,
    "calculation_progress": 100,
    "calculation_error": "",
    "closed_at": "2026-04-04T00:05:00+08:00",
    "calculated_at": "2026-04-04T00:06:00+08:00",
    "approved_at": None,
    "paid_at": None,
    "statements_count": 40,
    "statements_by_status": {
        "draft": 10,
        "recommended": 20,
        "returned": 0,
        "approved": 10,
        "paid": 0,
    },
}
PERIOD_QUEUED = {
    **PERIOD,
    "status": "closed",
    "calculation_state": "queued",
    "calculation_run": 2,
    "calculation_done": 0,
    "calculation_progress": 0,
    "calculated_at": None,
}

IMPORT_RESULT = response(
    "Imported",
    {
        "departments_created": 2,
        "departments_updated": 0,
        "departments_unchanged": 1,
        "people_created": 12,
        "people_updated": 3,
        "people_unchanged": 40,
        "budgets_changed": 1,
    },
)
IMPORT_ERRORS = response(
    "Rejected file",
    {
        "file": ["people line 4, department_code: No department has the code XYZ."],
        "rows": [
            {
                "line": 4,
                "sheet": "people",
                "column": "department_code",
                "reason": "No department has the code XYZ.",
            }
        ],
    },
    status_codes=["400"],
)


def listed(name: str, item) -> OpenApiExample:
    """A list response example: one item, which drf-spectacular wraps in the pagination
    envelope of the list."""
    return response(name, item)
