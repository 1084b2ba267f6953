from django.contrib.auth import views as auth_views
from django.shortcuts import render

from skills_app.accounts.forms import LoginForm
from skills_app.accounts.permissions import (
    ROLE_LABELS,
    Cap,
    public,
    requires,
    user_capabilities,
    user_roles,
)
from skills_app.moves.services import live_move
from skills_app.people.selectors_drafts import draft_count

CAPABILITY_DESCRIPTIONS = {
    Cap.PROFILE_EDIT_OWN: (
        "Keep your own skills profile up to date and see everything held about you"
    ),
    Cap.PROFILE_VIEW_TEAM: "View your team members' profiles",
    Cap.PROFILE_VIEW_MATCH_FIELDS: "View the match-relevant parts of anyone's profile",
    Cap.PROFILE_VIEW_ALL: "View every profile in the department",
    Cap.SKILL_VERIFY_TEAM: "Verify or query the skills your team members claim",
    Cap.ROLE_VIEW: "Browse the role library",
    Cap.ROLE_EDIT: "Build and change role profiles",
    Cap.SEARCH_RUN: "Rank the workforce against a role profile",
    Cap.SURGE_EDIT: "Run surge scenarios and hand allocations to managers",
    Cap.SURGE_VIEW: "View surge scenarios and their allocations",
    Cap.REPORT_TEAM: "Capability reports for your team",
    Cap.REPORT_SCENARIO: "Capability reports for a surge scenario",
    Cap.REPORT_ALL: "Capability reports and exports for the whole department",
    Cap.TAXONOMY_VIEW: "Browse and export the skills taxonomy",
    Cap.TAXONOMY_PROPOSE: "Propose a skill that is missing from the taxonomy",
    Cap.TAXONOMY_EDIT: "Approve, merge and deprecate taxonomy skills",
    Cap.IMPORT_HR: "Load HR data files (people, skills, role history, role profiles)",
    Cap.IMPORT_TAXONOMY: "Import skills frameworks and the table of qualifications and skills",
    Cap.ADMINISTER: "Manage users, roles, organisation structure and reference data",
}

# Pages that exist today, each behind the capability that opens it.
HOME_LINKS = [
    (
        Cap.PROFILE_EDIT_OWN,
        "Your profile",
        "people:my_profile",
        "The skills, roles and qualifications recorded about you.",
    ),
    (
        Cap.ROLE_VIEW,
        "Role library",
        "roles:list",
        "Role profiles from the DDaT framework and local roles, with the skills each needs.",
    ),
    (
        Cap.PROFILE_VIEW_TEAM,
        "Your team",
        "team:team",
        "Verify or query the skills your team claim, and mark people in critical roles as "
        "protected.",
    ),
    (
        Cap.PROFILE_VIEW_ALL,
        "Find a person",
        "team:find",
        "Open anyone's profile by staff number or name.",
    ),
    (
        Cap.PROFILE_VIEW_MATCH_FIELDS,
        "Find a person",
        "team:find",
        "Open anyone's profile by staff number or name.",
    ),
    (
        Cap.SKILL_VERIFY_TEAM,
        "Release requests",
        "moves:requests",
        "Release your people for surge moves, or refuse with a reason; agree ready-reserve offers.",
    ),
    (
        Cap.PROFILE_EDIT_OWN,
        "Your move",
        "me:move",
        "Any surge move or loan you are on, and your ready-reserve offer.",
    ),
    (
        Cap.SURGE_VIEW,
        "All moves",
        "moves:list",
        "Every surge move and loan out, by status and scenario.",
    ),
    (
        Cap.SURGE_VIEW,
        "Surge scenarios",
        "surge:list",
        "Fill many posts across several roles at once, within each team’s release cap.",
    ),
    (
        Cap.TAXONOMY_VIEW,
        "Skills taxonomy",
        "taxonomy:home",
        "Search and browse the shared skills, propose a missing one, or download the taxonomy.",
    ),
    (
        Cap.TAXONOMY_EDIT,
        "Review skill proposals",
        "taxonomy:proposals",
        "Approve, merge or reject proposed skills, and merge likely duplicates.",
    ),
    (
        Cap.TAXONOMY_EDIT,
        "Qualifications and the skills they show",
        "taxonomy:qualifications",
        "Keep the table of which skills each qualification shows, so people are offered them.",
    ),
    (
        Cap.IMPORT_HR,
        "Import HR data",
        "imports:home",
        "Load people, skills, role history and role profiles from CSV or XLSX files.",
    ),
    (
        Cap.ROLE_VIEW,
        "API documentation",
        "api:openapi-view",
        "Use Muster's data from other systems with an API token.",
    ),
    (
        Cap.ADMINISTER,
        "Administration",
        "admin:index",
        "Users, role assignments, organisation structure and reference data.",
    ),
]


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


login_view = public(LoginView.as_view())
logout_view = public(auth_views.LogoutView.as_view())


def _links_for(caps) -> list[dict]:
    links, seen = [], set()
    for cap, title, url_name, text in HOME_LINKS:
        if cap in caps and url_name not in seen:
            seen.add(url_name)
            links.append({"title": title, "url_name": url_name, "text": text})
    return links


@requires(*Cap)
def home(request):
    caps = user_capabilities(request.user)
    roles = sorted(user_roles(request.user), key=list(ROLE_LABELS).index)
    person = getattr(request.user, "person", None)
    return render(
        request,
        "home.html",
        {
            "role_names": [ROLE_LABELS[r] for r in roles],
            "abilities": [CAPABILITY_DESCRIPTIONS[c] for c in Cap if c in caps],
            "links": _links_for(caps),
            "person": person,
            # "Check your draft skills" (DESIGN 9) until none is left to check.
            "draft_count": draft_count(person=person),
            "move": live_move(person) if person is not None else None,
        },
    )
