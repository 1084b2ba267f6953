from django.urls import path

from skills_app.imports import views

app_name = "imports"
urlpatterns = [
    path("", views.home, name="home"),
    path("templates/<slug:kind>.csv", views.template_download, name="template"),
    path("jobs/<uuid:job_id>/", views.job_detail, name="job"),
    path("jobs/<uuid:job_id>/progress/", views.job_progress, name="job_progress"),
    path("jobs/<uuid:job_id>/import/", views.job_import, name="job_import"),
]
