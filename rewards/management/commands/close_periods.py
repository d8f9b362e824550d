import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from rewards.services.payouts import payout_periods_close_due


class Command(BaseCommand):
    help = (
        "Close every open payout period whose grace days are over (the monthly job). "
        "Safe to run again: a period already closed is left alone."
    )

    def add_arguments(self, parser):
        parser.add_argument("--today", help="Act as if today were this day (YYYY-MM-DD).")
        parser.add_argument(
            "--grace-days",
            type=int,
            default=None,
            help="Days after a period's end before it closes "
            "(default: ALLHANDS_LOGGING_GRACE_DAYS).",
        )

    def handle(self, *args, today, grace_days, **options):
        try:
            day = datetime.date.fromisoformat(today) if today else None
        except ValueError as error:
            raise CommandError(f"Dates are written YYYY-MM-DD: {error}") from error
        if grace_days is None:
            grace_days = settings.ALLHANDS_LOGGING_GRACE_DAYS
        if grace_days < 0:
            raise CommandError("--grace-days cannot be negative.")
        closed = payout_periods_close_due(today=day, grace_days=grace_days)
        if closed:
            self.stdout.write(
                self.style.SUCCESS(
                    f"{len(closed)} period(s) closed: {', '.join(str(pk) for pk in closed)}."
                )
            )
        else:
            self.stdout.write("No period was due.")
