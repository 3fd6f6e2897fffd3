from django.urls import path

from earlywarn.websites import console, views

app_name = "websites"
urlpatterns = [
    path("operator/<str:token>/", views.operator_page, name="operator"),
    path("console/cases/<uuid:case_id>/website/", console.website_act, name="case_act"),
    path("console/websites/prolonged/", console.prolonged, name="prolonged"),
    path("console/websites/alerts/new/", console.alert_new, name="alert_new"),
]
