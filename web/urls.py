from django.urls import path

from web import about_views, catalogue_views, private_views, views

urlpatterns = [
    path("", views.check, name="bc-check"),
    path("result/", views.result, name="bc-result"),
    path("privacy/", views.privacy, name="bc-privacy"),
    path("about/", about_views.about, name="bc-about"),
    path("breaches/", catalogue_views.breach_list, name="bc-breaches"),
    path("breaches/<slug:slug>/", catalogue_views.breach_detail, name="bc-breach"),
    path("private/evaluate/", private_views.evaluate, name="bc-private-evaluate"),
    path("private/result/", private_views.result_frame, name="bc-private-result"),
]
