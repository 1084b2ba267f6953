"""One input vocabulary (DESIGN.md section 2): every spelling a person may type for a
level, a date, a grade, a clearance, yes/no, evidence or a skill, read in one place.

Forms, API handlers and the HR importers all call these parsers, so a value one of
them accepts, every one of them accepts. Each parser returns the canonical value or
raises ``VocabularyError`` whose message says what IS accepted; callers put that
message into their own error shape (a form error, an API 422 item, an import row
error). The messages quote the offending value only when it is short.

Accepted spellings (also in README.md, "Input vocabulary"):

- level: 1-4, or Awareness, Working, Practitioner, Expert (any case, spaces ignored)
- partial date: YYYY (1 January), YYYY-MM or MM/YYYY (the 1st of the month),
  YYYY-MM-DD or DD/MM/YYYY; ``current`` where the field means "in use now"
- full date: YYYY-MM-DD or DD/MM/YYYY
- grade: the code (AA, AO, EO, HEO, SEO, G7, G6, SCS1-3) or its name (Higher
  Executive Officer, Grade 7, Senior Civil Service 1), any case, spaces and hyphens
  ignored ("g7", "Grade7", "heo", "SCS 1")
- clearance: 0-4, or None, BPSS, CTC, SC, DV, or their long names (Security Check ...)
- yes/no: yes, y, true, 1 / no, n, false, 0
- evidence: self, manager_verified, assessed, certified, or their names
- skill: an id, a URI or a name (normalised; only a confident match counts),
  followed through merges to the surviving skill
"""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import lru_cache

from django import forms
from django.db.models import Q

from matching.rules import LEVELS
from skills_app.people.models import Clearance, EvidenceKind, Grade
from taxonomy.models import Skill, SkillStatus


class VocabularyError(ValueError):
    """Input that is not in the vocabulary; ``message`` says what to enter instead.
    ``suggestions`` (skills only) lists what the input might have meant."""

    def __init__(self, message: str, *, suggestions=()):
        super().__init__(message)
        self.message = message
        self.suggestions = list(suggestions)


def quoted(value, limit: int = 40) -> str:
    text = str(value)
    return f"“{text}”" if len(text) <= limit else f"“{text[: limit - 1]}…”"


def _fold(value) -> str:
    """Case-folded, with surrounding space removed and inner runs collapsed."""
    return " ".join(str(value).split()).casefold()


# --- levels -------------------------------------------------------------------------

LEVEL_HINT = "Enter a level from 1 to 4, or Awareness, Working, Practitioner or Expert"
_LEVELS = {name.casefold(): number for number, name in LEVELS.items()}


def level(value) -> int:
    """1-4 (a number or its digits) or a level name, any case."""
    if isinstance(value, bool):
        raise VocabularyError(LEVEL_HINT)
    if isinstance(value, int):
        number = value
    else:
        folded = _fold(value)
        try:
            number = int(folded) if folded.isdigit() else _LEVELS.get(folded, 0)
        except ValueError:
            number = 0
    if number not in LEVELS:
        raise VocabularyError(LEVEL_HINT)
    return number


# --- grades -------------------------------------------------------------------------


def _grade_key(value) -> str:
    return re.sub(r"[\s\-_.]+", "", str(value)).casefold()


_GRADES = {_grade_key(g.value): g.value for g in Grade}
_GRADES.update({_grade_key(g.label): g.value for g in Grade})  # "Grade 7", "grade7"
GRADE_HINT = (
    "enter a grade code ("
    + ", ".join(Grade.values)
    + ") or its name, for example Grade 7 or Higher Executive Officer"
)


def grade(value) -> str:
    """A grade's code: from the code or the name, any case, spaces ignored."""
    found = _GRADES.get(_grade_key(value)) if value is not None else None
    if found is None:
        raise VocabularyError(f"Unknown grade {quoted(value)}: {GRADE_HINT}")
    return found


# --- clearance ----------------------------------------------------------------------

_CLEARANCES = {str(c.value): c.value for c in Clearance}
_CLEARANCES.update({c.label.casefold(): c.value for c in Clearance})
_CLEARANCES.update(
    {
        "baseline personnel security standard": Clearance.BPSS.value,
        "counter terrorist check": Clearance.CTC.value,
        "counter-terrorist check": Clearance.CTC.value,
        "security check": Clearance.SC.value,
        "developed vetting": Clearance.DV.value,
    }
)
CLEARANCE_HINT = "enter 0 to 4, or None, BPSS, CTC, SC or DV"


def clearance(value) -> int:
    """0-4 or a clearance name, any case."""
    if isinstance(value, bool):
        found = None
    elif isinstance(value, int):
        found = value if value in Clearance.values else None
    else:
        folded = _fold(value)
        digits = folded.isdigit() and folded.isascii()
        found = _CLEARANCES.get(str(int(folded)) if digits else folded)
    if found is None:
        raise VocabularyError(f"Unknown clearance {quoted(value)}: {CLEARANCE_HINT}")
    return found


# --- yes / no -----------------------------------------------------------------------

_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0"}


def yes_no(value) -> bool:
    if isinstance(value, bool):
        return value
    folded = _fold(value)
    if folded in _YES:
        return True
    if folded in _NO:
        return False
    raise VocabularyError("Enter yes or no")


# --- evidence -----------------------------------------------------------------------

_EVIDENCE = {e.value: e.value for e in EvidenceKind}
_EVIDENCE.update({_fold(e.label.replace("-", " ")): e.value for e in EvidenceKind})
_EVIDENCE.update({"manager verified": "manager_verified", "verified": "manager_verified"})
EVIDENCE_HINT = "Enter self, manager_verified, assessed or certified"


def evidence(value) -> str:
    folded = _fold(str(value).replace("-", " "))
    found = _EVIDENCE.get(folded) or _EVIDENCE.get(folded.replace(" ", "_"))
    if found is None:
        raise VocabularyError(EVIDENCE_HINT)
    return found


# --- dates --------------------------------------------------------------------------

_ISO_DAY = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_UK_DAY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_ISO_MONTH = re.compile(r"(\d{4})-(\d{1,2})")
_UK_MONTH = re.compile(r"(\d{1,2})/(\d{4})")
_YEAR = re.compile(r"\d{4}")
MIN_YEAR = 1900
DATE_HINT = "YYYY-MM-DD or DD/MM/YYYY, for example 2025-03-31"
PARTIAL_DATE_HINT = "YYYY, YYYY-MM or YYYY-MM-DD, for example 2023 or 2023-06"
CURRENT = "current"  # last_used / end_date: in use or held now (clears a stored date)


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def is_current(value) -> bool:
    return isinstance(value, str) and value.strip().casefold() == CURRENT


def _make(y: int, m: int, d: int, hint: str, min_year: int) -> date:
    try:
        made = date(y, m, d)
    except ValueError:
        raise VocabularyError(f"That is not a real date: enter it as {hint}") from None
    if made.year < min_year:
        raise VocabularyError(f"The year must be {min_year} or later")
    return made


@lru_cache(maxsize=65536)
def _full(raw: str) -> date:
    if match := _ISO_DAY.fullmatch(raw):
        y, m, d = map(int, match.groups())
        return _make(y, m, d, DATE_HINT, MIN_YEAR)
    if match := _UK_DAY.fullmatch(raw):
        d, m, y = map(int, match.groups())
        return _make(y, m, d, DATE_HINT, MIN_YEAR)
    raise VocabularyError(f"Enter the date as {DATE_HINT}")


def full_date(value) -> date:
    """A day: YYYY-MM-DD or DD/MM/YYYY (or a date from a spreadsheet cell)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return _full(str(value).strip())


@lru_cache(maxsize=65536)
def _partial(raw: str, min_year: int) -> date:
    hint = PARTIAL_DATE_HINT
    if match := _ISO_DAY.fullmatch(raw):
        y, m, d = map(int, match.groups())
    elif match := _UK_DAY.fullmatch(raw):
        d, m, y = map(int, match.groups())
    elif match := _ISO_MONTH.fullmatch(raw):
        (y, m), d = map(int, match.groups()), 1
    elif match := _UK_MONTH.fullmatch(raw):
        (m, y), d = map(int, match.groups()), 1
    elif _YEAR.fullmatch(raw):
        y, m, d = int(raw), 1, 1
    else:
        raise VocabularyError(f"Enter the date as {hint}")
    return _make(y, m, d, hint, min_year)


def partial_date(value, *, min_year: int = MIN_YEAR) -> date:
    """YYYY -> 1 January; YYYY-MM (or MM/YYYY) -> the 1st of the month; YYYY-MM-DD or
    DD/MM/YYYY -> that day. The same text always gives the same date, so re-importing
    a file changes nothing."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return _partial(str(value).strip(), min_year)


LAST_USED_HINT = (
    f"Enter when the skill was last used as {PARTIAL_DATE_HINT}, or current if it is in use now"
)


def last_used(value, *, today: date, min_year: int = MIN_YEAR) -> date | None:
    """A partial date, not in the future; ``current`` (any case) is None: in use now."""
    if is_current(value):
        return None
    try:
        made = partial_date(value, min_year=min_year)
    except VocabularyError as exc:
        if exc.message.startswith("Enter the date as"):
            raise VocabularyError(LAST_USED_HINT) from None
        raise
    if made > today:
        raise VocabularyError("The date the skill was last used cannot be in the future")
    return made


# --- skills -------------------------------------------------------------------------

SKILL_HINT = "Give the skill as an id, URI or name"
URI_PREFIXES = ("http://", "https://", "urn:")
MAX_MERGE_HOPS = 20  # merges are flattened when made; a longer chain is corrupt data
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def _get_skill(pk: int) -> Skill:
    return Skill.objects.get(pk=pk)


def follow_merges(skill: Skill, *, load=_get_skill) -> Skill:
    """The skill ``skill`` was merged into, through any chain of merges. ``load(pk)``
    fetches the next skill (a caller may lock it). A chain that loops, or is longer
    than ``MAX_MERGE_HOPS``, raises ``VocabularyError`` rather than looping forever."""
    hops = 0
    while skill.status == SkillStatus.MERGED and skill.merged_into_id is not None:
        if hops >= MAX_MERGE_HOPS:
            raise VocabularyError(
                f"“{skill.name}” was merged into a chain of more than {MAX_MERGE_HOPS} "
                "skills that does not end: ask a taxonomy steward to fix it"
            )
        skill = load(skill.merged_into_id)
        hops += 1
    return skill


def suggestion(match) -> dict:
    """A normaliser match as the API lists it."""
    return {
        "id": match.skill.pk,
        "name": match.skill.name,
        "uri": match.skill.uri,
        "matched_label": match.matched_label,
        "score": round(float(match.score), 1),
    }


def skill_by_name(text: str) -> Skill:
    """The skill a name confidently means (the normaliser's "auto" outcome)."""
    from taxonomy.labels import decide_skill  # taxonomy.labels imports taxonomy.services

    outcome, matches = decide_skill(text)
    if outcome == "auto" and matches:
        return matches[0].skill
    if matches:
        raise VocabularyError(
            f"“{text}” could be more than one skill: use one of the suggestions",
            suggestions=[suggestion(m) for m in matches],
        )
    raise VocabularyError(f"No skill matches “{text}”")


def skill_ref(
    raw, *, held=frozenset(), by_name=skill_by_name, load=_get_skill, found=None
) -> Skill:
    """The skill an id (a number: JSON only; digits in text are a name, so a shifted
    spreadsheet column is never read as an id), a URI or a name refers to, followed
    through merges. A deprecated skill is refused unless its id is in ``held`` (the
    person already has it). ``by_name(text)`` resolves a name (the importers pass
    their own, cached and with their own suggestions). ``found``: the skills read
    beforehand by id (int keys) and URI (text keys), so no query is needed; an id or
    URI missing from it names no skill (``skill_refs``)."""
    if raw is None or isinstance(raw, bool):
        raise VocabularyError(SKILL_HINT)
    if isinstance(raw, int):
        skill = found.get(raw) if found is not None else Skill.objects.filter(pk=raw).first()
        if skill is None:
            raise VocabularyError(f"No skill has id {raw}")
    else:
        text = " ".join(str(raw).split())
        if not text:
            raise VocabularyError(SKILL_HINT)
        skill = found.get(text) if found is not None else Skill.objects.filter(uri=text).first()
        if skill is None:
            if text.lower().startswith(URI_PREFIXES):
                raise VocabularyError(f"No skill has the URI {quoted(text, 120)}")
            skill = by_name(text)
    skill = follow_merges(skill, load=load)
    if skill.status == SkillStatus.DEPRECATED and skill.pk not in held:
        raise VocabularyError(f"“{skill.name}” is deprecated: choose another skill")
    return skill


def skill_refs(raws, *, held=frozenset()) -> list[Skill | VocabularyError]:
    """``skill_ref`` for each of ``raws`` (a request's requirements), reading every
    skill they name in one query: ids, URIs and the skills names confidently mean
    (the label index decides names in memory) together. Only a merged skill costs
    more (its successor, one query per hop). Each answer is the skill, or the
    ``VocabularyError`` that ``skill_ref`` raises for it."""
    from taxonomy.labels import label_index  # taxonomy.labels imports taxonomy.services

    ids, texts = set(), set()
    for raw in raws:
        if isinstance(raw, bool) or raw is None:
            continue
        if isinstance(raw, int):
            if INT64_MIN <= raw <= INT64_MAX:  # no id is larger; the database may refuse it
                ids.add(raw)
        elif text := " ".join(str(raw).split()):
            texts.add(text)
    meant: dict[str, int] = {}  # name -> the skill it confidently means
    names = [t for t in texts if not t.lower().startswith(URI_PREFIXES)]
    if names:
        normaliser = label_index()
        for text in names:
            decision = normaliser.decide(text)
            if decision.outcome == "auto" and decision.candidates:
                meant[text] = decision.candidates[0].skill_id
    found: dict[int | str, Skill] = {}
    if ids or texts:
        wanted = Q(pk__in=ids | set(meant.values())) | Q(uri__in=texts)
        for skill in Skill.objects.filter(wanted):
            found[skill.pk] = skill
            if skill.uri in texts:
                found[skill.uri] = skill

    def named(text: str) -> Skill:
        skill = found.get(meant.get(text))
        return skill if skill is not None else skill_by_name(text)  # its errors, suggestions

    def load(pk: int) -> Skill:
        skill = found.get(pk)
        if skill is None:
            skill = found[pk] = _get_skill(pk)
        return skill

    out: list[Skill | VocabularyError] = []
    for raw in raws:
        try:
            out.append(skill_ref(raw, held=held, by_name=named, load=load, found=found))
        except VocabularyError as exc:
            out.append(exc)
    return out


# --- form fields --------------------------------------------------------------------
# Choice fields that read the same spellings: the typed or posted value becomes the
# choice's key before the usual choice check, so the page's radios and checkboxes
# and the form's own "choose from the list" messages are unchanged.


class _SpelledChoice:
    parse = None  # a parser above; the choice key is its value as text

    def _key(self, value):
        if value in self.empty_values:
            return value
        try:
            parsed = type(self).parse(value)
        except VocabularyError:
            return value  # left to the choice check and the field's own message
        if isinstance(parsed, bool):
            return "yes" if parsed else "no"
        return str(parsed)

    def to_python(self, value):
        return self._key(super().to_python(value))


class LevelField(_SpelledChoice, forms.TypedChoiceField):
    parse = staticmethod(level)

    def __init__(self, **kwargs):
        kwargs.setdefault("choices", list(LEVELS.items()))
        kwargs.setdefault("coerce", int)
        super().__init__(**kwargs)


class GradeField(_SpelledChoice, forms.ChoiceField):
    parse = staticmethod(grade)


class ClearanceField(_SpelledChoice, forms.TypedChoiceField):
    parse = staticmethod(clearance)


class YesNoField(_SpelledChoice, forms.ChoiceField):
    """Keys "yes" and "no"."""

    parse = staticmethod(yes_no)


class GradesField(forms.MultipleChoiceField):
    def to_python(self, value):
        keys = []
        for item in super().to_python(value):
            try:
                keys.append(grade(item))
            except VocabularyError:
                keys.append(item)
        return keys
