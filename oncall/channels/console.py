"""The default channel: write each page to the log, so a dev worker visibly pages someone."""

import logging

from oncall.channels.base import Channel, Message, SendResult

logger = logging.getLogger("plantao.pages")


def _one_line(text: str) -> str:
    # A multi-line body must not break the log into lines that look like other records.
    return " ".join(text.splitlines())


class ConsoleChannel(Channel):
    """Log every message at WARNING on "plantao.pages"; nothing leaves the machine."""

    name = "console"

    def send(self, message: Message) -> SendResult:
        """Log `message` in one line and report it sent."""
        logger.warning(
            "PAGE %s to %s [%s]: %s | %s",
            message.kind,
            message.address,
            message.reference,
            _one_line(message.subject),
            _one_line(message.body),
        )
        return SendResult(provider_id=f"console-{message.reference}", status="sent")
