"""The form of a line's forecast page (DESIGN.md section 11).

A planner pastes the weekly volumes from a spreadsheet (or uploads the same two
columns as a CSV file) and types the handling time, productive hours, shrinkage,
backlog, clearance time and ramp. Percentages are typed as percentages (35,
"50, 75") and become fractions here. The volumes are parsed by
``matching.demand.parse_volumes`` (every bad row reported with its line) and the
whole forecast is checked by ``DemandModel``, whose ``DemandError`` names the
field each message belongs next to.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django import forms

from matching.demand import MAX_WEEKS, DemandError, DemandModel, parse_volumes
from skills_app.surge.services import MAX_POSTS

MAX_PASTE_CHARS = 60_000  # 520 weeks of "2026-01-05<tab>1,234,567.5" fit easily
MAX_FILE_BYTES = 256 * 1024
MAX_ROW_ERRORS = 10  # listed one by one; the rest are counted
MAX_RAMP_WEEKS = 52
DEFAULT_SHRINKAGE = "35"
DEFAULT_RAMP_TEXT = "50, 75"
DEFAULT_ITEM_NAME = "items"
# The model's field names, and the form field each of its messages goes next to.
MODEL_FIELDS = {
    "handling_minutes": "handling_minutes",
    "productive_hours": "productive_hours",
    "shrinkage": "shrinkage",
    "backlog": "backlog",
    "clearance_weeks": "clearance_weeks",
    "ramp": "ramp",
    "item_name": "item_name",
}


class NumberField(forms.DecimalField):
    """A DecimalField that takes "20,000" and "20 000" as typed in a spreadsheet."""

    def to_python(self, value):
        if isinstance(value, str):
            value = re.sub(r"(?<=\d)[,\s\u00a0\u202f](?=\d{3}\b)", "", value.strip())
        return super().to_python(value)


def _number_field(*, label, help_text, what, example, min_value, max_value, **kwargs):
    subject = what[0].upper() + what[1:]
    return NumberField(
        label=label,
        help_text=help_text,
        min_value=min_value,
        max_value=max_value,
        error_messages={
            "required": f"Enter {what}, for example {example}",
            "invalid": f"{subject} must be a number, like {example}",
            "min_value": f"{subject} must be {min_value:,} or more",
            "max_value": f"{subject} must be {max_value:,} or less",
            "max_digits": f"{subject} must be {max_value:,} or less",
            "max_whole_digits": f"{subject} must be {max_value:,} or less",
            "max_decimal_places": f"{subject} must be a whole number, like {example}"
            if kwargs.get("decimal_places") == 0
            else f"{subject} can have at most {kwargs.get('decimal_places')} decimal places",
        },
        **kwargs,
    )


class ForecastForm(forms.Form):
    volumes = forms.CharField(
        label="Weekly volumes",
        help_text="One week a line: the week (1, 2, 3… or the date the week starts, like "
        "2026-01-05) and the number of items arriving that week, separated by a tab or a "
        "comma. Copy the two columns from a spreadsheet and paste them here",
        required=False,
        max_length=MAX_PASTE_CHARS,
        widget=forms.Textarea,
        error_messages={
            "max_length": f"The weekly volumes must be {MAX_PASTE_CHARS:,} characters or "
            f"fewer: give at most {MAX_WEEKS} weeks",
        },
    )
    volumes_file = forms.FileField(
        label="Or upload a CSV file",
        help_text="The same two columns, one week a row, in a file of up to "
        f"{MAX_FILE_BYTES // 1024} KB. A file replaces what is in the box above, and its "
        "rows are copied into the box",
        required=False,
        allow_empty_file=True,
    )
    item_name = forms.CharField(
        label="What is counted",
        help_text="For example, claims, applications or calls. Left blank: items",
        required=False,
        max_length=60,
        error_messages={"max_length": "What is counted must be 60 characters or fewer"},
    )
    handling_minutes = _number_field(
        label="Handling time per item",
        help_text="Minutes of work one item takes someone at full speed",
        what="the handling time",
        example="12",
        min_value=Decimal("0.01"),
        max_value=Decimal("10000"),
        max_digits=7,
        decimal_places=2,
    )
    productive_hours = _number_field(
        label="Productive hours per person per week",
        help_text="Hours a person spends on the work in a full week, after breaks, "
        "meetings and other duties. For example, 30",
        what="the productive hours",
        example="30",
        min_value=Decimal("0.1"),
        max_value=Decimal("168"),
        max_digits=5,
        decimal_places=2,
    )
    shrinkage = _number_field(
        label="Shrinkage",
        help_text="The share of paid time lost to leave, sickness, training and the like. "
        "35% is typical",
        what="the shrinkage",
        example="35",
        min_value=Decimal("0"),
        max_value=Decimal("99"),
        max_digits=4,
        decimal_places=1,
    )
    backlog = _number_field(
        label="Starting backlog",
        help_text="Items already waiting at the start of week 1. Enter 0 if there are none",
        what="the starting backlog",
        example="20,000",
        min_value=Decimal("0"),
        max_value=Decimal("1000000000"),
        max_digits=12,
        decimal_places=0,
    )
    clearance_weeks = forms.IntegerField(
        label="Weeks to clear the backlog",
        help_text="The backlog is shared equally over this many weeks, from week 1",
        min_value=1,
        max_value=MAX_WEEKS,
        error_messages={
            "required": "Enter the weeks to clear the backlog, for example 4",
            "invalid": "The weeks to clear the backlog must be a whole number, like 4",
            "min_value": "The weeks to clear the backlog must be 1 or more",
            "max_value": f"The weeks to clear the backlog must be {MAX_WEEKS} or fewer",
        },
    )
    ramp = forms.CharField(
        label="Ramp-up",
        help_text="A new starter's output as a share of full speed in their first weeks, "
        "separated by commas. For example, 50, 75 means 50% in their first week, 75% in "
        "their second, then 100%. Leave it blank if starters work at full speed at once",
        required=False,
        max_length=400,
        error_messages={"max_length": "The ramp-up must be 400 characters or fewer"},
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.model: DemandModel | None = None
        self.first_date = None  # the first week's date, when the weeks were dates
        self.volumes_source = "volumes"

    # --- fields ---------------------------------------------------------------------

    def clean_item_name(self) -> str:
        return self.cleaned_data["item_name"].strip() or DEFAULT_ITEM_NAME

    def clean_ramp(self) -> tuple[float, ...]:
        text = self.cleaned_data["ramp"].strip()
        if not text:
            return ()
        parts = [p for p in re.split(r"[,;\s]+", text.replace("%", " ")) if p]
        if len(parts) > MAX_RAMP_WEEKS:
            raise forms.ValidationError(f"Give the ramp-up for at most {MAX_RAMP_WEEKS} weeks")
        values = []
        for part in parts:
            try:
                value = Decimal(part)
            except InvalidOperation:
                value = None
            if value is None or not value.is_finite() or not 0 < value <= 100:
                raise forms.ValidationError(
                    "Each ramp-up value must be a percentage above 0 and up to 100, like 50, 75"
                )
            values.append(float(value) / 100)
        return tuple(values)

    # --- the forecast as a whole ----------------------------------------------------

    def _volumes_text(self) -> str | None:
        upload = self.cleaned_data.get("volumes_file")
        if upload:
            self.volumes_source = "volumes_file"
            if upload.size > MAX_FILE_BYTES:
                self.add_error(
                    "volumes_file", f"The file must be smaller than {MAX_FILE_BYTES // 1024} KB"
                )
                return None
            try:
                text = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                self.add_error(
                    "volumes_file", "The file must be a CSV file saved as UTF-8 (CSV UTF-8)"
                )
                return None
            # The rows stay on the page when it comes back: a file input cannot keep a file.
            self.data = self.data.copy()
            self.data[self.add_prefix("volumes")] = text
            return text
        text = self.cleaned_data.get("volumes", "")
        if "volumes" in self.errors:
            return None
        if not text.strip():
            self.add_error("volumes", "Enter the weekly volumes, or upload a CSV file")
            return None
        return text

    def _volumes(self) -> tuple[float, ...] | None:
        text = self._volumes_text()
        if text is None:
            return None
        parsed = parse_volumes(text)
        if parsed.errors:
            where = " of the file" if self.volumes_source == "volumes_file" else ""
            messages = [
                f"Line {e.line}{where}: {e.message}" if e.line else _sentence(e.message)
                for e in parsed.errors
            ]
            if len(messages) > MAX_ROW_ERRORS:
                more = len(messages) - MAX_ROW_ERRORS
                messages = messages[:MAX_ROW_ERRORS] + [
                    f"And {more:,} more problem{'s' if more != 1 else ''} in the weekly volumes"
                ]
            self.add_error(self.volumes_source, messages)
            return None
        self.first_date = parsed.first_date
        return parsed.volumes

    def clean(self):
        cleaned = super().clean()
        volumes = self._volumes()
        needed = ("handling_minutes", "productive_hours", "shrinkage", "backlog")
        if volumes is None or self.errors or any(cleaned.get(n) is None for n in needed):
            return cleaned
        try:
            model = DemandModel(
                volumes=volumes,
                handling_minutes=float(cleaned["handling_minutes"]),
                productive_hours=float(cleaned["productive_hours"]),
                shrinkage=float(cleaned["shrinkage"]) / 100,
                backlog=float(cleaned["backlog"]),
                clearance_weeks=cleaned["clearance_weeks"],
                ramp=cleaned["ramp"],
                item_name=cleaned["item_name"],
            )
        except DemandError as exc:
            for field, message in exc.errors.items():
                target = self.volumes_source if field == "volumes" else MODEL_FIELDS.get(field)
                self.add_error(target, _sentence(message))
            return cleaned
        busiest = max(model.weeks(), key=lambda w: w.posts)
        if busiest.posts > MAX_POSTS:
            self.add_error(
                self.volumes_source,
                f"This forecast needs {busiest.posts:,} posts in week {busiest.week}: a line "
                f"can need at most {MAX_POSTS:,}. Check the volumes, the handling time and "
                "the productive hours",
            )
            return cleaned
        self.model = model
        return cleaned

    @classmethod
    def initial_for(cls, demand: dict | None, version: int) -> dict:
        """The form's values from a line's stored forecast (or the defaults)."""
        if not demand:
            return {
                "shrinkage": DEFAULT_SHRINKAGE,
                "backlog": "0",
                "clearance_weeks": "1",
                "ramp": DEFAULT_RAMP_TEXT,
                "version": version,
            }
        return {
            "volumes": "\n".join(
                f"{week}\t{plain_number(v)}" for week, v in enumerate(demand["volumes"], start=1)
            ),
            "item_name": demand.get("item_name", DEFAULT_ITEM_NAME),
            "handling_minutes": plain_number(demand["handling_minutes"]),
            "productive_hours": plain_number(demand["productive_hours"]),
            "shrinkage": plain_number(demand.get("shrinkage", 0.35) * 100),
            "backlog": plain_number(demand.get("backlog", 0)),
            "clearance_weeks": str(demand.get("clearance_weeks", 1)),
            "ramp": ", ".join(plain_number(r * 100) for r in demand.get("ramp", ())),
            "version": version,
        }


def plain_number(value: float) -> str:
    """60000.0 -> "60000"; 0.35 * 100 -> "35" (not 35.00000000000001); 12.5 -> "12.5"."""
    rounded = round(float(value), 6)
    return str(int(rounded)) if rounded == int(rounded) else f"{rounded:.6f}".rstrip("0")


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:]
