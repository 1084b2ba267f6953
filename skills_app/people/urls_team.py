"""Other people's profiles and the line manager's team, under /people/.

People are addressed by primary key only (never staff number or name), and
their skills by the person-skill row's primary key."""

from django.urls import path

from skills_app.people import views_team

app_name = "team"
urlpatterns = [
    path("", views_team.find_person, name="find"),
    path("team/", views_team.team, name="team"),
    path("<int:pk>/", views_team.person, name="person"),
    path("<int:pk>/protection/", views_team.protection, name="protection"),
    path("<int:pk>/skills/<int:skill_pk>/verify/", views_team.skill_verify, name="verify"),
    path("<int:pk>/skills/<int:skill_pk>/query/", views_team.skill_query, name="query"),
    path("<int:pk>/skills/<int:skill_pk>/unverify/", views_team.skill_unverify, name="unverify"),
]
