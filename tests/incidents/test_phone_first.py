"""Phone first, as far as the server decides it: every form control has a label, every page
declares a phone viewport, and every control is styled at least 44 px tall. (The browser tests
measure the rendered pages: no sideways scroll at 390 px, axe-core's checks.)"""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from incidents.services.incidents import incident_acknowledge
from oncall.models import Membership

from .conftest import T0
from .test_acts import person
from .test_web_incidents import fire

CSS = re.sub(
    r"/\*.*?\*/",
    "",
    (Path(__file__).resolve().parents[2] / "static" / "css" / "plantao.css").read_text(),
    flags=re.S,
)
PX_PER_REM = 16


class Controls(HTMLParser):
    """Collect a page's form controls and the ids its labels name."""

    def __init__(self):
        super().__init__()
        self.controls, self.labelled = [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "label" and "for" in attrs:
            self.labelled.add(attrs["for"])
        if tag in ("input", "select", "textarea") and attrs.get("type") != "hidden":
            self.controls.append(attrs)


def unlabelled(html: str) -> list[dict]:
    found = Controls()
    found.feed(html)
    return [c for c in found.controls if c.get("id") not in found.labelled]


@pytest.fixture
def pages(client, demo, frozen_now):
    frozen_now(T0)
    incident = fire()
    acknowledged = fire(key="other", service="auth")
    incident_acknowledge(incident=acknowledged, now=T0, by=None, source="web")
    client.force_login(person(Membership.Role.RESPONDER).user)
    return client, [
        "/",
        "/incidents/",
        "/incidents/?status=triggered",
        f"/incidents/{incident.number}/",
        f"/incidents/{acknowledged.number}/",
    ]


@pytest.mark.django_db
def test_every_control_has_a_label_and_every_page_a_phone_viewport(pages):
    client, paths = pages
    for path in paths:
        html = client.get(path).content.decode()
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
        assert unlabelled(html) == [], path


@pytest.mark.django_db
def test_the_login_form_is_labelled(client, db):
    get_user_model().objects.create_user("someone", password="x")
    assert unlabelled(client.get("/login/").content.decode()) == []


@pytest.mark.parametrize(
    "selector",
    [".button", ".button--quiet", ".button--big", ".field input", ".field select", ".site-nav a"],
)
def test_every_control_is_at_least_44_px_tall(selector):
    heights = []
    for selectors, body in re.findall(r"([^{}]+)\{([^}]*)\}", CSS):
        if selector in [s.strip() for s in selectors.split(",")]:
            heights += [float(h) for h in re.findall(r"min-height:\s*([0-9.]+)rem", body)]
    assert heights and max(heights) * PX_PER_REM >= 44, (selector, heights)
