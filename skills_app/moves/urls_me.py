"""The signed-in person's own move and ready-reserve offer, under /me/: no URL
here names anyone."""

from django.urls import path

from skills_app.moves import views

app_name = "me"
urlpatterns = [
    path("move/", views.my_move, name="move"),
    path("reserve/", views.reserve, name="reserve"),
]
