from django.contrib import admin

from skills_app.accounts.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "user", "name", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "key_digest", "created_at", "last_used_at"]
    list_filter = ["revoked_at"]

    def has_add_permission(self, request):
        # Tokens are created with `manage.py create_api_token`, which shows the secret once.
        return False
