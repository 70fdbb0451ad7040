"""The OpenAPI schema is valid and documented, and the API keeps to it: schemathesis calls every
operation, authenticated with a team admin's admin token, and finds no server error and no
answer the schema does not allow."""

import json
import re

import pytest
import schemathesis
from django.core import signals
from django.core.management import call_command
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from incidents.services.postmortems import (
    action_item_create,
    entry_add,
    postmortem_request_review,
    postmortem_start,
)
from tests.api.conftest import T0, token_for

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Examples per operation: enough to reach every parameter and body field, few enough that the
# whole run stays within a few seconds per operation.
EXAMPLES = 12

# Read from the running application, as a client would.
schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


@pytest.fixture
def in_test_transaction():
    """Keep the test's database connection across requests, as Django's test client does: the
    WSGI handler would close it after each request (its transaction, on PostgreSQL, with it)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def admin_token(worlds, settings, in_test_transaction):
    settings.PLANTAO_API_RATE = "100000/min"
    postmortem_with_everything(worlds[0])  # so that their lists show one of each, whole
    return token_for(worlds[0].people["admin"], "admin")


def postmortem_with_everything(world) -> None:
    """Start a postmortem of the team's incident, with an entry by hand, a reviewer and an
    action item owned and due."""
    by = world.people["responder"]
    postmortem = postmortem_start(incidents=[world.incident], by=by, now=T0)
    entry_add(postmortem=postmortem, by=by, now=T0, at=T0, text="Rolled back.")
    action_item_create(
        postmortem=postmortem, by=by, now=T0, title="Alert", owner=by, due_on=T0.date()
    )
    postmortem_request_review(postmortem=postmortem, by=by, now=T0, reviewers=[by])


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_keeps_to_the_schema(case, admin_token):
    case.call_and_validate(headers={"Authorization": f"Bearer {admin_token}"}, checks=CHECKS)


def test_the_schema_validates_with_no_warnings_and_documents_every_operation(tmp_path):
    target = tmp_path / "schema.json"
    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--format",
        "openapi-json",
        "--file",
        str(target),
    )

    document = json.loads(target.read_text())
    operations = [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]
    assert len(operations) >= 28
    for path, method, operation in operations:
        assert operation.get("summary"), (method, path)
        assert {"401", "429"} <= set(operation["responses"]), (method, path)
        examples = operation["responses"]["401"]["content"]["application/json"]["examples"]
        assert examples, (method, path)
    assert "/api/v1/incidents/{number}/timeline/" in document["paths"]


@pytest.mark.django_db
def test_the_docs_are_served_from_this_server(client):
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    # Nothing from elsewhere (the page's random CSRF token may hold any letters, so no "cdn").
    assert not re.search(r"""(src|href|url)\s*[=:(]\s*["']?(https?:)?//""", html)
    assert "https://" not in html and "jsdelivr" not in html and "unpkg" not in html
    assert (
        client.get(
            "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"
        ).status_code
        == 200
    )
    document = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert document.status_code == 200 and document.json()["openapi"].startswith("3.")
