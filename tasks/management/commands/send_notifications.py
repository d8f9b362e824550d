from django.core.management.base import BaseCommand

from tasks.digests import send_approval_reminders, send_weekly_digests


class Command(BaseCommand):
    help = (
        "Send today's approval reminders and/or last week's digests. Each message goes "
        "out once, however often this runs."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "which", choices=["reminders", "digests", "all"], default="all", nargs="?"
        )

    def handle(self, *args, which, **options):
        if which in ("reminders", "all"):
            self.stdout.write(f"{send_approval_reminders()} reminder(s) sent.")
        if which in ("digests", "all"):
            self.stdout.write(f"{send_weekly_digests()} digest(s) sent.")
