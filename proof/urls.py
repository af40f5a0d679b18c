from django.urls import path

from proof import views

urlpatterns = [
    path("prove/", views.proof_send, name="bc-proof-send"),
    path("prove/code/", views.proof_code, name="bc-proof-code"),
    path("prove/again/", views.proof_again, name="bc-proof-again"),
]
