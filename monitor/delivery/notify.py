"""Apprise channels: one short text per alert to any URL apprise knows (slack://, ntfy://,
tgram://, matrix://, discord://, mastodon://, mailto://, json:// …)."""

from __future__ import annotations

import logging
import warnings

from ..errors import WikimonError


class NotifyError(WikimonError):
    """A channel did not take an alert. Tried again later unless ``permanent``;
    ``attempts``: the tries made."""

    def __init__(self, message: str, *, permanent: bool = False, attempts: int = 1):
        super().__init__(message)
        self.permanent = permanent
        self.attempts = attempts


def send_apprise(url: str, title: str, body: str) -> None:
    """Send ``title`` and ``body`` (plain text) to the apprise URL; NotifyError says why
    it was not taken, in apprise's words."""
    with warnings.catch_warnings():  # apprise 2.x imports imghdr, deprecated in 3.11
        warnings.simplefilter("ignore", DeprecationWarning)
        import apprise  # slow to import: only when an alert goes out

        notifier = apprise.Apprise()
        if not notifier.add(url):
            raise NotifyError("apprise does not understand this URL", permanent=True)
        # apprise says why in its log: captured in the result (not printed), whatever the
        # level of the logging set up around it
        logger = logging.getLogger("apprise")
        level, propagate = logger.level, logger.propagate
        logger.setLevel(logging.WARNING)
        logger.propagate = False
        try:
            result = notifier.notify(
                body=body, title=title, body_format=apprise.NotifyFormat.TEXT,
                log_level=logging.WARNING,
            )  # fmt: skip
        finally:
            logger.setLevel(level)
            logger.propagate = propagate
    if not result:
        said = [entry.message for entry in result.logs() if entry.level in ("WARNING", "ERROR")]
        reason = said[-1] if said else "the service did not take it"
        raise NotifyError(f"apprise: {' '.join(reason.split())[:300]}")
