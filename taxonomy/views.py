"""Taxonomy pages: browse and search, the skill page, the autocomplete fragment,
proposals and the stewards' tools (queue, merge, deprecate, duplicates, the
qualification-to-skills table).

Every page works without JavaScript; htmx and static/js/skill-autocomplete.js
only enhance them. Writes go through taxonomy.services, which validate, audit
and bump the taxonomy version.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from skills_app.accounts.permissions import Cap, has_cap, requires
from skills_app.core.concurrency import ConflictError
from skills_app.core.conflicts import rebound_at_version, render_edit_page
from taxonomy import selectors, services
from taxonomy.api import taxonomy_download
from taxonomy.forms import (
    ApproveForm,
    ProposalMergeForm,
    ProposeForm,
    QualificationLevelForm,
    QualificationRemoveForm,
    QualificationSkillForm,
    RejectForm,
    SkillMergeForm,
    apply_validation_error,
    search_picker,
)
from taxonomy.labels import search_skills
from taxonomy.models import ProposalStatus, Skill, SkillStatus, Source
from taxonomy.services import taxonomy_version

SEARCH_RESULTS = 25
AUTOCOMPLETE_OPTIONS = 10
SIMILAR_SHOWN = 5
QUEUE_PER_PAGE = 20
GROUP_SKILLS_PER_PAGE = 50
DUPLICATES_PER_PAGE = 50
QUERY_MAX = 200
# Floors under search_skills' ranked candidates: below them a candidate is noise.
# Lower than the normaliser's own "suggest" threshold on purpose: browsing and
# duplicate-prevention lists should show near misses that a form would not accept.
SEARCH_MIN_SCORE = 50.0
SIMILAR_MIN_SCORE = 45.0


def _query(request, name: str = "q") -> str:
    return " ".join(request.GET.get(name, "").split())[:QUERY_MAX]


def _matches(q: str, limit: int, exclude: int | None = None, floor: float = SEARCH_MIN_SCORE):
    """search_skills without the weak tail."""
    if not q:
        return []
    return [m for m in search_skills(q, limit=limit) if m.score >= floor and m.skill.pk != exclude]


# --- browse ---------------------------------------------------------------------


@requires(Cap.TAXONOMY_VIEW)
def home(request):
    q = _query(request)
    steward = has_cap(request.user, Cap.TAXONOMY_EDIT)
    source = request.GET.get("source", "")
    source_page = None
    if source in Source.values and not q:
        source_page = Paginator(
            selectors.skills_by_source(source=source), GROUP_SKILLS_PER_PAGE
        ).get_page(request.GET.get("page"))
    return render(
        request,
        "taxonomy/home.html",
        {
            "q": q,
            "source_label": Source(source).label if source_page is not None else "",
            "source_page": source_page,
            "sources": selectors.source_counts(),
            "picker": search_picker(q),
            "results": _matches(q, SEARCH_RESULTS),
            "tree": selectors.group_tree(),
            "steward": steward,
            "pending_count": selectors.proposals_pending_count() if steward else 0,
        },
    )


@requires(Cap.TAXONOMY_VIEW)
def autocomplete(request):
    """The combobox's options as an HTML fragment (the partial in the component)."""
    q = _query(request)
    exclude = request.GET.get("exclude", "")
    exclude_id = int(exclude) if exclude.isdigit() else None
    matches = _matches(q, AUTOCOMPLETE_OPTIONS, exclude_id) if len(q) >= 2 else []
    return render(request, "includes/skill_autocomplete.html#options", {"matches": matches})


@requires(Cap.TAXONOMY_VIEW)
def download(request):
    fmt = request.GET.get("format", "json")
    return taxonomy_download("csv" if fmt == "csv" else "json")


@requires(Cap.TAXONOMY_VIEW)
def group_detail(request, pk):
    group = selectors.group_get(pk=pk)
    page = Paginator(selectors.group_skills(group=group), GROUP_SKILLS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "taxonomy/group.html",
        {
            "group": group,
            "ancestors": selectors.group_ancestors(group.parent),
            "children": selectors.group_children(group=group),
            "page": page,
        },
    )


@requires(Cap.TAXONOMY_VIEW)
def skill_detail(request, pk):
    skill = selectors.skill_get(pk=pk)
    context = {
        "skill": skill,
        "ancestors": selectors.group_ancestors(skill.group),
        "descriptors": selectors.skill_level_descriptors(skill=skill),
        "has_own_descriptors": False,
        "aliases": sorted(skill.aliases.values_list("label", flat=True), key=str.casefold),
        "relations": selectors.skill_relations(skill=skill),
        "steward": has_cap(request.user, Cap.TAXONOMY_EDIT),
        "show_counts": has_cap(request.user, Cap.SEARCH_RUN),
    }
    context["has_own_descriptors"] = any(not d.generic for d in context["descriptors"])
    if context["show_counts"]:
        context["level_counts"], context["holder_total"] = selectors.skill_holder_counts(
            skill=skill
        )
    return render(request, "taxonomy/skill.html", context)


# --- proposals ------------------------------------------------------------------


@requires(Cap.TAXONOMY_PROPOSE)
def propose(request):
    if request.htmx and request.method == "GET":
        # Live "similar skills" while the name is typed (hx-get from the name input).
        name = _query(request, "name")
        return render(
            request,
            "taxonomy/propose.html#similar",
            {
                "similar": _matches(name, SIMILAR_SHOWN, floor=SIMILAR_MIN_SCORE),
                "name": name,
                "live": True,
            },
        )
    similar = []
    if request.method == "POST":
        form = ProposeForm(request.POST)
        if form.is_valid():
            name = form.cleaned_data["name"]
            similar = _matches(name, SIMILAR_SHOWN, floor=SIMILAR_MIN_SCORE)
            if similar and not form.cleaned_data["confirm_new"]:
                # First submit: show what already exists before sending it on.
                form = ProposeForm(initial={**form.cleaned_data, "confirm_new": True})
                return render(
                    request,
                    "taxonomy/propose.html",
                    {"form": form, "similar": similar, "name": name, "checked": True},
                )
            try:
                proposal = services.skill_propose(
                    user=request.user,
                    name=name,
                    description=form.cleaned_data["description"],
                    kind=form.cleaned_data["kind"],
                )
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                return redirect(f"{reverse('taxonomy:my_proposals')}?sent={proposal.pk}")
    else:
        form = ProposeForm(initial={"name": _query(request, "name")})
    return render(request, "taxonomy/propose.html", {"form": form, "similar": similar})


@requires(Cap.TAXONOMY_PROPOSE)
def my_proposals(request):
    proposals = selectors.proposals_for_user(user=request.user)
    sent = request.GET.get("sent", "")
    just_sent = proposals.filter(pk=int(sent)).first() if sent.isdigit() else None
    page = Paginator(proposals, QUEUE_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "taxonomy/my_proposals.html",
        {"page": page, "just_sent": just_sent, "statuses": ProposalStatus},
    )


@requires(Cap.TAXONOMY_EDIT)
def proposal_queue(request):
    page = Paginator(selectors.proposals_pending(), QUEUE_PER_PAGE).get_page(
        request.GET.get("page")
    )
    rows = []
    for p in page:
        likely_same, matches = selectors.proposal_matches(p.name)
        rows.append(
            {
                "proposal": p,
                "proposer": selectors.proposer_name(p),
                "matches": matches,
                "likely_same": likely_same,
            }
        )
    return render(request, "taxonomy/proposals.html", {"page": page, "rows": rows})


@requires(Cap.TAXONOMY_EDIT)
@require_http_methods(["GET", "POST"])
def proposal_decide(request, pk):
    proposal = selectors.proposal_get(pk=pk)
    pending = proposal.status == ProposalStatus.PENDING
    approve_form = ApproveForm(
        initial={"name": proposal.name, "description": proposal.description},
        auto_id="approve-%s",
    )
    reject_form = RejectForm(auto_id="reject-%s")
    merge_form = ProposalMergeForm(auto_id="merge-%s")
    failed = None
    action = request.POST.get("action")
    if request.method == "POST" and pending:
        if action == "approve":
            approve_form = failed = ApproveForm(request.POST, auto_id="approve-%s")
            if approve_form.is_valid():
                try:
                    skill = services.proposal_approve(
                        proposal=proposal,
                        steward=request.user,
                        name=approve_form.cleaned_data["name"],
                        description=approve_form.cleaned_data["description"],
                    )
                except ValidationError as exc:
                    apply_validation_error(approve_form, exc)
                else:
                    messages.success(request, f"“{skill.name}” has been added to the taxonomy")
                    return redirect("taxonomy:proposals")
        elif action == "reject":
            reject_form = failed = RejectForm(request.POST, auto_id="reject-%s")
            if reject_form.is_valid():
                try:
                    services.proposal_reject(
                        proposal=proposal,
                        steward=request.user,
                        note=reject_form.cleaned_data["note"],
                    )
                except ValidationError as exc:
                    apply_validation_error(reject_form, exc)
                else:
                    messages.success(request, f"The proposal “{proposal.name}” has been rejected")
                    return redirect("taxonomy:proposals")
        elif action == "merge":
            merge_form = failed = ProposalMergeForm(request.POST, auto_id="merge-%s")
            if merge_form.is_valid():
                target = merge_form.cleaned_data["target"]
                try:
                    services.proposal_merge(proposal=proposal, steward=request.user, target=target)
                except ValidationError as exc:
                    apply_validation_error(merge_form, exc)
                else:
                    messages.success(
                        request,
                        f"“{proposal.name}” has been recorded as another name for “{target.name}”",
                    )
                    return redirect("taxonomy:proposals")
    return render(
        request,
        "taxonomy/proposal.html",
        {
            "proposal": proposal,
            "pending": pending,
            "proposer": selectors.proposer_name(proposal),
            "matches": _matches(proposal.name, SIMILAR_SHOWN, floor=SIMILAR_MIN_SCORE)
            if pending
            else [],
            "approve_form": approve_form,
            "reject_form": reject_form,
            "merge_form": merge_form,
            "failed": failed,
        },
    )


# --- skill actions --------------------------------------------------------------


@requires(Cap.TAXONOMY_EDIT)
@require_http_methods(["GET", "POST"])
def skill_merge(request, pk):
    """Choose the skill to keep (GET, the skill picker), confirm with the
    numbers that will move (GET with a resolved target), merge (POST)."""
    source = selectors.skill_get(pk=pk)
    if source.status == SkillStatus.MERGED:
        return render(request, "taxonomy/skill_merge.html", {"source": source, "merged": True})
    data = request.POST if request.method == "POST" else request.GET
    chosen = "target" in data or "target_query" in data
    form = SkillMergeForm(data if chosen else None, exclude_skill_id=source.pk)
    context = {"source": source, "form": form}
    if not chosen or not form.is_valid():
        return render(request, "taxonomy/skill_merge.html", context)
    target: Skill = form.cleaned_data["target"]
    if request.method == "POST":
        before = taxonomy_version()
        try:
            services.skill_merge(source=source, target=target, steward=request.user)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            selectors.duplicate_pairs_after_merge(
                before=before, after=taxonomy_version(), merged_id=source.pk
            )
            messages.success(
                request,
                f"“{source.name}” has been merged into “{target.name}”. "
                f"“{source.name}” is now another name for it.",
            )
            return redirect("taxonomy:skill", pk=target.pk)
    context.update(
        {
            "target": target,
            "impact": selectors.skill_merge_impact(source=source, target=target),
            "confirming": True,
        }
    )
    return render(request, "taxonomy/skill_merge.html", context)


@requires(Cap.TAXONOMY_EDIT)
@require_http_methods(["GET", "POST"])
def skill_status(request, pk):
    """Deprecate an active skill, or make a deprecated one active again:
    GET asks for confirmation, POST does it."""
    skill = selectors.skill_get(pk=pk)
    error = None
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "deprecate":
                services.skill_deprecate(skill=skill, steward=request.user)
                messages.success(request, f"“{skill.name}” has been deprecated")
            elif action == "reactivate":
                services.skill_reactivate(skill=skill, steward=request.user)
                messages.success(request, f"“{skill.name}” is active again")
            else:
                raise ValidationError("Choose what to do with this skill")
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            return redirect("taxonomy:skill", pk=skill.pk)
    return render(
        request,
        "taxonomy/skill_status.html",
        {"skill": skill, "error": error},
    )


@requires(Cap.TAXONOMY_EDIT)
def duplicates(request):
    pairs = selectors.duplicate_pairs()
    page = Paginator(pairs, DUPLICATES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "taxonomy/duplicates.html",
        {
            "page": page,
            "pairs": selectors.duplicate_pairs_hydrate(list(page.object_list)),
            "threshold": selectors.DUPLICATE_THRESHOLD,
            "total": len(pairs),
        },
    )


# --- qualifications and the skills they show (DESIGN 9) ---------------------------

QUALIFICATIONS_PER_PAGE = 50


def _level_items(field, descriptors) -> list[dict]:
    """The level radios: each level with its name and what it means."""
    chosen = str(field.value() or "")
    return [
        {
            "value": level,
            "name": name,
            "description": description,
            "input_id": field.auto_id if level == 1 else f"{field.auto_id}-{level}",
            "checked": chosen == str(level),
        }
        for level, name, description in descriptors
    ]


@requires(Cap.TAXONOMY_EDIT)
@require_http_methods(["GET", "POST"])
def qualifications(request):
    """The table (filtered, paged) with the add form below it; POST adds a mapping."""
    q = _query(request)
    if request.method == "POST":
        form = QualificationSkillForm(request.POST)
        if form.is_valid():
            try:
                row = services.qualification_skill_add(
                    steward=request.user,
                    qualification=form.cleaned_data["qualification"],
                    skill=form.cleaned_data["skill"],
                    level=form.cleaned_data["level"],
                )
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(
                    request,
                    f"“{row.qualification}” now shows “{row.skill.name}” at level {row.level}",
                )
                return redirect(f"{reverse('taxonomy:qualifications')}#add")
    else:
        form = QualificationSkillForm()
    page = Paginator(selectors.qualification_mappings(q=q), QUALIFICATIONS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "taxonomy/qualifications.html",
        {
            "q": q,
            "page": page,
            "form": form,
            "levels": _level_items(form["level"], selectors.level_descriptors()),
            "can_import": has_cap(request.user, Cap.IMPORT_TAXONOMY),
        },
    )


@requires(Cap.TAXONOMY_EDIT)
@require_http_methods(["GET", "POST"])
def qualification_change(request, pk):
    """Change a mapping's level; a stale version shows the conflict (409)."""
    row = selectors.qualification_mapping_get(pk=pk)
    conflict = None
    if request.method == "POST":
        form = QualificationLevelForm(request.POST)
        if form.is_valid():
            try:
                services.qualification_skill_set_level(
                    steward=request.user,
                    mapping_id=row.pk,
                    version=form.cleaned_data["version"],
                    level=form.cleaned_data["level"],
                )
            except ConflictError as exc:
                if exc.current is None:
                    messages.info(request, "That mapping has been removed by someone else")
                    return redirect("taxonomy:qualifications")
                row = exc.current
                conflict = [
                    {
                        "label": "Level",
                        "yours": str(form.cleaned_data["level"]),
                        "saved": f"{row.level} {row.get_level_display()}",
                    }
                ]
                form = rebound_at_version(
                    QualificationLevelForm,
                    request.POST,
                    row.version,
                    message="Someone else changed this mapping while you were editing it: "
                    "nothing was saved. Check the level and save again.",
                )
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(
                    request,
                    f"“{row.qualification}” now shows “{row.skill.name}” at level "
                    f"{form.cleaned_data['level']}",
                )
                return redirect("taxonomy:qualifications")
    else:
        form = QualificationLevelForm(initial={"level": row.level, "version": row.version})
    return render_edit_page(
        request,
        "taxonomy/qualification_change.html",
        {
            "row": row,
            "form": form,
            "conflict": conflict,
            "levels": _level_items(form["level"], selectors.level_descriptors()),
        },
    )


@requires(Cap.TAXONOMY_EDIT)
@require_http_methods(["GET", "POST"])
def qualification_remove(request, pk):
    """GET asks for confirmation; POST (with the version read) removes it."""
    row = selectors.qualification_mapping_get(pk=pk)
    form = QualificationRemoveForm(
        request.POST if request.method == "POST" else None, initial={"version": row.version}
    )
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            services.qualification_skill_remove(
                steward=request.user, mapping_id=row.pk, version=form.cleaned_data["version"]
            )
        except ConflictError as exc:
            if exc.current is None:
                messages.info(request, "That mapping had already been removed")
                return redirect("taxonomy:qualifications")
            conflict = row = exc.current
            form = QualificationRemoveForm(initial={"version": row.version})
            form.is_bound = False
        else:
            messages.success(request, f"“{row.qualification}” no longer shows “{row.skill.name}”")
            return redirect("taxonomy:qualifications")
    return render_edit_page(
        request,
        "taxonomy/qualification_remove.html",
        {"row": row, "form": form, "conflict": conflict},
    )
