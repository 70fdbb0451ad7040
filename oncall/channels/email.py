"""E-mail pages through Django's mail framework (the SMTP server in EMAIL_URL)."""

from __future__ import annotations

import smtplib
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMessage

from oncall.channels.base import Channel, ChannelError, Message, OutcomeUnknown, SendResult


class EmailChannel(Channel):
    """Send each page as a plain-text e-mail. A refused recipient fails the page; a server that
    cannot be reached is tried again; a connection lost mid-message is an unknown outcome."""

    name = "email"

    def send(self, message: Message) -> SendResult:
        message_id = make_msgid(idstring=message.reference)
        mail = EmailMessage(
            subject=message.subject,
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.address],
            headers={
                "Message-ID": message_id,
                "X-Plantao-Page": message.reference,
                "Auto-Submitted": "auto-generated",
            },
        )
        try:
            mail.send(fail_silently=False)
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as error:
            raise ChannelError(
                f"the mail server refused it: {type(error).__name__}", retryable=False
            ) from error
        except (TimeoutError, smtplib.SMTPServerDisconnected) as error:
            raise OutcomeUnknown(f"mail server connection lost: {type(error).__name__}") from error
        except (smtplib.SMTPException, OSError) as error:
            raise ChannelError(
                f"mail server unreachable: {type(error).__name__}", retryable=True
            ) from error
        return SendResult(provider_id=message_id, status="sent")
