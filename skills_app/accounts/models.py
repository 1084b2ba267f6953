from django.conf import settings
from django.db import models


class ApiToken(models.Model):
    """A bearer token for the API. Only a SHA-256 digest of the secret is kept:
    the tokens carry 256 bits of randomness, so a fast hash is safe and lets
    every request be checked with one indexed lookup."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, blank=True)
    # Public part shown in listings so a token can be identified and revoked.
    prefix = models.CharField(max_length=16, unique=True)
    key_digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.prefix}… ({self.user})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
