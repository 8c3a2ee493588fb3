"""A polite MediaWiki API client on top of mwclient.

Politeness, as Wikimedia's API etiquette asks: a User-Agent naming wikimon and how to
reach its operator, ``maxlag=5`` on every request (mwclient only sends it to index.php),
Retry-After honoured, exponential backoff on 429 and 5xx, and at most 50 revisions with
content per request. Everything that goes wrong ends as a one-line :class:`WikiError`.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import mwclient
import mwclient.errors
import mwclient.sleep
import requests

from . import __version__
from .errors import WikiError

log = logging.getLogger(__name__)

REVISION_PROPS = "ids|timestamp|flags|comment|user|userid|size|sha1|content"
BATCH = 50  # titles per prop=info request, and revisions with content per request


@dataclass(frozen=True)
class RetryPolicy:
    max_tries: int = 5
    backoff: float = 2.0  # seconds before the 2nd try; doubles each time
    max_delay: float = 300.0
    timeout: float = 60.0


def user_agent(contact: str) -> str:
    return f"wikimon/{__version__} ({contact})"


class _BackoffSleeper(mwclient.sleep.Sleeper):
    """mwclient's retry counter with exponential backoff and jitter; ``min_time`` is the
    server's Retry-After, which always wins over a shorter backoff."""

    def __init__(self, args: Any, policy: RetryPolicy, sleep: Callable[[float], None]):
        super().__init__(args, policy.max_tries - 1, policy.backoff, lambda *a: None)
        self.policy = policy
        self._sleep = sleep

    def sleep(self, min_time: float = 0) -> None:
        self.retries += 1
        if self.retries > self.max_retries:
            raise mwclient.errors.MaximumRetriesExceeded(self, self.args)
        delay = self.policy.backoff * 2 ** (self.retries - 1)
        delay *= random.uniform(0.8, 1.2)  # spread retries of many clients
        self._sleep(max(min(delay, self.policy.max_delay), float(min_time or 0)))


class _BackoffSleepers(mwclient.sleep.Sleepers):
    """Hands mwclient the sleeper of the request in progress, so that lag retries (which
    mwclient handles) and 429/5xx/network retries (ours) share one count of tries."""

    def __init__(self, policy: RetryPolicy, sleep: Callable[[float], None]):
        super().__init__(policy.max_tries - 1, policy.backoff)
        self.policy = policy
        self.sleep = sleep
        self.current: _BackoffSleeper | None = None

    def make(self, args: Any = None) -> _BackoffSleeper:
        return self.current or _BackoffSleeper(args, self.policy, self.sleep)


class WikiClient:
    """Read-only access to one wiki's api.php."""

    def __init__(
        self,
        api_url: str,
        contact: str,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        parts = urlsplit(api_url)
        self.api_url = api_url
        self.policy = policy or RetryPolicy()
        path = parts.path[: -len("api.php")] if parts.path.endswith("api.php") else "/"
        self.site = mwclient.Site(
            parts.netloc,
            path=path or "/",
            scheme=parts.scheme or "https",
            do_init=False,  # its siteinfo request would go out without maxlag
            connection_options={"timeout": self.policy.timeout},
        )
        # Exactly our User-Agent: mwclient would append its own product token.
        self.site.connection.headers["User-Agent"] = user_agent(contact)
        self.site.sleepers = _BackoffSleepers(self.policy, sleep)

    def call(self, **params: Any) -> dict[str, Any]:
        """One API request (GET, JSON, formatversion 2, maxlag=5), retried politely."""
        data = {"format": "json", "formatversion": "2", "maxlag": "5", **params}
        sleepers = self.site.sleepers
        sleeper = sleepers.make(data)
        sleepers.current = sleeper
        try:
            body = self._request(data, sleeper)
        finally:
            sleepers.current = None
        return self._decode(body)

    def _request(self, data: dict[str, Any], sleeper: _BackoffSleeper) -> str:
        while True:
            try:
                return self.site.raw_call("api", data, retry_on_error=False, http_method="GET")
            except requests.HTTPError as error:
                response = error.response
                status = response.status_code if response is not None else 0
                if status == 429 or 500 <= status <= 599:
                    self._wait(sleeper, f"HTTP {status}", _retry_after(response))
                    continue
                raise WikiError(
                    f"{self.api_url} answered HTTP {status}; check the api: URL in the config"
                ) from None
            except (requests.ConnectionError, requests.Timeout) as error:
                self._wait(sleeper, f"cannot connect ({type(error).__name__})", 0)
            except mwclient.errors.MaximumRetriesExceeded:
                raise WikiError(
                    f"{self.api_url} reports replication lag above 5 s after "
                    f"{self.policy.max_tries} tries; try again later"
                ) from None
            except requests.RequestException as error:
                raise WikiError(f"{self.api_url}: request failed ({error})") from None
            except (TypeError, ValueError):
                # mwclient's int() of a lagged answer's Retry-After: the header is malformed
                self._wait(sleeper, "database lag (malformed Retry-After)", 5)

    def _decode(self, body: str) -> dict[str, Any]:
        try:
            result = json.loads(body)
        except ValueError:
            snippet = body[:60].strip().replace("\n", " ")
            raise WikiError(
                f"{self.api_url} did not answer with MediaWiki API JSON (it sent {snippet!r}…); "
                "check the wiki's api: URL in the config"
            ) from None
        if not isinstance(result, dict):
            raise WikiError(f"{self.api_url} answered JSON that is not an API result")
        if "error" in result:
            error = result["error"]
            raise WikiError(
                f"{self.api_url}: API error {error.get('code')}: {error.get('info', '')}".strip()
            )
        for module, warning in (result.get("warnings") or {}).items():
            log.warning("%s: API warning from %s: %s", self.api_url, module, warning)
        return result

    def _wait(self, sleeper: _BackoffSleeper, reason: str, retry_after: float) -> None:
        log.warning("%s: %s; retrying (try %d)", self.api_url, reason, sleeper.retries + 2)
        try:
            sleeper.sleep(retry_after)
        except mwclient.errors.MaximumRetriesExceeded:
            raise WikiError(
                f"{self.api_url}: {reason} after {self.policy.max_tries} tries; "
                "is the wiki reachable? Try again later"
            ) from None

    def query(self, **params: Any) -> Iterator[dict[str, Any]]:
        """``action=query`` with continuation: yields each result's ``query`` part."""
        params = {"action": "query", **params}
        cont: dict[str, Any] = {"continue": ""}
        while True:
            result = self.call(**params, **cont)
            if "query" in result:
                yield result["query"]
            if "continue" not in result:
                return
            cont = result["continue"]

    def page_info(self, *, titles: list[str] | None = None, pageids: list[int] | None = None):
        """prop=info for up to 50 pages in one request: a dict per page."""
        key, values = ("titles", titles) if titles is not None else ("pageids", pageids)
        assert values is not None and len(values) <= BATCH
        result = self.call(action="query", prop="info", **{key: "|".join(map(str, values))})
        query = result.get("query", {})
        if "pages" not in query:
            raise WikiError(f"{self.api_url} answered a page query without pages")
        return query

    def revisions(
        self, page_id: int, *, start: str | None = None, newest: bool = False
    ) -> Iterator[list[dict[str, Any]]]:
        """Batches of up to 50 revisions with content, oldest first from ``start``
        (an ISO timestamp, inclusive), or only the newest revision."""
        params: dict[str, Any] = {
            "prop": "revisions",
            "pageids": page_id,
            "rvprop": REVISION_PROPS,
            "rvslots": "main",
        }
        if newest:
            params.update(rvlimit=1, rvdir="older")
            result = self.call(action="query", **params)
            yield _page_revisions(result.get("query", {}), self.api_url)
            return
        params.update(rvlimit=BATCH, rvdir="newer")
        if start:
            params["rvstart"] = start
        for query in self.query(**params):
            yield _page_revisions(query, self.api_url)


def _page_revisions(query: dict[str, Any], api_url: str) -> list[dict[str, Any]]:
    pages = query.get("pages") or []
    if not pages:
        raise WikiError(f"{api_url} answered a revisions query without pages")
    return pages[0].get("revisions", [])


def _retry_after(response: requests.Response | None) -> float:
    if response is None:
        return 0
    value = response.headers.get("Retry-After", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return 0  # an HTTP date; our own backoff applies
