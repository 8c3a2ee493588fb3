"""Native webhooks: a POST of an alert's change records, exactly as `wikimon changes --json`
prints them, signed with HMAC-SHA256 and carrying an idempotency key.

Headers: ``X-Wikimon-Signature-256: sha256=HEX`` (the HMAC of the body with the secret from
the environment variable named by ``secret_env``), ``Idempotency-Key`` (the same for every
try of one alert to one channel: a receiver that saw it already can ignore it),
``X-Wikimon-Rule``. A 2xx is success; 408, 425, 429 and 5xx, a time-out or a refused
connection are tried again at once with backoff (1 s, 2 s; Retry-After honoured up to a
minute) and later by the next delivery round; any other answer (a 4xx such as 404 or 410,
a redirect) refuses the alert for good.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable

import requests

from .. import __version__
from ..config import Channel
from .notify import NotifyError

TRIES = 3  # per delivery round
BACKOFF = 1.0  # seconds before the second try; doubles
MAX_RETRY_AFTER = 60.0
RETRYABLE = {408, 425, 429}


def signature(secret: bytes, body: bytes) -> str:
    """The value of X-Wikimon-Signature-256 for ``body``."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def post_webhook(
    channel: Channel,
    body: bytes,
    *,
    idempotency_key: str,
    rule: str,
    contact: str | None,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[str, int]:
    """POST ``body`` (JSON) to the webhook; returns what it answered and the tries made.
    Raises NotifyError (``permanent`` for a refusal for good)."""
    assert channel.url is not None
    secret = channel.secret()  # a missing variable: ConfigError, before anything is sent
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": f"wikimon/{__version__}" + (f" ({contact})" if contact else ""),
        "Idempotency-Key": idempotency_key,
        "X-Wikimon-Rule": rule,
    }
    if secret is not None:
        headers["X-Wikimon-Signature-256"] = signature(secret, body)
    problem = ""
    for tries in range(1, TRIES + 1):
        wait = BACKOFF * 2 ** (tries - 1)
        try:
            response = requests.post(
                channel.url, data=body, headers=headers, timeout=channel.timeout,
                allow_redirects=False,
            )  # fmt: skip
        except requests.Timeout:
            problem = f"no answer within {channel.timeout:g} s"
        except requests.RequestException as error:
            problem = f"cannot connect ({type(error).__name__})"
        else:
            status = response.status_code
            response.close()
            if 200 <= status < 300:
                return f"HTTP {status}", tries
            problem = f"answered HTTP {status}"
            if status not in RETRYABLE and status < 500:
                raise NotifyError(
                    f"{channel.label} {problem}: refused for good", permanent=True, attempts=tries
                )
            wait = max(wait, min(_retry_after(response), MAX_RETRY_AFTER))
        if tries < TRIES:
            sleep(wait)
    raise NotifyError(f"{channel.label} {problem} ({TRIES} tries)", attempts=TRIES)


def _retry_after(response: requests.Response) -> float:
    try:
        return max(0.0, float(response.headers.get("Retry-After", "")))
    except ValueError:
        return 0.0
