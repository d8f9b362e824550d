"""Guards the serialised rollback in conftest: a transactional test must not take the
data migrations' rows away from the tests that run after it."""

import pytest
from django.contrib.auth.models import Group

from tasks.models import AssistCategory


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_runs_first():
    AssistCategory.objects.all().delete()
    assert not AssistCategory.objects.exists()


@pytest.mark.django_db
def test_migration_rows_are_still_there_afterwards():
    assert AssistCategory.objects.count() == 8
    assert Group.objects.filter(name__in=["finance", "admin"]).count() == 2
