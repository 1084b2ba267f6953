"""Other people's profiles and the line manager's team, under /people/.

People are addressed by their random ``public_id`` (a UUID4) only: never the
sequential primary key, staff number or name, so a URL tells nothing about the
person and no profile can be reached by counting. A skill on a profile is named
by the catalogue skill's id (public, and unique on a profile), not by the
sequential id of the person's claim."""

from django.urls import path

from skills_app.people import views_team

app_name = "team"
urlpatterns = [
    path("", views_team.find_person, name="find"),
    path("team/", views_team.team, name="team"),
    path("<uuid:public_id>/", views_team.person, name="person"),
    path("<uuid:public_id>/protection/", views_team.protection, name="protection"),
    path("<uuid:public_id>/skills/<int:skill_id>/verify/", views_team.skill_verify, name="verify"),
    path("<uuid:public_id>/skills/<int:skill_id>/query/", views_team.skill_query, name="query"),
    path(
        "<uuid:public_id>/skills/<int:skill_id>/unverify/",
        views_team.skill_unverify,
        name="unverify",
    ),
]
