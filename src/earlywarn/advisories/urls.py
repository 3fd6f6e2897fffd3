from django.urls import path, re_path

from earlywarn.advisories import editor_views, views

app_name = "advisories"
urlpatterns = [
    path("advisories/", views.advisory_list, name="list"),
    path("advisories/<slug:slug>/", views.advisory_detail, name="detail"),
    path("advisories/<slug:slug>/osv.json", views.advisory_osv, name="osv"),
    path("advisories/<slug:slug>/cve/<str:cve_id>.json", views.advisory_cve, name="cve"),
    re_path(r"^feeds/(?P<language>ja|en)/advisories\.(?P<fmt>rdf|atom)$", views.advisory_feed, name="feed"),
    path(".well-known/csaf/provider-metadata.json", views.csaf_provider_metadata, name="csaf_provider_metadata"),
    path(".well-known/csaf/<path:path>", views.csaf_file, name="csaf_file"),
    path("console/advisories/", editor_views.editor_list, name="editor_list"),
    path("console/advisories/new/", editor_views.editor_new, name="editor_new"),
    path("console/advisories/<uuid:advisory_id>/edit/", editor_views.editor_edit, name="editor_edit"),
    path("console/advisories/<uuid:advisory_id>/preview/", views.advisory_preview, name="preview"),
    path("console/advisories/<uuid:advisory_id>/act/", views.advisory_act, name="act"),
]
