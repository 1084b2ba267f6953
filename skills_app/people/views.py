from django.shortcuts import render

from skills_app.accounts.permissions import Cap, requires
from skills_app.people.selectors import person_for_user


@requires(Cap.PROFILE_EDIT_OWN)
def my_profile(request):
    return render(request, "people/my_profile.html", {"person": person_for_user(user=request.user)})
