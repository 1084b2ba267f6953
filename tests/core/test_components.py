"""templates/components/: each GOV.UK component rendered through Django's template
engine with a bound form field, with and without an error.

What matters to a screen-reader or keyboard user is checked on the parsed markup, not
on strings: the error message's id is named by the control's aria-describedby, the
control carries the GOV.UK error class, the form group is marked, and what was typed
is kept."""

from html.parser import HTMLParser

from django import forms
from django.template.loader import render_to_string

CHOICES = [("", "Choose one"), ("sc", "SC"), ("dv", "DV")]


class SampleForm(forms.Form):
    threshold = forms.IntegerField(label="Minimum match", help_text="From 0 to 100", max_value=100)
    note = forms.CharField(label="Note", widget=forms.Textarea, max_length=10)
    clearance = forms.ChoiceField(label="Clearance", choices=CHOICES)
    prior = forms.ChoiceField(label="Include recent roles?", choices=[("yes", "Yes"), ("no", "No")])
    grades = forms.MultipleChoiceField(
        label="Grades",
        choices=[("heo", "HEO"), ("seo", "SEO"), ("g7", "Grade 7")],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    dry_run = forms.BooleanField(label="Check only", help_text="Nothing is saved", required=False)
    start_month = forms.IntegerField(label="Month", min_value=1, max_value=12)
    start_year = forms.IntegerField(label="Year")
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def clean(self):
        if self.data.get("version") == "stale":
            raise forms.ValidationError("Someone else saved this first")
        return super().clean()


VALID = {
    "threshold": "80",
    "note": "short",
    "clearance": "sc",
    "prior": "no",
    "grades": ["seo", "g7"],
    "dry_run": "on",
    "start_month": "4",
    "start_year": "2021",
}
INVALID = {
    "threshold": "150",
    "note": "far too long a note",
    "clearance": "ts",
    "prior": "maybe",
    "grades": ["nope"],
    "start_month": "13",
    "start_year": "2021",
}


class Elements(HTMLParser):
    """Every start tag as (tag, attrs), in order, and the text of the page."""

    def __init__(self, html):
        super().__init__()
        self.tags, self.text = [], []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {k: (v if v is not None else "") for k, v in attrs}))

    def handle_data(self, data):
        self.text.append(data)

    def by_id(self, id_):
        found = [attrs for _, attrs in self.tags if attrs.get("id") == id_]
        assert len(found) == 1, f"{len(found)} elements with id {id_!r}"
        return found[0]

    def all(self, tag, **where):
        return [
            a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in where.items())
        ]

    def classes(self, attrs):
        return attrs.get("class", "").split()

    @property
    def words(self):
        return " ".join(" ".join(self.text).split())


def render(template, **context):
    return Elements(render_to_string(f"components/{template}", context))


def form(data):
    f = SampleForm(data)
    f.is_valid()
    return f


def described_by(attrs):
    return attrs.get("aria-describedby", "").split()


def assert_error_wired(page, control, error_id, group_error=True):
    """The control names the error message, which exists and starts "Error:"."""
    assert error_id in described_by(control)
    error = page.by_id(error_id)
    assert "govuk-error-message" in page.classes(error)
    assert "Error:" in page.words
    groups = page.all("div")
    assert any("govuk-form-group--error" in page.classes(g) for g in groups) == group_error


# --- input ----------------------------------------------------------------------


def test_input_without_error_keeps_value_hint_and_options():
    page = render(
        "input.html",
        field=form(VALID)["threshold"],
        classes="govuk-input--width-4",
        inputmode="decimal",
        suffix="%",
        prefix="about",
    )
    box = page.by_id("id_threshold")
    assert box["name"] == "threshold" and box["type"] == "text" and box["value"] == "80"
    assert page.classes(box) == ["govuk-input", "govuk-input--width-4"]
    assert box["inputmode"] == "decimal"
    assert described_by(box) == ["id_threshold-hint"]
    assert page.by_id("id_threshold-hint")
    assert page.all("label", **{"for": "id_threshold"})
    assert page.all("div", **{"class": "govuk-input__suffix", "aria-hidden": "true"})
    assert page.all("div", **{"class": "govuk-input__prefix", "aria-hidden": "true"})
    assert page.all("div", **{"class": "govuk-input__wrapper"})
    assert "govuk-form-group--error" not in " ".join(a.get("class", "") for a in page.all("div"))


def test_input_with_error_is_wired_and_keeps_what_was_typed():
    page = render("input.html", field=form(INVALID)["threshold"], autocomplete="off")
    box = page.by_id("id_threshold")
    assert box["value"] == "150"
    assert "govuk-input--error" in page.classes(box)
    assert described_by(box) == ["id_threshold-hint", "id_threshold-error"]
    assert_error_wired(page, box, "id_threshold-error")
    assert "less than or equal to 100" in page.words
    assert box["autocomplete"] == "off"


def test_input_without_a_form_field_and_password_never_echoed():
    page = render(
        "input.html", id="q", name="q", value="Ada", label="Name", type="search", label_class=""
    )
    box = page.by_id("q")
    assert (box["name"], box["value"], box["type"]) == ("q", "Ada", "search")
    assert page.classes(page.all("label")[0]) == ["govuk-label"]
    page = render("input.html", field=form(INVALID)["threshold"], type="password")
    assert "value" not in page.by_id("id_threshold")


# --- textarea and character count -----------------------------------------------


def test_textarea_with_and_without_error_and_character_count():
    page = render("textarea.html", field=form(VALID)["note"], rows=3)
    area = page.by_id("id_note")
    assert area["rows"] == "3" and "aria-describedby" not in area
    assert "short" in page.words

    page = render("textarea.html", field=form(INVALID)["note"], maxlength=10)
    area = page.by_id("id_note")
    assert "govuk-textarea--error" in page.classes(area)
    assert "govuk-js-character-count" in page.classes(area)
    assert described_by(area) == ["id_note-info", "id_note-error"]
    assert_error_wired(page, area, "id_note-error")
    assert page.all("div", **{"data-module": "govuk-character-count", "data-maxlength": "10"})
    assert "far too long a note" in page.words


# --- select ---------------------------------------------------------------------


def test_select_marks_the_chosen_option():
    page = render("select.html", field=form(VALID)["clearance"])
    select = page.by_id("id_clearance")
    assert "aria-describedby" not in select
    assert [o["value"] for o in page.all("option") if "selected" in o] == ["sc"]


def test_select_with_error_keeps_nothing_invalid_selected_and_is_wired():
    page = render("select.html", field=form(INVALID)["clearance"])
    select = page.by_id("id_clearance")
    assert "govuk-select--error" in page.classes(select)
    assert_error_wired(page, select, "id_clearance-error")
    assert [o for o in page.all("option") if "selected" in o] == []


def test_select_without_a_form_field():
    page = render(
        "select.html",
        id="sort",
        name="sort",
        label="Sort by",
        value="b",
        choices=[("a", "A"), ("b", "B")],
    )
    assert page.by_id("sort")["name"] == "sort"
    assert [o["value"] for o in page.all("option") if "selected" in o] == ["b"]


# --- radios ---------------------------------------------------------------------


def test_radios_ids_checked_and_full_answers():
    page = render(
        "radios.html",
        field=form(VALID)["prior"],
        classes="govuk-radios--inline",
        yes_label="Yes, include them",
    )
    first, second = page.by_id("id_prior"), page.by_id("id_prior-2")
    assert (first["value"], second["value"]) == ("yes", "no")
    assert "checked" in second and "checked" not in first
    assert "Yes, include them" in page.words
    assert "aria-describedby" not in page.all("fieldset")[0]


def test_radios_skip_a_blank_choice_and_still_number_from_the_field_id():
    page = render("radios.html", field=form(VALID)["clearance"])
    assert [r["id"] for r in page.all("input")] == ["id_clearance", "id_clearance-2"]


def test_radios_with_error_are_wired_on_the_fieldset():
    page = render("radios.html", field=form(INVALID)["prior"])
    fieldset = page.all("fieldset")[0]
    assert_error_wired(page, fieldset, "id_prior-error")
    assert not [r for r in page.all("input") if "checked" in r]


# --- checkboxes -----------------------------------------------------------------


def test_checkboxes_keep_what_was_ticked():
    page = render("checkboxes.html", field=form(VALID)["grades"], classes="govuk-checkboxes--small")
    ticked = [b["id"] for b in page.all("input") if "checked" in b]
    assert ticked == ["id_grades-2", "id_grades-3"]
    assert page.by_id("id_grades")["value"] == "heo"


def test_checkboxes_with_error_are_wired_on_the_fieldset():
    page = render("checkboxes.html", field=form(INVALID)["grades"])
    assert_error_wired(page, page.all("fieldset")[0], "id_grades-error")
    assert "Select a valid choice" in page.words


def test_single_checkbox_has_no_fieldset_and_an_item_hint():
    page = render("checkboxes.html", field=form(VALID)["dry_run"], single=True)
    box = page.by_id("id_dry_run")
    assert not page.all("fieldset")
    assert "checked" in box and box["value"] == "on"
    assert described_by(box) == ["id_dry_run-hint"]
    assert "govuk-checkboxes__hint" in page.classes(page.by_id("id_dry_run-hint"))


# --- date input -----------------------------------------------------------------


def test_date_input_with_and_without_error():
    page = render(
        "date_input.html",
        id="start",
        legend="When did you start?",
        hint="For example, 4 2021",
        month=form(VALID)["start_month"],
        year=form(VALID)["start_year"],
    )
    fieldset = page.all("fieldset")[0]
    assert fieldset["role"] == "group" and described_by(fieldset) == ["start-hint"]
    assert page.by_id("id_start_month")["value"] == "4"
    assert not page.all("input", id="id_start_day")

    bad = form(INVALID)
    page = render(
        "date_input.html",
        id="start",
        legend="When did you start?",
        hint="For example, 4 2021",
        month=bad["start_month"],
        year=bad["start_year"],
    )
    fieldset = page.all("fieldset")[0]
    assert described_by(fieldset) == ["start-hint", "start-error"]
    assert_error_wired(page, fieldset, "start-error")
    month, year = page.by_id("id_start_month"), page.by_id("id_start_year")
    assert month["value"] == "13"
    assert "govuk-input--error" in page.classes(month) and "govuk-input--error" in page.classes(
        year
    )


# --- error summary --------------------------------------------------------------


def test_error_summary_links_each_error_to_its_control():
    bad = SampleForm({**INVALID, "version": "stale"})
    bad.is_valid()
    page = render("error_summary.html", form=bad)
    hrefs = [a["href"] for a in page.all("a")]
    # Form-level errors first, to the first visible field; then fields in form order,
    # radios and checkboxes to their first item; a hidden field's to its own id.
    assert hrefs == [
        "#id_threshold",
        "#id_threshold",
        "#id_note",
        "#id_clearance",
        "#id_prior",
        "#id_grades",
        "#id_start_month",
        "#id_version",
    ]
    assert page.all("div", **{"class": "govuk-error-summary", "data-module": "govuk-error-summary"})
    assert page.all("div", role="alert")
    assert "There is a problem" in page.words and "Someone else saved this first" in page.words


def test_error_summary_renders_nothing_without_errors_and_takes_single_errors():
    assert render("error_summary.html", form=form(VALID)).tags == []
    page = render(
        "error_summary.html",
        error_text="Enter a name",
        error_href="#q",
        error_list=[{"text": "Choose a role", "href": "#role"}],
        description="Nothing was saved.",
    )
    assert [a["href"] for a in page.all("a")] == ["#q", "#role"]
    assert "Nothing was saved." in page.words


def test_error_summary_hidden_field_errors_go_to_their_id_or_non_field_href():
    class OnlyHidden(forms.Form):
        version = forms.IntegerField(widget=forms.HiddenInput)

    f = OnlyHidden({"version": "x"})
    f.is_valid()
    page = render("error_summary.html", form=f)
    assert [a["href"] for a in page.all("a")] == ["#id_version"]
    page = render("error_summary.html", form=f, non_field_href="#saved")
    assert [a["href"] for a in page.all("a")] == ["#saved"]


def test_error_summary_more_forms_follow_in_order():
    page = render(
        "error_summary.html",
        form=form(VALID),
        more_forms=[form(INVALID)],
        show=True,
        error_text="Add a line",
        error_href="#add-line",
    )
    hrefs = [a["href"] for a in page.all("a")]
    assert hrefs[0] == "#add-line" and hrefs[1:3] == ["#id_threshold", "#id_note"]


# --- conflict panel -------------------------------------------------------------


def test_conflict_panel_puts_saved_beside_typed():
    page = render(
        "conflict_panel.html",
        rows=[
            {"label": "Title", "yours": "Analyst", "saved": "Lead analyst"},
            {"label": "Grade", "yours": "", "saved": "SEO"},
        ],
    )
    assert page.by_id("conflict")
    assert "You entered Saved now" in page.words
    assert "Title Analyst Lead analyst" in page.words and "Grade – SEO" in page.words
    assert len(page.all("strong")) == 2
