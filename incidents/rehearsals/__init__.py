"""Rehearsals: a storm driven through the real ingest into a service's rehearsal twin, whose
incidents page the real people's rules through the rehearsal channel (they reach no one).

twins.py makes and keeps the twin; services.py starts, finishes and removes a rehearsal;
selectors.py reads what the server recorded (progress and raw measurements) for the client,
`manage.py rehearse`, to turn into a report.
"""
