"""Examples in hints name things that exist: the department's own unit paths and
locations, skills in the shipped ESCO file or the demo's department skills, and a
staff number in the demo's format."""

import csv
import io
import lzma
import re

import pytest
from django.conf import settings
from django.urls import reverse

from skills_app.accounts.permissions import Role
from skills_app.demo import generator
from skills_app.roles.forms import FiltersForm
from taxonomy.forms import search_picker
from tests.factories import OrgUnitFactory, PersonFactory

pytestmark = pytest.mark.django_db


def test_path_and_location_examples_come_from_the_organisation():
    dept = OrgUnitFactory(name="Department for Public Services")
    digital = OrgUnitFactory(name="Digital Group", parent=dept)
    OrgUnitFactory(name="Software Engineering", parent=digital)
    OrgUnitFactory(name="Architecture", parent=digital)
    OrgUnitFactory(name="Deeper", parent=OrgUnitFactory(name="Cyber", parent=digital))
    for place in ["Leeds", "Blackpool"]:
        PersonFactory(location=place)
    form = FiltersForm()
    assert form.fields["unit_paths"].help_text == (
        "One path per line, for example: Department for Public Services/Digital Group/Architecture"
    )
    assert form.fields["exclude_paths"].help_text.endswith("Digital Group/Cyber")
    assert form.fields["other_locations"].help_text.endswith("for example: Blackpool, Leeds")


def test_path_example_before_any_units_is_a_generic_shape():
    form = FiltersForm()
    assert form.fields["unit_paths"].help_text.endswith("Department/Directorate/Team")
    assert "DWP" not in str(form.fields["exclude_paths"].help_text)


def _esco_labels() -> set[str]:
    with lzma.open(settings.BASE_DIR / "data" / "esco" / "skills_en.csv.xz") as packed:
        raw = packed.read()
    labels = set()
    for row in csv.DictReader(io.StringIO(raw.decode("utf-8"))):
        labels.add(row["preferredLabel"].casefold())
        labels.update(x.strip().casefold() for x in row.get("altLabels", "").splitlines())
    return labels


def test_skill_search_examples_exist_in_the_shipped_or_demo_data():
    hint = search_picker("").hint
    examples = re.sub(r"^For example, ", "", hint).replace(" or ", ", ").split(", ")
    assert len(examples) == 3
    esco = _esco_labels()
    demo = {name.casefold() for name, *_ in generator.LOCAL_SKILLS}
    missing = [e for e in examples if e.casefold() not in esco | demo]
    assert missing == []


def test_staff_number_and_name_examples_fit_the_demo(client_for):
    page = client_for(Role.HR).get(reverse("team:find")).content.decode()
    number, first, last = re.search(r"For example, (\S+) or (\w+) (\w+)\s*</div>", page).groups()
    # The demo numbers its staff P0000001, P0000002, ... (generator.py, f"P{pk:07d}").
    assert re.fullmatch(r"P\d{7}", number)
    assert first in generator.FIRST_NAMES and last in generator.LAST_NAMES
