import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from departments.scale import PASSWORD, Progress, ScaleSeed


class Command(BaseCommand):
    help = (
        "Fill an empty database with a large organisation and a year of assist work, for "
        "load tests and `make bench` (deterministic for a given --seed; fastest on "
        "PostgreSQL, where it loads with COPY)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--people", type=int, default=10_000)
        parser.add_argument("--days", type=int, default=365, help="Days of history up to today.")
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--quiet", action="store_true", help="No progress bars.")

    def handle(self, *args, **options):
        if connection.vendor != "postgresql" and options["people"] > 2_000:
            raise CommandError(
                f"SQLite takes at most 2,000 people here; to seed {options['people']:,}, set "
                "DATABASE_URL to a new, migrated PostgreSQL database, or ask for fewer "
                "with --people."
            )
        started = time.monotonic()
        seed = ScaleSeed(
            people=options["people"],
            days=options["days"],
            seed=options["seed"],
            progress=Progress(self.stderr, enabled=not options["quiet"]),
        )
        try:
            counts = seed.run()
        except (RuntimeError, ValueError) as error:
            raise CommandError(str(error)) from error
        for name, count in counts.items():
            self.stdout.write(f"  {name:<22} {count:>12,}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded in {time.monotonic() - started:.0f} s. Logins: s00001 … "
                f"s{options['people']:05d}, scale-finance, scale-admin (password: {PASSWORD})."
            )
        )
