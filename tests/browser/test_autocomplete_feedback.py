"""The skill combobox says "Searching…" while a slow answer is on its way (the first
query after a taxonomy change rebuilds the label index), visibly and in its live
region, and clears it when the options arrive."""

import re
import time

import pytest
from playwright.sync_api import expect

from skills_app.accounts.permissions import Role
from taxonomy import views
from taxonomy.models import Skill, SkillAlias
from taxonomy.services import taxonomy_changed
from tests.browser.conftest import assert_accessible, assert_no_csp_violations, login
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_slow_answer_shows_searching(page, live_server, make_user, console_errors, monkeypatch):
    python = Skill.objects.create(name="Python (computer programming)", uri="urn:t:py")
    SkillAlias.objects.create(skill=python, label="Python")
    taxonomy_changed()
    real = views._matches

    def slow(*args, **kwargs):
        time.sleep(1.5)  # the live server runs in this process: slow its answer
        return real(*args, **kwargs)

    monkeypatch.setattr(views, "_matches", slow)
    make_user(Role.STAFF, username="slow-staff")
    login(page, live_server, "slow-staff", PASSWORD)
    page.goto(f"{live_server.url}/skills/")

    combobox = page.get_by_role("combobox", name="Search for a skill")
    searching = page.locator("[data-autocomplete-searching]")
    status = page.locator("[data-autocomplete-status]")
    expect(searching).to_be_hidden()
    combobox.click()
    page.keyboard.type("pyth")
    expect(searching).to_be_visible()
    expect(searching).to_have_text("Searching…")
    expect(status).to_have_text("Searching…")
    assert_accessible(page)

    expect(page.get_by_role("option", name=re.compile(r"^Python"))).to_be_visible()
    expect(searching).to_be_hidden()
    expect(status).to_have_text(re.compile(r"\d+ results? (is|are) available"))
    assert_no_csp_violations(page, console_errors)
    assert console_errors == []
