import pytest

from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser]


def test_staff_sees_both_supervisors_on_their_profile(demo_company, open_page, shoot):
    page = open_page()
    log_in(page, "eng.1")
    page.goto("/me/")
    assert page.get_by_test_id("line-supervisor").inner_text().startswith("Chen Jie")
    assert page.get_by_test_id("marketing-lead").inner_text().startswith("Lin Fang")
    shoot(page, "profile")


def test_language_switch_renders_the_page_in_simplified_chinese(demo_company, open_page, shoot):
    page = open_page()
    log_in(page, "eng.1")
    page.goto("/me/")
    page.locator("#language-switch").select_option("zh-hans")
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert "主管" in page.content()
    shoot(page, "profile-zh")


def test_anonymous_visitor_is_sent_to_the_login_page(live_server, open_page):
    page = open_page()
    page.goto("/org/")
    assert "/accounts/login/" in page.url
