from django.urls import path

from leaks import views

urlpatterns = [
    path("", views.check, name="bc-check"),
    path("privacy/", views.privacy, name="bc-privacy"),
    path("prove/", views.proof_send, name="bc-proof-send"),
    path("prove/code/", views.proof_code, name="bc-proof-code"),
    path("prove/result/", views.proof_result, name="bc-proof-result"),
]
