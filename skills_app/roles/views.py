from django.core.paginator import Paginator
from django.shortcuts import render

from skills_app.accounts.permissions import Cap, requires
from skills_app.roles import selectors

ROLES_PER_PAGE = 50


@requires(Cap.ROLE_VIEW)
def role_list(request):
    q = request.GET.get("q", "").strip()[:100]
    page = Paginator(selectors.role_list(q=q), ROLES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "roles/list.html", {"page": page, "q": q})


@requires(Cap.ROLE_VIEW)
def role_detail(request, code):
    role = selectors.role_get(code=code)
    return render(
        request, "roles/detail.html", {"role": role, "requirements": role.requirements.all()}
    )
