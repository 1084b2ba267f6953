from django.conf import settings

from skills_app.accounts.permissions import ROLE_LABELS, user_capabilities, user_roles


def service(request):
    user = getattr(request, "user", None)
    return {
        "service_name": settings.SERVICE_NAME,
        "service_phase": settings.MUSTER_PHASE,
        "user_roles": sorted(ROLE_LABELS[r] for r in user_roles(user)) if user else [],
        "caps": {str(c) for c in user_capabilities(user)} if user else set(),
    }
