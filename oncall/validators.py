"""Field validators shared by models, forms and the API."""

import functools
import re
import zoneinfo

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,20}$")


@functools.cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    """Refuse anything that is not an IANA time zone name, such as 'Europe/Lisbon'."""
    if value not in _time_zones():
        raise ValidationError(
            "%(value)s is not a known time zone; use an IANA name such as Europe/Lisbon.",
            code="invalid_time_zone",
            params={"value": value},
        )


def validate_phone_number(value: str) -> None:
    """Refuse a phone number that is not in E.164 form (+ and country code)."""
    if not E164.match(value):
        raise ValidationError(
            "%(value)s is not a phone number in E.164 form, such as +351912345678.",
            code="invalid_phone",
            params={"value": value},
        )


def validate_slack_user_id(value: str) -> None:
    """Refuse a Slack member id that does not look like U012AB3CD."""
    if not SLACK_USER_ID.match(value):
        raise ValidationError(
            "%(value)s is not a Slack member id, such as U012AB3CD.",
            code="invalid_slack_user",
            params={"value": value},
        )


ADDRESS_VALIDATORS = {
    "sms": validate_phone_number,
    "voice": validate_phone_number,
    "email": validate_email,
    "slack": validate_slack_user_id,
}
