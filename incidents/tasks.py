"""Thin Celery tasks over the engine's services: they take ids and read the clock."""

from celery import shared_task

import incidents.slack.tasks  # noqa: F401 - the worker registers the Slack tasks here
from incidents import postmortem_reminders, tallies
from incidents.insights import rollup
from incidents.proposals import services as proposals
from incidents.rest import protection
from incidents.services import engine, pages
from oncall import clock


@shared_task(ignore_result=True)
def engine_run() -> None:
    engine.engine_run(clock=clock.now)


@shared_task(ignore_result=True)
def escalation_fire(incident_id: int) -> None:
    engine.escalation_run(incident_id=incident_id, now=clock.now())


@shared_task(ignore_result=True)
def page_send(page_id: int) -> None:
    pages.page_send(page_id=page_id, now=clock.now())


@shared_task(ignore_result=True)
def page_reconcile(page_id: int) -> None:
    pages.page_reconcile(page_id=page_id, now=clock.now())


@shared_task(ignore_result=True)
def engine_sweep() -> None:
    engine.sweep(now=clock.now())


@shared_task(ignore_result=True)
def action_item_reminders() -> None:
    postmortem_reminders.action_item_reminders_send(now=clock.now())


@shared_task(ignore_result=True)
def insights_rollup() -> None:
    rollup.rollup_advance(now=clock.now())


@shared_task(ignore_result=True)
def rest_protection_check(person_id: int) -> None:
    protection.rest_protection_check(person_id=person_id, now=clock.now())


@shared_task(ignore_result=True)
def rest_protection_sweep() -> None:
    protection.rest_protection_sweep(now=clock.now())


@shared_task(ignore_result=True)
def rota_proposal_solve(proposal_id: int) -> None:
    proposals.rota_proposal_solve(proposal_id=proposal_id, now=clock.now())


@shared_task(ignore_result=True)
def rota_proposals_resume() -> None:
    proposals.rota_proposals_resume(now=clock.now())


@shared_task(ignore_result=True)
def tallies_compact() -> None:
    tallies.tallies_compact(now=clock.now())
