"""Sign-in lockout against guessing and password spraying (django-axes).

axes counts failures per username *and* address (``AXES_LOCKOUT_PARAMETERS``), so
guessing one person's password is stopped after ``AXES_USERNAME_FAILURE_LIMIT``
tries without letting a stranger lock that person out from their own desk. That
count alone does not stop *spraying*: one address trying a common password
against many usernames fails only once or twice per username.

axes compares one failure count with one limit, and lets the limit be a callable
(``AXES_FAILURE_LIMIT``). ``failure_limit`` is that callable: it answers the
per-username limit, or 0 (nothing more is allowed) once failures from the address
cover ``AXES_ADDRESS_USERNAME_LIMIT`` different usernames within the cool-off. So
the address lock uses axes' own records, cool-off, lockout page and signals; a
success still resets only that username at that address (axes' reset follows the
lockout parameters), so a sprayer cannot wipe the address's record by signing in
with their own account.
"""

from axes.helpers import get_client_ip_address, get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.utils import timezone


def address_usernames_failed(request) -> int:
    """How many different usernames have failed from this request's address
    within the cool-off."""
    address = getattr(request, "axes_ip_address", None) or get_client_ip_address(request)
    if not address:
        return 0
    attempts = AccessAttempt.objects.filter(ip_address=address)
    cool_off = get_cool_off(request)
    if cool_off is not None:
        now = getattr(request, "axes_attempt_time", None) or timezone.now()
        attempts = attempts.filter(attempt_time__gte=now - cool_off)
    return attempts.values("username").distinct().count()


def failure_limit(request, credentials=None) -> int:
    """axes' ``AXES_FAILURE_LIMIT``: the failures this username may still reach
    from this address; 0 when the address is spraying, which locks it for everyone."""
    if address_usernames_failed(request) >= settings.AXES_ADDRESS_USERNAME_LIMIT:
        return 0
    return settings.AXES_USERNAME_FAILURE_LIMIT
