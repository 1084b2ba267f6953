"""Moves under /moves/: every move (HR and planners), the line manager's release
requests, loans out and the planner's steps. Moves are addressed by UUID only."""

from django.urls import path

from skills_app.moves import views

app_name = "moves"
urlpatterns = [
    path("", views.move_list, name="list"),
    path("requests/", views.requests, name="requests"),
    path("loans/new/", views.loan_new, name="loan_new"),
    path("<uuid:pk>/refuse/", views.refuse, name="refuse"),
    path("<uuid:pk>/package.json", views.package, name="package"),
    path("<uuid:pk>/<slug:step>/", views.step, name="step"),
]
