from django.urls import path

from earlywarn.coordination import views

app_name = "coordination"
urlpatterns = [
    path("unreachable/", views.unreachable_list, name="unreachable"),
    path("console/cases/<uuid:case_id>/coordination/", views.coordination_act, name="case_act"),
]
