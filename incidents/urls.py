"""Inbound alert endpoints, Twilio's callbacks, /metrics (CONTRACT.md) and the incident pages;
the project's urls.py includes these at the root."""

from django.urls import path

from incidents.models.choices import Action
from incidents.views import (
    acts,
    dashboard,
    email,
    event_pages,
    fatigue,
    ingest,
    insights,
    integration_pages,
    metrics,
    policy_pages,
    postmortem_acts,
    postmortem_pages,
    proposal_pages,
    service_pages,
    slack,
    twilio,
    web,
)
from oncall.config.routes import slash_optional

app_name = "incidents"

# The paths of an incident's buttons and forms, as the API names them.
WEB_ACTS = {
    "acknowledge": Action.ACKNOWLEDGE,
    "resolve": Action.RESOLVE,
    "escalate": Action.ESCALATE,
    "snooze": Action.SNOOZE,
    "reassign": Action.REASSIGN,
    "responders": Action.ADD_RESPONDER,
    "notes": Action.NOTE,
}

urlpatterns = [
    *slash_optional(
        "integrations/alertmanager/<str:token>/",
        ingest.alerts_receive,
        {"kind": "alertmanager"},
        name="ingest-alertmanager",
    ),
    *slash_optional(
        "integrations/grafana/<str:token>/",
        ingest.alerts_receive,
        {"kind": "grafana"},
        name="ingest-grafana",
    ),
    *slash_optional(
        "integrations/webhook/<str:token>/",
        ingest.alerts_receive,
        {"kind": "webhook"},
        name="ingest-webhook",
    ),
    *slash_optional(
        "integrations/heartbeat/<str:token>/", ingest.heartbeat_receive, name="ingest-heartbeat"
    ),
    *slash_optional("v2/enqueue", ingest.pagerduty_enqueue, name="ingest-pagerduty"),
    *slash_optional("metrics", metrics.metrics, name="metrics"),
    *slash_optional("twilio/sms/", twilio.sms_receive, name="twilio-sms"),
    *slash_optional("twilio/status/", twilio.status_receive, name="twilio-status"),
    *slash_optional("twilio/voice/<int:page_id>/", twilio.voice_receive, name="twilio-voice"),
    path("email/<str:token>/", email.email_action, name="email-action"),
    *slash_optional("slack/commands/", slack.command_receive, name="slack-commands"),
    *slash_optional("slack/interactions/", slack.interaction_receive, name="slack-interactions"),
    path("dashboard/incidents/", dashboard.dashboard_incidents, name="dashboard-incidents"),
    path("incidents/declare/", dashboard.incident_declare_web, name="incident-declare"),
    path("incidents/", web.incident_list, name="incident-list"),
    path("incidents/<int:number>/", web.incident_detail, name="incident-detail"),
    *[
        path(
            f"incidents/<int:number>/{segment}/",
            acts.incident_act_web,
            {"action": action},
            name=f"incident-{segment}",
        )
        for segment, action in WEB_ACTS.items()
    ],
    path("insights/", insights.insights_page, name="insights"),
    path("fatigue/", fatigue.fatigue_page, name="fatigue"),
    path(
        "schedules/<int:schedule_id>/proposals/",
        proposal_pages.rota_propose,
        name="rota-propose",
    ),
    path(
        "schedules/<int:schedule_id>/proposals/<int:proposal_id>/",
        proposal_pages.rota_proposal,
        name="rota-proposal",
    ),
    path(
        "schedules/<int:schedule_id>/proposals/<int:proposal_id>/apply/",
        proposal_pages.rota_proposal_apply_web,
        name="rota-proposal-apply",
    ),
    path("events/", event_pages.event_list, name="event-list"),
    path("events/new/", event_pages.event_new, name="event-new"),
    path("events/<int:pk>/", event_pages.event_detail, name="event-detail"),
    path("events/<int:pk>/edit/", event_pages.event_edit, name="event-edit"),
    path("events/<int:pk>/delete/", event_pages.event_remove, name="event-delete"),
    path("events/<int:pk>/test-pages/", event_pages.event_test_pages, name="event-test-pages"),
    path("services/", service_pages.service_list, name="service-list"),
    path("services/new/", service_pages.service_new, name="service-new"),
    path("services/<int:pk>/", service_pages.service_detail, name="service-detail"),
    path("services/<int:pk>/edit/", service_pages.service_edit, name="service-edit"),
    path("services/<int:pk>/delete/", service_pages.service_remove, name="service-delete"),
    path("services/<int:pk>/maintenance/", service_pages.window_create, name="window-create"),
    path(
        "services/<int:pk>/maintenance/<int:window_pk>/end/",
        service_pages.window_end,
        name="window-end",
    ),
    path(
        "services/<int:pk>/maintenance/<int:window_pk>/delete/",
        service_pages.window_remove,
        name="window-delete",
    ),
    path("policies/", policy_pages.policy_list, name="policy-list"),
    path("policies/new/", policy_pages.policy_new, name="policy-new"),
    path("policies/<int:pk>/", policy_pages.policy_detail, name="policy-detail"),
    path("policies/<int:pk>/delete/", policy_pages.policy_remove, name="policy-delete"),
    path("integrations/", integration_pages.integration_list, name="integration-list"),
    path("integrations/new/", integration_pages.integration_new, name="integration-new"),
    path(
        "integrations/<int:pk>/token/",
        integration_pages.integration_token,
        name="integration-token",
    ),
    path(
        "integrations/<int:pk>/rotate/",
        integration_pages.integration_rotate_web,
        name="integration-rotate",
    ),
    path(
        "integrations/<int:pk>/delete/",
        integration_pages.integration_remove,
        name="integration-delete",
    ),
    path(
        "integrations/<int:pk>/test/", integration_pages.integration_test, name="integration-test"
    ),
    path("postmortems/", postmortem_pages.postmortems, name="postmortem-list"),
    path("postmortems/start/", postmortem_pages.postmortem_begin, name="postmortem-start"),
    path("postmortems/<int:pk>/", postmortem_pages.postmortem_detail, name="postmortem-detail"),
    path(
        "postmortems/<int:pk>/autosave/",
        postmortem_pages.postmortem_autosave,
        name="postmortem-autosave",
    ),
    path("postmortems/<int:pk>/entries/", postmortem_acts.entry_new, name="postmortem-entry-new"),
    path(
        "postmortems/<int:pk>/entries/<int:entry_pk>/",
        postmortem_acts.entry_change,
        name="postmortem-entry",
    ),
    path("postmortems/<int:pk>/review/", postmortem_acts.review_request, name="postmortem-review"),
    *[
        path(
            f"postmortems/<int:pk>/{step}/",
            postmortem_acts.review_step,
            {"step": step},
            name=f"postmortem-{step}",
        )
        for step in postmortem_acts.TRANSITIONS
    ],
    path("postmortems/<int:pk>/actions/", postmortem_acts.item_new, name="postmortem-item-new"),
    path(
        "postmortems/<int:pk>/actions/<int:item_pk>/",
        postmortem_acts.item_change,
        name="postmortem-item",
    ),
]
