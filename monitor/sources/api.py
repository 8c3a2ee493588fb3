"""A polite MediaWiki API client on top of mwclient's public API.

Politeness, as Wikimedia's API etiquette asks: a User-Agent naming wikimon and how to
reach its operator, ``maxlag=5`` on every request (mwclient only sends it to index.php),
Retry-After honoured, exponential backoff on 429 and 5xx, and at most 50 revisions with
content per request. Everything that goes wrong ends as a one-line :class:`WikiError`.

mwclient sends each request (``Site.raw_api``, GET) over a ``requests.Session`` built here,
with its own retries switched off: it backs off linearly, ignores Retry-After on 5xx and
does not retry 429, so this module retries lag, 429, 5xx, timeouts and connection errors
itself, with one count of tries per request.

The shape of every answer is checked here, once: what leaves this module (the ``query``
part of a result, page dicts, :class:`~storage.Revision` objects) has the keys and types
the rest of wikimon relies on, or a :class:`WikiError` naming the API URL says what was
wrong with it.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeGuard
from urllib.parse import urlsplit

import mwclient
import mwclient.errors
import requests

from storage import Revision, time_problem

from .. import __version__
from ..config import RetryPolicy
from ..errors import PageError, WikiError

log = logging.getLogger(__name__)

REVISION_PROPS = "ids|timestamp|flags|comment|user|userid|size|sha1|content"
BATCH = 50  # titles per prop=info request, and revisions with content per request
_NOT_AN_API = "check the wiki's api: URL in the config"
_LAG_DEFAULT = 5.0  # seconds to wait on a lagged answer whose Retry-After is malformed


def user_agent(contact: str) -> str:
    return f"wikimon/{__version__} ({contact})"


class WikiClient:
    """Read-only access to one wiki's api.php."""

    def __init__(
        self,
        api_url: str,
        contact: str,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        parts = urlsplit(api_url)
        self.api_url = api_url
        self.policy = policy or RetryPolicy()
        # time.sleep looked up now, not when this module was imported
        self._sleep: Callable[[float], None] = sleep or time.sleep
        self._last = threading.local()  # .response: the last HTTP answer of this thread
        session = requests.Session()
        # Exactly our User-Agent: clients_useragent would append mwclient's own product token.
        session.headers["User-Agent"] = user_agent(contact)
        # mwclient's exceptions for a lagged answer carry no response: keep it for Retry-After.
        session.hooks["response"].append(self._keep)
        path = parts.path[: -len("api.php")] if parts.path.endswith("api.php") else "/"
        self.site: Any = mwclient.Site(
            parts.netloc,
            path=path or "/",
            scheme=parts.scheme or "https",
            pool=session,
            max_retries=0,  # its retries ignore Retry-After and skip 429: _request retries
            retry_timeout=0,
            do_init=False,  # its siteinfo request would go out without maxlag
            connection_options={"timeout": self.policy.timeout},
        )

    # -- requests ------------------------------------------------------------------------------

    def call(self, *, action: str, **params: Any) -> dict[str, Any]:
        """One API request (GET, JSON, formatversion 2, maxlag=5), retried politely."""
        data = {"format": "json", "formatversion": "2", "maxlag": "5", **params}
        try:
            return self._decode(self._request(action, data))
        finally:
            self._last.response = None  # a page of revisions is not kept until the next call

    def _keep(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self._last.response = response

    def _last_response(self) -> requests.Response | None:
        response: requests.Response | None = getattr(self._last, "response", None)
        return response

    def _request(self, action: str, data: dict[str, Any]) -> Any:
        """The decoded JSON of a successful answer, after as many tries as it takes.

        ``Site.raw_api``, not ``Site.get``/``Site.api``: those add ``meta=userinfo``,
        ``uiprop`` and ``continue=`` to every query (other requests than wikimon's own), and
        their error handling trips over malformed answers (an ``error`` that is a string, a
        ``query`` that is not an object) before ``_decode`` could name what is wrong.
        """
        tries = 0
        while True:
            tries += 1
            self._last.response = None
            try:
                # retry_on_error=False: else mwclient logs "Retrying in a moment", then raises
                return self.site.raw_api(action, "GET", False, **data)
            except requests.HTTPError as error:
                response = error.response
                status = response.status_code if response is not None else 0
                if status == 429 or 500 <= status <= 599:
                    self._wait(tries, f"HTTP {status}", _retry_after(response))
                    continue
                raise WikiError(
                    f"{self.api_url} answered HTTP {status}; check the api: URL in the config"
                ) from None
            except requests.Timeout as error:  # before ConnectionError: ConnectTimeout is both
                self._wait(
                    tries,
                    f"timed out ({type(error).__name__}; http: timeout is "
                    f"{self.policy.timeout:g} s)",
                    0,
                )
            except requests.ConnectionError as error:
                self._wait(tries, f"cannot connect ({type(error).__name__})", 0)
            except mwclient.errors.MaximumRetriesExceeded:
                # max_retries=0: mwclient gives up at once on an answer it would sleep on and
                # retry -- a lagged one (x-database-lag), whose Retry-After it has read as an
                # int already, or a status it neither returns nor raises for (1xx, 3xx, 2xx
                # other than 200): retried here as a lag, on the same count of tries.
                response = self._last_response()
                retry_after = int(response.headers["Retry-After"]) if _lagged(response) else 0
                self._wait_for_lag(tries, retry_after)
            except (mwclient.errors.InvalidResponse, mwclient.errors.APIDisabledError):
                response = self._last_response()
                raise self._not_json(response.text if response is not None else "") from None
            except requests.RequestException as error:  # before ValueError: InvalidURL is both
                raise WikiError(f"{self.api_url}: request failed ({error})") from None
            except (TypeError, ValueError):
                # mwclient int()s a lagged answer's Retry-After before it gives up on it: a
                # malformed header raises this instead of MaximumRetriesExceeded.
                self._wait(tries, "database lag (malformed Retry-After)", _LAG_DEFAULT)

    def _delay(self, tries: int, retry_after: float) -> float:
        """Seconds to wait after failed try number ``tries``: exponential backoff with
        jitter, capped at max_delay; the server's Retry-After wins over a shorter one."""
        delay = self.policy.backoff * 2.0 ** (tries - 1)
        delay *= random.uniform(0.8, 1.2)  # spread retries of many clients
        return max(min(delay, self.policy.max_delay), float(retry_after or 0))

    def _wait(self, tries: int, reason: str, retry_after: float) -> None:
        if tries >= self.policy.max_tries:
            raise WikiError(
                f"{self.api_url}: {reason} after {_tries(self.policy.max_tries)}; "
                "is the wiki reachable? Try again later"
            )
        log.warning("%s: %s; retrying (try %d)", self.api_url, reason, tries + 1)
        self._sleep(self._delay(tries, retry_after))

    def _wait_for_lag(self, tries: int, retry_after: float) -> None:
        # no warning of ours: mwclient has logged "Database lag exceeds max lag" already
        if tries >= self.policy.max_tries:
            raise WikiError(
                f"{self.api_url} reports replication lag above 5 s after "
                f"{_tries(self.policy.max_tries)}; try again later"
            )
        self._sleep(self._delay(tries, retry_after))

    def _malformed(self, what: str) -> WikiError:
        return WikiError(f"{self.api_url} answered {what}; {_NOT_AN_API}")

    def _not_json(self, body: str) -> WikiError:
        snippet = body[:60].strip().replace("\n", " ")
        return WikiError(
            f"{self.api_url} did not answer with MediaWiki API JSON (it sent {snippet!r}…); "
            f"{_NOT_AN_API}"
        )

    def _decode(self, result: Any) -> dict[str, Any]:
        """The checked top level of an answer: an API error, warnings, query, continue."""
        result = _plain(result)  # raw_api decodes objects as OrderedDicts; their repr is logged
        if not isinstance(result, dict):
            raise WikiError(f"{self.api_url} answered JSON that is not an API result")
        if "error" in result:
            error = result["error"]
            if not isinstance(error, dict) or not isinstance(error.get("code"), str):
                raise self._malformed(f"an error that is not an API error ({_show(error)})")
            info = error.get("info")
            info = info if isinstance(info, str) else ""
            raise WikiError(f"{self.api_url}: API error {error['code']}: {info}".strip())
        warnings = result.get("warnings", {})
        if not isinstance(warnings, dict):
            raise self._malformed(f"warnings that are not API warnings ({_show(warnings)})")
        for module, warning in warnings.items():
            if isinstance(warning, dict) and isinstance(warning.get("warnings"), str):
                warning = warning["warnings"]
            log.warning("%s: API warning from %s: %s", self.api_url, module, warning)
        for key in ("query", "continue"):
            if key in result and not isinstance(result[key], dict):
                raise self._malformed(f"a {key!r} part that is not an object ({_show(result)})")
        return result

    def query(self, **params: Any) -> Iterator[dict[str, Any]]:
        """``action=query`` with continuation: yields each result's ``query`` part."""
        params = {"action": "query", **params}
        cont: dict[str, Any] = {"continue": ""}
        while True:
            result = self.call(**params, **cont)
            query = result.get("query", {})
            if time_problem(str(result.get("curtimestamp", ""))) is None:
                query["curtimestamp"] = result["curtimestamp"]  # asked with curtimestamp=1
            yield query
            if "continue" not in result:
                return
            if result["continue"] == cont:  # the same answer again and again: never ends
                raise self._malformed(f"the same continuation twice ({_show(cont)})")
            cont = result["continue"]

    # -- pages -----------------------------------------------------------------------------------

    def page_info(
        self,
        *,
        titles: list[str] | None = None,
        pageids: list[int] | None = None,
        redirects: bool = False,
        siteinfo: bool = False,
    ) -> dict[str, Any]:
        """prop=info for up to 50 titles or page ids in one request.

        Returns the result's ``query`` part, checked: ``pages`` is a list with a dict per
        page -- existing pages have an int ``pageid``, ``ns`` and ``lastrevid`` and a str
        ``title``; missing, invalid and special ones say so (``missing``, ``invalid`` with
        ``invalidreason``, ``special``) -- and ``interwiki`` lists the titles that name
        pages on other wikis (``title``, ``iw``: the prefix). Every page id asked for is
        among ``pages``; for titles, ``pages`` or ``interwiki`` is not empty.
        ``curtimestamp`` is the wiki's time of the answer, when it gave one.

        With ``redirects``, redirects are resolved: ``pages`` has their targets, and
        ``normalized`` and ``redirects`` (lists of ``from``/``to``, checked) say which asked
        title became which. With ``siteinfo``, the same request asks for the wiki's title
        rules: ``title_rules`` is (case_sensitive, namespace names), as :meth:`title_rules`.
        """
        key, values = ("titles", titles) if titles is not None else ("pageids", pageids)
        assert values is not None and 0 < len(values) <= BATCH
        params: dict[str, Any] = {key: "|".join(map(str, values))}
        if redirects:
            params["redirects"] = "1"
        if siteinfo:
            params.update(meta="siteinfo", siprop="general|namespaces")
        result = self.call(action="query", prop="info", curtimestamp="1", **params)
        query: dict[str, Any] = result.get("query", {})  # _decode: an object if present
        for name in ("normalized", "converted", "redirects"):
            hops = query.setdefault(name, [])
            if not isinstance(hops, list) or not all(
                isinstance(h, dict)
                and isinstance(h.get("from"), str)
                and isinstance(h.get("to"), str)
                for h in hops
            ):
                raise self._malformed(f"a malformed {name} list ({_show(hops)})")
        if isinstance(query, dict) and time_problem(str(result.get("curtimestamp", ""))) is None:
            query["curtimestamp"] = result["curtimestamp"]  # the wiki's clock, for last_poll
        pages = query.setdefault("pages", [])
        interwiki = query.setdefault("interwiki", [])
        if not isinstance(pages, list) or not all(isinstance(p, dict) for p in pages):
            raise self._malformed(f"a page query whose pages are not a list ({_show(pages)})")
        if not isinstance(interwiki, list) or not all(
            isinstance(i, dict) and isinstance(i.get("title"), str) for i in interwiki
        ):
            raise self._malformed(f"a malformed interwiki list ({_show(interwiki)})")
        for page in pages:
            self._check_page(page)
        if pageids is not None:
            answered = {page.get("pageid") for page in pages}
            for page_id in pageids:
                if page_id not in answered:
                    raise self._malformed(f"a page query without page id {page_id}")
        elif not pages and not interwiki and not query["redirects"]:
            # titles that normalise alike share one page
            asked = ", ".join(repr(t) for t in titles or ())
            raise self._malformed(f"a page query without a page for {asked}")
        if siteinfo:
            query["title_rules"] = self._title_rules_of(query)
        return query

    def _check_page(self, page: dict[str, Any]) -> None:
        def bad(what: str) -> WikiError:
            return self._malformed(f"a page {what} ({_show(page)})")

        if page.get("invalid"):
            return
        if page.get("special"):
            if not isinstance(page.get("title"), str) or not _is_int(page.get("ns")):
                raise bad("without a title or namespace")
            return
        if page.get("missing"):
            if not isinstance(page.get("title"), str) and not _is_int(page.get("pageid")):
                raise bad("without a title or page id")
            return
        for name, kind in (("pageid", "int"), ("ns", "int"), ("title", "str")):
            value = page.get(name)
            if not (isinstance(value, str) if kind == "str" else _is_int(value)):
                raise bad(f"with no {kind} {name}")
        if "lastrevid" in page and not _is_int(page["lastrevid"]):
            raise bad("whose lastrevid is not a number")

    def recent_changes(self, since: str) -> tuple[list[dict[str, Any]], str | None]:
        """list=recentchanges from ``since`` (inclusive) on: edits, page creations and log
        entries (moves, deletions…), oldest first, 500 per request. Each entry, checked,
        has ``type``, ``ns``, ``title``, ``pageid``, ``revid`` (0 for log entries) and
        ``timestamp``. Also the wiki's time of the first answer, when it gave one."""
        entries: list[dict[str, Any]] = []
        until: str | None = None
        for query in self.query(
            list="recentchanges", rcprop="title|ids|timestamp|loginfo", rctype="edit|new|log",
            rcdir="newer", rcstart=since, rclimit="max", curtimestamp="1",
        ):  # fmt: skip
            until = until or query.get("curtimestamp")
            changes = query.get("recentchanges", [])
            if not isinstance(changes, list):
                raise self._malformed(f"recent changes that are not a list ({_show(changes)})")
            for change in changes:
                if (
                    not isinstance(change, dict)
                    or not isinstance(change.get("type"), str)
                    or not isinstance(change.get("title"), str)
                    or not all(_is_int(change.get(k, 0)) for k in ("ns", "pageid", "revid"))
                    or time_problem(str(change.get("timestamp", ""))) is not None
                ):
                    raise self._malformed(f"a malformed recent change ({_show(change)})")
                entries.append({"ns": 0, "pageid": 0, "revid": 0, **change})
        return entries, until

    def title_rules(self) -> tuple[bool, list[str]]:
        """(case_sensitive, namespace names) from siteinfo: how this wiki spells titles."""
        result = self.call(action="query", meta="siteinfo", siprop="general|namespaces")
        return self._title_rules_of(result.get("query"))

    def _title_rules_of(self, query: Any) -> tuple[bool, list[str]]:
        general = query.get("general") if isinstance(query, dict) else None
        namespaces = query.get("namespaces") if isinstance(query, dict) else None
        if not isinstance(general, dict) or not isinstance(namespaces, dict):
            raise WikiError(f"{self.api_url} answered siteinfo without general/namespaces")
        names = set()
        for namespace in namespaces.values():
            if isinstance(namespace, dict):
                for key in ("name", "canonical"):
                    if isinstance(namespace.get(key), str) and namespace[key]:
                        names.add(namespace[key])
        return general.get("case") == "case-sensitive", sorted(names)

    def redirect_target(self, title: str) -> str | None:
        """Where the redirect ``title`` leads (its last hop), None if it is no redirect."""
        result = self.call(action="query", titles=title, redirects="1")
        redirects = result.get("query", {}).get("redirects", [])
        if not isinstance(redirects, list) or not all(
            isinstance(r, dict) and isinstance(r.get("to"), str) for r in redirects
        ):
            raise self._malformed(f"a malformed redirect list for {title!r} ({_show(redirects)})")
        return redirects[-1]["to"] if redirects else None

    # -- revisions -------------------------------------------------------------------------------

    def current_revision(self, page_id: int) -> Revision:
        """The page's newest revision, with its content."""
        result = self.call(
            action="query",
            prop="revisions",
            pageids=page_id,
            rvprop=REVISION_PROPS,
            rvslots="main",
            rvlimit=1,
            rvdir="older",
        )
        revisions = self._page_revisions(result.get("query", {}), page_id)
        if len(revisions) != 1:
            raise self._malformed(
                f"{len(revisions)} current revisions for page id {page_id}, not one"
            )
        return revisions[0]

    def current_revisions(self, page_ids: list[int]) -> tuple[dict[int, Revision], set[int]]:
        """The newest revision, with its content, of each of up to 50 pages, in one
        request (without rvlimit MediaWiki gives each page's latest revision; its
        continuation is followed should the contents overflow one answer). Returns the
        revisions by page id and the page ids the wiki says are missing (deleted since)."""
        assert 0 < len(page_ids) <= BATCH
        found: dict[int, Revision] = {}
        missing: set[int] = set()
        params = {
            "prop": "revisions",
            "pageids": "|".join(map(str, page_ids)),
            "rvprop": REVISION_PROPS,
            "rvslots": "main",
        }
        for query in self.query(**params):
            pages = query.get("pages", [])
            if not isinstance(pages, list) or not all(isinstance(p, dict) for p in pages):
                raise self._malformed(f"a revisions query whose pages are not a list "
                                      f"({_show(pages)})")  # fmt: skip
            for page in pages:
                page_id = page.get("pageid")
                if not _is_int(page_id) or page_id not in page_ids:
                    raise self._malformed(f"a page that was not asked for ({_show(page)})")
                if page.get("missing"):
                    missing.add(page_id)
                    continue
                revisions = self._revisions_of(page, page_id)
                if len(revisions) > 1:
                    raise self._malformed(
                        f"{len(revisions)} current revisions for page id {page_id}, not one"
                    )
                if revisions:  # none: in a later part of the continuation
                    found[page_id] = revisions[0]
        for page_id in page_ids:
            if page_id not in found and page_id not in missing:
                raise self._malformed(f"no current revision for page id {page_id}")
        return found, missing

    def category_members(self, category: str, namespaces: str) -> Iterator[dict[str, Any]]:
        """The members of ``category`` (a title with its namespace prefix) in
        ``namespaces`` ('0|14': articles and subcategories), 500 per request: dicts with
        ``title`` (str) and ``ns`` (int)."""
        yield from self._listing(
            "categorymembers", "cm", cmtitle=category, cmnamespace=namespaces, cmprop="title"
        )

    def embedded_in(self, template: str, namespaces: str) -> Iterator[dict[str, Any]]:
        """The pages in ``namespaces`` that transclude ``template`` (a full title), 500 per
        request: dicts with ``title`` (str) and ``ns`` (int)."""
        yield from self._listing("embeddedin", "ei", eititle=template, einamespace=namespaces)

    def _listing(self, name: str, prefix: str, **params: Any) -> Iterator[dict[str, Any]]:
        for query in self.query(list=name, **{f"{prefix}limit": "max"}, **params):
            members = query.get(name, [])
            if not isinstance(members, list):
                raise self._malformed(f"a {name} list that is not a list ({_show(members)})")
            for member in members:
                if (
                    not isinstance(member, dict)
                    or not isinstance(member.get("title"), str)
                    or not _is_int(member.get("ns"))
                ):
                    raise self._malformed(f"a malformed {name} entry ({_show(member)})")
                yield member

    def revisions(
        self, page_id: int, *, start: str | None = None, end: str | None = None
    ) -> Iterator[list[Revision]]:
        """Batches of up to 50 revisions with content, oldest first, from ``start`` to
        ``end`` (ISO timestamps, both inclusive; None: from the page's creation, up to
        its newest revision)."""
        params: dict[str, Any] = {
            "prop": "revisions",
            "pageids": page_id,
            "rvprop": REVISION_PROPS,
            "rvslots": "main",
            "rvlimit": BATCH,
            "rvdir": "newer",
        }
        if start:
            params["rvstart"] = start
        if end:
            params["rvend"] = end
        for query in self.query(**params):
            yield self._page_revisions(query, page_id)

    def revisions_by_id(self, revids: list[int]) -> tuple[dict[int, list[Revision]], set[int]]:
        """Up to 50 revisions with content by revision id: the ones found, by page id, and
        the ids the wiki says are missing or deleted."""
        assert 0 < len(revids) <= BATCH
        found: dict[int, list[Revision]] = {}
        bad: set[int] = set()
        params = {
            "prop": "revisions",
            "revids": "|".join(map(str, revids)),
            "rvprop": REVISION_PROPS,
            "rvslots": "main",
        }
        for query in self.query(**params):
            badrevids = query.get("badrevids", {})
            if not isinstance(badrevids, dict):
                raise self._malformed(f"a malformed badrevids list ({_show(badrevids)})")
            for revid in badrevids:
                if not str(revid).isdigit():
                    raise self._malformed(f"a bad revision id that is no number ({revid!r})")
                bad.add(int(revid))
            pages = query.get("pages", [])
            if not isinstance(pages, list) or not all(isinstance(p, dict) for p in pages):
                raise self._malformed(f"a revisions query whose pages are not a list "
                                      f"({_show(pages)})")  # fmt: skip
            for page in pages:
                if not _is_int(page.get("pageid")):
                    raise self._malformed(f"a page without a page id ({_show(page)})")
                found.setdefault(page["pageid"], []).extend(
                    self._revisions_of(page, page["pageid"])
                )
        return found, bad

    def _page_revisions(self, query: dict[str, Any], page_id: int) -> list[Revision]:
        """The revisions of page ``page_id`` in a prop=revisions answer (may be none)."""
        pages = query.get("pages")
        if not isinstance(pages, list) or not pages:
            raise self._malformed(f"a revisions query for page id {page_id} without pages")
        page = next((p for p in pages if isinstance(p, dict) and p.get("pageid") == page_id), None)
        if page is None:
            raise self._malformed(
                f"a revisions query for page id {page_id} without that page ({_show(pages)})"
            )
        if page.get("missing"):
            raise PageError(
                f"{self.api_url}: page id {page_id} no longer exists on the wiki (deleted?)"
            )
        return self._revisions_of(page, page_id)

    def _revisions_of(self, page: dict[str, Any], page_id: int) -> list[Revision]:
        revisions = page.get("revisions", [])
        if not isinstance(revisions, list):
            raise self._malformed(
                f"revisions of page id {page_id} that are not a list ({_show(revisions)})"
            )
        return [revision_from_api(data, self.api_url) for data in revisions]


def revision_from_api(data: Any, api_url: str) -> Revision:
    """A revision as the API's formatversion=2 gives it, checked: a WikiError naming
    ``api_url`` says what is wrong with it."""

    def bad(what: str) -> WikiError:
        return WikiError(f"{api_url} answered a revision {what} ({_show(data)}); {_NOT_AN_API}")

    if not isinstance(data, dict):
        raise bad("that is not an object")
    if not _is_int(data.get("revid")) or data["revid"] <= 0:
        raise bad("without a revision id")
    timestamp = data.get("timestamp")
    if not isinstance(timestamp, str) or time_problem(timestamp) is not None:
        raise bad("without a timestamp like 2024-11-27T05:40:00Z")
    for name in ("parentid", "userid", "size"):
        if data.get(name) is not None and not _is_int(data[name]):
            raise bad(f"whose {name} is not a number")
    for name in ("user", "comment", "sha1"):
        if data.get(name) is not None and not isinstance(data[name], str):
            raise bad(f"whose {name} is not a string")
    slots = data.get("slots", {})
    main = slots.get("main", {}) if isinstance(slots, dict) else None
    if not isinstance(main, dict):
        raise bad("whose slots are not objects")
    text = main.get("content")
    if text is not None and not isinstance(text, str):
        raise bad("whose content is not a string")
    texthidden = bool(main.get("texthidden") or data.get("texthidden"))
    if texthidden:
        text = None
    elif text is None:
        # Not revision-deleted, yet no text: nothing to store, so it is stored as hidden.
        log.warning(
            "%s: revision %d came without its text although it is not revision-deleted "
            "(slot: %s); it is stored without text",
            api_url,
            data["revid"],
            _show({k: v for k, v in main.items() if k != "content"}),
        )
        texthidden = True
    return Revision(
        revid=data["revid"],
        parent_revid=data.get("parentid") or None,
        timestamp=timestamp,
        user=data.get("user"),
        user_id=data.get("userid"),
        anon=bool(data.get("anon")),
        comment=data.get("comment"),
        minor=bool(data.get("minor")),
        size=data.get("size"),
        sha1=None if data.get("sha1hidden") else data.get("sha1"),
        text=text,
        texthidden=texthidden,
        userhidden=bool(data.get("userhidden")),
        commenthidden=bool(data.get("commenthidden")),
        suppressed=bool(data.get("suppressed")),
    )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _plain(value: Any) -> Any:
    """``value`` with plain dicts for the OrderedDicts raw_api decodes JSON objects to."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _show(value: Any) -> str:
    """A short one-line rendering of part of an answer, for error messages."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 80 else text[:79] + "…"


def _tries(n: int) -> str:
    return f"{n} tr{'y' if n == 1 else 'ies'}"


def _lagged(response: requests.Response | None) -> TypeGuard[requests.Response]:
    """Whether ``response`` is MediaWiki's answer to a request whose maxlag was exceeded."""
    return response is not None and bool(response.headers.get("x-database-lag"))


def _retry_after(response: requests.Response | None) -> float:
    if response is None:
        return 0
    value = response.headers.get("Retry-After", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return 0  # an HTTP date; our own backoff applies
