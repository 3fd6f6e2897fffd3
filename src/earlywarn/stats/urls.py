"""Public quarterly statistics (architecture.md public contract: ``/stats/``; layout in docs/statistics-report.md)."""

from django.urls import path, re_path

from earlywarn.stats import views

app_name = "stats"
urlpatterns = [
    path("", views.index, name="index"),
    # /stats/2025Q4.pdf (.html, .csv, .json): the same report as a file
    re_path(r"^(?P<quarter>[^/.]+)\.(?P<fmt>[^/.]+)$", views.download, name="download"),
    path("<str:quarter>/", views.quarter_page, name="quarter"),
]
