"""Search the workforce for a role: the results page, one person's explanation
and the shortlist download (``Cap.SEARCH_RUN``: planners, HR, administrators).

The search page is a GET form: role codes, thresholds and filters are not
personal data, and a GET search can be bookmarked and shared. First opened it
uses the role's stored filters; ``filtered=1`` marks a submitted form, whose
filters then replace them (so unticking every box means "no filter"). People
are addressed by their primary key only, never by name or staff number.

With htmx the form and the pagination swap only the results region (the URL is
pushed, so Back works) and a person's explanation opens in a panel under their
row; without JavaScript every one of them is an ordinary page.

Every search, explanation and export is audited by the service
(``run_search``/``explain_person``), never here. Searches and explanations are
throttled per user (``THROTTLE_RATES["search"]``), downloads too (``"export"``);
the shortlist download is a POST form (CSRF-checked) whose action URL carries the
search's options, and a GET of it is refused (405).
"""

from __future__ import annotations

import math

from django.core.paginator import Paginator
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from matching.rules import BY_PRIOR_ROLE, BY_SCORE
from skills_app.accounts.permissions import Cap, has_cap, requires
from skills_app.audit.models import Action
from skills_app.core.presenters import level_label, percent_number
from skills_app.core.throttle import throttle
from skills_app.people.models import EvidenceKind
from skills_app.people.selectors import person_id_for_public_id
from skills_app.roles import exports, selectors, services
from skills_app.roles.forms_search import FILTER_FIELDS, SearchForm, error_items
from skills_app.roles.search import (
    EXPORT_LIMIT,
    SearchFilters,
    SearchQuery,
    explain_person,
    run_search,
)
from skills_app.surge import selectors as surge_selectors

EVIDENCE_LABELS = dict(EvidenceKind.choices)
PER_PAGE = 25
MAX_PAGE = 10_000
CONFIDENCE_MEANINGS = {
    "A": "Strong evidence",
    "B": "Good evidence",
    "C": "Some evidence",
    "D": "Little evidence",
}


def _form_data(request, role) -> QueryDict:
    """The submitted form, or on first opening the role's own filters."""
    if request.GET.get("filtered"):
        return request.GET
    data = QueryDict(mutable=True)
    for key, value in SearchForm.defaults_for(SearchFilters.from_json(role.filters)).items():
        if isinstance(value, list):
            data.setlist(key, value)
        else:
            data[key] = value
    data["filtered"] = "1"
    return data


def _page_number(request, param: str) -> int:
    raw = request.GET.get(param, "")
    return min(max(1, int(raw)), MAX_PAGE) if raw.isdigit() else 1


def _query(
    role, specs, form: SearchForm, *, limit: int, offset: int = 0, qualifies_by=None
) -> SearchQuery:
    return SearchQuery(
        requirements=tuple(specs),
        filters=form.cleaned_data["filters"],
        threshold=form.threshold_fraction,
        include_prior_role=form.cleaned_data["prior"] == "yes",
        include_drafts=form.cleaned_data.get("drafts") == "yes",
        limit=limit,
        offset=offset,
        role_code=role.code,
        qualifies_by=qualifies_by,
    )


def _rows(result) -> list[dict]:
    return [
        {
            "rank": result.query.offset + number,
            "hit": hit,
            "bar": min(100, int(hit.percent // 5) * 5),
            "confidence_meaning": CONFIDENCE_MEANINGS.get(hit.confidence, ""),
            "coverage_percent": percent_number(hit.prior_role.coverage) if hit.prior_role else "",
        }
        for number, hit in enumerate(result.hits, start=1)
    ]


def _group(request, role, specs, form, qualifies_by: str, param: str) -> dict:
    """One of rule 7's two lists, paged by its own parameter: (result, page, rows)."""
    number = _page_number(request, param)

    def run(n):
        return run_search(
            actor=request.user,
            query=_query(
                role,
                specs,
                form,
                limit=PER_PAGE,
                offset=(n - 1) * PER_PAGE,
                qualifies_by=qualifies_by,
            ),
        )

    result = run(number)
    if not result.hits and result.total_in_view and number > 1:
        # Past the last page (a stale link): show the last page instead.
        number = math.ceil(result.total_in_view / PER_PAGE)
        result = run(number)
    page = Paginator(range(result.total_in_view), PER_PAGE).get_page(number)
    return {"result": result, "page": page, "rows": _rows(result), "param": param}


def _explained(r) -> dict:
    """One requirement of an explanation, in words and numbers for the table."""
    held = r.level > 0
    if r.via_skill is None:
        via = "Not held"
    elif r.via_skill.id == r.skill.id:
        via = "This skill"
    else:
        via = r.via_skill.name
    return {
        "skill": r.skill.name,
        "essential": r.essential,
        "required": level_label(r.required_level),
        "held": level_label(r.level),
        "via": via,
        "recency": f"{percent_number(r.recency)}%" if held else "–",
        "effective": f"{r.effective_level:.2f}",
        "credit": f"{percent_number(r.credit)}%",
        "weight": f"{r.weight:g}",
        "gap": (f"{r.gap} level{'s' if r.gap != 1 else ''}" if r.gap else "None"),
        "evidence": EVIDENCE_LABELS.get(r.evidence, "–") if held else "–",
    }


def _is_partial(request) -> bool:
    return bool(request.htmx) and not request.htmx.history_restore_request


@requires(Cap.SEARCH_RUN)
@throttle("search")
def search_page(request, code):
    role = selectors.role_get(code=code)
    specs = services.requirements_from_role(role)
    data = _form_data(request, role)
    form = SearchForm(data)
    valid = form.is_valid()
    by_score = by_prior = None
    if specs and valid:
        by_score = _group(request, role, specs, form, BY_SCORE, "page")
        if form.cleaned_data["prior"] == "yes" and by_score["result"].total_by_prior_role:
            by_prior = _group(request, role, specs, form, BY_PRIOR_ROLE, "prior_page")
    result = by_score["result"] if by_score else None
    params = data.copy()
    for name in ("page", "prior_page"):
        params.pop(name, None)
    with_page = data.copy()
    context = {
        "role": role,
        "specs": specs,
        "form": form,
        "result": result,
        "by_score": by_score,
        "by_prior": by_prior,
        "params": params.urlencode(),
        "params_with_page": with_page.urlencode(),
        "filters": selectors.filters_summary(form.cleaned_data["filters"]) if valid else [],
        "filters_in_use": form.filters_in_use() if valid else 0,
        "export_limit": EXPORT_LIMIT,
        "errors": error_items(form) if not valid else [],
        "filter_errors": not valid and any(name in form.errors for name in FILTER_FIELDS),
        "partial": _is_partial(request),
    }
    if _is_partial(request):
        if not valid:
            # The errors belong at the top of the page, with the fields: load it whole.
            return HttpResponseClientRedirect(request.get_full_path())
        return render(request, "roles/search.html#results", context)
    return render(request, "roles/search.html", context)


def _explanation_query(request, role, specs) -> SearchQuery:
    """The search the explanation belongs to: the threshold and prior-role choice
    the link carries (from the results, or a scenario line's minimum score) over
    the search's or the role's own settings."""
    data = _form_data(request, role).copy()
    for name in ("threshold", "prior"):
        if name in request.GET:
            data[name] = request.GET[name]
    form = SearchForm(data)
    if not form.is_valid():
        return SearchQuery(requirements=tuple(specs), role_code=role.code)
    return _query(role, specs, form, limit=1)


def _back_link(request, role) -> tuple[str, str]:
    """(url, words): back to the scenario the explanation was opened from, or to
    the search results."""
    raw = request.GET.get("scenario", "")
    if raw.isdigit() and has_cap(request.user, Cap.SURGE_VIEW):
        scenario = surge_selectors.scenario_find(pk=int(raw))
        if scenario is not None:
            return reverse("surge:detail", args=[scenario.pk]), f"Back to {scenario.name}"
    back = reverse("roles:search", args=[role.code])
    query = request.GET.copy()
    query.pop("scenario", None)
    if query:
        back += "?" + query.urlencode()
    return back, "Back to the search results"


@requires(Cap.SEARCH_RUN)
@throttle("search")
def explanation(request, code, public_id):
    role = selectors.role_get(code=code)
    specs = services.requirements_from_role(role)
    if not specs:
        raise Http404("This role has no requirements to explain")
    person_id = person_id_for_public_id(public_id)
    if person_id is None:
        raise Http404("No such person")
    explained = explain_person(
        actor=request.user, query=_explanation_query(request, role, specs), person_id=person_id
    )
    if explained is None:
        raise Http404("No such person")
    hit = explained.hit
    back, back_words = _back_link(request, role)
    context = {
        "role": role,
        "hit": hit,
        "explained": explained,
        "total_weight": sum(r.weight for r in hit.requirements),
        "weighted_credit": sum(r.weight * r.credit for r in hit.requirements),
        "items": [_explained(r) for r in hit.requirements],
        "training": sum(1 for r in hit.requirements if r.gap),
        "rank_percent": f"{hit.rank_score * 100:.1f}",
        "coverage_percent": percent_number(hit.prior_role.coverage) if hit.prior_role else "",
        "confidence_meaning": CONFIDENCE_MEANINGS.get(hit.confidence, ""),
        "evidence_percent": percent_number(explained.evidence_value)
        if explained.evidence_value is not None
        else "",
        "confidence_percent": percent_number(explained.confidence_value)
        if explained.confidence_value is not None
        else "",
        "back": back,
        "back_words": back_words,
        "full_page_url": request.get_full_path(),
    }
    if _is_partial(request):
        return render(request, "roles/explanation.html#panel", context | {"panel": True})
    return render(request, "roles/explanation.html", context)


@requires(Cap.SEARCH_RUN)
@require_POST
@throttle("export")
def export_shortlist(request, code, fmt):
    if fmt not in ("csv", "xlsx"):
        raise Http404("Unknown format")
    role = selectors.role_get(code=code)
    specs = services.requirements_from_role(role)
    form = SearchForm(_form_data(request, role))
    if not specs or not form.is_valid():
        # Nothing to export as asked: the search page says why.
        url = reverse("roles:search", args=[role.code])
        return redirect(f"{url}?{request.GET.urlencode()}" if request.GET else url)
    result = run_search(
        actor=request.user,
        query=_query(role, specs, form, limit=EXPORT_LIMIT),
        action=Action.EXPORT,
    )
    if fmt == "csv":
        return exports.shortlist_csv(result, role_code=role.code)
    return exports.shortlist_xlsx(result, role_code=role.code)
