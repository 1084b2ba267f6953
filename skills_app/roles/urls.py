from django.urls import path

from skills_app.roles import views

app_name = "roles"
urlpatterns = [
    path("", views.role_list, name="list"),
    path("<slug:code>/", views.role_detail, name="detail"),
]
