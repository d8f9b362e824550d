"""The Celery application.

Job modules are called ``jobs.py`` in each Django app (``tasks`` is the name of the
marketing-assist app, so a ``tasks.py`` of Celery jobs would be ambiguous).
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("allhands")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(related_name="jobs")
