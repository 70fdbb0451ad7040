"""Inbound alert endpoints, Twilio's callbacks, /metrics (CONTRACT.md) and the incident pages;
the project's urls.py includes these at the root."""

from django.urls import path

from incidents.views import email, ingest, metrics, slack, twilio, web

app_name = "incidents"

urlpatterns = [
    path(
        "integrations/alertmanager/<str:token>/",
        ingest.alerts_receive,
        {"kind": "alertmanager"},
        name="ingest-alertmanager",
    ),
    path(
        "integrations/grafana/<str:token>/",
        ingest.alerts_receive,
        {"kind": "grafana"},
        name="ingest-grafana",
    ),
    path(
        "integrations/webhook/<str:token>/",
        ingest.alerts_receive,
        {"kind": "webhook"},
        name="ingest-webhook",
    ),
    path("integrations/heartbeat/<str:token>/", ingest.heartbeat_receive, name="ingest-heartbeat"),
    path("v2/enqueue", ingest.pagerduty_enqueue, name="ingest-pagerduty"),
    path("metrics", metrics.metrics, name="metrics"),
    path("twilio/sms/", twilio.sms_receive, name="twilio-sms"),
    path("twilio/status/", twilio.status_receive, name="twilio-status"),
    path("twilio/voice/<int:page_id>/", twilio.voice_receive, name="twilio-voice"),
    path("email/<str:token>/", email.email_action, name="email-action"),
    path("slack/commands/", slack.command_receive, name="slack-commands"),
    path("slack/interactions/", slack.interaction_receive, name="slack-interactions"),
    path("incidents/", web.incident_list, name="incident-list"),
    path("incidents/<int:number>/", web.incident_detail, name="incident-detail"),
]
