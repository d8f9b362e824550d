"""The profile's language default follows the site language at creation time, and the
title is labelled a job title. Neither changes the database; the state change is kept
apart so that SQLite does not rebuild the profile table (a rebuild would break the
marketing-lead triggers of 0002, which name that table)."""

from django.db import migrations, models

import departments.models


class Migration(migrations.Migration):
    dependencies = [
        ("departments", "0002_groups_and_marketing_lead_triggers"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="staffprofile",
                    name="language",
                    field=models.CharField(
                        choices=[("en", "English"), ("zh-hans", "Simplified Chinese")],
                        default=departments.models.default_language,
                        help_text="Language of the emails this person receives.",
                        max_length=10,
                        verbose_name="language",
                    ),
                ),
                migrations.AlterField(
                    model_name="staffprofile",
                    name="title",
                    field=models.CharField(blank=True, max_length=120, verbose_name="job title"),
                ),
            ],
            database_operations=[],
        ),
    ]
