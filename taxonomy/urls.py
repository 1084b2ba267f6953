from django.urls import path

from taxonomy import views

app_name = "taxonomy"
urlpatterns = [
    path("", views.home, name="home"),
    path("autocomplete", views.autocomplete, name="autocomplete"),
    path("download", views.download, name="download"),
    path("groups/<int:pk>/", views.group_detail, name="group"),
    path("propose/", views.propose, name="propose"),
    path("proposals/", views.proposal_queue, name="proposals"),
    path("proposals/mine/", views.my_proposals, name="my_proposals"),
    path("proposals/<int:pk>/", views.proposal_decide, name="proposal"),
    path("duplicates/", views.duplicates, name="duplicates"),
    path("qualifications/", views.qualifications, name="qualifications"),
    path("qualifications/<int:pk>/", views.qualification_change, name="qualification_change"),
    path(
        "qualifications/<int:pk>/remove/",
        views.qualification_remove,
        name="qualification_remove",
    ),
    path("<int:pk>/", views.skill_detail, name="skill"),
    path("<int:pk>/merge/", views.skill_merge, name="skill_merge"),
    path("<int:pk>/status/", views.skill_status, name="skill_status"),
]
