from django.urls import path

from alerts import receipt_views, views

urlpatterns = [
    path("alerts/", views.subscribe, name="bc-alerts-subscribe"),
    path("alerts/pending/", views.pending, name="bc-alerts-pending"),
    path("alerts/resend/", views.resend, name="bc-alerts-resend"),
    path("alerts/confirm/<str:token>/", views.confirm, name="bc-alerts-confirm"),
    path("alerts/unsubscribe/<str:token>/", views.unsubscribe, name="bc-alerts-unsubscribe"),
    path("alerts/manage/<str:token>/", views.manage, name="bc-alerts-manage"),
    path("alerts/mine/", views.mine, name="bc-alerts-mine"),
    path(
        "sms/receipts/tencent/<str:token>/", receipt_views.tencent, name="bc-sms-receipts-tencent"
    ),
    path("sms/receipts/aliyun/<str:token>/", receipt_views.aliyun, name="bc-sms-receipts-aliyun"),
]
