"""Dates and times as GOV.UK writes them ("6 December 2026", "11:58pm"), from one
place (skills_app/core/presenters.py), and lists in level descriptors and role
descriptions (presenters.text_blocks and templates/components/text_blocks.html)."""

import re
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template
from django.template.loader import render_to_string
from django.urls import reverse

from skills_app.accounts.permissions import Role
from skills_app.core.presenters import govuk_date, govuk_datetime, govuk_time, text_blocks
from skills_app.roles.models import RoleProfile
from taxonomy.models import Skill, SkillLevelDescriptor
from tests.factories import RoleProfileFactory

# --- times and dates ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("hour", "minute", "shown"),
    [
        (23, 58, "11:58pm"),
        (9, 0, "9am"),
        (9, 5, "9:05am"),
        (12, 0, "midday"),
        (0, 0, "midnight"),
        (0, 5, "12:05am"),
        (12, 30, "12:30pm"),
        (13, 0, "1pm"),
    ],
)
def test_govuk_time(hour, minute, shown):
    assert govuk_time(time(hour, minute)) == shown
    assert govuk_time(datetime(2026, 12, 6, hour, minute)) == shown


def test_aware_datetimes_show_in_london_time():
    # 22:58 UTC in June is 11:58pm British Summer Time; 23:30 UTC is past midnight.
    assert govuk_time(datetime(2026, 6, 1, 22, 58, tzinfo=UTC)) == "11:58pm"
    late = datetime(2026, 6, 1, 23, 30, tzinfo=UTC)
    assert govuk_datetime(late) == "2 June 2026 at 12:30am"
    assert govuk_datetime(datetime(2026, 12, 6, 23, 58, tzinfo=UTC)) == (
        "6 December 2026 at 11:58pm"
    )


def test_govuk_date_and_empty_values():
    assert govuk_date(date(2026, 12, 6)) == "6 December 2026"
    assert govuk_date(date(2027, 1, 31)) == "31 January 2027"
    for filter_ in (govuk_date, govuk_time, govuk_datetime):
        assert filter_(None) == "" and filter_("") == ""


def test_filters_are_built_into_every_template():
    rendered = Template("{{ t|govuk_time }}; {{ t|govuk_datetime }}.").render(
        Context({"t": datetime(2026, 12, 6, 23, 58)})
    )
    assert rendered == "11:58pm; 6 December 2026 at 11:58pm."


TIME_FORMAT_CHARS = re.compile(r"[aAbBfgGhHiPsu]")


def test_no_template_formats_a_time_itself():
    """Times go through govuk_time / govuk_datetime: Django's "a" says "p.m.", which
    ended a sentence as "11:58p.m..". "c" (ISO 8601, for <time datetime>) is allowed."""
    offenders = []
    for path in Path(settings.BASE_DIR, "templates").rglob("*.html"):
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if re.search(r"\|time\b", line):
                offenders.append(f"{path.name}:{number}")
            for fmt in re.findall(r"\|date:[\"']([^\"']*)[\"']", line):
                if fmt != "c" and TIME_FORMAT_CHARS.search(fmt.replace("\\a\\t", "")):
                    offenders.append(f"{path.name}:{number} {fmt}")
    assert offenders == []


@pytest.mark.django_db
def test_role_page_shows_when_it_was_saved_in_govuk_style(client_for):
    role = RoleProfileFactory(title="Performance analyst", source="local")
    RoleProfile.objects.filter(pk=role.pk).update(
        updated_at=datetime(2026, 12, 6, 23, 58, tzinfo=UTC)
    )
    page = client_for(Role.STAFF).get(reverse("roles:detail", args=[role.code])).content.decode()
    assert "last saved 6 December 2026 at 11:58pm." in page
    assert "p.m." not in page


# --- text with lists ---------------------------------------------------------------

DDAT = (
    "You can:\n"
    "- understand accessibility and that users have different accessibility needs\n"
    "- help fix accessibility issues under the direction of others"
)


def test_ddat_descriptor_becomes_an_intro_and_a_list():
    assert text_blocks(DDAT) == [
        {"kind": "p", "text": "You can:"},
        {
            "kind": "ul",
            "items": [
                "understand accessibility and that users have different accessibility needs",
                "help fix accessibility issues under the direction of others",
            ],
        },
    ]


def test_paragraphs_lists_and_numbered_lines():
    text = "An architect.\nThey plan.\n\nAt this level, you will:\n1. design\n2) review\nAfter."
    assert text_blocks(text) == [
        {"kind": "p", "text": "An architect. They plan."},
        {"kind": "p", "text": "At this level, you will:"},
        {"kind": "ul", "items": ["design", "review"]},
        {"kind": "p", "text": "After."},
    ]


def test_bullets_run_together_on_one_line_are_split():
    assert text_blocks("You can: - plan work - lead a team") == [
        {"kind": "p", "text": "You can:"},
        {"kind": "ul", "items": ["plan work", "lead a team"]},
    ]
    # One dash is punctuation, not a list; hyphenated words stay whole.
    assert text_blocks("Delivery: end-to-end - with others") == [
        {"kind": "p", "text": "Delivery: end-to-end - with others"}
    ]


def test_several_sentences_become_a_list_only_when_asked():
    text = "Knows the skill. Uses it with help. Explains it to others."
    items = ["Knows the skill.", "Uses it with help.", "Explains it to others."]
    assert text_blocks(text, "sentences") == [{"kind": "ul", "items": items}]
    assert text_blocks(text) == [{"kind": "p", "text": text}]
    one = "Applies the skill in familiar situations, with guidance from others."
    assert text_blocks(one, "sentences") == [{"kind": "p", "text": one}]
    assert text_blocks("", "sentences") == [] and text_blocks(None) == []


def list_items(html: str) -> list[str]:
    return [re.sub(r"\s+", " ", item).strip() for item in re.findall(r"<li>(.*?)</li>", html, re.S)]


def test_component_renders_govuk_lists_and_escapes():
    html = render_to_string(
        "components/text_blocks.html", {"text": "You can:\n- <b>x</b>\n- y", "sentences": True}
    )
    assert '<p class="govuk-body">You can:</p>' in html
    assert '<ul class="govuk-list govuk-list--bullet app-text-blocks">' in html
    assert list_items(html) == ["&lt;b&gt;x&lt;/b&gt;", "y"]


@pytest.fixture
def described_skill(db):
    skill = Skill.objects.create(name="Accessibility", uri="urn:t:a11y", source="ddat")
    SkillLevelDescriptor.objects.create(skill=skill, level=1, description=DDAT)
    SkillLevelDescriptor.objects.create(
        skill=skill, level=2, description="Builds it. Fixes issues alone."
    )
    return skill


def test_skill_page_shows_level_descriptors_as_lists(client_for, described_skill):
    url = reverse("taxonomy:skill", args=[described_skill.pk])
    page = client_for(Role.STAFF).get(url).content.decode()
    items = list_items(page)
    assert "help fix accessibility issues under the direction of others" in items
    assert "Builds it." in items and "Fixes issues alone." in items
    assert "- help fix" not in page


def test_profile_level_radios_show_descriptors_as_lists(client_for, described_skill):
    client = client_for(Role.STAFF)
    response = client.get(reverse("people:skill_levels"), {"skill": described_skill.pk})
    page = response.content.decode()
    hint = re.search(r'id="id_level-1-item-hint"[^>]*>(.*?)</div>', page, re.S)
    assert hint, page[:500]
    assert '<p class="app-text-blocks app-text-blocks--hint">You can:</p>' in hint.group(1)
    assert "app-text-blocks--hint" in hint.group(1)
    assert list_items(hint.group(1)) == [
        "understand accessibility and that users have different accessibility needs",
        "help fix accessibility issues under the direction of others",
    ]
