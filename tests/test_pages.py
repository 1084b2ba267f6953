"""The GOV.UK page shell and the server-rendered pages, through Django's test client."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse

from skills_app.accounts.permissions import Role
from tests.conftest import PASSWORD
from tests.factories import (
    PersonFactory,
    PersonSkillFactory,
    RoleProfileFactory,
    RoleRequirementFactory,
)

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "static" / "vendor"
LOGIN_URL = reverse("accounts:login")


def html(response) -> str:
    return response.content.decode()


def nav_items(page: str) -> list[str]:
    """The texts of the service navigation's items, in order."""
    nav = re.search(
        r'<nav aria-label="Menu" class="govuk-service-navigation__wrapper">(.*?)</nav>', page, re.S
    )
    if not nav:
        return []
    items = re.findall(
        r'<li class="govuk-service-navigation__item[^"]*">(.*?)</li>', nav.group(1), re.S
    )
    return [re.sub(r"<[^>]+>|\s+", " ", item).strip() for item in items]


# --- sign in -----------------------------------------------------------------


def test_login_page_is_a_govuk_page_with_no_personal_data(client):
    response = client.get(LOGIN_URL)
    page = html(response)
    assert response.status_code == 200
    assert '<html lang="en" class="govuk-template">' in page
    assert 'class="govuk-template__body"' in page
    assert "<title>Sign in to Muster - Muster</title>" in page
    assert 'href="#main-content" class="govuk-skip-link"' in page
    assert 'class="govuk-header__logotype" aria-label="GOV.UK"' in page
    assert 'class="govuk-service-navigation"' in page
    assert "govuk-phase-banner" in page and settings.MUSTER_PHASE in page
    assert 'class="govuk-footer"' in page and "Open Government Licence v3.0" in page
    assert '<h1 class="govuk-heading-l">Sign in to Muster</h1>' in page
    assert 'autocomplete="username"' in page and 'autocomplete="current-password"' in page
    assert 'class="govuk-button" data-module="govuk-button"' in page
    assert 'name="next"' in page
    # Signed out: no navigation, no sign-out control, no CSRF header for htmx.
    assert nav_items(page) == []
    assert "Sign out" not in page and "hx-headers" not in page
    assert "govuk-error-summary" not in page


def test_login_keeps_next(client):
    page = html(client.get(LOGIN_URL, {"next": "/roles/"}))
    assert '<input type="hidden" name="next" value="/roles/">' in page


def test_failed_login_shows_error_summary_and_keeps_only_the_username(client, make_user):
    make_user(Role.STAFF, username="alice")
    response = client.post(LOGIN_URL, {"username": "alice", "password": "wrong-password-xyz"})
    page = html(response)
    assert response.status_code == 200
    assert "<title>Error: Sign in to Muster - Muster</title>" in page
    assert 'class="govuk-error-summary" data-module="govuk-error-summary"' in page
    assert "There is a problem" in page
    assert '<a href="#id_username">Enter a correct username and password</a>' in page
    assert 'value="alice"' in page
    assert "wrong-password-xyz" not in page
    assert not re.search(r'type="password"[^>]*value=', page)
    assert "_auth_user_id" not in client.session


def test_empty_login_marks_each_field(client):
    page = html(client.post(LOGIN_URL, {"username": "", "password": ""}))
    assert '<a href="#id_username">Enter your username</a>' in page
    assert '<a href="#id_password">Enter your password</a>' in page
    assert page.count("govuk-form-group--error") == 2
    assert 'aria-describedby="id_username-error"' in page
    assert 'aria-describedby="id_password-error"' in page
    assert '<span class="govuk-visually-hidden">Error:</span> Enter your username' in page


def test_successful_login_redirects_home(client, make_user):
    make_user(Role.STAFF, username="bob")
    response = client.post(LOGIN_URL, {"username": "bob", "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("home")


def test_successful_login_honours_a_local_next(client, make_user):
    make_user(Role.STAFF, username="carol")
    response = client.post(
        LOGIN_URL, {"username": "carol", "password": PASSWORD, "next": "/roles/"}
    )
    assert response.status_code == 302
    assert response.url == "/roles/"


def test_lockout_page_explains_and_shows_no_user_data(client, make_user):
    make_user(Role.STAFF, username="dave-locked")
    for _ in range(settings.AXES_USERNAME_FAILURE_LIMIT):
        client.post(LOGIN_URL, {"username": "dave-locked", "password": "nope"})
    response = client.post(LOGIN_URL, {"username": "dave-locked", "password": PASSWORD})
    page = html(response)
    assert response.status_code in {403, 429}
    assert "Your account is locked" in page
    assert "dave-locked" not in page
    assert "_auth_user_id" not in client.session


# --- sign out ----------------------------------------------------------------


def test_logout_needs_post(client_for):
    client = client_for(Role.STAFF)
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert "_auth_user_id" in client.session
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert response.url == LOGIN_URL
    assert "_auth_user_id" not in client.session


def test_sign_out_form_posts_with_csrf_token(client_for):
    page = html(client_for(Role.STAFF).get(reverse("home")))
    form = re.search(
        r'<form method="post" action="([^"]+)" class="app-service-navigation__form">(.*?)</form>',
        page,
        re.S,
    )
    assert form and form.group(1) == reverse("accounts:logout")
    assert 'name="csrfmiddlewaretoken"' in form.group(2)
    assert '<button type="submit" class="app-header__account-link' in form.group(2)
    # It sits in the GOV.UK header, not in the service navigation's list.
    header = page.split('<section aria-label="Service information"')[0]
    assert 'class="app-service-navigation__form"' in header


def test_logout_post_without_csrf_token_is_refused_with_a_govuk_page(make_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user(Role.STAFF))
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 403
    page = html(response)
    assert "Sorry, we could not check that form" in page
    assert "CSRF verification failed" not in page and "cookie not set" not in page
    assert "_auth_user_id" in client.session


# --- home and navigation -----------------------------------------------------

# The service navigation: no "Home" (the service name links home); "Administration"
# and "Sign out" sit in the header (test_sign_out_form_posts_with_csrf_token).
EXPECTED_NAV = {
    Role.STAFF: ["Your profile", "Role library", "Skills"],
    Role.LINE_MANAGER: [
        "Your profile",
        "Your team",
        "Role library",
        "Reports",
        "Skills",
    ],
    Role.PLANNER: [
        "Your profile",
        "Find a person",
        "Role library",
        "Surge scenarios",
        "Reports",
        "Skills",
    ],
    Role.HR: [
        "Your profile",
        "Find a person",
        "Role library",
        "Surge scenarios",
        "Reports",
        "Skills",
        "Import HR data",
    ],
    Role.STEWARD: ["Your profile", "Role library", "Skills"],
    Role.ADMIN: [
        "Your profile",
        "Your team",
        "Find a person",
        "Role library",
        "Surge scenarios",
        "Reports",
        "Skills",
        "Import HR data",
    ],
}


@pytest.mark.parametrize("role", list(Role))
def test_home_for_each_role(client_for, role):
    response = client_for(role).get(reverse("home"))
    page = html(response)
    assert response.status_code == 200
    assert "<title>Home - Muster</title>" in page
    assert '<h1 class="govuk-heading-l">Hello, ' in page
    assert nav_items(page) == EXPECTED_NAV[role]
    assert 'aria-current="page"' in page  # the service name, which links home
    assert "What you can do" in page
    assert f'href="{reverse("people:my_profile")}"' in page
    assert f'href="{reverse("roles:list")}"' in page
    admin_link = f'href="{reverse("admin:index")}"'
    assert (admin_link in page) == (role == Role.ADMIN)
    assert f'href="{reverse("taxonomy:home")}"' in page
    proposals_link = f'href="{reverse("taxonomy:proposals")}"'
    assert (proposals_link in page) == (role in {Role.STEWARD, Role.ADMIN})
    surge_card = "within each team’s release cap"
    assert (surge_card in page) == (role in {Role.PLANNER, Role.HR, Role.ADMIN})
    # Signed in: htmx sends the CSRF token.
    assert 'hx-headers=\'{"X-CSRFToken": "' in page


def test_planner_does_not_see_administration_but_admin_does(client_for):
    planner_page = html(client_for(Role.PLANNER).get(reverse("home")))
    assert "Administration" not in planner_page
    assert "Rank the workforce against a role profile" in planner_page
    admin_page = html(client_for(Role.ADMIN).get(reverse("home")))
    assert "Administration" in admin_page


def test_home_says_when_the_account_has_no_staff_record(client_for):
    page = html(client_for(Role.STAFF).get(reverse("home")))
    assert "govuk-inset-text" in page and "not linked to a staff record" in page


def test_home_greets_a_linked_person_by_name(client, make_user):
    user = make_user(Role.STAFF, username="erin")
    user.first_name, user.last_name = "Erin", "Example"
    user.save()
    PersonFactory(user=user)
    client.force_login(user)
    page = html(client.get(reverse("home")))
    assert "Hello, Erin Example" in page
    assert "not linked to a staff record" not in page


def test_user_without_roles_gets_the_govuk_403_page(client_for):
    response = client_for().get(reverse("roles:list"))
    assert response.status_code == 403
    page = html(response)
    assert "You do not have permission to view this page" in page
    assert "govuk-template" in page


# --- security headers --------------------------------------------------------


def test_csp_header_nonce_matches_the_inline_script(client_for):
    response = client_for(Role.STAFF).get(reverse("home"))
    csp = response["Content-Security-Policy"]
    header_nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
    scripts = re.findall(r"<script([^>]*)>", html(response))
    inline = [attrs for attrs in scripts if "src=" not in attrs]
    assert inline, "expected the GOV.UK body-class script"
    for attrs in inline:
        assert f'nonce="{header_nonce}"' in attrs
    assert "style-src 'self'" in csp and "unsafe-inline" not in csp


def test_pages_have_no_inline_styles(client_for):
    client = client_for(Role.ADMIN)
    role = RoleRequirementFactory(essential=True).role
    for url in [
        reverse("home"),
        reverse("roles:list"),
        reverse("roles:detail", args=[role.code]),
        reverse("people:my_profile"),
        reverse("accessibility"),
        reverse("cookies"),
    ]:
        page = html(client.get(url))
        assert "<style" not in page, url
        assert " style=" not in page, url


def test_no_template_syntax_leaks_into_pages(client_for, client):
    """Django's {# #} comments are single-line only: a multi-line one is printed."""
    pages = [
        html(client.get(LOGIN_URL)),
        html(client.get("/nope")),
        render_to_string("errors/500.html"),
    ]
    signed_in = client_for(Role.ADMIN)
    role = RoleRequirementFactory().role
    for url in [
        reverse("home"),
        reverse("roles:list"),
        reverse("roles:detail", args=[role.code]),
        reverse("people:my_profile"),
        reverse("accessibility"),
        reverse("cookies"),
    ]:
        pages.append(html(signed_in.get(url)))
    for page in pages:
        for token in ["{%", "%}", "{#", "#}", "{{", "}}"]:
            assert token not in page, token


def test_htmx_indicator_styles_are_off(client):
    page = html(client.get(LOGIN_URL))
    assert """<meta name="htmx-config" content='{"includeIndicatorStyles": false}'>""" in page


# --- error pages -------------------------------------------------------------


@pytest.mark.parametrize("signed_in", [False, True])
def test_404_is_the_govuk_page_and_does_not_echo_the_path(client_for, client, signed_in):
    c = client_for(Role.STAFF) if signed_in else client
    response = c.get("/no-such-page-zqxj/<script>alert(1)</script>")
    page = html(response)
    assert response.status_code == 404
    assert "<title>Page not found - Muster</title>" in page
    assert '<h1 class="govuk-heading-l">Page not found</h1>' in page
    assert "zqxj" not in page and "alert(1)" not in page


def test_unknown_role_is_a_404_that_does_not_echo_the_code(client_for):
    response = client_for(Role.STAFF).get(reverse("roles:detail", args=["secret-code-zqxj"]))
    assert response.status_code == 404
    assert "zqxj" not in html(response)


def test_500_template_renders_without_a_request():
    page = render_to_string("errors/500.html")
    assert "Sorry, there is a problem with the service" in page
    assert "govuk-header" in page and "govuk-footer" in page
    assert "Sign out" not in page


@pytest.mark.parametrize(
    "template",
    ["errors/400.html", "errors/403.html", "errors/404.html", "403_csrf.html", "base.html"],
)
def test_error_templates_render_without_context(template):
    page = render_to_string(template)
    assert "govuk-template" in page


def test_server_error_handler_leaks_nothing(rf):
    from skills_app.views import server_error

    request = rf.get("/some/secret/path-zqxj")
    response = server_error(request)
    assert response.status_code == 500
    page = html(response)
    assert "Sorry, there is a problem with the service" in page
    assert "zqxj" not in page and "Traceback" not in page


# --- role library ------------------------------------------------------------


def test_role_list_and_detail(client_for):
    requirement = RoleRequirementFactory(
        role=RoleProfileFactory(title="Performance analyst", description="Line one.\n\nLine two."),
        skill__name="Statistical methods",
        level=3,
        weight=2,
        essential=True,
    )
    RoleRequirementFactory(role=requirement.role, skill__name="Data visualisation", level=2)
    client = client_for(Role.STAFF)

    page = html(client.get(reverse("roles:list")))
    detail_url = reverse("roles:detail", args=[requirement.role.code])
    assert f'<a class="govuk-link" href="{detail_url}">Performance analyst</a>' in page
    assert 'class="govuk-table"' in page
    assert re.search(r'govuk-table__cell--numeric">2</td>', page)
    assert "Role library" in nav_items(page)[1] and 'aria-current="page"' in page

    page = html(client.get(detail_url))
    assert "<title>Performance analyst - Role library - Muster</title>" in page
    assert '<h1 class="govuk-heading-l">Performance analyst</h1>' in page
    assert '<p class="govuk-body">Line one.</p>' in page
    assert '<p class="govuk-body">Line two.</p>' in page
    assert "govuk-summary-list" in page
    assert "Statistical methods" in page and "3 Practitioner" in page
    assert "Data visualisation" in page and "2 Working" in page
    assert page.count('<strong class="govuk-tag govuk-tag--red">Essential</strong>') == 1
    assert 'class="govuk-breadcrumbs"' in page


def test_role_search_and_pagination_keep_the_query(client_for):
    for n in range(55):
        RoleProfileFactory(title=f"Analyst {n:02d}")
    RoleProfileFactory(title="Zookeeper")
    client = client_for(Role.STAFF)

    page = html(client.get(reverse("roles:list"), {"q": "analyst"}))
    assert "55 roles matching “analyst”" in page
    assert "Zookeeper" not in page
    assert 'class="govuk-pagination"' in page
    assert 'href="?q=analyst&amp;page=2"' in page
    assert 'rel="next"' in page

    page = html(client.get(reverse("roles:list"), {"q": "analyst", "page": 2}))
    assert 'href="?q=analyst&amp;page=1"' in page and 'rel="prev"' in page
    assert 'aria-label="Page 2" aria-current="page"' in page

    page = html(client.get(reverse("roles:list"), {"q": "no-such-role"}))
    assert "No roles match" in page and "govuk-table" not in page


# --- your profile ------------------------------------------------------------


def test_my_profile_shows_the_linked_person(client, make_user):
    user = make_user(Role.STAFF, username="frank")
    person = PersonFactory(
        user=user, full_name="Frank Fielding", staff_number="S123456", location="Leeds", clearance=3
    )
    PersonSkillFactory(person=person, skill__name="User research", level=4)
    person.role_history.create(title="Content designer", start="2021-04-01")
    person.qualifications.create(name="PRINCE2 Foundation", issuer="AXELOS")
    client.force_login(user)

    page = html(client.get(reverse("people:my_profile")))
    assert '<h1 class="govuk-heading-l">Your profile</h1>' in page
    for text in [
        "S123456",
        "Frank Fielding",
        person.work_email,
        "Higher Executive Officer",
        person.org_unit.path,
        "Leeds",
        "SC",
        "User research",
        "4 Expert",
        "Self-assessed",
        "In current use",
        "Content designer",
        "Now",
        "PRINCE2 Foundation",
        "AXELOS",
        "Does not expire",
    ]:
        assert text in page, text
    assert "govuk-summary-list" in page


def test_my_profile_without_a_staff_record(client_for):
    page = html(client_for(Role.STAFF).get(reverse("people:my_profile")))
    assert "not linked to a staff record" in page
    assert "govuk-summary-list" not in page


# --- vendored front end ------------------------------------------------------


def test_vendored_govuk_frontend_is_pinned_and_licensed():
    base = VENDOR / "govuk-frontend"
    assert (base / "VERSION").read_text().startswith("govuk-frontend 6.6.0")
    assert "MIT License" in (base / "LICENSE").read_text()
    assert '--govuk-frontend-version:"6.6.0"' in (base / "govuk-frontend.min.css").read_text()
    assert 'const version="6.6.0"' in (base / "govuk-frontend.min.js").read_text()
    assert (VENDOR / "htmx" / "VERSION").read_text().startswith("htmx.org 2.0.11")
    assert (VENDOR / "htmx" / "LICENSE").exists()
    assert not list(VENDOR.rglob("*.map"))


def test_every_url_in_the_govuk_stylesheet_resolves():
    base = VENDOR / "govuk-frontend"
    css = (base / "govuk-frontend.min.css").read_text()
    urls = set(re.findall(r"url\(([^)]+)\)", css))
    assert urls, "expected font and image references"
    for url in urls:
        url = url.strip("'\"")
        assert not url.startswith("/"), f"{url} would resolve at the site root, not under /static/"
        assert (base / url).is_file(), url
    assert "sourceMappingURL" not in css


def test_static_files_are_served(client):
    for path in [
        "vendor/govuk-frontend/govuk-frontend.min.css",
        "vendor/govuk-frontend/assets/fonts/bold-b542beb274-v2.woff2",
        "vendor/govuk-frontend/govuk-frontend.min.js",
        "vendor/htmx/htmx.min.js",
        "js/muster.js",
        "css/muster.css",
    ]:
        assert (ROOT / "static" / path).is_file(), path
    page = html(client.get(LOGIN_URL))
    for path in [
        "vendor/govuk-frontend/govuk-frontend.min.css",
        "css/muster.css",
        "vendor/htmx/htmx.min.js",
        "js/muster.js",
    ]:
        assert f"{settings.STATIC_URL}{path}" in page
    assert '<script type="module" src="/static/js/muster.js"></script>' in page
