"""Thin Celery tasks for Slack: each takes an id (or the response_url Slack gave) and calls one
service. When Slack says "later", a task tries again a few times, a little later each time."""

from celery import shared_task

from incidents.services import slack_channel
from oncall.channels.base import ChannelError
from oncall.channels.registry import slack_channel as slack

RETRIES = 3
RETRY_SECONDS = 10  # then 20, 40


def _later(task, error: ChannelError):
    return task.retry(exc=error, countdown=RETRY_SECONDS * 2**task.request.retries)


@shared_task(bind=True, ignore_result=True, max_retries=RETRIES)
def slack_incident_post(self, incident_id: int) -> None:
    try:
        slack_channel.slack_incident_post(incident_id=incident_id)
    except ChannelError as error:
        raise _later(self, error) from error


@shared_task(bind=True, ignore_result=True, max_retries=RETRIES)
def slack_incident_update(self, incident_id: int) -> None:
    try:
        slack_channel.slack_incident_update(incident_id=incident_id)
    except ChannelError as error:
        raise _later(self, error) from error


@shared_task(bind=True, ignore_result=True, max_retries=RETRIES)
def slack_respond(self, response_url: str, payload: dict) -> None:
    try:
        slack().respond(response_url, payload)
    except ChannelError as error:
        if not error.retryable:
            return  # an expired or spent response_url: nobody is waiting for the answer
        raise _later(self, error) from error
