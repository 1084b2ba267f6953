from django.urls import path

from skills_app.reports import views

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
    path("data-quality/", views.data_quality, name="data_quality"),
    path("data-quality/export.<str:fmt>", views.data_quality_export, name="data_quality_export"),
    path("capability/", views.capability, name="capability"),
    path("capability/<int:unit>/<str:column>/", views.capability_people, name="capability_people"),
    path("capability/export.<str:fmt>", views.capability_export, name="capability_export"),
    path("inventory/", views.inventory_page, name="inventory"),
    path("inventory/export.<str:fmt>", views.inventory_export, name="inventory_export"),
    path("supply-demand/", views.supply_demand, name="supply_demand"),
    path("ready-reserve/", views.reserve_page, name="reserve"),
    path("supply-demand/export.<str:fmt>", views.supply_demand_export, name="supply_demand_export"),
]
