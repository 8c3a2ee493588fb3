"""A real MediaWiki 1.39 (Debian package, SQLite) on loopback for tests.

Register the fixtures in tests/conftest.py with::

    from mediawiki_fixtures import mediawiki, mediawiki_golden  # noqa: F401

``mediawiki_golden`` (session) builds the wiki once with tests/mediawiki/build-wiki.sh:

* "2024 Syrian opposition offensives": the 30 revisions of tests/data/wiki-history.xml.gz,
  imported verbatim (timestamps, user names, comments, minor flags, text); revids 2..31.
* "Second article": 3 revisions with a small infobox (see ``SECOND_ARTICLE_REVISIONS``),
  edited at build time (current timestamps).
* "Syrian offensive 2024": a redirect to the article.
* "Long history": ``LONG_HISTORY_REVISIONS`` small revisions (see ``long_history()``), imported
  from a generated export; long enough that a backfill takes several requests (kill -9 tests).

Every api.php request is logged (``TestWiki.api_requests()``); ``TestWiki.slow_api(ms)`` delays
each one. Every recent change is appended to ``recentchanges.jsonl`` in MediaWiki's JSON RC
feed format (``TestWiki.recent_changes_file``), which the tests' EventStreams server streams.

``mediawiki`` (function) serves a private copy of it on a free port and yields a ``TestWiki``.

``mediawiki_many`` (function) does the same for the golden wiki plus ``MANY_ARTICLES``
articles (built once per session, see ``many_articles()``): BATCH_CATEGORY lists most of them
and a subcategory, BATCH_SUBCATEGORY the rest; BATCH_TEMPLATE is used by every third.
Kept apart from ``mediawiki`` so that its revision ids stay what the tests expect.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from xml.sax.saxutils import escape as xml_escape

import mwclient
import pytest
import requests
from exports import write_export  # noqa: F401 - re-exported for the tests

MW = "/usr/share/mediawiki"
ADMIN = ("Admin", "AdminPass-12345")
ARTICLE = "2024 Syrian opposition offensives"
SECOND_ARTICLE = "Second article"
REDIRECT = "Syrian offensive 2024"
LONG_HISTORY = "Long history"
LONG_HISTORY_REVISIONS = 130

MANY_ARTICLES = 320
MANY_IN_SUBCATEGORY = 20  # the last ones: only in BATCH_SUBCATEGORY
BATCH_CATEGORY = "Category:Batch articles"
BATCH_SUBCATEGORY = "Category:Batch subcategory"
BATCH_TEMPLATE = "Template:Infobox batch"

HERE = Path(__file__).resolve().parent
BUILD_SCRIPT = HERE / "mediawiki" / "build-wiki.sh"
HISTORY_XML = HERE.parent / "data" / "wiki-history.xml.gz"
USER_AGENT = "wikimon-tests"

# (user, summary, minor, text) -- applied in this order with maintenance/edit.php
SECOND_ARTICLE_REVISIONS: list[tuple[str, str, bool, str]] = [
    (
        "Admin",
        "Created page",
        False,
        "{{Infobox settlement\n| name = Exampleville\n| country = Examplestan\n"
        "| population_total = 1234\n}}\n"
        "'''Exampleville''' is a small town used by the wikimon tests.",
    ),
    (
        "Sammi Brie",
        "update population",
        False,
        "{{Infobox settlement\n| name = Exampleville\n| country = Examplestan\n"
        "| population_total = 1301\n}}\n"
        "'''Exampleville''' is a small town used by the wikimon tests.",
    ),
    (
        "Admin",
        "typo",
        True,
        "{{Infobox settlement\n| name = Exampleville\n| country = Examplestan\n"
        "| population_total = 1301\n}}\n"
        "'''Exampleville''' is a small town used by the wikimon tests.\n\n"
        "[[Category:Examples]]",
    ),
]

_EXPORT_NS = "{http://www.mediawiki.org/xml/export-0.11/}"
_COPY_IGNORE = shutil.ignore_patterns(
    "server.pid", "server.log", "fake_lag", "slow_api", "api_requests.log", "recentchanges.jsonl"
)


def load_history(path: Path = HISTORY_XML) -> list[dict[str, Any]]:
    """The revisions of the (single-page) export ``path``, oldest first, as in the XML:
    ``timestamp``, ``user`` (user name or IP), ``comment`` ('' if none), ``minor``, ``text``,
    ``sha1`` (base 36, as in the XML) and ``id`` (the enwiki revid; the wiki assigns new ones)."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        root = ET.parse(f).getroot()
    out = []
    for rev in root.iter(f"{_EXPORT_NS}revision"):
        contributor = rev.find(f"{_EXPORT_NS}contributor")
        assert contributor is not None
        out.append(
            {
                "id": int(rev.findtext(f"{_EXPORT_NS}id") or 0),
                "timestamp": rev.findtext(f"{_EXPORT_NS}timestamp"),
                "user": contributor.findtext(f"{_EXPORT_NS}username")
                or contributor.findtext(f"{_EXPORT_NS}ip"),
                "comment": rev.findtext(f"{_EXPORT_NS}comment") or "",
                "minor": rev.find(f"{_EXPORT_NS}minor") is not None,
                "text": rev.findtext(f"{_EXPORT_NS}text") or "",
                "sha1": rev.findtext(f"{_EXPORT_NS}sha1"),
            }
        )
    return out


def long_history() -> list[dict[str, Any]]:
    """The revisions of "Long history", oldest first: ``timestamp`` (one hour apart from
    2023-01-01T00:00:00Z), ``user`` (Admin, or an IP for every third), ``comment``, ``text``."""
    revisions = []
    for i in range(LONG_HISTORY_REVISIONS):
        revisions.append(
            {
                "timestamp": f"2023-01-{1 + i // 24:02d}T{i % 24:02d}:00:00Z",
                "user": ADMIN[0] if i % 3 else "192.0.2.7",
                "comment": f"step {i + 1}",
                "text": f"'''Long history''' is at step {i + 1}.\n\n"
                + "".join(f"* item {j}\n" for j in range(i % 7 + 1)),
            }
        )
    return revisions


def _long_history_xml() -> str:
    parts = [
        '<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.11/" version="0.11" '
        f'xml:lang="en">\n<page>\n<title>{LONG_HISTORY}</title>\n<ns>0</ns>\n<id>1</id>\n'
    ]
    for i, rev in enumerate(long_history(), start=1):
        if rev["user"][0].isdigit():
            who = f"<ip>{rev['user']}</ip>"
        else:
            who = f"<username>{xml_escape(rev['user'])}</username><id>1</id>"
        parts.append(
            f"<revision>\n<id>{i}</id>\n"
            + (f"<parentid>{i - 1}</parentid>\n" if i > 1 else "")
            + f"<timestamp>{rev['timestamp']}</timestamp>\n"
            f"<contributor>{who}</contributor>\n"
            f"<comment>{xml_escape(rev['comment'])}</comment>\n"
            "<model>wikitext</model>\n<format>text/x-wiki</format>\n"
            f'<text xml:space="preserve">{xml_escape(rev["text"])}</text>\n</revision>\n'
        )
    parts.append("</page>\n</mediawiki>\n")
    return "".join(parts)


def many_articles() -> list[tuple[str, str]]:
    """(title, text) of the pages ``mediawiki_many`` adds, in import order: the template,
    the subcategory, then ``MANY_ARTICLES`` articles "Batch article 001"... The template is
    used by articles 1, 4, 7...; the last ``MANY_IN_SUBCATEGORY`` are in the subcategory
    only, the others in BATCH_CATEGORY only."""
    pages = [
        (BATCH_TEMPLATE, "{| class=infobox\n| {{{name}}} || {{{casualties}}}\n|}"),
        (BATCH_SUBCATEGORY, f"Part of [[{BATCH_CATEGORY}]]."),
    ]
    for n in range(1, MANY_ARTICLES + 1):
        infobox = (
            f"{{{{Infobox batch\n| name = Batch article {n:03d}\n| casualties = {n}\n}}}}\n"
            if n % 3 == 1
            else ""
        )
        category = BATCH_SUBCATEGORY if n > MANY_ARTICLES - MANY_IN_SUBCATEGORY else BATCH_CATEGORY
        pages.append(
            (
                f"Batch article {n:03d}",
                f"{infobox}'''Batch article {n:03d}''' is one of many.\n\n[[{category}]]",
            )
        )
    return pages


def _many_articles_xml() -> str:
    parts = [
        '<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.11/" version="0.11" '
        'xml:lang="en">\n'
    ]
    for i, (title, text) in enumerate(many_articles(), start=1):
        ns = 10 if title.startswith("Template:") else 14 if title.startswith("Category:") else 0
        parts.append(
            f"<page>\n<title>{xml_escape(title)}</title>\n<ns>{ns}</ns>\n<id>{i}</id>\n"
            f"<revision>\n<id>{i}</id>\n<timestamp>2022-06-01T12:00:00Z</timestamp>\n"
            f"<contributor><username>{ADMIN[0]}</username><id>1</id></contributor>\n"
            "<comment>batch</comment>\n<model>wikitext</model>\n<format>text/x-wiki</format>\n"
            f'<text xml:space="preserve">{xml_escape(text)}</text>\n</revision>\n</page>\n'
        )
    parts.append("</mediawiki>\n")
    return "".join(parts)


def _history_users(path: Path = HISTORY_XML) -> list[str]:
    """Registered contributors of the export, spaces as underscores (for MW_USERS)."""
    with gzip.open(path, "rb") as f:
        names = {
            el.text for _, el in ET.iterparse(f) if el.tag == f"{_EXPORT_NS}username" and el.text
        }
    return sorted(name.replace(" ", "_") for name in names)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _group_alive(pgid: int) -> bool:
    """Whether any non-zombie process is left in process group ``pgid``."""
    try:
        entries = os.listdir("/proc")
    except OSError:  # no procfs: fall back to "the group still exists" (zombies included)
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        return True
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        # pid (comm) state ppid pgrp ...; comm may contain spaces and parentheses
        fields = stat[stat.rindex(b")") + 2 :].split()
        if int(fields[2]) == pgid and fields[0] not in (b"Z", b"X"):
            return True
    return False


def _php_env(wiki_dir: Path, port: int | None = None) -> dict[str, str]:
    env = dict(os.environ, MW_CONFIG_FILE=str(wiki_dir / "LocalSettings.php"))
    if port is not None:
        env["MW_PORT"] = str(port)
    return env


def _maintenance(wiki_dir: Path, script: str, *args: str, stdin: str | None = None) -> None:
    proc = subprocess.run(
        ["php", f"{MW}/maintenance/{script}", *args],
        input=stdin,
        env=_php_env(wiki_dir),
        capture_output=True,
        text=True,
        timeout=120,
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"{script} {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
        )


def build_golden(wiki_dir: Path) -> None:
    """Build the golden wiki into ``wiki_dir`` (must be empty or absent). Not served."""
    env = dict(os.environ, WIKI=str(wiki_dir), MW_USERS=" ".join(_history_users()))
    env.pop("MW_CONFIG_FILE", None)
    proc = subprocess.run(
        ["bash", str(BUILD_SCRIPT), str(HISTORY_XML)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"build-wiki.sh failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
        )
    for user, summary, minor, text in SECOND_ARTICLE_REVISIONS:
        flags = ["--minor"] if minor else []
        _maintenance(
            wiki_dir,
            "edit.php",
            "--user",
            user,
            "--summary",
            summary,
            *flags,
            SECOND_ARTICLE,
            stdin=text,
        )
    _maintenance(
        wiki_dir,
        "edit.php",
        "--user",
        ADMIN[0],
        "--summary",
        "redirect",
        REDIRECT,
        stdin=f"#REDIRECT [[{ARTICLE}]]",
    )
    export = wiki_dir / "long-history.xml"
    export.write_text(_long_history_xml(), encoding="utf-8")
    _maintenance(wiki_dir, "importDump.php", "--quiet", str(export))
    export.unlink()
    _maintenance(wiki_dir, "runJobs.php", "--quiet")


class TestWiki:
    """A private copy of the golden wiki served by ``php -S`` on ``127.0.0.1:port``.

    ``site()`` is an mwclient.Site logged in as Admin; the helpers below use it (so they work
    while ``fake_lag`` is set: they never send ``maxlag``)."""

    __test__ = False  # not a pytest test class, despite the name

    def __init__(self, wiki_dir: Path, port: int) -> None:
        self.dir = wiki_dir
        self.port = port
        self.host = f"127.0.0.1:{port}"
        self.api_url = f"http://127.0.0.1:{port}/api.php"
        self._proc: subprocess.Popen[bytes] | None = None
        self._site: mwclient.Site | None = None

    def __repr__(self) -> str:
        return f"<TestWiki {self.api_url} dir={self.dir}>"

    # --- server ---------------------------------------------------------------------------
    def start(self, timeout: float = 20.0) -> None:
        """Serve ``dir`` on ``port`` and wait until the API answers (no-op if running)."""
        if self._proc is not None and self._proc.poll() is None:
            return
        log = open(self.dir / "server.log", "ab")  # noqa: SIM115 -- closed right below
        try:
            env = _php_env(self.dir, self.port)
            env["PHP_CLI_SERVER_WORKERS"] = "2"
            self._proc = subprocess.Popen(
                [
                    "php",
                    "-d",
                    "upload_max_filesize=256M",
                    "-d",
                    "post_max_size=256M",
                    "-S",
                    self.host,
                    "-t",
                    MW,
                ],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # own process group: the workers die with it
            )
        finally:
            log.close()
        (self.dir / "server.pid").write_text(f"{self._proc.pid}\n")
        url = f"{self.api_url}?action=query&meta=siteinfo&format=json"
        deadline = time.monotonic() + timeout
        while True:
            if self._proc.poll() is not None:
                break
            try:
                r = requests.get(url, timeout=5, headers={"User-Agent": USER_AGENT})
                if r.status_code == 200 and "query" in r.json():
                    return
            except (requests.RequestException, ValueError):
                pass
            if time.monotonic() > deadline:
                break
            time.sleep(0.05)
        self.stop()
        log_tail = (self.dir / "server.log").read_text(errors="replace")[-2000:]
        raise RuntimeError(f"MediaWiki did not start on {self.host}:\n{log_tail}")

    def stop(self) -> None:
        """Kill the server's process group; afterwards the port refuses connections."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)  # proc.terminate() would orphan the workers
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
        # the workers may outlive the master by a moment (zombies do not count: they hold no
        # sockets, and whoever reaps orphans here may take a second or two)
        deadline = time.monotonic() + 5
        while _group_alive(proc.pid):
            if time.monotonic() > deadline:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                break
            time.sleep(0.01)
        with contextlib.suppress(FileNotFoundError):
            (self.dir / "server.pid").unlink()

    @property
    def recent_changes_file(self) -> Path:
        """Where the wiki appends each recent change (one JSON object a line)."""
        return self.dir / "recentchanges.jsonl"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    # --- API helpers ----------------------------------------------------------------------
    def site(self) -> mwclient.Site:
        """mwclient.Site logged in as Admin (cached)."""
        if self._site is None:
            site = mwclient.Site(self.host, path="/", scheme="http", clients_useragent=USER_AGENT)
            site.login(*ADMIN)
            self._site = site
        return self._site

    def _post(self, action: str, **params: Any) -> dict[str, Any]:
        site = self.site()
        return site.post(action, token=site.get_token("csrf"), formatversion=2, **params)

    def edit(self, title: str, text: str, summary: str = "", minor: bool = False) -> int:
        """Save ``text`` as a new revision of ``title`` (as Admin); returns the new revid."""
        flag = {"minor": 1} if minor else {"notminor": 1}
        result = self._post("edit", title=title, text=text, summary=summary, **flag)
        edit = result.get("edit", {})
        if edit.get("result") != "Success" or "newrevid" not in edit:
            raise RuntimeError(f"edit of {title!r} made no new revision: {result}")
        return int(edit["newrevid"])

    def move(self, old: str, new: str, reason: str = "") -> None:
        """Move ``old`` to ``new``, leaving a redirect behind (page id stays with ``new``)."""
        result = self._post("move", **{"from": old}, to=new, reason=reason)
        if "move" not in result:
            raise RuntimeError(f"move {old!r} -> {new!r} failed: {result}")

    def hide_revision(
        self,
        revid: int,
        *,
        text: bool = True,
        user: bool = False,
        comment: bool = False,
        suppress: bool = False,
    ) -> None:
        """Revision-delete parts of ``revid``. MediaWiki refuses to hide the text of a page's
        current revision (error ``revdelete-hide-current``); that raises RuntimeError."""
        hide = [
            name for name, on in (("content", text), ("user", user), ("comment", comment)) if on
        ]
        if not hide:
            raise ValueError("hide_revision: nothing to hide")
        result = self._post(
            "revisiondelete",
            type="revision",
            ids=str(revid),
            hide="|".join(hide),
            suppress="yes" if suppress else "nochange",
            reason="wikimon test",
        )
        rd = result.get("revisiondelete", {})
        items = rd.get("items", [])
        errors = [e for item in items for e in item.get("errors", [])]
        if rd.get("status") != "Success" or not items or errors:
            raise RuntimeError(f"hiding revision {revid} failed: {errors or result}")

    def delete_page(self, title: str, reason: str = "") -> None:
        result = self._post("delete", title=title, reason=reason)
        if "delete" not in result:
            raise RuntimeError(f"deleting {title!r} failed: {result}")

    def undelete(self, title: str, timestamps: list[str] | None = None) -> None:
        """Restore the deleted ``title``: only the revisions saved at ``timestamps`` (the
        others stay deleted: asking for them by revid says ``missing``), or all of them.
        The page keeps its page id."""
        params = {"timestamps": "|".join(timestamps)} if timestamps is not None else {}
        result = self._post("undelete", title=title, reason="wikimon test", **params)
        if "undelete" not in result:
            raise RuntimeError(f"undeleting {title!r} failed: {result}")

    def fake_lag(self, seconds: int | None) -> None:
        """Make the wiki report ``seconds`` of replica lag (None: no lag). API requests with
        ``maxlag`` below it then fail with error ``maxlag`` and a ``Retry-After`` header."""
        path = self.dir / "fake_lag"
        if seconds is None:
            path.unlink(missing_ok=True)
        else:
            path.write_text(str(int(seconds)))

    def slow_api(self, milliseconds: int | None) -> None:
        """Delay every api.php request by ``milliseconds`` (None: no delay)."""
        path = self.dir / "slow_api"
        if milliseconds is None:
            path.unlink(missing_ok=True)
        else:
            path.write_text(str(int(milliseconds)))

    def api_requests(self) -> list[dict[str, Any]]:
        """Every api.php request served so far, oldest first: ``method``, ``uri`` (path and
        query string), ``ua`` (User-Agent), ``post_action`` and ``params`` (the query string as
        a dict of str). Logged by the wiki itself (ApiBeforeMain), before the maxlag check."""
        path = self.dir / "api_requests.log"
        if not path.exists():
            return []
        out = []
        for line in path.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            query = urlsplit(entry["uri"]).query
            entry["params"] = dict(parse_qsl(query, keep_blank_values=True))
            out.append(entry)
        return out

    def _query(self, anonymous: bool, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        params = {"format": "json", "formatversion": 2, **params}
        cont: dict[str, Any] = {"continue": ""}
        while True:
            if anonymous:
                r = requests.get(
                    self.api_url,
                    params={"action": "query", **params, **cont},
                    timeout=60,
                    headers={"User-Agent": USER_AGENT},
                )
                r.raise_for_status()
                result = r.json()
            else:
                result = self.site().get("query", **{**params, **cont})
            if "error" in result:
                raise RuntimeError(f"query failed: {result['error']}")
            yield result
            if "continue" not in result:
                return
            cont = result["continue"]

    def revisions(
        self, title: str, *, anonymous: bool = False, chunk_size: int | str = "max"
    ) -> list[dict[str, Any]]:
        """All revisions of ``title`` oldest first, as the API (formatversion=2, rvslots=main)
        returns them: revid, parentid, minor, user, userid, timestamp, size, sha1 (hex),
        comment, slots -- plus ``content`` = slots.main.content (None when hidden).
        As Admin by default (who also sees hidden content); ``anonymous=True`` reads without
        logging in. Redirects are not followed; a missing page gives []. Continuation is
        followed (``chunk_size`` = rvlimit; with content "max" means 50)."""
        params = {
            "prop": "revisions",
            "titles": title,
            "rvprop": "ids|flags|timestamp|user|userid|comment|sha1|size|content",
            "rvslots": "main",
            "rvlimit": chunk_size,
            "rvdir": "newer",
        }
        revs: list[dict[str, Any]] = []
        for result in self._query(anonymous, params):
            for page in result.get("query", {}).get("pages", []):
                for rev in page.get("revisions", []):
                    rev["content"] = rev.get("slots", {}).get("main", {}).get("content")
                    revs.append(rev)
        return revs

    def page_id(self, title: str) -> int | None:
        """The page id of ``title`` (redirects not followed), None if it does not exist."""
        for result in self._query(False, {"titles": title}):
            for page in result.get("query", {}).get("pages", []):
                if not page.get("missing") and not page.get("invalid") and "pageid" in page:
                    return int(page["pageid"])
        return None


@pytest.fixture(scope="session")
def mediawiki_golden(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Directory of the golden wiki, built once per session (about 10-15 s). Do not modify it."""
    if not os.path.isfile(f"{MW}/api.php"):
        pytest.fail(
            "MediaWiki is not installed: run `make test`, which installs the Debian packages"
        )
    wiki_dir = tmp_path_factory.mktemp("mediawiki-golden")
    build_golden(wiki_dir)
    return wiki_dir


@pytest.fixture(scope="session")
def mediawiki_many_golden(mediawiki_golden: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The golden wiki plus the pages of ``many_articles()``, built once per session."""
    wiki_dir = tmp_path_factory.mktemp("mediawiki-many") / "wiki"
    shutil.copytree(mediawiki_golden, wiki_dir, ignore=_COPY_IGNORE)
    export = wiki_dir / "many-articles.xml"
    export.write_text(_many_articles_xml(), encoding="utf-8")
    _maintenance(wiki_dir, "importDump.php", "--quiet", str(export))
    export.unlink()
    _maintenance(wiki_dir, "runJobs.php", "--quiet")
    return wiki_dir


@pytest.fixture
def mediawiki(mediawiki_golden: Path, tmp_path: Path) -> Iterator[TestWiki]:
    """A fresh copy of the golden wiki, served on a free loopback port for this test."""
    yield from _serve(mediawiki_golden, tmp_path)


@pytest.fixture
def mediawiki_many(mediawiki_many_golden: Path, tmp_path: Path) -> Iterator[TestWiki]:
    """A fresh copy of the golden wiki with ``many_articles()``, served like ``mediawiki``."""
    yield from _serve(mediawiki_many_golden, tmp_path)


def _serve(golden: Path, tmp_path: Path) -> Iterator[TestWiki]:
    wiki_dir = tmp_path / "wiki"
    shutil.copytree(golden, wiki_dir, ignore=_COPY_IGNORE)
    for attempt in range(3):
        wiki = TestWiki(wiki_dir, _free_port())
        try:
            wiki.start()
            break
        except RuntimeError:  # e.g. the free port was taken in between
            if attempt == 2:
                raise
    try:
        yield wiki
    finally:
        wiki.stop()
