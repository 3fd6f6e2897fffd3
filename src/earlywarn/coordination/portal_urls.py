"""The developer portal, the invitation page behind a developer's notice, and the coordinators' developer
directory (docs/coordination.md)."""

from django.urls import path

from earlywarn.coordination import directory_views, invitation_views, portal

app_name = "developer"
urlpatterns = [
    path("developer/", portal.portal_home, name="home"),
    path("developer/cases/<uuid:case_id>/", portal.portal_case, name="case"),
    path("invitations/<str:token>/", invitation_views.invitation_page, name="invitation"),
    path("console/developers/", directory_views.directory, name="directory"),
    path("console/developers/<uuid:organisation_id>/", directory_views.directory_entry, name="directory_entry"),
]
