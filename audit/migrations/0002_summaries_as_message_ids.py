"""Summaries are now stored as message ids (the English source text) and translated for
each reader. Entries written before were stored in the acting user's language; those
that are one of the app's own summaries get their message id back. The wording changes,
not what happened: who, what, when and from where stay as recorded. Anything else (admin
change messages, which are worded again from their change message anyway) is left as
it is."""

from django.conf import settings
from django.db import migrations
from django.utils import translation

# The summaries as of this migration (action labels and the fixed summaries).
MESSAGE_IDS = [
    "Access refused",
    "Admin: added",
    "Admin: changed",
    "Admin: deleted",
    "Audit log export",
    "Audit log exported",
    "Extension granted",
    "Extension refused",
    "Failed login",
    "Locked out after too many failed logins",
    "Lockout",
    "Logged in",
    "Logged out",
    "Login",
    "Logout",
    "Payout calculation requested",
    "Payout export",
    "Payout period closed",
    "Payout period marked paid",
    "Permission denied",
    "Reward adjustment added",
    "Statement approved",
    "Statement recommended",
    "Statement returned",
    "Time approved",
    "Time rejected",
]
ADMIN_ACTIONS = ["admin_added", "admin_changed", "admin_deleted"]


def to_message_ids(apps, schema_editor):
    # The historical model has a plain manager: the app's append-only guard is not in play.
    entries = apps.get_model("audit", "AuditEntry").objects.exclude(action__in=ADMIN_ACTIONS)
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            worded = {translation.gettext(message): message for message in MESSAGE_IDS}
        for text, message in worded.items():
            if text != message:
                entries.filter(summary=text).update(summary=message)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(to_message_ids, migrations.RunPython.noop)]
