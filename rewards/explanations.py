"""Human-readable explanations of reward lines, rendered in the reader's language from
the facts the calculation stored."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.utils.dateparse import parse_date
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from rewards.models import RewardLine


def _money(value) -> str:
    if value is None:
        return "—"
    return f"{number_format(Decimal(value), 2, force_grouping=True)} {settings.ALLHANDS_CURRENCY}"


def _day(value) -> str:
    day = parse_date(value) if isinstance(value, str) else value
    return date_format(day, "SHORT_DATE_FORMAT") if day else "—"


def explain(line: RewardLine) -> str:
    facts = line.explanation or {}
    source = line.source
    if source == RewardLine.Source.SUPPORT_TIME:
        return _(
            "%(hours)s approved hours of support work × %(rate)s per hour "
            "(rule in force from %(rule_from)s) = %(amount)s"
        ) % {
            "hours": facts.get("hours"),
            "rate": _money(facts.get("rate")),
            "rule_from": _day(facts.get("rule_from")),
            "amount": _money(line.amount),
        }
    if source == RewardLine.Source.TASK:
        return _(
            "Task “%(title)s” completed on %(day)s: %(rate)s per completed task "
            "(rule in force from %(rule_from)s)"
        ) % {
            "title": facts.get("title", ""),
            "day": _day(facts.get("completed_on")),
            "rate": _money(facts.get("rate")),
            "rule_from": _day(facts.get("rule_from")),
        }
    if source == RewardLine.Source.SUPPORT_CAP:
        return _(
            "Monthly cap of %(cap)s per person applied: support rewards of %(before)s "
            "reduced by %(amount)s"
        ) % {
            "cap": _money(facts.get("cap")),
            "before": _money(facts.get("before")),
            "amount": _money(-line.amount),
        }
    if source in (RewardLine.Source.LEAD, RewardLine.Source.CLAWBACK):
        parts = [
            _("Lead “%(client)s”: %(collected)s collected and past its hold-back")
            % {
                "client": facts.get("client", ""),
                "collected": _money(facts.get("collected")),
            },
            _("%(percents)s %% of it = %(base)s")
            % {
                "percents": " / ".join(facts.get("percents") or ["0"]),
                "base": _money(facts.get("base")),
            },
        ]
        if Decimal(facts.get("tiers") or "0"):
            parts.append(_("tier bonus %(tiers)s") % {"tiers": _money(facts.get("tiers"))})
        if facts.get("capped"):
            parts.append(_("capped at %(cap)s per lead") % {"cap": _money(facts.get("cap"))})
        parts.append(_("lead total %(due)s") % {"due": _money(facts.get("due"))})
        parts.append(
            _("your share %(share)s %% = %(person_due)s")
            % {
                "share": facts.get("share"),
                "person_due": _money(facts.get("person_due")),
            }
        )
        if Decimal(facts.get("earlier") or "0"):
            parts.append(
                _("less %(earlier)s given in earlier periods")
                % {"earlier": _money(facts.get("earlier"))}
            )
        if Decimal(facts.get("held_back") or "0"):
            parts.append(
                _("%(held)s still in hold-back, counted in a later period")
                % {"held": _money(facts.get("held_back"))}
            )
        text = "; ".join(parts) + "."
        if source == RewardLine.Source.CLAWBACK:
            text = _("Clawback after a refund or a changed split: %(details)s") % {"details": text}
        return text
    if source == RewardLine.Source.ADJUSTMENT:
        return _("Manual adjustment: %(reason)s") % {"reason": line.reason}
    return line.reason or ""
