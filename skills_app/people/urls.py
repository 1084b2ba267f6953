from django.urls import path

from skills_app.people import views

app_name = "people"
urlpatterns = [path("me/", views.my_profile, name="my_profile")]
