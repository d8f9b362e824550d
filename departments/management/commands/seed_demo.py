from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string

from departments.demo import PEOPLE, demo_password

# Each app contributes its part of the demo company, in dependency order.
SEEDERS = [
    "departments.demo.seed_organisation",
    "tasks.demo.seed_assist_work",
    "rewards.demo.seed_rewards",
]


class Command(BaseCommand):
    help = "Create or refresh the demo company (idempotent)."

    def handle(self, *args, **options):
        for dotted in SEEDERS:
            import_string(dotted)()
            self.stdout.write(f"  seeded {dotted.rsplit('.', 1)[-1].removeprefix('seed_')}")
        self.stdout.write(
            self.style.SUCCESS(f"Demo company ready. Logins (password: {demo_password()}):")
        )
        for username, first, last, _number, dept, title, *_ in PEOPLE:
            self.stdout.write(f"  {username:<10} {first} {last}, {title} ({dept})")
