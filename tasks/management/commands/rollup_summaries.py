import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tasks.summaries import summaries_rebuild, summaries_rollup


class Command(BaseCommand):
    help = (
        "Roll up time logs into the summary tables: dirty days plus yesterday (the daily "
        "job), given days, or --rebuild everything from the raw logs."
    )

    def add_arguments(self, parser):
        parser.add_argument("days", nargs="*", help="Days to recompute in full (YYYY-MM-DD).")
        parser.add_argument(
            "--rebuild", action="store_true", help="Recompute all of history (repair)."
        )
        parser.add_argument("--start", help="With --rebuild: first day (YYYY-MM-DD).")
        parser.add_argument("--end", help="With --rebuild: last day (YYYY-MM-DD).")

    def handle(self, *args, days, rebuild, start, end, **options):
        try:
            parsed = [datetime.date.fromisoformat(day) for day in days]
            start_day = datetime.date.fromisoformat(start) if start else None
            end_day = datetime.date.fromisoformat(end) if end else None
        except ValueError as error:
            raise CommandError(f"Dates are written YYYY-MM-DD: {error}") from error
        if rebuild:
            result = summaries_rebuild(start=start_day, end=end_day)
        else:
            result = summaries_rollup(
                days=parsed or [timezone.localdate() - datetime.timedelta(days=1)]
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"{result['person_days']} person-days and "
                f"{result['department_days']} department-days rolled up."
            )
        )
