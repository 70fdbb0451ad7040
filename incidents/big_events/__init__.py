"""Big events: a window on the team's calendar with extra responders, a shorter acknowledgement
timeout and a readiness checklist (checklist.py is pure; selectors.py reads, services.py writes,
paging.py is what the engine asks)."""
