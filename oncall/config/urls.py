from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from oncall import views
from oncall.api.errors import api_not_found
from oncall.config.routes import slash_optional

urlpatterns = [
    # The dashboard shows incidents too, so it lives in the upper layer (incidents -> oncall).
    path("", include("incidents.dashboard_urls")),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    *slash_optional("healthz", views.healthz, name="healthz"),
    *slash_optional("readyz", views.readyz, name="readyz"),
    path("ical/<str:token>.ics", views.ical_feed, name="ical-feed"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("oncall.api.urls")),
    path("api/v1/", include("incidents.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    re_path(r"^api/", api_not_found),
    path("", include("oncall.web.urls")),
    path("", include("incidents.urls")),
    path("", include("incidents.postmortem_export_urls")),
]
