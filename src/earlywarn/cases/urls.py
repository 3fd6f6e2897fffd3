from django.urls import path

from earlywarn.cases import views

app_name = "console"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("shared/", views.shared_cases, name="shared"),
    path("cases/<uuid:case_id>/", views.case_detail, name="case"),
    path("cases/<uuid:case_id>/act/", views.case_act, name="case_act"),
    path("cases/<uuid:case_id>/messages/", views.case_message, name="case_message"),
    path("cases/<uuid:case_id>/attachments/<uuid:attachment_id>/", views.attachment_download, name="attachment"),
]
