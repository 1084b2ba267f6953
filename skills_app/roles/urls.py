from django.urls import path

from skills_app.roles import views, views_search

app_name = "roles"
urlpatterns = [
    path("", views.role_list, name="list"),
    path("new/", views.role_new, name="new"),
    path("<slug:code>/", views.role_detail, name="detail"),
    path("<slug:code>/edit/", views.role_edit, name="edit"),
    path("<slug:code>/search/", views_search.search_page, name="search"),
    path(
        "<slug:code>/search/people/<uuid:public_id>/",
        views_search.explanation,
        name="explanation",
    ),
    path(
        "<slug:code>/search/shortlist.<str:fmt>",
        views_search.export_shortlist,
        name="export",
    ),
]
