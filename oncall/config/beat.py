"""Every periodic task, in one place. Each must be safe to run twice (several schedulers)."""

HEARTBEAT_SECONDS = 30

SCHEDULE = {
    "pipeline-heartbeat": {
        "task": "oncall.tasks.heartbeat",
        "schedule": HEARTBEAT_SECONDS,
        # A heartbeat older than its own period is worthless; never let a backlog replay it.
        "options": {"expires": HEARTBEAT_SECONDS},
    },
}
