from django.urls import path

from earlywarn.websites import console, public, views

app_name = "websites"
urlpatterns = [
    path("alerts/", public.alert_list, name="alerts"),
    path("alerts/<uuid:alert_id>/", public.alert_detail, name="alert"),
    path("operator/<str:token>/", views.operator_page, name="operator"),
    path("console/cases/<uuid:case_id>/website/", console.website_act, name="case_act"),
    path("console/websites/prolonged/", console.prolonged, name="prolonged"),
    path("console/websites/alerts/new/", console.alert_new, name="alert_new"),
]
