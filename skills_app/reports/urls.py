from django.urls import path

from skills_app.reports import views

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
    path("data-quality/", views.data_quality, name="data_quality"),
    path("data-quality/export.<str:fmt>", views.data_quality_export, name="data_quality_export"),
]
