from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from django.views.generic.base import RedirectView

from breachcheck import health
from breachcheck.admin_login import admin_login
from web.site import site_title

# The admin is named after the site (in the reader's language), not "Django".
admin.site.site_header = admin.site.site_title = lazy(site_title, str)()
admin.site.index_title = _("Breaches, imports and alerts")

urlpatterns = [
    path("healthz/live", health.live, name="bc-healthz-live"),
    # Browsers ask for /favicon.ico on every page that names no icon (the admin's).
    path(
        "favicon.ico",
        RedirectView.as_view(url=lazy(static, str)("img/logo.svg"), permanent=True),
        name="bc-favicon",
    ),
    path("healthz/ready", health.ready, name="bc-healthz-ready"),
    # Before admin.site.urls so the rate-limited login wins.
    path("admin/login/", admin_login, name="bc-admin-login"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include("api.urls")),
    path("", include("web.urls")),
    path("", include("proof.urls")),
    path("", include("imports.urls")),
    path("", include("alerts.urls")),
    path("", include("disclosure.urls")),
]

handler500 = "breachcheck.error_views.server_error"
