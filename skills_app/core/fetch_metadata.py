"""Refusing requests another site made a signed-in browser send (Fetch Metadata).

A browser sends the session cookie with a link or form from any site (a top-level
GET carries even ``SameSite=Lax`` cookies), so a link on another site could make a
signed-in user's browser run an API export, or a read of someone's profile, in
their name. Browsers say where a request came from in ``Sec-Fetch-Site``:
``same-origin`` (Muster's own pages), ``none`` (the address bar, a bookmark),
``same-site`` or ``cross-site``. Clients that are not browsers send nothing.
Bearer tokens are never sent by a browser on its own, so only the session path
needs this; unsafe methods also keep Django's CSRF check.
"""

from ninja.errors import HttpError

OWN_SITE = frozenset({"same-origin", "none", ""})
OTHER_SITE_REFUSED = "Requests from other sites are refused: use Muster's own pages."


def refuse_other_sites(request) -> None:
    """Raise 403 (JSON through the API's error handler) for a request the browser
    says another site started."""
    if request.headers.get("Sec-Fetch-Site", "") not in OWN_SITE:
        raise HttpError(403, OTHER_SITE_REFUSED)
