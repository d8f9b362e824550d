"""The Celery application.

Job modules are called ``jobs.py`` in each Django app (``tasks`` is the name of the
marketing-assist app, so a ``tasks.py`` of Celery jobs would be ambiguous).
"""

import gc
import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("allhands")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(related_name="jobs")


@signals.worker_ready.connect
@signals.worker_process_init.connect
def _freeze_the_loaded_objects(**_kwargs) -> None:
    """Move what the worker loaded at start (Django, the apps, Celery) out of the cyclic
    garbage collector's reach: a job that allocates a lot then triggers no full pass over
    those objects, which would otherwise add tens of milliseconds at random."""
    gc.freeze()
