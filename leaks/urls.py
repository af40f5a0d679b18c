from django.urls import path

from leaks import about_views, catalogue_views, import_views, private_views, views

urlpatterns = [
    path("", views.check, name="bc-check"),
    path("result/", views.result, name="bc-result"),
    path("privacy/", views.privacy, name="bc-privacy"),
    path("about/", about_views.about, name="bc-about"),
    path("breaches/", catalogue_views.breach_list, name="bc-breaches"),
    path("breaches/<slug:slug>/", catalogue_views.breach_detail, name="bc-breach"),
    path("staff/imports/new/", import_views.import_new, name="bc-import-new"),
    path("staff/imports/<int:job_id>/", import_views.import_detail, name="bc-import-detail"),
    path(
        "staff/imports/<int:job_id>/retry/",
        import_views.import_retry_view,
        name="bc-import-retry",
    ),
    path(
        "staff/imports/<int:job_id>/discard/",
        import_views.import_discard_view,
        name="bc-import-discard",
    ),
    path(
        "staff/imports/<int:job_id>/progress/",
        import_views.import_progress,
        name="bc-import-progress",
    ),
    path("private/evaluate/", private_views.evaluate, name="bc-private-evaluate"),
    path("private/result/", private_views.result_frame, name="bc-private-result"),
    path("prove/", views.proof_send, name="bc-proof-send"),
    path("prove/code/", views.proof_code, name="bc-proof-code"),
]
