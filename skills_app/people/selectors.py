from skills_app.people.models import Person


def person_for_user(*, user) -> Person | None:
    return (
        Person.objects.select_related("org_unit", "line_manager")
        .prefetch_related("skills__skill", "role_history", "qualifications")
        .filter(user=user)
        .first()
    )
