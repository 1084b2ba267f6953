"""Per-user rate limits on search, match and export, for the API and the pages alike.

One mechanism, django-ninja's sliding-window ``SimpleRateThrottle``: a user's
request times for a scope are kept in a cache entry and a request over the rate is
refused until the oldest one leaves the window. ``UserThrottle`` adapts it:

- the rate is read from ``settings.THROTTLE_RATES[scope]`` at each request, so
  operators set it in the environment and tests can override it;
- the counts live in the ``throttle`` cache (the database, see settings.CACHES),
  shared by every web process; under concurrent requests from one user a limit is
  approximate by a request or two (read, then write), which is enough for a brake;
- ninja keeps each request's state on the throttle object, which one operation
  shares between threads; here that state is per thread;
- the wait always comes out as a whole number of seconds, for ``Retry-After``.

API operations take ``throttle=UserThrottle("search")`` (ninja answers 429 through
the API's error handler: ``{"detail": "Too many requests.", "errors": []}`` with
``Retry-After``); pages take ``@throttle("export")`` below ``@requires(...)``, which
answers the GOV.UK "too many requests" page with ``Retry-After``. Both count in
the same cache entry for the same user and scope, so the page and the API share
one allowance.
"""

from __future__ import annotations

import math
import threading
from functools import wraps

from django.conf import settings
from django.core.cache import caches
from django.shortcuts import render
from ninja.throttling import SimpleRateThrottle

CACHE_ALIAS = "throttle"


class _PerThread:
    """An instance attribute kept per thread (ninja stores per-request state on the
    shared throttle object)."""

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        return getattr(obj._state, self.name, None)

    def __set__(self, obj, value):
        setattr(obj._state, self.name, value)


class UserThrottle(SimpleRateThrottle):
    """Limit one signed-in user (session or API token) in one scope."""

    cache_format = "muster-throttle:%(scope)s:%(ident)s"
    key = _PerThread()
    history = _PerThread()
    now = _PerThread()
    rate = _PerThread()
    num_requests = _PerThread()
    duration = _PerThread()

    def __init__(self, scope: str):
        # Not SimpleRateThrottle.__init__: that parses the rate once, at import.
        self.scope = scope
        self._state = threading.local()

    @property
    def cache(self):
        return caches[CACHE_ALIAS]

    def get_rate(self) -> str | None:
        return settings.THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request) -> str | None:
        user = getattr(request, "auth", None) or getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None  # every throttled operation requires sign-in first
        return self.cache_format % {"scope": self.scope, "ident": user.pk}

    def allow_request(self, request) -> bool:
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        if self.num_requests is None:
            return True
        return super().allow_request(request)

    def wait(self) -> int:
        """Whole seconds until one more request is allowed: until the
        ``num_requests``-th newest request leaves the window."""
        history = self.history or []
        if len(history) < (self.num_requests or 0):
            return 1
        oldest_counted = history[self.num_requests - 1]
        return max(1, math.ceil(self.duration - (self.now - oldest_counted)))


def too_many_requests(request, retry_after: int):
    """The GOV.UK "too many requests" page, 429 with ``Retry-After``."""
    response = render(request, "errors/429.html", {"retry_after": retry_after}, status=429)
    response["Retry-After"] = str(retry_after)
    if getattr(request, "htmx", False):
        # htmx swaps nothing on a 4xx: have it load the page itself, which
        # shows this answer in full.
        response["HX-Redirect"] = request.get_full_path()
    return response


def throttle(scope: str):
    """View decorator: at most ``THROTTLE_RATES[scope]`` requests per signed-in
    user. Put it below ``@requires(...)`` (the user must be known) and below any
    method check (a refused method is not counted)."""
    limiter = UserThrottle(scope)

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not limiter.allow_request(request):
                return too_many_requests(request, limiter.wait())
            return view(request, *args, **kwargs)

        wrapped.throttle_scope = scope
        return wrapped

    return decorator
