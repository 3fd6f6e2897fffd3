from django.urls import path

from earlywarn.coordination import dashboard, recipients, views

app_name = "coordination"
urlpatterns = [
    path("unreachable/", views.unreachable_list, name="unreachable"),
    path("priority/", recipients.priority_list, name="priority_list"),
    path("priority/<uuid:case_id>/", recipients.priority_detail, name="priority_detail"),
    path("console/cases/<uuid:case_id>/coordination/", views.coordination_act, name="case_act"),
    path("console/coordination/", dashboard.coordination_dashboard, name="dashboard"),
]
