"""Who may see and do what with leads, statements and payouts (pure predicates and
``get_*_for_user`` helpers giving 404 / 403)."""


# --- statements, sign-off, inquiries, role models ----------------------------


def can_view_statement(user, statement) -> bool:
    from departments.permissions import is_line_supervisor_of
    from departments.roles import Role, roles_for
    from rewards.models import PayoutPeriod

    if not user.is_authenticated:
        return False
    staff = statement.staff
    roles = roles_for(user)
    return (
        staff.user_id == user.pk
        or Role.ADMIN in roles
        or staff.marketing_lead_id == user.pk
        or staff.line_supervisor_id == user.pk
        or is_line_supervisor_of(user, staff)
        or (
            Role.FINANCE in roles
            and statement.period.status in (PayoutPeriod.Status.APPROVED, PayoutPeriod.Status.PAID)
        )
    )


def can_recommend_statement(user, statement) -> bool:
    """The person's marketing lead agrees the rewards; never their own."""
    return (
        user.is_authenticated
        and statement.staff.marketing_lead_id == user.pk
        and statement.staff.user_id != user.pk
    )


def can_approve_statement(user, statement) -> bool:
    """Rule 3: the line supervisor or their active delegate executes rewards."""
    from departments.permissions import is_line_supervisor_of

    return (
        user.is_authenticated
        and statement.staff.user_id != user.pk
        and is_line_supervisor_of(user, statement.staff)
    )


def can_adjust_rewards(user, staff) -> bool:
    from departments.permissions import is_line_supervisor_of
    from departments.roles import is_admin

    if not user.is_authenticated or staff.user_id == user.pk:
        return False
    return is_admin(user) or is_line_supervisor_of(user, staff)


def can_answer_inquiry(user, inquiry) -> bool:
    return can_approve_statement(user, inquiry.line.statement)


def can_nominate(user, candidate) -> bool:
    from departments.permissions import is_line_supervisor_of
    from departments.roles import is_admin

    if not user.is_authenticated or candidate.staff.user_id == user.pk:
        return False
    return is_admin(user) or is_line_supervisor_of(user, candidate.staff)


def can_manage_periods(user) -> bool:
    """Finance and admins close, calculate, export and mark periods paid."""
    from departments.roles import Role, roles_for

    roles = roles_for(user)
    return Role.ADMIN in roles or Role.FINANCE in roles


def get_statement_for_user(user, pk: int):
    from django.http import Http404

    from rewards.models import Statement

    statement = (
        Statement.objects.select_related(
            "staff", "staff__user", "staff__department", "period", "approved_by", "recommended_by"
        )
        .filter(pk=pk)
        .first()
    )
    if statement is None or not can_view_statement(user, statement):
        raise Http404
    return statement
