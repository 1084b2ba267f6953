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
