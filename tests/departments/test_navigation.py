"""The main navigation: what each role sees, which entry is current, the supervisor's
badge and the language — each drawn once per state and then reused."""

import datetime
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.autoreload import file_changed

from departments.templatetags import navigation
from tests.factories import DelegationFactory
from tests.tasks.test_approvals import make_log

pytestmark = pytest.mark.django_db


def _nav(response) -> str:
    html = response.content.decode()
    return html[html.index('id="nav-main"') : html.index("</nav>")]


def _active(nav: str) -> list[str]:
    return re.findall(r'class="nav-link( dropdown-toggle)? active"[^>]*>([^<]+)', nav)


def test_staff_sees_their_entries_and_today_is_current(org, login):
    nav = _nav(login(org.staff).get(reverse("tasks:today")))
    assert reverse("tasks:my_week") in nav
    assert reverse("rewards:my_statements") in nav
    assert reverse("tasks:approval_queue") not in nav
    assert reverse("audit:list") not in nav
    assert _active(nav) == [("", "Today")]


def test_current_entry_follows_the_page(org, login):
    client = login(org.staff)
    assert _active(_nav(client.get(reverse("tasks:my_week")))) == [("", "My week")]
    assert _active(_nav(client.get(reverse("departments:org_chart")))) == [("", "Organisation")]
    assert _active(_nav(client.get(reverse("tasks:dashboard_me")))) == [
        (" dropdown-toggle", "Dashboards")
    ]
    # A page without an entry of its own marks none.
    assert _active(_nav(client.get(reverse("rewards:my_statements")))) == []


def test_supervisor_badge_counts_entries_waiting(org, login, today):
    client = login(org.supervisor)
    assert "badge" not in _nav(client.get(reverse("departments:org_chart")))
    make_log(org.staff_profile, today)
    nav = _nav(client.get(reverse("departments:org_chart")))
    assert reverse("tasks:approval_queue") in nav
    assert re.search(r'<span class="badge[^"]*">1</span>', nav)


def test_admin_sees_the_audit_log_and_jobs(org, login):
    nav = _nav(login(org.admin).get(reverse("audit:list")))
    assert reverse("tasks:jobs") in nav
    assert _active(nav) == [("", "Audit log")]


def test_each_language_is_drawn_in_its_own_words(org, login):
    client = login(org.staff)
    english = _nav(client.get(reverse("tasks:today"), HTTP_ACCEPT_LANGUAGE="en"))
    client.cookies["django_language"] = "zh-hans"
    chinese = _nav(client.get(reverse("tasks:today")))
    with translation.override("zh-hans"):
        today_zh = translation.gettext("Today")
    assert ">Today<" in english
    assert today_zh != "Today"
    assert f">{today_zh}<" in chinese


def test_a_state_is_drawn_once(org, login):
    navigation._drawn.cache_clear()
    client = login(org.staff)
    client.get(reverse("tasks:today"))
    client.get(reverse("tasks:today"))
    client.get(reverse("tasks:my_week"))
    info = navigation._drawn.cache_info()
    assert (info.misses, info.hits) == (2, 1)


@pytest.fixture(autouse=True)
def _fresh_navigation():
    """Each test draws its own states: one drawn by an earlier test must not hide a leak."""
    navigation._drawn.cache_clear()
    yield
    navigation._drawn.cache_clear()


def test_what_one_user_is_shown_is_not_shown_to_the_next(org, login, client):
    admin_nav = _nav(login(org.admin).get(reverse("departments:org_chart")))
    client.logout()
    staff_nav = _nav(login(org.staff).get(reverse("departments:org_chart")))

    for admin_only in (reverse("audit:list"), reverse("tasks:jobs")):
        assert admin_only in admin_nav
        assert admin_only not in staff_nav


OWN_PAGES = {"tasks:my_tasks", "rewards:my_statements", "departments:delegations"}
ENTRY_PAGES = [
    "tasks:today",
    "tasks:my_week",
    "tasks:my_tasks",
    "tasks:approval_queue",
    "tasks:task_board",
    "tasks:outcome_queue",
    "rewards:my_leads",
    "rewards:pipeline",
    "rewards:my_statements",
    "rewards:recommend_queue",
    "rewards:approve_queue",
    "rewards:nominations",
    "rewards:periods",
    "departments:delegations",
    "tasks:dashboard_me",
    "tasks:dashboard_team",
    "tasks:dashboard_marketing",
    "tasks:dashboard_org",
    "tasks:jobs",
    "audit:list",
]


@pytest.mark.parametrize(
    "who", ["staff", "supervisor", "delegate", "lead", "finance", "admin", "other_supervisor"]
)
def test_the_navigation_offers_exactly_the_pages_the_user_may_open(org, login, who, today):
    """The navigation decides from roles what the views decide with their predicates: an
    entry is shown exactly when its page opens for this user."""
    DelegationFactory(
        delegator=org.supervisor,
        delegate=org.delegate,
        start_date=today - datetime.timedelta(days=1),
        end_date=today + datetime.timedelta(days=1),
    )
    client = login(getattr(org, who))
    nav = _nav(client.get(reverse("departments:org_chart")))

    disagree = [
        (name, status)
        for name in ENTRY_PAGES
        if (f'href="{reverse(name)}"' in nav)
        != ((status := client.get(reverse(name)).status_code) == 200)
        # Pages of one's own open for anyone, empty; they are offered to those they concern.
        and not (name in OWN_PAGES and status == 200)
    ]

    assert disagree == []


def _draw_one(org, login) -> None:
    login(org.staff).get(reverse("tasks:today"))
    assert navigation._drawn.cache_info().currsize == 1


def test_a_changed_language_setting_forgets_the_drawn_states(org, login, settings):
    _draw_one(org, login)
    settings.LANGUAGES = [("en", "English")]
    assert navigation._drawn.cache_info().currsize == 0


@pytest.mark.parametrize(("name", "forgets"), [("nav_items.html", True), ("views.py", False)])
def test_an_edited_template_or_catalogue_forgets_the_drawn_states(org, login, name, forgets):
    _draw_one(org, login)
    file_changed.send(sender=None, file_path=Path("templates/includes") / name)
    assert (navigation._drawn.cache_info().currsize == 0) is forgets


def test_the_entries_that_can_be_current_are_the_templates_entries():
    """``ENTRIES`` names the pages the template marks as current: one list, two places."""
    template = (settings.BASE_DIR / "templates/includes/nav_items.html").read_text()
    assert set(re.findall(r'active == "([^"]+)"', template)) == navigation.ENTRIES
