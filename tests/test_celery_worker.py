"""Jobs really run in a Celery worker process, through Redis, on the test database."""

import gc
import weakref

import pytest
from celery import signals

from config import celery
from config.celery import app
from departments.jobs import count_active_people
from tests.celery_worker import live_celery_worker  # noqa: F401 - a fixture
from tests.factories import DepartmentFactory, StaffProfileFactory

JOB = "departments.count_active_people"


def test_the_job_is_registered_under_its_explicit_name():
    app.loader.import_default_modules()

    assert count_active_people.name == JOB
    assert app.tasks[JOB].run is count_active_people.run


def test_the_job_counts_only_active_people(db):
    department = DepartmentFactory(code="ENG")
    StaffProfileFactory.create_batch(3, department=department)
    StaffProfileFactory(department=department, is_active=False)

    assert count_active_people() == 3


def test_unit_tests_run_jobs_inline(db):
    StaffProfileFactory(department=DepartmentFactory(code="ENG"))

    assert app.conf.task_always_eager is True
    assert count_active_people.delay().get(timeout=1, disable_sync_subtasks=False) == 1


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_answers_from_the_test_database(live_celery_worker):  # noqa: F811
    assert app.conf.task_always_eager is False
    department = DepartmentFactory(code="ENG")
    StaffProfileFactory.create_batch(4, department=department)
    StaffProfileFactory.create_batch(2, department=department, is_active=False)

    result = live_celery_worker.send(JOB)

    assert result.get(timeout=30, disable_sync_subtasks=False) == 4
    assert live_celery_worker.log_contains(f"Task {JOB}[{result.id}] succeeded"), (
        live_celery_worker.log()
    )

    # A second job sees what was committed since: the worker reads the live data.
    StaffProfileFactory(department=department)
    assert live_celery_worker.run(JOB) == 5


@pytest.mark.parametrize("signal", [signals.worker_ready, signals.worker_process_init])
def test_a_worker_freezes_what_it_loaded_once_it_is_ready(signal):
    receivers = [ref() if isinstance(ref, weakref.ref) else ref for _key, ref in signal.receivers]

    assert celery._freeze_the_loaded_objects in receivers


def test_frozen_objects_are_left_out_of_the_garbage_collectors_passes():
    gc.unfreeze()
    try:
        celery._freeze_the_loaded_objects()

        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
