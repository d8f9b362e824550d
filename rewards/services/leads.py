"""Writes of leads: introducing a client, client protection (撞单), the pipeline moves,
collections and refunds, the credit split and the key-role confirmation.

Every state change records who did it, when, from what to what and why (rule 5). Money is
``Decimal`` with at most two places, never ``float``.

Client protection: the first person to introduce a client owns the introduction for
``ALLHANDS_CLIENT_PROTECTION_DAYS``. A second claim on the same client (same normalised
name or contact) by somebody else is created but flagged for the marketing lead to
decide; the same person introducing the client twice is refused. Two simultaneous claims
cannot both be "first": on PostgreSQL each claim takes a transaction-level advisory lock
per key before looking for earlier leads; SQLite transactions here start IMMEDIATE and
are serialised already.
"""

from __future__ import annotations

import datetime
import hashlib
import re
import unicodedata
from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import (
    Case,
    DecimalField,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

import audit.services
from departments.models import StaffProfile
from rewards import permissions
from rewards.models import MAX_TEXT, Collection, CreditShare, Lead
from rewards.money import CENT, HUNDRED, ZERO
from tasks.history import record_change

CLIENT_MAX = 200
CONTACT_MAX = 200
NOTE_MAX = 200
ROLE_MAX = 200
MONEY_LIMIT = Decimal("10000000000")  # 10^10: what max_digits=12, decimal_places=2 holds
PHONE_DIGITS = 11  # a mainland mobile number; longer strings carry a country code
MIN_PHONE_DIGITS = 6  # shorter digit runs (extensions, room numbers) would match by chance

# Longest first, so that 股份有限公司 goes before 有限公司 and 公司.
_CJK_SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司", "公司", "集团")
_LATIN_SUFFIXES = frozenset(
    {"co", "ltd", "limited", "inc", "llc", "corp", "corporation", "group", "company"}
)
_WORDS = re.compile(r"\w+")
_EMAIL = re.compile(r"[^\s<>,;:()\[\]\"']+@[^\s<>,;:()\[\]\"']+")

_MONEY_FIELD = DecimalField(max_digits=14, decimal_places=2)


# --------------------------------------------------------------------------- keys


def normalise_client(name: str) -> str:
    """The key two spellings of one client share: "ACME Co., Ltd." and "acme limited"
    give "acme"; "北京星光科技股份有限公司" and "北京星光科技" give "北京星光科技".

    NFKC (full-width letters and digits become ASCII), casefold, company suffixes
    dropped from the end, then everything but letters and digits dropped.
    """
    text = unicodedata.normalize("NFKC", name or "").casefold()
    words = [word.replace("_", "") for word in _WORDS.findall(text)]
    words = [word for word in words if word]
    changed = True
    while words and changed:
        changed = False
        last = words[-1]
        if last in _LATIN_SUFFIXES:
            words.pop()
            changed = True
            continue
        for suffix in _CJK_SUFFIXES:
            if last.endswith(suffix):
                words[-1] = last[: -len(suffix)]
                if not words[-1]:
                    words.pop()
                changed = True
                break
    return "".join(words)


def normalise_contact(contact: str) -> str:
    """An e-mail address casefolded, else the phone number's last 11 digits.

    "Wang <Wang@ACME.cn>" gives "wang@acme.cn"; "+86 138-0013-8000" gives
    "13800138000". Fewer than six digits give "" (no key: never matches).
    """
    text = unicodedata.normalize("NFKC", contact or "").strip()
    email = _EMAIL.search(text)
    if email:
        return email.group(0).casefold()[:CONTACT_MAX]
    digits = "".join(ch for ch in text if ch.isdigit() and ch.isascii())
    if len(digits) < MIN_PHONE_DIGITS:
        return ""
    return digits[-PHONE_DIGITS:]


def _advisory_key(kind: str, key: str) -> int:
    """A stable signed 64-bit number for pg_advisory_xact_lock (``hash()`` is salted)."""
    digest = hashlib.blake2b(f"allhands-lead-{kind}:{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _lock_client(client_key: str, contact_key: str) -> None:
    """Serialise claims on the same client until the end of the transaction."""
    if connection.vendor != "postgresql":
        return  # SQLite: the IMMEDIATE transaction already holds the database write lock
    keys = sorted(
        {
            _advisory_key(kind, key)
            for kind, key in (("client", client_key), ("contact", contact_key))
            if key
        }
    )
    with connection.cursor() as cursor:
        for key in keys:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


# --------------------------------------------------------------------------- money


def _check_money(value, *, field: str, positive: bool, errors: dict) -> None:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        errors[field] = _("Enter an amount such as 1200.50.")
        return
    value = Decimal(value)
    if not value.is_finite():
        errors[field] = _("Enter an amount such as 1200.50.")
    elif positive and value <= 0:
        errors[field] = _("Enter an amount greater than zero.")
    elif value < 0:
        errors[field] = _("The amount cannot be negative.")
    elif value >= MONEY_LIMIT:
        errors[field] = _("Enter an amount below 10,000,000,000.")
    elif value != value.quantize(CENT):
        errors[field] = _("Enter the amount to the fen: at most two decimal places.")


def _money_text(amount: Decimal) -> str:
    return f"{Decimal(amount).quantize(CENT)} {settings.ALLHANDS_CURRENCY}"


def _day_text(day: datetime.date) -> str:
    return date_format(day, "SHORT_DATE_FORMAT")


def _text(value) -> str:
    return (value or "").strip()


def net_collected(*, lead: Lead) -> Decimal:
    """Collections minus refunds recorded on ``lead``."""
    totals = Collection.objects.filter(lead=lead).aggregate(
        collected=Coalesce(
            Sum("amount", filter=Q(kind=Collection.Kind.COLLECTION)),
            Value(ZERO),
            output_field=_MONEY_FIELD,
        ),
        refunded=Coalesce(
            Sum("amount", filter=Q(kind=Collection.Kind.REFUND)),
            Value(ZERO),
            output_field=_MONEY_FIELD,
        ),
    )
    return Decimal(totals["collected"]) - Decimal(totals["refunded"])


def with_net_collected(leads: QuerySet[Lead]) -> QuerySet[Lead]:
    """``leads`` annotated with ``net_collected`` in the same query (no query per lead)."""
    signed = Case(
        When(kind=Collection.Kind.REFUND, then=-F("amount")),
        default=F("amount"),
        output_field=_MONEY_FIELD,
    )
    net = (
        Collection.objects.filter(lead=OuterRef("pk"))
        .order_by()
        .values("lead")
        .annotate(net=Sum(signed))
        .values("net")
    )
    return leads.annotate(
        net_collected=Coalesce(
            Subquery(net, output_field=_MONEY_FIELD), Value(ZERO), output_field=_MONEY_FIELD
        )
    )


def effective_credit_split(*, lead: Lead) -> list[tuple[StaffProfile, Decimal, str]]:
    """Who shares the credit: the split the marketing lead set, else the introducer alone."""
    shares = list(lead.credit_shares.select_related("staff__user").order_by("-percent", "pk"))
    if not shares:
        return [(lead.introducer, HUNDRED, _("Introducer"))]
    return [(share.staff, share.percent, share.role) for share in shares]


# --------------------------------------------------------------------------- introduce


def _protected_matches(client_key: str, contact_key: str, today: datetime.date) -> QuerySet[Lead]:
    """Leads still protected on ``today`` for the same client. Empty keys never match."""
    match = Q(pk__in=[])
    if client_key:
        match |= Q(client_key=client_key)
    if contact_key:
        match |= Q(contact_key=contact_key)
    if not (client_key or contact_key):
        return Lead.objects.none()
    return (
        Lead.objects.filter(match, protected_until__gte=today)
        .exclude(status=Lead.Status.LOST)
        .order_by("created_at", "pk")
    )


@transaction.atomic
def lead_introduce(
    *,
    staff: StaffProfile,
    client_name: str,
    need: str,
    contact: str = "",
    estimated_value: Decimal = ZERO,
) -> Lead:
    """A staff member introduces a client. A second claim on a protected client is
    created flagged (``claim_status="pending"``) for the marketing lead to decide."""
    if not permissions.can_introduce_lead(staff.user):
        raise PermissionDenied
    client_name, contact, need = _text(client_name), _text(contact), _text(need)
    errors: dict[str, str] = {}
    if not client_name:
        errors["client_name"] = _("Name the client.")
    elif len(client_name) > CLIENT_MAX:
        errors["client_name"] = _("Keep the client's name under %(max)d characters.") % {
            "max": CLIENT_MAX
        }
    if len(contact) > CONTACT_MAX:
        errors["contact"] = _("Keep the contact under %(max)d characters.") % {"max": CONTACT_MAX}
    if not need:
        errors["need"] = _("Describe what the client needs.")
    elif len(need) > MAX_TEXT:
        errors["need"] = _("Keep the description under %(max)d characters.") % {"max": MAX_TEXT}
    _check_money(estimated_value, field="estimated_value", positive=False, errors=errors)
    if not errors and staff.marketing_lead_id is None:
        raise ValidationError(
            _("You have no marketing lead to follow up the lead; ask an administrator to name one.")
        )
    if errors:
        raise ValidationError(errors)

    today = timezone.localdate()
    client_key, contact_key = normalise_client(client_name), normalise_contact(contact)
    _lock_client(client_key, contact_key)
    earlier = list(
        _protected_matches(client_key, contact_key, today).select_for_update(of=("self",))
    )
    own = next((lead for lead in earlier if lead.introducer_id == staff.pk), None)
    if own is not None:
        raise ValidationError(
            {
                "client_name": _(
                    "You already introduced this client on %(day)s; it is protected for you "
                    "until %(until)s."
                )
                % {
                    "day": _day_text(timezone.localdate(own.created_at)),
                    "until": _day_text(own.protected_until),
                }
            }
        )
    conflicting = earlier[0] if earlier else None
    lead = Lead(
        introducer=staff,
        marketing_lead_id=staff.marketing_lead_id,
        client_name=client_name,
        client_key=client_key,
        contact=contact,
        contact_key=contact_key,
        need=need,
        estimated_value=Decimal(estimated_value),
        protected_until=today + datetime.timedelta(days=settings.ALLHANDS_CLIENT_PROTECTION_DAYS),
        conflicting_lead=conflicting,
        claim_status=Lead.Claim.PENDING if conflicting else Lead.Claim.CLEAR,
    )
    # The keys may be empty (a name made only of suffixes or punctuation): such a lead is
    # simply never matched.
    lead.full_clean(exclude=["client_key", "contact_key"])
    lead.save()
    record_change(subject=lead, from_state="", to_state=lead.status, actor=staff.user)
    if conflicting is not None:
        record_change(
            subject=lead,
            from_state="",
            to_state=f"claim:{Lead.Claim.PENDING}",
            actor=staff.user,
            reason=_("Second claim on a client protected by lead #%(pk)d until %(until)s.")
            % {"pk": conflicting.pk, "until": _day_text(conflicting.protected_until)},
        )
    return lead


# --------------------------------------------------------------------------- working a lead


def _locked(actor, lead: Lead) -> Lead:
    """Lock the lead's row and check that ``actor`` may work it."""
    lead = Lead.objects.select_for_update(of=("self",)).select_related("introducer").get(pk=lead.pk)
    if not permissions.can_work_lead(actor, lead):
        raise PermissionDenied
    return lead


def _check_move(lead: Lead, status: str) -> None:
    if not lead.can_move_to(status):
        raise ValidationError(
            _("A lead that is %(current)s cannot become %(new)s.")
            % {"current": Lead.Status(lead.status).label, "new": Lead.Status(status).label}
        )


def _move(lead: Lead, status: str, actor, reason: str = "") -> None:
    _check_move(lead, status)
    previous = lead.status
    lead.status = status
    lead.save()
    record_change(subject=lead, from_state=previous, to_state=status, actor=actor, reason=reason)


def _check_claim_decided(lead: Lead) -> None:
    if lead.claim_status == Lead.Claim.PENDING:
        raise ValidationError(
            _(
                "Another colleague introduced this client first: decide the second claim "
                "before moving the lead on."
            )
        )


@transaction.atomic
def lead_decide_claim(*, actor, lead: Lead, accept: bool, note: str = "") -> Lead:
    """Accept the second claim (both leads go on) or reject it (this one is lost)."""
    lead = _locked(actor, lead)
    if lead.claim_status != Lead.Claim.PENDING:
        raise ValidationError(_("There is no second claim waiting for a decision on this lead."))
    if lead.status == Lead.Status.LOST:
        raise ValidationError(_("This lead is already lost; there is nothing left to decide."))
    note = _text(note)
    if not accept and not note:
        raise ValidationError({"note": _("Say why the claim is rejected; the introducer sees it.")})
    if len(note) > MAX_TEXT:
        raise ValidationError(
            {"note": _("Keep the note under %(max)d characters.") % {"max": MAX_TEXT}}
        )
    lead.claim_status = Lead.Claim.ACCEPTED if accept else Lead.Claim.REJECTED
    lead.claim_note = note
    if not accept:
        lead.lost_reason = note
    lead.save()
    record_change(
        subject=lead,
        from_state=f"claim:{Lead.Claim.PENDING}",
        to_state=f"claim:{lead.claim_status}",
        actor=actor,
        reason=note,
    )
    if not accept:
        _move(lead, Lead.Status.LOST, actor, note)
    audit.services.record(
        action="lead_claim_decided",
        obj=lead,
        actor=actor,
        extra={"accepted": accept, "note": note},
    )
    return lead


@transaction.atomic
def lead_qualify(*, actor, lead: Lead) -> Lead:
    lead = _locked(actor, lead)
    _check_claim_decided(lead)
    _move(lead, Lead.Status.QUALIFIED, actor)
    return lead


@transaction.atomic
def lead_win(*, actor, lead: Lead, contract_amount: Decimal, won_on: datetime.date) -> Lead:
    """The contract is signed. The reward comes later, on money collected."""
    lead = _locked(actor, lead)
    errors: dict[str, str] = {}
    _check_money(contract_amount, field="contract_amount", positive=True, errors=errors)
    if not isinstance(won_on, datetime.date):
        errors["won_on"] = _("Enter the day the contract was signed.")
    elif won_on > timezone.localdate():
        errors["won_on"] = _("The contract cannot be signed on a future day.")
    if errors:
        raise ValidationError(errors)
    _check_claim_decided(lead)
    _check_move(lead, Lead.Status.WON)
    lead.contract_amount = Decimal(contract_amount)
    lead.won_on = won_on
    _move(
        lead,
        Lead.Status.WON,
        actor,
        _("Contract of %(amount)s signed on %(day)s.")
        % {"amount": _money_text(contract_amount), "day": _day_text(won_on)},
    )
    audit.services.record(
        action="lead_won",
        obj=lead,
        actor=actor,
        extra={"contract_amount": lead.contract_amount, "won_on": won_on},
    )
    return lead


@transaction.atomic
def lead_lose(*, actor, lead: Lead, reason: str) -> Lead:
    lead = _locked(actor, lead)
    reason = _text(reason)
    if not reason:
        raise ValidationError({"reason": _("Say why the lead was lost; the introducer sees it.")})
    if len(reason) > MAX_TEXT:
        raise ValidationError(
            {"reason": _("Keep the reason under %(max)d characters.") % {"max": MAX_TEXT}}
        )
    _check_move(lead, Lead.Status.LOST)
    if net_collected(lead=lead) > 0:
        raise ValidationError(
            _("Money was already collected on this lead: record the refund before marking it lost.")
        )
    lead.lost_reason = reason
    _move(lead, Lead.Status.LOST, actor, reason)
    return lead


@transaction.atomic
def lead_confirm_key_role(*, actor, lead: Lead) -> Lead:
    """The marketing lead confirms that the introducer played the key role in the deal."""
    lead = _locked(actor, lead)
    if lead.status == Lead.Status.LOST:
        raise ValidationError(_("This lead was lost; there is no key role to confirm."))
    if lead.key_role_confirmed:
        raise ValidationError(_("The key role is already confirmed."))
    lead.key_role_confirmed = True
    lead.save()
    record_change(
        subject=lead, from_state="key_role:open", to_state="key_role:confirmed", actor=actor
    )
    audit.services.record(
        action="lead_key_role_confirmed",
        obj=lead,
        actor=actor,
        extra={"introducer": lead.introducer_id},
    )
    return lead


# --------------------------------------------------------------------------- collections


@transaction.atomic
def collection_add(
    *,
    actor,
    lead: Lead,
    received_on: datetime.date,
    amount: Decimal,
    kind: str = Collection.Kind.COLLECTION,
    note: str = "",
) -> Collection:
    """Money received (or paid back) on a won deal. The lead's row lock keeps concurrent
    collections from taking the total above the contract; reaching the contract amount
    moves the lead from won to paid. A refund on a paid lead keeps it paid: the payout
    calculation claws the reward back."""
    lead = _locked(actor, lead)
    if lead.status not in (Lead.Status.WON, Lead.Status.PAID):
        raise ValidationError(_("Money can only be recorded on a won or paid lead."))
    note = _text(note)
    errors: dict[str, str] = {}
    if kind not in Collection.Kind.values:
        errors["kind"] = _("Choose collection or refund.")
    _check_money(amount, field="amount", positive=True, errors=errors)
    if not isinstance(received_on, datetime.date):
        errors["received_on"] = _("Enter the day the money arrived.")
    elif received_on > timezone.localdate():
        errors["received_on"] = _("The date cannot be in the future.")
    elif lead.won_on and received_on < lead.won_on:
        errors["received_on"] = _(
            "The date cannot be before the contract was signed (%(day)s)."
        ) % {"day": _day_text(lead.won_on)}
    if len(note) > NOTE_MAX:
        errors["note"] = _("Keep the note under %(max)d characters.") % {"max": NOTE_MAX}
    if errors:
        raise ValidationError(errors)

    amount = Decimal(amount)
    before = net_collected(lead=lead)
    contract = lead.contract_amount or ZERO
    if kind == Collection.Kind.COLLECTION and before + amount > contract:
        remaining = max(contract - before, ZERO)
        raise ValidationError(
            {
                "amount": _(
                    "Collection above contract: only %(remaining)s remain to be collected on "
                    "a contract of %(contract)s."
                )
                % {"remaining": _money_text(remaining), "contract": _money_text(contract)}
            }
        )
    if kind == Collection.Kind.REFUND and amount > before:
        raise ValidationError(
            {
                "amount": _("A refund cannot exceed what was collected: %(net)s so far.")
                % {"net": _money_text(before)}
            }
        )
    collection = Collection(
        lead=lead, kind=kind, received_on=received_on, amount=amount, note=note, recorded_by=actor
    )
    collection.full_clean()
    collection.save()
    after = before + collection.signed_amount
    reason = _("%(kind)s of %(amount)s received on %(day)s. %(note)s") % {
        "kind": Collection.Kind(kind).label,
        "amount": _money_text(amount),
        "day": _day_text(received_on),
        "note": note,
    }
    record_change(subject=collection, from_state="", to_state=kind, actor=actor, reason=note)
    record_change(
        subject=lead,
        from_state=f"collected:{before.quantize(CENT)}",
        to_state=f"collected:{after.quantize(CENT)}",
        actor=actor,
        reason=reason.strip(),
    )
    if lead.status == Lead.Status.WON and after >= contract:
        _move(lead, Lead.Status.PAID, actor, _("The contract amount is collected in full."))
    audit.services.record(
        action="lead_money_recorded",
        obj=lead,
        actor=actor,
        extra={
            "collection": collection.pk,
            "kind": kind,
            "amount": amount,
            "received_on": received_on,
            "net_collected": after,
        },
    )
    return collection


# --------------------------------------------------------------------------- credit split


def _can_share_credit(profile: StaffProfile) -> bool:
    return bool(
        profile.is_active and profile.user.is_active and not profile.department.is_marketing
    )


@transaction.atomic
def credit_split_set(
    *, actor, lead: Lead, shares: Iterable[tuple[StaffProfile, Decimal, str]]
) -> list[CreditShare]:
    """Replace the split of a won deal's credit. Weights are percentages with at most two
    decimals and add up to exactly 100."""
    lead = _locked(actor, lead)
    if lead.status not in (Lead.Status.WON, Lead.Status.PAID):
        raise ValidationError(_("The credit can only be split on a won or paid lead."))
    shares = [(profile, percent, _text(role)) for profile, percent, role in shares]
    problems: list[str] = []
    if not shares:
        raise ValidationError({"shares": _("Give at least one person a share.")})
    seen: set[int] = set()
    total = ZERO
    for profile, percent, role in shares:
        name = profile.display_name
        if profile.pk in seen:
            problems.append(
                _("%(name)s appears twice; give each person one share.") % {"name": name}
            )
        seen.add(profile.pk)
        if not _can_share_credit(profile):
            problems.append(
                _("%(name)s cannot share the credit: only active non-marketing staff can.")
                % {"name": name}
            )
        if (
            isinstance(percent, bool)
            or not isinstance(percent, Decimal | int)
            or not Decimal(percent).is_finite()
        ):
            problems.append(_("Enter %(name)s's share as a number such as 33.33.") % {"name": name})
            continue
        percent = Decimal(percent)
        if percent <= 0 or percent > HUNDRED:
            problems.append(
                _("%(name)s's share must be above 0 and at most 100 %%.") % {"name": name}
            )
        elif percent != percent.quantize(CENT):
            problems.append(
                _("%(name)s's share may have at most two decimal places.") % {"name": name}
            )
        total += percent
        if len(role) > ROLE_MAX:
            problems.append(
                _("Keep %(name)s's contribution under %(max)d characters.")
                % {"name": name, "max": ROLE_MAX}
            )
    if not problems and total != HUNDRED:
        problems.append(
            _("The shares add up to %(total)s %%; they must add up to 100 %%.")
            % {"total": total.quantize(CENT)}
        )
    if problems:
        raise ValidationError({"shares": problems})

    before = ", ".join(
        f"{share.staff_id}:{share.percent}" for share in lead.credit_shares.order_by("pk")
    )
    lead.credit_shares.all().delete()
    created = CreditShare.objects.bulk_create(
        CreditShare(lead=lead, staff=profile, percent=Decimal(percent), role=role)
        for profile, percent, role in shares
    )
    summary = "; ".join(
        _("%(name)s %(percent)s %%")
        % {"name": profile.display_name, "percent": Decimal(percent).quantize(CENT)}
        + (f" ({role})" if role else "")
        for profile, percent, role in shares
    )
    record_change(
        subject=lead,
        from_state="split:set" if before else "split:introducer",
        to_state="split:set",
        actor=actor,
        reason=summary,
    )
    audit.services.record(
        action="lead_credit_split",
        obj=lead,
        actor=actor,
        extra={
            "shares": [
                {"staff": profile.pk, "percent": Decimal(percent), "role": role}
                for profile, percent, role in shares
            ]
        },
    )
    return created
