from django.urls import path

from skills_app.moves import views as move_views
from skills_app.surge import forecast_views, views

app_name = "surge"
urlpatterns = [
    path("", views.scenario_list, name="list"),
    path("new/", views.scenario_new, name="new"),
    path("<int:pk>/", views.scenario_detail, name="detail"),
    path("<int:pk>/edit/", views.scenario_edit, name="edit"),
    path(
        "<int:pk>/lines/<int:line_id>/forecast/",
        forecast_views.line_forecast,
        name="line_forecast",
    ),
    path("<int:pk>/solve/", views.scenario_solve, name="solve"),
    path("<int:pk>/progress/", views.scenario_progress, name="progress"),
    path("<int:pk>/approve/", views.scenario_approve, name="approve"),
    path("<int:pk>/close/", views.scenario_close, name="close"),
    path("<int:pk>/training/", views.training_cohorts, name="training"),
    path("<int:pk>/moves/", move_views.tracking, name="moves"),
    path(
        "<int:pk>/export/allocations.<str:fmt>",
        views.export_allocations,
        name="export_allocations",
    ),
    path("<int:pk>/export/releases.<str:fmt>", views.export_releases, name="export_releases"),
    path("<int:pk>/export/training.<str:fmt>", views.export_training, name="export_training"),
]
