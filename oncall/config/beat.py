"""Every periodic task, in one place. Each must be safe to run twice (several schedulers)."""

import os

HEARTBEAT_SECONDS = 30
SWEEP_SECONDS = float(os.environ.get("PLANTAO_SWEEP_SECONDS", "5"))

SCHEDULE = {
    "pipeline-heartbeat": {
        "task": "oncall.tasks.heartbeat",
        "schedule": HEARTBEAT_SECONDS,
        # A heartbeat older than its own period is worthless; never let a backlog replay it.
        "options": {"expires": HEARTBEAT_SECONDS},
    },
    # "You are on call from 09:00 (in 1 hour)" and "your shift ended"; each notice once. And
    # each handoff's summary in its team's Slack channel, once.
    "shift-notices": {
        "task": "oncall.tasks.shift_notices",
        "schedule": 60,
        "options": {"expires": 60},
    },
    # The engine's safety net: rings for what is due soon or whose doorbell was lost.
    "engine-sweep": {
        "task": "incidents.tasks.engine_sweep",
        "schedule": SWEEP_SECONDS,
        "options": {"expires": SWEEP_SECONDS},
    },
    # Roll the insights' closed 15-minute buckets up (incidents/insights/rollup.py); the
    # insights read raw rows after the watermark, so a late or missed run costs time, not truth.
    "insights-rollup": {
        "task": "incidents.tasks.insights_rollup",
        "schedule": 300,
        "options": {"expires": 300},
    },
    # Forget the Twilio MessageSids and Slack signatures no replay could still match.
    "signed-requests-purge": {
        "task": "oncall.tasks.signed_requests_purge",
        "schedule": 3600,
        "options": {"expires": 3600},
    },
    # Overdue action items, to their owners in business hours, at most once a day of theirs.
    "action-item-reminders": {
        "task": "incidents.tasks.action_item_reminders",
        "schedule": 15 * 60,
        "options": {"expires": 15 * 60},
    },
    # Rest protection (incidents/rest/): everyone woken in the last 12 hours checked again, so a
    # lost ring after a sleep-hours page loses nothing; and managers' notices held for their
    # morning go out.
    "rest-protection-sweep": {
        "task": "incidents.tasks.rest_protection_sweep",
        "schedule": 15 * 60,
        "options": {"expires": 15 * 60},
    },
    # Fair rota proposals still solving whose ring was lost or whose worker died: ring again.
    "rota-proposals-resume": {
        "task": "incidents.tasks.rota_proposals_resume",
        "schedule": 60,
        "options": {"expires": 60},
    },
    # /metrics counters of processes gone for a day folded into one row each (incidents/
    # tallies.py): the sums do not change, the rows a scrape reads stay few.
    "tallies-compact": {
        "task": "incidents.tasks.tallies_compact",
        "schedule": 3600,
        "options": {"expires": 3600},
    },
}
