from django.urls import path

from earlywarn.intake import views

app_name = "intake"
urlpatterns = [
    path("report/product/", views.report_form, {"kind": "product"}, name="report_product"),
    path("report/website/", views.report_form, {"kind": "website"}, name="report_website"),
    path("report/received/", views.report_received, name="report_received"),
    path("status/<str:token>/", views.status_page, name="status"),
    path("my/reports/", views.my_reports, name="my_reports"),
]
