from skills_app import views
from skills_app.api_inputs import PATH_CONTROL_CHARACTERS, has_control_characters


class NoStoreForPersonalDataMiddleware:
    """Pages for signed-in users and every API answer can carry personal data:
    stop browsers and shared caches from keeping copies."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated) or request.path.startswith("/api/"):
            response["Cache-Control"] = "no-store"
            response["Pragma"] = "no-cache"
        return response


class RefuseControlCharactersMiddleware:
    """No control character (NUL and the like) reaches a view: a URL path holding
    one is a 400, and so is a page's query string or form field. NUL used to reach
    PostgreSQL, which refuses it with an error (a 500). API query strings and
    bodies are checked by the API itself, after authentication, and answer 422
    (``skills_app.api_support.GuardedParser``, ``skills_app.api_inputs.StrictSchema``).

    Goes after the authentication and header middleware, so the 400 page knows
    who is signed in and carries the security headers."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if PATH_CONTROL_CHARACTERS.search(request.path_info):
            return views.bad_request(request)
        if not request.path_info.startswith("/api/") and self._form_has_control_characters(request):
            return views.bad_request(request)
        return self.get_response(request)

    @staticmethod
    def _form_has_control_characters(request) -> bool:
        sources = [request.GET]
        if request.method == "POST" and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            sources.append(request.POST)
            names = [
                upload.name or "" for _, uploads in request.FILES.lists() for upload in uploads
            ]
            if any(has_control_characters(name) for name in names):
                return True
        return any(
            has_control_characters(key) or has_control_characters(value)
            for source in sources
            for key, values in source.lists()
            for value in values
        )
