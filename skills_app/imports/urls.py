from django.urls import path

from skills_app.imports import views
from skills_app.people import views_draft_runs

app_name = "imports"
urlpatterns = [
    path("", views.home, name="home"),
    path("templates/<slug:kind>.csv", views.template_download, name="template"),
    path("jobs/<uuid:job_id>/", views.job_detail, name="job"),
    path("jobs/<uuid:job_id>/progress/", views.job_progress, name="job_progress"),
    path("jobs/<uuid:job_id>/import/", views.job_import, name="job_import"),
    # Draft everyone's skills from the records imported here (DESIGN 9).
    path("drafts/", views_draft_runs.start, name="drafts"),
    path("drafts/<uuid:run_id>/", views_draft_runs.run_detail, name="draft_run"),
    path(
        "drafts/<uuid:run_id>/progress/",
        views_draft_runs.run_progress,
        name="draft_run_progress",
    ),
]
