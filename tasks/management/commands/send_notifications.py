from django.core.management.base import BaseCommand

from tasks.digests import send_approval_reminders, send_weekly_digests
from tasks.notifications import notify_missed_rejections


class Command(BaseCommand):
    help = (
        "Send today's approval reminders, last week's digests and/or the rejection "
        "emails still due. Each message goes out once, however often this runs."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "which",
            choices=["reminders", "digests", "rejections", "all"],
            default="all",
            nargs="?",
        )

    def handle(self, *args, which, **options):
        if which in ("reminders", "all"):
            self.stdout.write(f"{send_approval_reminders()} reminder(s) sent.")
        if which in ("digests", "all"):
            self.stdout.write(f"{send_weekly_digests()} digest(s) sent.")
        if which in ("rejections", "all"):
            self.stdout.write(f"{notify_missed_rejections()} rejection email(s) sent.")
