"""URL patterns that senders may write with or without the trailing slash."""

from django.urls import path


def slash_optional(route: str, view, kwargs: dict | None = None, name: str | None = None):
    """Return patterns for `route` as written and with its trailing slash added or removed.

    Monitoring systems, Twilio and Slack are configured by hand: a POST to the other form must not
    become a redirect (which turns it into a GET) or an error. `reverse(name)` gives `route`.
    """
    other = route[:-1] if route.endswith("/") else route + "/"
    return [path(route, view, kwargs, name=name), path(other, view, kwargs)]
