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


LANGUAGE_TAG = re.compile(r"[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*")


def validate_locale(value: str) -> None:
    """Refuse a locale that is not a language tag such as 'en' or 'pt-BR'."""
    if not LANGUAGE_TAG.fullmatch(value or ""):
        raise ValidationError(
            "%(value)s is not a language tag; use one such as en or pt-BR.",
            code="invalid_locale",
            params={"value": value},
        )


def validate_email_address(value: str) -> None:
    """Refuse what is not an e-mail address, naming it."""
    try:
        validate_email(value)
    except ValidationError as error:
        raise ValidationError(
            "%(value)s is not an e-mail address, such as ines@example.org.",
            code="invalid_email",
            params={"value": value},
        ) from error


ADDRESS_VALIDATORS = {
    "sms": validate_phone_number,
    "voice": validate_phone_number,
    "email": validate_email_address,
    "slack": validate_slack_user_id,
}
