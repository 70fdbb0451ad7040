"""The dashboard at the root, named "home" (outside the incidents namespace: every page's
header links to it)."""

from django.urls import path

from incidents.views import dashboard

urlpatterns = [
    path("", dashboard.dashboard, name="home"),
]
