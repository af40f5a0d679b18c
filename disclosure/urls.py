from django.urls import path

from disclosure import views

urlpatterns = [
    path("pow/challenge/", views.pow_challenge, name="bc-pow-challenge"),
]
