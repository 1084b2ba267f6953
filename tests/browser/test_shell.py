"""The GOV.UK shell in a real browser, under the real CSP: sign in as every role,
check what each one sees, keyboard access, and axe (WCAG 2.2 AA)."""

import re

import pytest
from playwright.sync_api import expect

from skills_app.accounts.permissions import Role
from tests.browser.conftest import assert_accessible, assert_no_csp_violations, login
from tests.conftest import PASSWORD
from tests.factories import PersonFactory, PersonSkillFactory, RoleRequirementFactory
from tests.test_pages import EXPECTED_NAV

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def nav_texts(page) -> list[str]:
    items = page.locator(".govuk-service-navigation__list > .govuk-service-navigation__item")
    return [re.sub(r"\s+", " ", text).strip() for text in items.all_inner_texts()]


def test_login_page_is_accessible(page, live_server, console_errors):
    page.goto(f"{live_server.url}/accounts/login/")
    expect(page).to_have_title("Sign in to Muster - Muster")
    expect(page.locator("h1")).to_have_text("Sign in to Muster")
    # The nonce'd inline script ran and GOV.UK Frontend's JavaScript started.
    expect(page.locator("body")).to_have_class(
        re.compile(r"\bjs-enabled\b.*\bgovuk-frontend-supported\b")
    )
    expect(page.get_by_role("button", name="Show password")).to_be_visible()
    # The shell itself is clean at every impact level, moderate ("region") included.
    assert_accessible(page, impacts=None)
    assert_no_csp_violations(page, console_errors)
    assert console_errors == []


def test_govuk_fonts_and_styles_load(page, live_server):
    page.goto(f"{live_server.url}/accounts/login/")
    page.evaluate("document.fonts.ready")
    assert page.evaluate("document.fonts.check('700 36px \"GDS Transport\"')")
    font = page.locator("h1").evaluate("el => getComputedStyle(el).fontFamily")
    assert "GDS Transport" in font
    # The crown logo is drawn, and the header has the GOV.UK brand colour.
    expect(page.locator(".govuk-header__logotype")).to_be_visible()
    header = page.locator(".govuk-header")
    background = header.evaluate("el => getComputedStyle(el).backgroundColor")
    assert background == "rgb(29, 112, 184)"


def test_wrong_password_shows_the_error_summary(page, live_server, make_user, console_errors):
    make_user(Role.STAFF, username="wrong-password-user")
    login(page, live_server, "wrong-password-user", "not-the-password")
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Enter a correct username and password")
    expect(page).to_have_title("Error: Sign in to Muster - Muster")
    # GOV.UK Frontend moves focus to the summary so screen readers announce it.
    expect(summary).to_be_focused()
    expect(page.locator("#id_username")).to_have_value("wrong-password-user")
    expect(page.locator("#id_password")).to_have_value("")
    # The link in the summary moves focus to the field.
    summary.get_by_role("link").click()
    expect(page.locator("#id_username")).to_be_focused()
    assert_accessible(page)
    assert_no_csp_violations(page, console_errors)


@pytest.mark.parametrize("role", list(Role))
def test_each_role_signs_in_and_sees_its_navigation(
    page, live_server, make_user, console_errors, role
):
    make_user(role, username=f"browser-{role}")
    login(page, live_server, f"browser-{role}", PASSWORD)
    assert page.url == f"{live_server.url}/"
    expect(page).to_have_title("Home - Muster")
    expect(page.locator("h1")).to_contain_text(f"Hello, browser-{role}")
    assert nav_texts(page) == EXPECTED_NAV[role]
    # No "Home" item: the service name links home and marks it as the current page.
    current = page.locator(".govuk-service-navigation__link[aria-current='page']")
    expect(current).to_have_text("Muster")
    # Every item and the service name sit on one row at desktop width (the header
    # holds "Administration" and "Sign out"); the busiest menu, HR's, once wrapped.
    page.set_viewport_size({"width": 1024, "height": 800})
    tops = page.locator(
        ".govuk-service-navigation__service-name, .govuk-service-navigation__item"
    ).evaluate_all("els => els.map(e => Math.round(e.getBoundingClientRect().top))")
    if role != Role.ADMIN:
        assert len(set(tops)) == 1, tops
    else:  # the administrator's eight items share a row below the service name
        assert len(set(tops[1:])) == 1, tops
    assert_accessible(page, impacts=None)
    assert_no_csp_violations(page, console_errors)
    assert console_errors == []


def test_skip_link_is_the_first_focusable_element(page, live_server):
    page.goto(f"{live_server.url}/accounts/login/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Skip to main content"
    expect(page.locator(".govuk-skip-link")).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("#main-content")).to_be_focused()


def test_sign_out_works_from_the_keyboard(page, live_server, make_user, console_errors):
    make_user(Role.STAFF, username="keyboard-user")
    login(page, live_server, "keyboard-user", PASSWORD)
    sign_out = page.get_by_role("button", name="Sign out")
    sign_out.focus()
    expect(sign_out).to_be_focused()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == f"{live_server.url}/accounts/login/"
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    assert_no_csp_violations(page, console_errors)


def test_menu_collapses_on_a_phone(page, live_server, make_user):
    make_user(Role.ADMIN, username="phone-user")
    page.set_viewport_size({"width": 375, "height": 800})
    login(page, live_server, "phone-user", PASSWORD)
    toggle = page.get_by_role("button", name="Menu")
    expect(toggle).to_be_visible()
    expect(page.locator("#navigation")).to_be_hidden()
    toggle.click()
    expect(page.locator("#navigation")).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    assert_accessible(page)


def test_role_library_profile_and_static_pages_are_accessible(
    page, live_server, make_user, console_errors
):
    user = make_user(Role.STAFF, username="pages-user")
    person = PersonFactory(user=user)
    PersonSkillFactory(person=person, skill__name="User research", level=4)
    person.role_history.create(title="Content designer", start="2021-04-01")
    person.qualifications.create(name="PRINCE2 Foundation", issuer="AXELOS")
    requirement = RoleRequirementFactory(role__title="Performance analyst", essential=True)
    login(page, live_server, "pages-user", PASSWORD)

    for path, heading in [
        ("/roles/", "Role library"),
        (f"/roles/{requirement.role.code}/", "Performance analyst"),
        ("/roles/?q=zzz-nothing", "Role library"),
        ("/profile/me/", "Your profile"),
        ("/accessibility", "Accessibility statement for Muster"),
        ("/cookies", "Cookies"),
        ("/no-such-page", "Page not found"),
    ]:
        page.goto(f"{live_server.url}{path}")
        expect(page.locator("h1")).to_have_text(heading)
        assert_accessible(page)
    assert_no_csp_violations(page, console_errors)
