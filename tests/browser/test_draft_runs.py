"""HR's "Draft everyone's skills" in a real browser under the real CSP, checked with axe:
the start page, a run started with the button (run at once here) and its result."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from skills_app.accounts.permissions import Role
from skills_app.people.models import PersonSkill, RoleHistory
from tests.browser.conftest import assert_accessible, assert_no_csp_violations, login
from tests.conftest import PASSWORD
from tests.factories import PersonFactory, RoleProfileFactory, RoleRequirementFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_hr_drafts_everyone_from_the_page(page, live_server, make_user, console_errors, settings):
    # The run is queued for the worker; here it runs at once, in the request.
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    role = RoleProfileFactory(code="data-analyst", title="Data analyst")
    RoleRequirementFactory(role=role, level=3)
    RoleRequirementFactory(role=role, level=2)
    person = PersonFactory()
    RoleHistory.objects.create(
        person=person, title="Analyst", role_profile=role, start=dt.date(2024, 1, 1)
    )
    make_user(Role.HR, username="draft-hr")
    login(page, live_server, "draft-hr", PASSWORD)

    page.goto(f"{live_server.url}/imports/")
    page.get_by_role("link", name="draft everyone’s skills").click()
    expect(page.get_by_role("heading", name="Draft everyone’s skills", level=1)).to_be_visible()
    assert_accessible(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Draft everyone’s skills").click()
    panel = page.locator(".govuk-panel--confirmation")
    expect(panel).to_contain_text("Everyone’s skills drafted")
    expect(panel).to_contain_text("2 drafts created for 1 person")
    assert_accessible(page)
    assert PersonSkill.objects.filter(person=person).drafts().count() == 2

    page.get_by_role("link", name="Draft everyone’s skills").click()
    expect(page.get_by_role("table", name="Recent runs")).to_contain_text("Finished")
    assert_accessible(page)
    assert_no_csp_violations(page, console_errors)
    assert console_errors == []
