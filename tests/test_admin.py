"""Every model can be seen and edited in the Django admin."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import reverse

from incidents.demo import demo_load

OURS = [model for app in ("oncall", "incidents") for model in apps.get_app_config(app).get_models()]


@pytest.mark.parametrize("model", OURS, ids=lambda m: m.__name__)
def test_every_model_is_in_the_admin(model):
    assert admin.site.is_registered(model)


@pytest.mark.django_db
def test_admin_lists_and_opens_every_model_with_demo_data(client):
    """One demo organisation for all models (loading it per model took minutes)."""
    demo_load()
    client.force_login(get_user_model().objects.get(username="admin"))
    broken = []
    for model in OURS:
        meta = model._meta
        listing = client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        if listing.status_code != 200:
            broken.append(f"{model.__name__} list: {listing.status_code}")
        first = model.objects.first()
        if first is not None:
            url = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[first.pk])
            status = client.get(url).status_code
            if status != 200:
                broken.append(f"{model.__name__} #{first.pk}: {status}")
    assert broken == []
