from django.urls import path

from skills_app.people import views, views_data, views_drafts, views_history, views_skills

# Mounted at /profile/. Every page is the signed-in user's own profile: no URL
# here names a person, only rows of the user's own record.
app_name = "people"
urlpatterns = [
    path("me/", views.my_profile, name="my_profile"),
    path("me/reviewed/", views.mark_reviewed, name="reviewed"),
    path("me/skills/add/", views_skills.skill_add, name="skill_add"),
    path("me/skills/levels/", views_skills.skill_levels, name="skill_levels"),
    path("me/skills/from-text/", views_drafts.from_text, name="from_text"),
    path("me/drafts/", views_drafts.drafts, name="drafts"),
    path("me/drafts/confirm-all/", views_drafts.confirm_all, name="drafts_confirm_all"),
    path("me/drafts/<int:pk>/confirm/", views_drafts.draft_confirm, name="draft_confirm"),
    path("me/drafts/<int:pk>/level/", views_drafts.draft_level, name="draft_level"),
    path("me/drafts/<int:pk>/reject/", views_drafts.draft_reject, name="draft_reject"),
    path("me/languages/add/", views_skills.language_add, name="language_add"),
    path("me/skills/<int:pk>/change/", views_skills.skill_change, name="skill_change"),
    path("me/skills/<int:pk>/remove/", views_skills.skill_remove, name="skill_remove"),
    path("me/roles/add/", views_history.role_add, name="role_add"),
    path("me/roles/<int:pk>/change/", views_history.role_change, name="role_change"),
    path("me/roles/<int:pk>/remove/", views_history.role_remove, name="role_remove"),
    path("me/qualifications/add/", views_history.qualification_add, name="qualification_add"),
    path(
        "me/qualifications/<int:pk>/change/",
        views_history.qualification_change,
        name="qualification_change",
    ),
    path(
        "me/qualifications/<int:pk>/remove/",
        views_history.qualification_remove,
        name="qualification_remove",
    ),
    path("me/redeployment/", views.preferences, name="preferences"),
    path("me/activity/", views_data.activity, name="activity"),
    path("me/data/", views_data.my_data, name="my_data"),
    path("me/download.json", views_data.download, name="download"),
]
