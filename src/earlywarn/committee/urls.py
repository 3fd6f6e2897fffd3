from django.urls import path

from earlywarn.committee import views

app_name = "committee"
urlpatterns = [
    path("committee/", views.my_cases, name="mine"),
    path("committee/cases/<uuid:case_id>/", views.member_case, name="case"),
    path("console/committee/", views.pool_page, name="pool"),
]
