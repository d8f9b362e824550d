"""The audit log is append-only: no change and no removal, through any door."""

import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory
from django.urls import reverse

from audit import services
from audit.models import AuditEntry, AuditLogImmutableError


@pytest.fixture
def entry(db):
    return services.record(action=AuditEntry.Action.LOGIN, summary="Logged in")


def test_a_saved_entry_cannot_be_saved_again(entry):
    entry.summary = "Nothing happened"
    with pytest.raises(AuditLogImmutableError):
        entry.save()
    assert AuditEntry.objects.get(pk=entry.pk).summary == "Logged in"


def test_a_copy_with_the_same_id_does_not_overwrite_the_entry(entry):
    forged = AuditEntry(pk=entry.pk, action=AuditEntry.Action.LOGOUT)
    with pytest.raises(Exception):  # noqa: B017 - the database refuses the duplicate id
        forged.save()


def test_an_entry_cannot_be_deleted(entry):
    with pytest.raises(AuditLogImmutableError):
        entry.delete()
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_the_queryset_refuses_update_and_delete(entry):
    with pytest.raises(AuditLogImmutableError):
        AuditEntry.objects.filter(pk=entry.pk).update(summary="x")
    with pytest.raises(AuditLogImmutableError):
        AuditEntry.objects.all().delete()
    with pytest.raises(AuditLogImmutableError):
        AuditEntry.objects.update(summary="x")
    assert AuditEntry.objects.get(pk=entry.pk).summary == "Logged in"


def test_bulk_update_is_refused_too(entry):
    entry.summary = "x"
    with pytest.raises(AuditLogImmutableError):
        AuditEntry.objects.bulk_update([entry], ["summary"])


def test_the_admin_only_reads(org, entry):
    request = RequestFactory().get("/admin/")
    request.user = org.admin
    model_admin = site._registry[AuditEntry]
    assert model_admin.has_view_permission(request, entry)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, entry)
    assert not model_admin.has_delete_permission(request, entry)


def test_the_admin_pages_refuse_changes(org, entry, login):
    client = login(org.admin)
    assert client.get(reverse("admin:audit_auditentry_changelist")).status_code == 200
    assert client.get(reverse("admin:audit_auditentry_add")).status_code == 403
    delete_url = reverse("admin:audit_auditentry_delete", args=[entry.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    change_url = reverse("admin:audit_auditentry_change", args=[entry.pk])
    client.post(change_url, {"summary": "Nothing happened"})
    assert AuditEntry.objects.get(pk=entry.pk).summary == "Logged in"
