"""Summaries are stored language-neutral (message ids) and read in the reader's language:
an action done in Chinese reads in English to an English administrator, and the other
way round, on the page and in the CSV export."""

from __future__ import annotations

import csv
import importlib
import io

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.urls import reverse
from django.utils import translation

from audit.models import AuditEntry
from tests.audit.conftest import entries
from tests.tasks.test_approvals import make_log

A = AuditEntry.Action
LIST = reverse("audit:list")
EXPORT = reverse("audit:export")
QUEUE = reverse("tasks:approval_queue")


def in_chinese(message: str) -> str:
    with translation.override("zh-hans"):
        wording = translation.gettext(message)
    assert wording != message, f"no Chinese wording for {message!r}"
    return wording


def speaking(client, language: str):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def reject_and_log_in(client, org, today, language: str) -> None:
    """The supervisor logs in on the login page and rejects an entry, in ``language``."""
    speaking(client, language)
    response = client.post(reverse("login"), {"username": "supervisor", "password": org.password})
    assert response.status_code == 302
    log = make_log(org.staff_profile, today, 30)
    response = client.post(
        QUEUE, {"action": "reject", "reason": "Name the client", "logs": [log.pk]}
    )
    assert response.status_code == 302
    client.logout()


def exported_summaries(client) -> tuple[list[str], list[str]]:
    table = list(csv.reader(io.StringIO(client.get(EXPORT).content.decode())))
    return [row[3] for row in table[1:]], table[0]


class TestSummariesFollowTheReader:
    def test_done_in_chinese_reads_in_english(self, client, org, today):
        reject_and_log_in(client, org, today, "zh-hans")
        login, rejected = entries(A.LOGIN)[0], entries(A.TIME_REJECTED)[0]
        assert (login.summary, rejected.summary) == ("Logged in", "Time rejected")

        client.force_login(org.admin)
        speaking(client, "en")
        html = client.get(LIST).content.decode()
        assert "Logged in" in html
        assert "Time rejected" in html
        assert in_chinese("Logged in") not in html
        assert in_chinese("Time rejected") not in html
        exported, header = exported_summaries(client)
        assert header[3] == "Summary"
        assert {"Logged in", "Time rejected"} <= set(exported)
        assert in_chinese("Logged in") not in exported

    def test_done_in_english_reads_in_chinese(self, client, org, today):
        reject_and_log_in(client, org, today, "en")

        client.force_login(org.admin)
        speaking(client, "zh-hans")
        html = client.get(LIST).content.decode()
        assert in_chinese("Audit log") in html  # the page itself is in Chinese
        assert in_chinese("Logged in") in html
        assert in_chinese("Time rejected") in html
        assert ">Logged in<" not in html
        exported, header = exported_summaries(client)
        assert header[3] == in_chinese("Summary")
        assert {in_chinese("Logged in"), in_chinese("Time rejected")} <= set(exported)
        assert "Logged in" not in exported

    def test_an_admin_change_reads_in_the_readers_language(self, client, org):
        client.force_login(org.admin)
        speaking(client, "zh-hans")
        group = Group.objects.create(name="auditors")
        response = client.post(
            reverse("admin:auth_group_change", args=[group.pk]), {"name": "auditors-2"}
        )
        assert response.status_code == 302
        [entry] = entries(A.ADMIN_CHANGED)
        assert entry.summary == "Changed Name."  # stored untranslated

        with translation.override("en"):
            assert entry.summary_text() == "Changed Name."
        with translation.override("zh-hans"):
            wording = translation.gettext("Changed {fields}.").format(
                fields=translation.gettext("Name")
            )
            assert entry.summary_text() == wording
        assert wording.startswith(in_chinese("Changed {fields}.")[:3])
        speaking(client, "en")
        assert "Changed Name." in client.get(LIST).content.decode()

    def test_the_text_search_finds_summaries_in_the_readers_language(self, client, org, today):
        reject_and_log_in(client, org, today, "en")
        client.force_login(org.admin)

        speaking(client, "zh-hans")
        found = client.get(LIST, {"q": in_chinese("Time rejected")}).context["entries"]
        assert [entry.action for entry in found] == [A.TIME_REJECTED]
        speaking(client, "en")
        found = client.get(LIST, {"q": "time rejected"}).context["entries"]
        assert [entry.action for entry in found] == [A.TIME_REJECTED]


class TestEntriesWrittenBefore:
    def test_the_migration_gives_chinese_summaries_their_message_id_back(self, org):
        old = [
            AuditEntry(action=A.LOGIN, summary=in_chinese("Logged in")),
            AuditEntry(action=A.TIME_REJECTED, summary=in_chinese("Time rejected")),
            AuditEntry(action=A.LOGIN, summary="Logged in"),
            AuditEntry(action=A.ADMIN_CHANGED, summary=in_chinese("Logged in")),
            AuditEntry(action=A.LOGIN, summary="Something else"),
        ]
        for entry in old:
            entry.save()
        loader = MigrationLoader(connection)
        name = ("audit", "0002_summaries_as_message_ids")
        migration = importlib.import_module(loader.get_migration(*name).__module__)

        migration.to_message_ids(loader.project_state(name).apps, None)

        assert [AuditEntry.objects.get(pk=entry.pk).summary for entry in old] == [
            "Logged in",
            "Time rejected",
            "Logged in",
            in_chinese("Logged in"),  # admin entries are worded from their change message
            "Something else",
        ]
