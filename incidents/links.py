"""The address of an incident's web page, as pages and chat messages link to it."""

from django.conf import settings
from django.urls import reverse


def incident_url(number: int) -> str:
    """Return the absolute URL of incident #number's page (PUBLIC_URL + /incidents/<n>/)."""
    return settings.PUBLIC_URL.rstrip("/") + reverse("incidents:incident-detail", args=[number])
