"""The approval queue's page: which entries fill it, the figures of each day, and how the
rows are drawn (their names, links and escaping)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from departments.models import StaffProfile
from tasks import selectors_approvals, services
from tasks.models import AssistCategory, TimeLog
from tests.factories import BudgetRuleFactory, StaffProfileFactory, UserFactory

QUEUE = reverse("tasks:approval_queue")


def category(code=None):
    categories = AssistCategory.objects.filter(is_active=True).order_by("order", "pk")
    return categories.get(code=code) if code else categories.first()


def log(profile, day, minutes=30, *, description="Called a client", code=None, task=None):
    return services.time_log_create(
        staff=profile,
        day=day,
        minutes=minutes,
        category=category(code),
        description=description,
        duties_done=True,
        task=task,
    )


def report(org, first_name, **extra):
    return StaffProfileFactory(
        user=UserFactory(username=first_name.lower(), first_name=first_name, last_name="Test"),
        department=org.engineering,
        line_supervisor=org.supervisor,
        **extra,
    )


def queue_of(org, today, **filters):
    return selectors_approvals.approval_queue(user=org.supervisor, day=today, **filters)


def shown(queue):
    return [
        (day.staff.display_name, day.day, [entry.pk for entry in day.logs]) for day in queue.days
    ]


class TestWhatFillsThePage:
    @pytest.fixture
    def team(self, org, today):
        """Three reports besides the org's staff, by name: Ann, Bob and Cid."""
        days = [today - datetime.timedelta(days=n) for n in (3, 2, 1)]
        cid, ann, bob = report(org, "Cid"), report(org, "Ann"), report(org, "Bob")
        return {
            "days": days,
            "ann": [log(ann, day) for day in days],
            "bob": [log(bob, days[2]), log(bob, days[0]), log(bob, days[1]), log(bob, days[0])],
            "cid": [log(cid, days[0]), log(cid, days[1])],
        }

    def test_the_first_entries_by_name_fill_it_and_the_last_person_shows_their_earliest(
        self, org, today, team
    ):
        queue = queue_of(org, today, limit=5)
        days, bob = team["days"], team["bob"]
        assert shown(queue) == [
            ("Ann Test", days[0], [team["ann"][0].pk]),
            ("Ann Test", days[1], [team["ann"][1].pk]),
            ("Ann Test", days[2], [team["ann"][2].pk]),
            ("Bob Test", days[0], [bob[1].pk, bob[3].pk]),
        ]
        assert (queue.entries, queue.people, queue.truncated) == (9, 3, True)
        assert queue.minutes == 9 * 30

    def test_a_page_that_holds_everyone_is_not_truncated(self, org, today, team):
        queue = queue_of(org, today, limit=9)
        assert [name for name, _day, _ids in shown(queue)].count("Cid Test") == 2
        assert sum(len(day.logs) for day in queue.days) == 9
        assert not queue.truncated

    def test_a_person_filter_shows_only_them(self, org, today, team):
        choices = selectors_approvals.queue_choices(user=org.supervisor, day=today)
        bob = next(p for p in choices.people if p.display_name == "Bob Test")
        queue = queue_of(org, today, choices=choices, person=bob, limit=3)
        assert [ids for _name, _day, ids in shown(queue)] == [
            [team["bob"][1].pk, team["bob"][3].pk],
            [team["bob"][2].pk],
        ]
        assert (queue.entries, queue.people, queue.all_entries) == (4, 1, 9)

    def test_a_category_and_dates_count_only_what_matches(self, org, today, team):
        codes = list(AssistCategory.objects.order_by("order", "pk").values_list("code", flat=True))
        odd = log(StaffProfile.objects.get(user__username="cid"), today, 15, code=codes[1])
        queue = queue_of(
            org,
            today,
            category=AssistCategory.objects.get(code=codes[1]),
            date_from=today,
            date_to=today,
        )
        assert shown(queue) == [("Cid Test", today, [odd.pk])]
        assert (queue.entries, queue.minutes, queue.people, queue.all_entries) == (1, 15, 1, 10)

    def test_someone_who_left_keeps_their_waiting_entries_but_is_no_choice(
        self, client, org, today, team
    ):
        StaffProfile.objects.filter(user__username="ann").update(is_active=False)
        client.force_login(org.supervisor)
        response = client.get(QUEUE)
        assert "Ann Test" in [day.staff.display_name for day in response.context["queue"].days]
        choices = [label for _value, label in response.context["filters"].fields["person"].choices]
        assert "Ann Test" not in choices
        assert choices[0] == "Everyone"
        assert [label for label in choices if label.endswith(" Test")] == ["Bob Test", "Cid Test"]

    def test_a_category_added_after_the_choices_were_read_still_labels_its_entries(
        self, org, today, team
    ):
        choices = selectors_approvals.queue_choices(user=org.supervisor, day=today)
        late = AssistCategory.objects.create(code="late", name="Late category", order=99)
        TimeLog.objects.filter(pk=team["ann"][0].pk).update(category=late)
        stale = selectors_approvals.QueueChoices(people=choices.people, categories=[])
        queue = queue_of(org, today, choices=stale)
        assert queue.days[0].logs[0].category == late


class TestTheDaysFigures:
    def test_a_rejected_entry_no_longer_counts_towards_its_day(self, org, today):
        yesterday = today - datetime.timedelta(days=1)
        kept, dropped = log(org.staff_profile, yesterday, 40), log(org.staff_profile, yesterday, 50)
        services.time_logs_reject(actor=org.supervisor, log_ids=[dropped.pk], reason="Not ours")
        [day] = queue_of(org, today).days
        assert [entry.pk for entry in day.logs] == [kept.pk]
        assert (day.figures.counted, day.figures.cap) == (40, 120)

    def test_a_day_over_its_cap_is_flagged(self, client, org, today):
        yesterday = today - datetime.timedelta(days=1)
        log(org.staff_profile, yesterday, 90)
        # The budget was lowered after the time was logged.
        BudgetRuleFactory(staff=org.staff_profile, daily_minutes=60, effective_from=yesterday)
        client.force_login(org.supervisor)
        response = client.get(QUEUE)
        [day] = response.context["queue"].days
        assert (day.figures.counted, day.figures.cap, day.figures.over) == (90, 60, True)
        body = response.content.decode()
        assert '<span class="text-danger fw-semibold">90 of 60 minutes that day</span>' in body
        assert '<span class="badge text-bg-danger">over budget</span>' in body

    def test_a_day_within_its_cap_is_not_flagged(self, client, org, today):
        log(org.staff_profile, today, 30)
        client.force_login(org.supervisor)
        body = client.get(QUEUE).content.decode()
        assert "<span>30 of 120 minutes that day</span>" in body
        assert "over budget" not in body


class TestTheRows:
    def test_each_entry_has_a_checkbox_named_by_its_minutes_and_the_day_one_for_all(
        self, client, org, today
    ):
        first, second = log(org.staff_profile, today, 20), log(org.staff_profile, today, 25)
        client.force_login(org.supervisor)
        body = client.get(QUEUE).content.decode()
        assert (
            f'<input class="form-check-input" type="checkbox" name="logs" value="{first.pk}" '
            f'id="log-{first.pk}" data-entry data-group="1" '
            'aria-label="Tick the entry of 20 minutes">'
        ) in body
        assert f'name="logs" value="{first.pk},{second.pk}" id="group-1"' in body
        assert '<label class="form-check-label" for="group-1" id="group-1-label">' in body
        assert "45 minutes waiting" in body

    def test_text_is_escaped(self, client, org, today):
        profile = report(org, "<b>Eve</b>")
        log(profile, today, description="<script>alert(1)</script>")
        client.force_login(org.supervisor)
        body = client.get(QUEUE).content.decode()
        assert "<script>alert(1)</script>" not in body
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
        assert "<b>Eve</b>" not in body
        assert body.count("&lt;b&gt;Eve&lt;/b&gt; Test") == 2  # the day and the filter

    def test_every_text_drawn_is_escaped_and_a_long_outcome_shortened(self, client, org, today):
        org.engineering.name = "<i>Dept</i>"
        org.engineering.save()
        chosen = category()
        chosen.name = chosen.name_zh_hans = "<u>Cat</u>"
        chosen.save()
        for outcome in ("<script>x</script>", "y" * 300):
            services.time_log_create(
                staff=org.staff_profile,
                day=today,
                minutes=15,
                category=chosen,
                description="Called a client",
                outcome=outcome,
                duties_done=True,
            )
        client.force_login(org.supervisor)
        body = client.get(QUEUE).content.decode()
        for raw, escaped in (
            ("<i>Dept</i>", "&lt;i&gt;Dept&lt;/i&gt;"),
            ("<u>Cat</u>", "&lt;u&gt;Cat&lt;/u&gt;"),
            ("<script>x</script>", "&lt;script&gt;x&lt;/script&gt;"),
        ):
            assert raw not in body
            assert escaped in body
        assert "y" * 199 + "…" in body
        assert "y" * 200 not in body

    def test_a_long_description_is_shortened_and_a_missing_outcome_is_a_dash(
        self, client, org, today
    ):
        log(org.staff_profile, today, description="x" * 300)
        client.force_login(org.supervisor)
        body = client.get(QUEUE).content.decode()
        assert f'<td class="ah-pre">{"x" * 199}…</td><td class="ah-pre">—</td>' in body

    def test_the_task_is_linked(self, client, org, today):
        task = services.task_create(
            actor=org.lead,
            title="Trade fair & booth",
            category=category(),
            due_date=today + datetime.timedelta(days=10),
            estimated_minutes=60,
            assignees=[org.staff],
        )
        log(org.staff_profile, today, task=task)
        client.force_login(org.supervisor)
        body = client.get(QUEUE).content.decode()
        url = reverse("tasks:task_detail", args=[task.pk])
        assert f'<td><a href="{url}">Trade fair &amp; booth</a></td>' in body

    def test_the_chosen_person_stays_selected(self, client, org, today):
        log(org.staff_profile, today)
        client.force_login(org.supervisor)
        body = client.get(QUEUE, {"person": org.staff_profile.pk}).content.decode()
        assert f'<option value="{org.staff_profile.pk}" selected>' in body
        assert '<option value="" selected>Everyone</option>' not in body
        assert '<option value="" selected>All categories</option>' in body


class TestTheBadge:
    def test_a_filtered_queue_still_counts_everything_waiting_in_the_badge(
        self, client, org, today
    ):
        codes = list(AssistCategory.objects.order_by("order", "pk").values_list("code", flat=True))
        log(org.staff_profile, today, code=codes[0])
        log(org.staff_profile, today, code=codes[1])
        client.force_login(org.supervisor)
        response = client.get(QUEUE, {"category": AssistCategory.objects.get(code=codes[1]).pk})
        assert response.context["queue"].entries == 1
        assert '<span class="badge text-bg-warning">2</span>' in response.content.decode()


class TestQueries:
    @pytest.mark.parametrize(
        "query",
        [{}, {"category": "first"}, {"person": "staff", "date_from": "2026-03-01"}],
        ids=["unfiltered", "by-category", "by-person-and-date"],
    )
    def test_the_page_stays_within_ten_queries_with_a_full_page(self, client, org, today, query):
        for n in range(selectors_approvals.QUEUE_LIMIT + 5):
            TimeLog.objects.create(
                staff=org.staff_profile,
                day=today - datetime.timedelta(days=n % 7),
                minutes=5,
                category=category(),
                description=f"Entry {n}",
                duties_done=True,
            )
        values = {
            "first": category().pk,
            "staff": org.staff_profile.pk,
        }
        client.force_login(org.supervisor)
        params = {name: values.get(value, value) for name, value in query.items()}
        with CaptureQueriesContext(connection) as queries:
            response = client.get(QUEUE, params)
        assert response.status_code == 200
        assert response.context["queue"].truncated
        assert len(queries) <= 10
