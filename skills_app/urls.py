from django.contrib import admin
from django.urls import include, path

from skills_app import admin_site, views  # admin_site swaps the admin login
from skills_app.accounts import views as account_views
from skills_app.api import api

admin.site.site_header = "Muster administration"
admin.site.site_title = "Muster administration"
admin_site.search_by_post(admin.site)

urlpatterns = [
    path("", account_views.home, name="home"),
    path("accounts/", include(("skills_app.accounts.urls", "accounts"))),
    path("profile/", include("skills_app.people.urls")),
    path("people/", include("skills_app.people.urls_team")),
    path("imports/", include("skills_app.imports.urls")),
    path("roles/", include("skills_app.roles.urls")),
    path("surges/", include("skills_app.surge.urls")),
    path("moves/", include("skills_app.moves.urls")),
    path("me/", include("skills_app.moves.urls_me")),
    path("skills/", include("taxonomy.urls")),
    path("reports/", include("skills_app.reports.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("healthz", views.healthz, name="healthz"),
    path("healthz/ready", views.healthz_ready, name="healthz_ready"),
    path("accessibility", views.accessibility, name="accessibility"),
    path("cookies", views.cookies, name="cookies"),
    path("favicon.ico", views.favicon, name="favicon"),
]

handler400 = views.bad_request
handler403 = views.permission_denied
handler404 = views.page_not_found
handler500 = views.server_error
