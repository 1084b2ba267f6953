"""Move pages (DESIGN 10): the line manager's release requests, the person's own
move and ready-reserve offer, the planner's tracking page per approved scenario,
the "all moves" list (HR reads it, planners act from it), the planner's steps
(start, extend, end, cancel), loans out and the package for the host.

Every page works without JavaScript: each decision is a POST form with the CSRF
token and the version of the move it was read at. The views are thin: every
change goes through ``skills_app.moves.services`` (which checks who may take
which step), and every list of other people's moves is audited there too
(``moves_access_record``). Moves are addressed by their UUID, never by a person.
"""

from __future__ import annotations

import json
import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from skills_app.accounts.permissions import Cap, has_cap, requires
from skills_app.core.concurrency import ConflictError
from skills_app.core.conflicts import CONFLICT_STATUS
from skills_app.core.presenters import percent_label
from skills_app.core.throttle import throttle
from skills_app.moves import selectors, services
from skills_app.moves.forms import (
    CancelForm,
    ExtendForm,
    LoanForm,
    RefuseForm,
    RefuseManyForm,
    ReserveForm,
    VersionForm,
)
from skills_app.moves.models import (
    TRANSITIONS,
    Move,
    MoveStatus,
    ReserveMembership,
    ReserveNotice,
)
from skills_app.people.forms import date_initial
from skills_app.people.models import Person
from skills_app.people.team import team_queryset, viewer_person
from skills_app.surge import services as surge_services
from skills_app.surge.models import ScenarioStatus, SurgeScenario
from skills_app.surge.selectors import _explanation_url  # the scenario page's "why" link

PER_PAGE = 50
CHANGED = "Someone changed this move since you opened the page. Nothing was changed: check it "
"and try again"


def _pair(raw: str) -> tuple[str, int] | None:
    """A posted "move id:version" pair, or None when it is not one."""
    pk, _, version = (raw or "").partition(":")
    try:
        return str(uuid.UUID(pk)), int(version)
    except ValueError:
        return None


def _row(move: Move, user) -> dict:
    """One move as the tables show it."""
    allocation = move.allocation
    explain = ""
    if allocation is not None and move.line_id and has_cap(user, Cap.SEARCH_RUN):
        explain = _explanation_url(
            move.line.role_profile.code, move.person_id, move.line.min_score, move.scenario_id
        )
    return {
        "move": move,
        "name": move.person.full_name,
        "unit": move.person.org_unit.path,
        "role": selectors.role_of(move),
        "role_code": move.line.role_profile.code if move.line_id else "",
        "score": percent_label(allocation.score) if allocation is not None else "",
        "explain_url": explain,
        "tag": selectors.STATUS_TAGS[move.status],
        "pair": f"{move.pk}:{move.version}",
        "steps": selectors.planner_steps(move),
    }


def _outcome_message(outcome: services.BulkOutcome, verb: str) -> str:
    parts = [f"{len(outcome.done)} {verb}"]
    if outcome.already:
        n = len(outcome.already)
        parts.append(f"{n} had already been decided by someone else")
    if outcome.stale:
        n = len(outcome.stale)
        parts.append(
            f"{n} changed since you opened the page and {'was' if n == 1 else 'were'} not decided"
        )
    return "; ".join(parts)


# --- the line manager: release requests --------------------------------------------------


def _pending_offers(user):
    """Reserve offers from the manager's people waiting for agreement."""
    me = viewer_person(user)
    if me is None:
        return ReserveMembership.objects.none()
    return (
        ReserveMembership.objects.filter(
            person__in=team_queryset(manager=me),
            agreed_at__isnull=True,
            withdrawn_at__isnull=True,
        )
        .select_related("person")
        .order_by("available_from", "person__full_name")
    )


def _chosen(request) -> list[tuple[str, int]]:
    if request.POST.get("all") == "yes":
        return [(str(m.pk), m.version) for m in selectors.release_requests(request.user)]
    pairs = [_pair(raw) for raw in request.POST.getlist("moves")]
    return [p for p in pairs if p is not None]


def _requests_page(request, *, error: str = "", status: int = 200):
    requests = selectors.release_requests(request.user).select_related("allocation")
    page = Paginator(requests, PER_PAGE).get_page(request.GET.get("page"))
    rows = [_row(m, request.user) for m in page]
    offers = list(_pending_offers(request.user))
    services.moves_access_record(actor=request.user, moves=page, page="release requests")
    return render(
        request,
        "moves/requests.html",
        {
            "page": page,
            "rows": rows,
            "total": page.paginator.count,
            "offers": offers,
            "error": error,
        },
        status=status,
    )


def _refuse_many_page(request, decisions, form, *, status: int = 200):
    ids = [pk for pk, _ in decisions]
    moves = list(selectors.release_requests(request.user).filter(pk__in=ids))
    return render(
        request,
        "moves/refuse_many.html",
        {
            "form": form,
            "rows": [_row(m, request.user) for m in moves],
            "pairs": [f"{pk}:{version}" for pk, version in decisions],
        },
        status=status,
    )


@requires(Cap.SKILL_VERIFY_TEAM)
@require_http_methods(["GET", "POST"])
def requests(request):
    if request.method != "POST":
        return _requests_page(request)
    if "release_one" in request.POST:
        pair = _pair(request.POST["release_one"])
        if pair is None:
            return _requests_page(request, error="Choose a person to release", status=400)
        try:
            move = services.move_release(
                actor=request.user, move_id=pair[0], expected_version=pair[1]
            )
        except Move.DoesNotExist:
            raise Http404("No such move") from None
        except (ConflictError, services.MoveError):
            return _requests_page(request, error=CHANGED, status=CONFLICT_STATUS)
        messages.success(request, f"{move.person.full_name} released")
        return redirect("moves:requests")
    if "agree" in request.POST:
        return _agree(request)
    action = request.POST.get("action")
    if action not in ("release", "refuse"):
        return _requests_page(request, error="Choose release or refuse", status=400)
    decisions = _chosen(request)
    if not decisions:
        return _requests_page(request, error="Select at least one person")
    if action == "refuse":
        if "reason" not in request.POST:
            return _refuse_many_page(request, decisions, RefuseManyForm())
        form = RefuseManyForm(request.POST)
        if not form.is_valid():
            return _refuse_many_page(request, decisions, form)
    step = MoveStatus.RELEASED if action == "release" else MoveStatus.REFUSED
    outcome = services.moves_decide_many(
        actor=request.user,
        decisions=decisions,
        step=step,
        reason=form.cleaned_data["reason"] if action == "refuse" else "",
    )
    messages.success(
        request, _outcome_message(outcome, "released" if action == "release" else "refused")
    )
    return redirect("moves:requests")


def _agree(request):
    raw = request.POST.get("agree", "")
    membership_id, _, version = raw.partition(":")
    if not (membership_id.isdigit() and version.isdigit()):
        return _requests_page(request, error="Choose an offer to agree to", status=400)
    try:
        membership = services.reserve_agree(
            actor=request.user, membership_id=int(membership_id), expected_version=int(version)
        )
    except ReserveMembership.DoesNotExist:
        raise Http404("No such offer") from None
    except (ConflictError, services.MoveError):
        return _requests_page(
            request,
            error="The offer changed or was withdrawn since you opened the page: check it "
            "and try again",
            status=CONFLICT_STATUS,
        )
    messages.success(
        request, f"You agreed to {membership.person.full_name} joining the ready reserve"
    )
    return redirect("moves:requests")


def _releasable(request, pk) -> Move:
    move = (
        Move.objects.select_related("person__org_unit", "line__role_profile", "allocation")
        .filter(pk=pk)
        .first()
    )
    if move is None or not services.is_releaser(request.user, move.person):
        raise Http404("No such move")
    return move


@requires(Cap.SKILL_VERIFY_TEAM)
@require_http_methods(["GET", "POST"])
def refuse(request, pk):
    move = _releasable(request, pk)
    services.moves_access_record(actor=request.user, moves=[move], page="refuse release")
    status, error = 200, ""
    if request.method == "POST":
        form = RefuseForm(request.POST)
        if form.is_valid():
            try:
                services.move_refuse(
                    actor=request.user,
                    move_id=move.pk,
                    expected_version=form.cleaned_data["version"],
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as exc:
                form.add_error("reason", exc.message_dict.get("reason", exc.messages))
            except (ConflictError, services.MoveError):
                move = _releasable(request, pk)
                status, error = CONFLICT_STATUS, CHANGED
            else:
                messages.success(request, f"Release of {move.person.full_name} refused")
                return redirect("moves:requests")
    else:
        form = RefuseForm(initial={"version": move.version})
    return render(
        request,
        "moves/refuse.html",
        {
            "move": move,
            "row": _row(move, request.user),
            "form": form,
            "error": error,
            "open": move.status == MoveStatus.PROPOSED,
        },
        status=status,
    )


# --- the person: their move --------------------------------------------------------------


@requires(Cap.PROFILE_EDIT_OWN)
@require_http_methods(["GET", "POST"])
def my_move(request):
    person = viewer_person(request.user)
    if person is None:
        return render(request, "moves/my_move.html", {"person": None})
    error, status = "", 200
    if request.method == "POST":
        live = services.live_move(person)
        form = VersionForm(request.POST)
        action = request.POST.get("action")
        if live is None or request.POST.get("move") != str(live.pk) or not form.is_valid():
            error, status = "This page is out of date: check your move and try again", 409
        elif action in ("acknowledge", "consent"):
            step = (
                services.move_acknowledge
                if action == "acknowledge"
                else (services.move_record_consent)
            )
            try:
                step(
                    actor=request.user,
                    move_id=live.pk,
                    expected_version=form.cleaned_data["version"],
                )
            except (ConflictError, services.MoveError):
                error, status = CHANGED, CONFLICT_STATUS
            else:
                messages.success(
                    request,
                    "Move acknowledged"
                    if action == "acknowledge"
                    else "You agreed to share your profile with the host organisation",
                )
                return redirect("me:move")
        else:
            error, status = "Choose what to do", 400
    live = services.live_move(person)
    past = selectors.my_moves(request.user)
    if live is not None:
        past = past.exclude(pk=live.pk)
    return render(
        request,
        "moves/my_move.html",
        {
            "person": person,
            "move": live,
            "role": selectors.role_of(live) if live else "",
            "tag": selectors.STATUS_TAGS[live.status] if live else "",
            "next": selectors.NEXT_FOR_PERSON[live.status] if live else "",
            "can_acknowledge": live is not None
            and MoveStatus.ACKNOWLEDGED in TRANSITIONS[live.status],
            "past": [
                {"move": m, "role": selectors.role_of(m), "tag": selectors.STATUS_TAGS[m.status]}
                for m in past[:PER_PAGE]
            ],
            "error": error,
        },
        status=status,
    )


# --- the person: the ready reserve -------------------------------------------------------


def _reserve_state(membership) -> str:
    if membership is None:
        return ""
    if membership.withdrawn_at is not None:
        return "withdrawn"
    return "agreed" if membership.agreed_at else "waiting"


@requires(Cap.PROFILE_EDIT_OWN)
@require_http_methods(["GET", "POST"])
def reserve(request):
    person = viewer_person(request.user)
    if person is None:
        return render(request, "moves/reserve.html", {"person": None})
    membership = ReserveMembership.objects.filter(person=person).first()
    error, status = "", 200
    if request.method == "POST" and request.POST.get("action") == "withdraw":
        version = request.POST.get("version", "")
        if membership is None or not version.isdigit():
            error, status = "There is no offer to withdraw", 409
        else:
            try:
                services.reserve_withdraw(
                    actor=request.user, membership_id=membership.pk, expected_version=int(version)
                )
            except ConflictError:
                error, status = "Your offer changed since you opened the page: try again", 409
            else:
                messages.success(request, "You have left the ready reserve")
                return redirect("me:reserve")
        form = ReserveForm(initial=_reserve_initial(membership))
    elif request.method == "POST":
        form = ReserveForm(request.POST)
        if form.is_valid():
            cd = form.cleaned_data
            try:
                services.reserve_join(
                    actor=request.user,
                    person=person,
                    notice=cd["notice"],
                    available_from=cd["available_from"],
                    available_until=cd["available_until"],
                )
            except ValidationError as exc:
                targets = {
                    "notice": "notice",
                    "available_from": "available_from_day",
                    "available_until": "available_until_day",
                }
                for name, texts in exc.message_dict.items():
                    form.add_error(targets.get(name), texts)
            else:
                messages.success(request, "Offer sent: your line manager is asked to agree to it")
                return redirect("me:reserve")
    else:
        form = ReserveForm(initial=_reserve_initial(membership))
    return render(
        request,
        "moves/reserve.html",
        {
            "person": person,
            "membership": membership,
            "state": _reserve_state(membership),
            "form": form,
            "error": error,
            "notice_label": dict(ReserveNotice.choices).get(membership.notice)
            if membership
            else "",
        },
        status=status,
    )


def _reserve_initial(membership) -> dict:
    if membership is None or membership.withdrawn_at is not None:
        return {}
    return {
        "notice": membership.notice,
        **date_initial("available_from", membership.available_from),
        **date_initial("available_until", membership.available_until),
    }


# --- the planner: tracking a scenario's moves ---------------------------------------------


@requires(Cap.SURGE_VIEW)
@require_http_methods(["GET", "POST"])
def tracking(request, pk):
    scenario = get_object_or_404(SurgeScenario, pk=pk)
    can_act = services.is_planner(request.user)
    if request.method == "POST":
        if not can_act:
            raise PermissionDenied
        action = request.POST.get("action")
        if action == "fill":
            try:
                result = surge_services.scenario_solve_open(
                    actor=request.user, scenario_id=scenario.pk
                )
            except surge_services.SurgeError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(
                    request,
                    f"{result['filled']} of {result['open']} open "
                    f"post{'' if result['open'] == 1 else 's'} filled"
                    + (
                        ": their line managers are asked to release them"
                        if result["filled"]
                        else ": nobody else is eligible now"
                    ),
                )
        elif action == "chase":
            sent = services.moves_chase(actor=request.user, scenario=scenario)
            messages.success(request, f"{sent} reminder{'' if sent == 1 else 's'} sent")
        else:
            messages.error(request, "Choose what to do")
        return redirect("surge:moves", pk=scenario.pk)

    moves = Move.objects.filter(scenario=scenario)
    counts = selectors.status_counts(moves)
    lines = list(scenario.lines.select_related("role_profile").order_by("position", "pk"))
    numbers = {line.pk: n for n, line in enumerate(lines, start=1)}
    approved = scenario.status == ScenarioStatus.APPROVED
    still_open = surge_services.open_posts(scenario) if approved else {}
    per_line = {}
    for line_id, status in moves.values_list("line_id", "status"):
        per_line.setdefault(line_id, {}).setdefault(status, 0)
        per_line[line_id][status] += 1
    line_rows = [
        {
            "number": numbers[line.pk],
            "line": line,
            "open": still_open.get(line.pk, 0),
            "counts": [per_line.get(line.pk, {}).get(s.value, 0) for s in MoveStatus],
        }
        for line in lines
    ]
    status_filter = request.GET.get("status", "")
    line_filter = request.GET.get("line", "")
    listed = moves.select_related("person__org_unit", "line__role_profile", "allocation").order_by(
        "line__position", "line_id", "status", "person__full_name"
    )
    if status_filter in MoveStatus.values:
        listed = listed.filter(status=status_filter)
    else:
        status_filter = ""
    if line_filter.isdigit() and int(line_filter) in numbers.values():
        chosen = next(pk for pk, n in numbers.items() if n == int(line_filter))
        listed = listed.filter(line_id=chosen)
    else:
        line_filter = ""
    page = Paginator(listed, PER_PAGE).get_page(request.GET.get("page"))
    rows = [{**_row(m, request.user), "line": numbers.get(m.line_id, "")} for m in page]
    services.moves_access_record(actor=request.user, moves=page, page="scenario moves")
    return render(
        request,
        "moves/tracking.html",
        {
            "scenario": scenario,
            "approved": approved,
            "counts": [(s, counts[s.value]) for s in MoveStatus],
            "total": sum(counts.values()),
            "chart": selectors.status_chart(counts),
            "line_rows": line_rows,
            "statuses": list(MoveStatus),
            "total_open": sum(still_open.values()),
            "outstanding": counts[MoveStatus.PROPOSED] + counts[MoveStatus.RELEASED],
            "page": page,
            "rows": rows,
            "status_filter": status_filter,
            "line_filter": line_filter,
            "line_numbers": sorted(numbers.values()),
            "can_act": can_act,
        },
    )


# --- every move (HR reads; planners act) --------------------------------------------------


@requires(Cap.SURGE_VIEW)
def move_list(request):
    moves = selectors.moves_visible_to(request.user).select_related("allocation")
    status_filter = request.GET.get("status", "")
    if status_filter in MoveStatus.values:
        moves = moves.filter(status=status_filter)
    else:
        status_filter = ""
    scenario_filter = request.GET.get("scenario", "")
    if scenario_filter == "loans":
        moves = moves.filter(scenario__isnull=True)
    elif scenario_filter.isdigit():
        moves = moves.filter(scenario_id=int(scenario_filter))
    else:
        scenario_filter = ""
    page = Paginator(moves.order_by("-created_at"), PER_PAGE).get_page(request.GET.get("page"))
    services.moves_access_record(actor=request.user, moves=page, page="all moves")
    return render(
        request,
        "moves/list.html",
        {
            "page": page,
            "rows": [_row(m, request.user) for m in page],
            "statuses": list(MoveStatus),
            "scenarios": SurgeScenario.objects.filter(moves__isnull=False)
            .distinct()
            .order_by("name"),
            "status_filter": status_filter,
            "scenario_filter": scenario_filter,
            "can_act": services.is_planner(request.user),
            "can_loan": services.may_arrange_loans(request.user),
        },
    )


# --- the planner's steps ------------------------------------------------------------------

STEPS = {
    "start": {
        "status": MoveStatus.STARTED,
        "title": "Record that the move has started",
        "button": "Record start",
        "done": "Move started",
        "form": VersionForm,
    },
    "extend": {
        "status": MoveStatus.EXTENDED,
        "title": "Extend the move",
        "button": "Extend move",
        "done": "Move extended",
        "form": ExtendForm,
    },
    "end": {
        "status": MoveStatus.ENDED,
        "title": "End the move: the person returns",
        "button": "End move",
        "done": "Move ended: the person is asked to confirm the skills they used",
        "form": VersionForm,
    },
    "cancel": {
        "status": MoveStatus.CANCELLED,
        "title": "Cancel the move",
        "button": "Cancel move",
        "done": "Move cancelled",
        "form": CancelForm,
    },
}


def _back(move: Move) -> str:
    if move.scenario_id:
        return reverse("surge:moves", args=[move.scenario_id])
    return reverse("moves:list")


def _take(request, move: Move, step: str, form):
    cd = form.cleaned_data
    common = {"actor": request.user, "move_id": move.pk, "expected_version": cd["version"]}
    if step == "start":
        return services.move_start(**common)
    if step == "end":
        return services.move_end(**common)
    if step == "extend":
        return services.move_extend(**common, end_date=cd["end_date"])
    return services.move_cancel(**common, reason=cd["reason"])


@requires(Cap.SURGE_EDIT)
@require_http_methods(["GET", "POST"])
def step(request, pk, step):
    spec = STEPS.get(step)
    if spec is None:
        raise Http404("No such step")
    move = get_object_or_404(
        Move.objects.select_related("person__org_unit", "line__role_profile", "allocation"),
        pk=pk,
    )
    services.moves_access_record(actor=request.user, moves=[move], page=f"move {step}")
    status, error = 200, ""
    if request.method == "POST":
        form = spec["form"](request.POST)
        if form.is_valid():
            try:
                _take(request, move, step, form)
            except ValidationError as exc:
                for name, texts in exc.message_dict.items():
                    form.add_error("end_day" if name == "end_date" else name, texts)
            except (ConflictError, services.MoveError) as exc:
                move.refresh_from_db()
                status = CONFLICT_STATUS
                error = CHANGED if isinstance(exc, ConflictError) else str(exc)
            else:
                messages.success(request, spec["done"])
                return redirect(_back(move))
    else:
        initial = {"version": move.version}
        if step == "extend":
            initial.update(date_initial("end", move.end_date))
        form = spec["form"](initial=initial)
    return render(
        request,
        "moves/step.html",
        {
            "move": move,
            "row": _row(move, request.user),
            "step": step,
            "spec": spec,
            "form": form,
            "allowed": spec["status"] in TRANSITIONS[move.status],
            "error": error,
            "back": _back(move),
        },
        status=status,
    )


# --- loans out and the package -------------------------------------------------------------


@requires(Cap.SURGE_EDIT, Cap.PROFILE_VIEW_ALL)
@require_http_methods(["GET", "POST"])
def loan_new(request):
    if request.method != "POST":
        return render(request, "moves/loan.html", {"form": LoanForm()})
    form = LoanForm(request.POST)
    valid = form.is_valid()
    person = None
    if form.cleaned_data.get("staff_number"):
        # Looked up even when other answers are wrong, so every error shows at once.
        person = Person.objects.filter(
            staff_number__iexact=form.cleaned_data["staff_number"]
        ).first()
        if person is None:
            form.add_error("staff_number", "No one has this staff number: check it")
    if valid and person is not None and not form.errors:
        cd = form.cleaned_data
        try:
            services.move_create_loan(
                actor=request.user,
                person=person,
                host=cd["host"],
                start=cd["start"],
                end=cd["end"],
                cost_note=cd["cost_note"],
            )
        except ValidationError as exc:
            targets = {"end": "end_day", "host": "host", "cost_note": "cost_note"}
            for name, texts in exc.message_dict.items():
                form.add_error(targets.get(name), texts)
        except services.MoveError as exc:
            form.add_error("staff_number", str(exc))
        else:
            messages.success(
                request,
                f"Loan of {person.full_name} proposed: their line manager is asked to release them",
            )
            return redirect("moves:list")
    return render(request, "moves/loan.html", {"form": form})


@requires(Cap.SURGE_EDIT, Cap.PROFILE_VIEW_ALL)
@require_POST
@throttle("export")
def package(request, pk):
    try:
        data = services.move_package(actor=request.user, move_id=pk)
    except Move.DoesNotExist:
        raise Http404("No such move") from None
    except services.MoveError as exc:
        messages.error(request, str(exc))
        return redirect("moves:list")
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    # The move's id names the file: no personal data.
    response["Content-Disposition"] = f'attachment; filename="move-package-{pk}.json"'
    return response
