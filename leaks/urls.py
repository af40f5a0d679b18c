from django.urls import path

from leaks import views

urlpatterns = [
    path("", views.check, name="bc-check"),
    path("privacy/", views.privacy, name="bc-privacy"),
]
