from django.urls import path

from imports import views

urlpatterns = [
    path("staff/imports/new/", views.import_new, name="bc-import-new"),
    path("staff/imports/<int:job_id>/", views.import_detail, name="bc-import-detail"),
    path("staff/imports/<int:job_id>/retry/", views.import_retry_view, name="bc-import-retry"),
    path(
        "staff/imports/<int:job_id>/discard/", views.import_discard_view, name="bc-import-discard"
    ),
    path("staff/imports/<int:job_id>/progress/", views.import_progress, name="bc-import-progress"),
    path(
        "staff/breaches/<int:breach_id>/publishing/",
        views.breach_publishing,
        name="bc-breach-publishing",
    ),
    path("staff/breaches/<int:breach_id>/preview/", views.breach_preview, name="bc-breach-preview"),
]
