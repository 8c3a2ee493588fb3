"""config.yaml: which wikis, which articles, who to contact. Errors name the file, line and key."""

from __future__ import annotations

import fnmatch
import hashlib
import math
import os
import re
import warnings
import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parseaddr
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from .addresses import is_address, needs_smtputf8
from .errors import ConfigError, InvalidTitle
from .links import PLAIN_NAME, safe_name
from .sources.titles import normalize_title

if TYPE_CHECKING:
    import yaml

DEFAULT_DATABASE = "wikimon.db"
DEFAULT_WIKIS = {"enwiki": "https://en.wikipedia.org/w/api.php"}

KeyPath = tuple[str | int, ...]  # where a value is in the file: ("articles", 2, "title")


DEFAULT_POLL_INTERVAL = 600.0  # seconds
DEFAULT_JITTER = 30.0
DEFAULT_OUTBOX = "outbox"
DEFAULT_RETRY = 300.0  # seconds before another try at delivering a digest
DEFAULT_STREAM_URL = "https://stream.wikimedia.org/v2/stream/recentchange"
STREAM_SAFETY_NET = 3600.0  # seconds: the default poll interval of a wiki whose stream is on
DEFAULT_HOLD = 600.0  # seconds an alert waits for a revert
WEBHOOK_TIMEOUT = 10.0


@dataclass(frozen=True)
class RetryPolicy:
    """The config's ``http:``: how the API client retries (see sources/api.py)."""

    max_tries: int = 5
    backoff: float = 2.0  # seconds before the 2nd try; doubles each time
    max_delay: float = 300.0
    timeout: float = 60.0


@dataclass(frozen=True)
class WikiConfig:
    name: str
    api_url: str
    interval: float | None = None  # poll interval in seconds; None: the poll: default
    stream: bool = False  # listen to the recentchange EventStream (`wikimon run`)
    stream_url: str = DEFAULT_STREAM_URL
    recentchanges: bool = False  # one list=recentchanges request per poll, not prop=info per 50

    @property
    def host(self) -> str:
        return urlsplit(self.api_url).netloc

    @property
    def server_url(self) -> str:
        """scheme://host[:port], as a recent change's ``server_url`` names its wiki."""
        parts = urlsplit(self.api_url)
        return f"{parts.scheme}://{parts.netloc}"


@dataclass(frozen=True)
class ArticleConfig:
    title: str
    wiki: str
    infobox: str | None = None  # the infobox template to read, if not the first "Infobox …"
    interval: float | None = None  # poll interval in seconds; None: the wiki's


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    tls: str  # starttls | ssl | none
    user: str | None
    password_env: str | None  # the name of the environment variable holding the password
    sender: str  # the From: address
    timeout: float = 30.0
    retry: float = DEFAULT_RETRY  # seconds between attempts to deliver a digest that failed

    def password(self) -> str | None:
        if self.password_env is None:
            return None
        value = os.environ.get(self.password_env)
        if value is None:
            raise ConfigError(
                f"smtp.password_env: the environment variable {self.password_env} is not set; "
                f"export it with the SMTP password of {self.user}"
            )
        return value


class ChangeFilter(Protocol):
    """What digests and alerts select: fields by pattern, figure changes by thresholds."""

    def wants_field(self, name: str) -> bool: ...

    def wants_figure_change(self, old: int | None, new: int | None) -> bool: ...


def moves_enough(
    old: int | None, new: int | None, min_change: int | None, min_percent: float | None
) -> bool:
    """Thresholds: a figure change counts if it moves by at least min_change or by at least
    min_percent (either suffices); without thresholds, always."""
    if min_change is None and min_percent is None:
        return True
    if old is None or new is None:
        return True  # a figure that appears or vanishes is always news
    moved = abs(new - old)
    if min_change is not None and moved >= min_change:
        return True
    return min_percent is not None and (moved * 100 >= min_percent * abs(old) if old else moved > 0)


class Trigger(Protocol):
    """What wikimon asks of an APScheduler trigger (APScheduler 3 has no type hints)."""

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None: ...


@dataclass(frozen=True)
class DigestConfig:
    name: str
    to: tuple[str, ...] = ()  # empty: the outbox only
    articles: tuple[str, ...] | None = None  # titles; None: every stored article
    fields: tuple[str, ...] | None = None  # glob patterns such as casualties*; None: all
    min_change: int | None = None  # report a figure change only if it moves by >= this
    min_percent: float | None = None  # ... or by >= this percentage
    cron: str | None = "0 7 * * *"  # when to send, in ``timezone``
    every: float | None = None  # or every so many seconds
    timezone: str = "UTC"
    send_empty: bool = False

    def trigger(self) -> Trigger:
        """The APScheduler trigger of this schedule."""
        from apscheduler.triggers.cron import CronTrigger
        from apscheduler.triggers.interval import IntervalTrigger

        trigger: Trigger
        if self.every is not None:
            trigger = IntervalTrigger(seconds=self.every, timezone=self.timezone)
        else:
            trigger = CronTrigger.from_crontab(self.cron, timezone=self.timezone)
        return trigger

    def wants_field(self, name: str) -> bool:
        return self.fields is None or any(fnmatch.fnmatchcase(name, p) for p in self.fields)

    def wants_figure_change(self, old: int | None, new: int | None) -> bool:
        return moves_enough(old, new, self.min_change, self.min_percent)


DEFAULT_DIGEST = DigestConfig("daily")


@dataclass(frozen=True)
class Channel:
    """Where an alert goes: an apprise URL (inline, or read from an environment variable)
    or a native webhook (POST of the change records, signed)."""

    kind: str  # apprise | webhook
    url: str | None = None  # None: read from ``url_env`` when sending
    url_env: str | None = None
    secret_env: str | None = None  # webhooks: the variable holding the HMAC secret
    timeout: float = WEBHOOK_TIMEOUT

    @property
    def key(self) -> str:
        """A stable name of the channel for the delivery records, with no secret in it
        (a changed URL is another channel)."""
        spec = f"{self.kind}\0{self.url or ''}\0{self.url_env or ''}"
        return hashlib.sha256(spec.encode()).hexdigest()[:16]

    @property
    def label(self) -> str:
        """How logs and commands name it: the webhook's URL without its query, an apprise
        URL's scheme and host, or the environment variable it is read from."""
        if self.url is None:
            return f"{self.kind} ${self.url_env}"
        parts = urlsplit(self.url)
        host = parts.hostname or ""
        if parts.port:
            host += f":{parts.port}"
        path = parts.path if self.kind == "webhook" else ("/…" if parts.path.strip("/") else "")
        return f"{self.kind} {parts.scheme}://{host}{path}"

    def target(self) -> str:
        """The URL to send to (from the environment when so configured)."""
        if self.url is not None:
            return self.url
        assert self.url_env is not None
        value = os.environ.get(self.url_env, "").strip()
        if not value:
            raise ConfigError(
                f"alerts: the environment variable {self.url_env} is not set; export it with "
                "the apprise URL of the channel"
            )
        return value

    def secret(self) -> bytes | None:
        if self.secret_env is None:
            return None
        value = os.environ.get(self.secret_env)
        if not value:
            raise ConfigError(
                f"alerts: the environment variable {self.secret_env} is not set; export it "
                "with the webhook's signing secret"
            )
        return value.encode("utf-8")


@dataclass(frozen=True)
class AlertRule:
    """An ``alerts:`` rule: which changes, how long to hold them, where they go."""

    name: str
    channels: tuple[Channel, ...]
    articles: tuple[str, ...] | None = None  # titles; None: every tracked article
    fields: tuple[str, ...] | None = None  # glob patterns; None: all
    min_change: int | None = None
    min_percent: float | None = None
    hold: float = DEFAULT_HOLD  # seconds a change waits for a revert
    max_hold: float | None = None  # an article never quiet for ``hold`` is alerted after this

    def wants_field(self, name: str) -> bool:
        return self.fields is None or any(fnmatch.fnmatchcase(name, p) for p in self.fields)

    def wants_figure_change(self, old: int | None, new: int | None) -> bool:
        return moves_enough(old, new, self.min_change, self.min_percent)

    @property
    def longest_hold(self) -> float:
        return self.max_hold if self.max_hold is not None else 6 * self.hold


@dataclass
class Config:
    path: Path | None = None
    contact: str | None = None
    database: str = DEFAULT_DATABASE
    wikis: dict[str, WikiConfig] = field(
        default_factory=lambda: {n: WikiConfig(n, u) for n, u in DEFAULT_WIKIS.items()}
    )
    articles: list[ArticleConfig] = field(default_factory=list)
    http: RetryPolicy = field(default_factory=RetryPolicy)
    poll_interval: float = DEFAULT_POLL_INTERVAL
    poll_jitter: float = DEFAULT_JITTER
    smtp: SmtpConfig | None = None  # None: digests go to the outbox directory
    outbox: str = DEFAULT_OUTBOX
    digests: list[DigestConfig] = field(default_factory=lambda: [DEFAULT_DIGEST])
    report_url: str | None = None  # where `wikimon report` pages are published, for links
    log: str | None = None  # the daemon's log file; None: stderr
    notes: list[str] = field(default_factory=list)  # what a valid setting will do (file:line)
    alerts: list[AlertRule] = field(default_factory=list)

    @property
    def default_wiki(self) -> str:
        return next(iter(self.wikis))

    def wiki(self, name: str | None) -> WikiConfig:
        if name is None:
            return self.wikis[self.default_wiki]
        if name not in self.wikis:
            where = f" in {self.path}" if self.path else ""
            raise ConfigError(
                f"unknown wiki {name!r}: the wikis configured{where} are "
                + ", ".join(sorted(self.wikis))
            )
        return self.wikis[name]

    def infobox_for(self, wiki: str, title: str) -> str | None:
        """The configured infobox template of an article (None: the first Infobox)."""
        return next((a.infobox for a in self.articles if a.wiki == wiki and a.title == title), None)

    def wiki_for_host(self, host: str) -> WikiConfig | None:
        return next((w for w in self.wikis.values() if w.host == host), None)

    @property
    def retry_interval(self) -> float:
        """Seconds before another try at delivering a digest."""
        return self.smtp.retry if self.smtp is not None else DEFAULT_RETRY

    def poll_interval_for(self, wiki: str, title: str) -> float:
        """Seconds between polls of an article: its own interval, else its wiki's, else the
        poll: default."""
        article = next((a for a in self.articles if a.wiki == wiki and a.title == title), None)
        if article is not None and article.interval is not None:
            return article.interval
        wiki_config = self.wikis.get(wiki)
        if wiki_config is not None and wiki_config.interval is not None:
            return wiki_config.interval
        if wiki_config is not None and wiki_config.stream:
            # the stream brings edits at once; polling is the slow safety net
            return max(self.poll_interval, STREAM_SAFETY_NET)
        return self.poll_interval

    def digest(self, name: str) -> DigestConfig:
        for digest in self.digests:
            if digest.name == name:
                return digest
        raise ConfigError(
            f"no digest named {name!r}; configured: {', '.join(d.name for d in self.digests)}"
        )

    def alert_rule(self, name: str) -> AlertRule | None:
        return next((rule for rule in self.alerts if rule.name == name), None)


WIKI_NAME_RULE = (
    "wiki names are 1 to 64 letters, digits, '.', '_' or '-', and do not start with '.'"
)


def is_wiki_name(name: str) -> bool:
    """A name wikimon can use for a wiki: in paths of the report, in --wiki, in the config."""
    return bool(PLAIN_NAME.fullmatch(name))


def wiki_name(name: str) -> str:
    """``name`` if it is a wiki name, else a slug of it that is one (an export's
    ``<dbname>`` such as ``../../x`` must not become a path)."""
    return safe_name(name, fallback="imported")


# What a config needs is small; YAML can say a lot in a few bytes (353 bytes of nested
# aliases expand to gigabytes; 20,000 brackets overflow the stack): limits checked before
# anything is built.
MAX_CONFIG_BYTES = 1 << 20
MAX_DEPTH = 32  # mappings and lists within each other
MAX_ALIASES = 100  # *name references to &name anchors
MAX_VALUES = 100_000  # values once aliases are expanded


class _Located:
    """The YAML document as Python values, plus the line of every mapping key."""

    def __init__(self, path: Path, text: str):
        import yaml  # here: `--help`, `--version` and no config file start without it

        self.path = path
        try:
            self._check_size(text)
            node = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            line = f":{mark.line + 1}" if mark else ""
            problem = getattr(error, "problem", None) or str(error)
            raise ConfigError(f"{path}{line}: not valid YAML: {problem}") from None
        self.lines: dict[KeyPath, int] = {}
        self.values = 0
        self.value = self._convert(node, ()) if node is not None else {}

    def _check_size(self, text: str) -> None:
        """Refuse deep nesting and many aliases from the parser's events, before
        composing (which recurses) or expanding aliases."""
        import yaml

        depth = aliases = 0
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            line = event.start_mark.line + 1 if event.start_mark else 1
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise ConfigError(
                        f"{self.path}:{line}: nested more than {MAX_DEPTH} levels deep; "
                        "refused (a config needs a few)"
                    )
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
            elif isinstance(event, yaml.AliasEvent):
                aliases += 1
                if aliases > MAX_ALIASES:
                    raise ConfigError(
                        f"{self.path}:{line}: more than {MAX_ALIASES} YAML aliases (*name); "
                        "refused before expanding any (an alias bomb?)"
                    )

    def _convert(self, node: yaml.Node, key_path: KeyPath) -> Any:
        import yaml

        self.values += 1
        if self.values > MAX_VALUES:
            raise self._error_at(
                node.start_mark.line + 1,
                key_path[:1],
                f"its YAML aliases expand to more than {MAX_VALUES:,} values; refused (an "
                "alias bomb?)",
            )
        self.lines.setdefault(key_path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            result = {}
            for key_node, value_node in node.value:
                line = key_node.start_mark.line + 1
                if not isinstance(key_node, yaml.ScalarNode):
                    raise self._error_at(line, key_path, "keys must be plain names")
                key = key_node.value
                if key in result:
                    # YAML would silently keep the last one: a second `enwiki:` is a mistake
                    raise self._error_at(line, key_path + (key,), "duplicate key")
                self.lines[key_path + (key,)] = line
                result[key] = self._convert(value_node, key_path + (key,))
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self._convert(item, key_path + (i,)) for i, item in enumerate(node.value)]
        try:
            return yaml.SafeLoader("").construct_object(node)
        except yaml.YAMLError as error:
            problem = getattr(error, "problem", None) or str(error).splitlines()[0]
            raise self._error_at(node.start_mark.line + 1, key_path, problem) from None

    def _error_at(self, line: int, key_path: KeyPath, message: str) -> ConfigError:
        dotted = ".".join(str(k) for k in key_path) or "(top level)"
        return ConfigError(f"{self.path}:{line}: {dotted}: {message}")

    def error(self, key_path: KeyPath, message: str) -> ConfigError:
        return ConfigError(self.where(key_path, message))

    def where(self, key_path: KeyPath, message: str) -> str:
        """``message`` after file:line: key of the value at ``key_path``."""
        line = self.lines.get(key_path)
        while line is None and key_path:
            key_path = key_path[:-1]
            line = self.lines.get(key_path)
        dotted = ".".join(str(k) for k in key_path) or "(top level)"
        return f"{self.path}:{line or 1}: {dotted}: {message}"


KNOWN_TOP_LEVEL = {
    "contact", "database", "wikis", "articles", "http", "poll", "smtp", "outbox", "digests",
    "report_url", "log", "alerts",
}  # fmt: skip
WIKI_KEYS = ("api", "interval", "stream", "stream_url", "recentchanges")
HTTP_KEYS = ("timeout", "max_tries", "backoff", "max_delay")  # RetryPolicy's fields


def load_config(path: str | os.PathLike[str] | None) -> Config:
    """Read config.yaml; ``None`` gives the embedded defaults."""
    if path is None:
        return Config()
    path = Path(path)
    try:
        with open(path, "rb") as file:
            raw = file.read(MAX_CONFIG_BYTES + 1)
        if len(raw) > MAX_CONFIG_BYTES:
            raise ConfigError(
                f"{path}: over {MAX_CONFIG_BYTES >> 20} MB; refused (a config is a few lines: "
                "is this the right file?)"
            )
        text = raw.decode("utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot read the config file ({error})") from None
    doc = _Located(path, text)
    data = doc.value
    if not isinstance(data, dict):
        raise doc.error((), "the config must be a mapping of keys such as wikis: and articles:")
    for key in data:
        if key not in KNOWN_TOP_LEVEL:
            raise doc.error(
                (key,), f"unknown key; expected one of {', '.join(sorted(KNOWN_TOP_LEVEL))}"
            )
    config = Config(path=path)

    contact = data.get("contact")
    if contact is not None:
        if not isinstance(contact, str) or not contact.strip():
            raise doc.error(("contact",), "must be an e-mail address or URL to reach you")
        if re.search(r"[\r\n]", contact):
            raise doc.error(("contact",), "must be on one line")
        config.contact = contact.strip()

    database = data.get("database", DEFAULT_DATABASE)
    if not isinstance(database, str) or not database.strip():
        raise doc.error(("database",), "must be the path of the SQLite file")
    # A relative database path is relative to the config file, not to the current directory.
    config.database = str((path.parent / database) if not os.path.isabs(database) else database)

    wikis = data.get("wikis")
    if wikis is not None:
        if not isinstance(wikis, dict) or not wikis:
            raise doc.error(("wikis",), "must map a wiki name to its settings (api: URL)")
        config.wikis = {}
        for name, settings in wikis.items():
            if not isinstance(name, str) or not is_wiki_name(name):
                raise doc.error(("wikis", name), WIKI_NAME_RULE)
            if not isinstance(settings, dict):
                raise doc.error(("wikis", name), "must be a mapping with an api: URL")
            for key in settings:
                if key not in WIKI_KEYS:
                    raise doc.error(
                        ("wikis", name, key), f"unknown key; expected one of {', '.join(WIKI_KEYS)}"
                    )
            api = settings.get("api")
            if (
                not isinstance(api, str)
                or (parts := urlsplit(api)).scheme not in ("http", "https")
                or not parts.netloc
            ):
                raise doc.error(
                    ("wikis", name, "api"),
                    "must be the URL of api.php, e.g. https://en.wikipedia.org/w/api.php",
                )
            if not parts.path.endswith("api.php"):
                raise doc.error(("wikis", name, "api"), f"{api!r} does not end in api.php")
            interval = _duration(doc, ("wikis", name, "interval"), settings.get("interval"))
            flags = {}
            for key in ("stream", "recentchanges"):
                flags[key] = settings.get(key, False)
                if not isinstance(flags[key], bool):
                    raise doc.error(("wikis", name, key), "must be true or false")
            stream_url = settings.get("stream_url", DEFAULT_STREAM_URL)
            if (
                not isinstance(stream_url, str)
                or urlsplit(stream_url).scheme not in ("http", "https")
                or not urlsplit(stream_url).netloc
            ):
                raise doc.error(
                    ("wikis", name, "stream_url"),
                    f"must be the URL of a recentchange event stream, e.g. {DEFAULT_STREAM_URL}",
                )
            config.wikis[name] = WikiConfig(name, api, interval, stream_url=stream_url, **flags)

    http = data.get("http") or {}
    if not isinstance(http, dict):
        raise doc.error(("http",), f"must be a mapping with {', '.join(HTTP_KEYS)}")
    max_tries = RetryPolicy.max_tries
    seconds: dict[str, float] = {}  # the policy's other settings, all in seconds
    for key, value in http.items():
        if key not in HTTP_KEYS:
            raise doc.error(("http", key), f"unknown key; expected one of {', '.join(HTTP_KEYS)}")
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or value <= 0
        ):
            raise doc.error(("http", key), "must be a positive number")
        if key != "max_tries":
            seconds[key] = float(value)
        elif isinstance(value, int):
            max_tries = value
        else:
            raise doc.error(("http", key), "must be a whole number")
    config.http = RetryPolicy(max_tries, **seconds)

    articles = data.get("articles", [])
    if articles is None:
        articles = []
    if not isinstance(articles, list):
        raise doc.error(("articles",), "must be a list of articles (- title: ...)")
    for i, item in enumerate(articles):
        if isinstance(item, str):
            item = {"title": item}
        if not isinstance(item, dict):
            raise doc.error(("articles", i), "must be a title or a mapping with title: and wiki:")
        for key in item:
            if key not in ("title", "wiki", "infobox", "interval"):
                raise doc.error(
                    ("articles", i, key), "unknown key; expected title, wiki, infobox or interval"
                )
        title = item.get("title")
        if not isinstance(title, str):
            raise doc.error(("articles", i, "title"), "each article needs a title")
        try:
            title = normalize_title(title)
        except InvalidTitle as error:
            raise doc.error(("articles", i, "title"), str(error)) from None
        wiki = item.get("wiki", config.default_wiki)
        if not isinstance(wiki, str) or wiki not in config.wikis:
            raise doc.error(
                ("articles", i, "wiki"),
                f"unknown wiki {wiki!r}; configured: {', '.join(sorted(config.wikis))}",
            )
        infobox = item.get("infobox")
        if infobox is not None and (not isinstance(infobox, str) or not infobox.strip()):
            raise doc.error(("articles", i, "infobox"), "must be a template name")
        interval = _duration(doc, ("articles", i, "interval"), item.get("interval"))
        config.articles.append(
            ArticleConfig(title, wiki, infobox.strip() if infobox else None, interval)
        )

    poll = data.get("poll") or {}
    if not isinstance(poll, dict):
        raise doc.error(("poll",), "must be a mapping with interval: and jitter:")
    for key in poll:
        if key not in ("interval", "jitter"):
            raise doc.error(("poll", key), "unknown key; expected interval or jitter")
    config.poll_interval = _duration(doc, ("poll", "interval"), poll.get("interval")) or (
        DEFAULT_POLL_INTERVAL
    )
    jitter = poll.get("jitter")
    config.poll_jitter = (
        DEFAULT_JITTER if jitter is None else _seconds(doc, ("poll", "jitter"), jitter, zero=True)
    )

    for key in ("outbox", "log", "report_url"):
        value = data.get(key)
        if value is None:
            continue
        if not isinstance(value, str) or not value.strip() or re.search(r"[\r\n]", value):
            raise doc.error((key,), "must be a path" if key != "report_url" else "must be a URL")
        if key == "report_url":
            if urlsplit(value).scheme not in ("http", "https", "file"):
                raise doc.error((key,), "must be an http(s):// or file:// URL")
            config.report_url = value.rstrip("/") + "/"
        else:
            resolved = value if os.path.isabs(value) else str(path.parent / value)
            setattr(config, key, resolved)
    if "outbox" not in data:
        config.outbox = str(path.parent / DEFAULT_OUTBOX)

    if data.get("smtp") is not None:
        config.smtp = _smtp(doc, data["smtp"])
    if "digests" in data:
        config.digests = _digests(doc, data["digests"])
        config.notes += _recipient_notes(doc, config)
    if data.get("alerts") is not None:
        config.alerts = _alerts(doc, data["alerts"])
    return config


def _recipient_notes(doc: _Located, config: Config) -> list[str]:
    """What will happen to recipients with letters beyond ASCII before the @."""
    notes = []
    for i, digest in enumerate(config.digests):
        for j, address in enumerate(digest.to):
            if not needs_smtputf8(address):
                continue  # a non-ASCII domain is sent in its IDNA form: nothing to say
            if config.smtp is not None:
                fate = (
                    f"it is sent only if {config.smtp.host} offers SMTPUTF8 (else this "
                    "recipient alone is refused, and told so), and never shown in the To: "
                    "header, which stays ASCII for the others"
                )
            else:
                fate = "it is not shown in the To: header of the outbox files (ASCII only)"
            notes.append(
                doc.where(
                    ("digests", i, "to", j),
                    f"{address} has letters beyond ASCII before the @: {fate}",
                )
            )
    return notes


_DURATION = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*(s|m|h|d)?\s*$")
_UNITS = {None: 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def _duration(doc: _Located, key_path: KeyPath, value: Any) -> float | None:
    """Seconds from 90, "90s", "10m", "1h" or "1d"; None when the key is not given."""
    return None if value is None else _seconds(doc, key_path, value)


def _seconds(doc: _Located, key_path: KeyPath, value: Any, *, zero: bool = False) -> float:
    """Seconds from 90, "90s", "10m", "1h" or "1d" (or 0, when ``zero`` is allowed)."""
    seconds = None
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        seconds = float(value)
    elif isinstance(value, str) and (match := _DURATION.match(value)):
        seconds = float(match[1]) * _UNITS[match[2]]
    if seconds is None or seconds < 0 or (seconds == 0 and not zero):
        raise doc.error(key_path, f"{value!r} is not a duration such as 90s, 10m, 1h or 1d")
    return seconds


def _address(doc: _Located, key_path: KeyPath, value: Any, *, display_name: bool = False) -> str:
    """An e-mail address (with a display name if allowed): one line, nothing to inject, a
    domain that IDNA can write in ASCII."""
    from email.utils import parseaddr

    if not isinstance(value, str) or re.search(r"[\x00-\x1f\x7f]", value):
        raise doc.error(key_path, "must be an e-mail address on one line")
    name, address = parseaddr(value)
    if (
        not is_address(address)
        or (name and not display_name)
        or (not name and address != value.strip().strip("<>"))
    ):
        raise doc.error(key_path, f"{value!r} is not an e-mail address such as you@example.org")
    return value.strip()


SMTP_KEYS = ("host", "port", "tls", "user", "password_env", "from", "timeout", "retry")


def _smtp(doc: _Located, smtp: Any) -> SmtpConfig:
    if not isinstance(smtp, dict):
        raise doc.error(("smtp",), "must be a mapping with host:, port:, tls:, user: ...")
    for key in smtp:
        if key == "password":
            raise doc.error(
                ("smtp", key),
                "the password never goes in the file: put it in an environment variable and "
                "name that variable in password_env:",
            )
        if key not in SMTP_KEYS:
            raise doc.error(("smtp", key), f"unknown key; expected one of {', '.join(SMTP_KEYS)}")
    host = smtp.get("host")
    if not isinstance(host, str) or not re.fullmatch(r"[A-Za-z0-9.:\[\]_-]+", host):
        raise doc.error(("smtp", "host"), "must be a host name such as smtp.example.org")
    tls = smtp.get("tls", "starttls")
    if tls not in ("starttls", "ssl", "none"):
        raise doc.error(("smtp", "tls"), "must be starttls, ssl or none")
    port = smtp.get("port", {"starttls": 587, "ssl": 465, "none": 25}[tls])
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise doc.error(("smtp", "port"), "must be a port number (1-65535)")
    user = smtp.get("user")
    if user is not None and (not isinstance(user, str) or re.search(r"[\x00-\x1f]", user)):
        raise doc.error(("smtp", "user"), "must be a user name on one line")
    password_env = smtp.get("password_env")
    if password_env is not None and (
        not isinstance(password_env, str)
        or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", password_env)
    ):
        raise doc.error(
            ("smtp", "password_env"),
            "must be the NAME of an environment variable holding the password (never the "
            "password itself)",
        )
    if user is not None and tls == "none" and host not in ("localhost", "127.0.0.1", "::1"):
        raise doc.error(
            ("smtp", "tls"),
            f"tls: none would send the password of {user} in clear text to {host}; use "
            "starttls or ssl",
        )
    if user is not None and password_env is None:
        raise doc.error(
            ("smtp", "user"),
            "needs password_env: the name of the environment variable with the password",
        )
    sender = smtp.get("from")
    if sender is None:
        sender = user if isinstance(user, str) and "@" in user else f"wikimon@{host}"
    sender = _address(doc, ("smtp", "from"), sender, display_name=True)
    if needs_smtputf8(parseaddr(sender)[1]):
        raise doc.error(
            ("smtp", "from"),
            f"{sender!r}: the sender's address must be ASCII before the @ (every server "
            "must accept it)",
        )
    return SmtpConfig(
        host=host,
        port=port,
        tls=tls,
        user=user,
        password_env=password_env,
        sender=sender,
        timeout=_duration(doc, ("smtp", "timeout"), smtp.get("timeout")) or 30.0,
        retry=_duration(doc, ("smtp", "retry"), smtp.get("retry")) or DEFAULT_RETRY,
    )


DIGEST_KEYS = (
    "name", "to", "articles", "fields", "min_change", "min_percent", "schedule", "every",
    "timezone", "send_empty",
)  # fmt: skip


def _digests(doc: _Located, digests: Any) -> list[DigestConfig]:
    from apscheduler.triggers.cron import CronTrigger

    if not isinstance(digests, list):
        raise doc.error(("digests",), "must be a list of digests (- name: ...)")
    result: list[DigestConfig] = []
    for i, item in enumerate(digests):
        at = ("digests", i)
        if not isinstance(item, dict):
            raise doc.error(at, "must be a mapping with name:, to:, schedule: ...")
        for key in item:
            if key not in DIGEST_KEYS:
                raise doc.error(
                    at + (key,), f"unknown key; expected one of {', '.join(DIGEST_KEYS)}"
                )
        name = item.get("name", "daily" if i == 0 else None)
        if not isinstance(name, str) or not PLAIN_NAME.fullmatch(name):
            raise doc.error(
                at + ("name",), "each digest needs a name (letters, digits, . _ -, not first .)"
            )
        if name in {d.name for d in result}:
            raise doc.error(at + ("name",), f"another digest is already named {name!r}")
        to = item.get("to", [])
        to = [to] if isinstance(to, str) else to
        if not isinstance(to, list):
            raise doc.error(at + ("to",), "must be an address or a list of addresses")
        recipients = tuple(_address(doc, at + ("to", j), a) for j, a in enumerate(to))
        titles, fields, min_change, min_percent = _selection(doc, at, item)
        timezone = item.get("timezone", "UTC")
        try:
            zoneinfo.ZoneInfo(timezone if isinstance(timezone, str) else "")
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise doc.error(
                at + ("timezone",), f"{timezone!r} is not a time zone such as Europe/Paris"
            ) from None
        schedule, every = item.get("schedule"), item.get("every")
        if schedule is not None and every is not None:
            raise doc.error(at + ("every",), "give schedule: (cron) or every:, not both")
        if every is not None:
            every = _duration(doc, at + ("every",), every)
            schedule = None
        else:
            schedule = "0 7 * * *" if schedule is None else schedule
            try:
                CronTrigger.from_crontab(schedule if isinstance(schedule, str) else "", timezone)
            except ValueError as error:
                raise doc.error(
                    at + ("schedule",),
                    f"{schedule!r} is not a cron expression such as '0 7 * * *' ({error})",
                ) from None
        send_empty = item.get("send_empty", False)
        if not isinstance(send_empty, bool):
            raise doc.error(at + ("send_empty",), "must be true or false")
        result.append(
            DigestConfig(
                name=name,
                to=recipients,
                articles=titles,
                fields=fields,
                min_change=min_change,
                min_percent=min_percent,
                cron=schedule,
                every=every,
                timezone=timezone,
                send_empty=send_empty,
            )
        )
    return result


def _selection(
    doc: _Located, at: KeyPath, item: dict[str, Any]
) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None, int | None, float | None]:
    """What a digest or an alert rule selects: ``articles`` (all, or titles), ``fields``
    (names or glob patterns) and the thresholds ``min_change`` / ``min_percent``."""
    articles = item.get("articles", "all")
    if articles == "all":
        titles = None
    elif isinstance(articles, list) and articles and all(isinstance(a, str) for a in articles):
        try:
            titles = tuple(normalize_title(a) for a in articles)
        except InvalidTitle as error:
            raise doc.error(at + ("articles",), str(error)) from None
    else:
        raise doc.error(at + ("articles",), "must be all or a list of titles")
    fields = item.get("fields")
    if fields is not None:
        fields = [fields] if isinstance(fields, str) else fields
        if (
            not isinstance(fields, list)
            or not fields
            or not all(isinstance(f, str) and f.strip() for f in fields)
        ):
            raise doc.error(at + ("fields",), "must be a list of field names or patterns")
        fields = tuple(f.strip() for f in fields)
    min_change = item.get("min_change")
    if min_change is not None and (
        isinstance(min_change, bool) or not isinstance(min_change, int) or min_change < 0
    ):
        raise doc.error(at + ("min_change",), "must be a whole number (e.g. 10)")
    min_percent = item.get("min_percent")
    if min_percent is not None and (
        isinstance(min_percent, bool)
        or not isinstance(min_percent, int | float)
        or not math.isfinite(min_percent)
        or min_percent < 0
    ):
        raise doc.error(at + ("min_percent",), "must be a percentage (e.g. 5)")
    return titles, fields, min_change, float(min_percent) if min_percent is not None else None


ALERT_KEYS = (
    "name", "articles", "fields", "min_change", "min_percent", "hold", "max_hold", "channels",
)  # fmt: skip
CHANNEL_KEYS = ("apprise", "apprise_env", "webhook", "secret_env", "timeout")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _alerts(doc: _Located, alerts: Any) -> list[AlertRule]:
    if not isinstance(alerts, list):
        raise doc.error(("alerts",), "must be a list of alert rules (- name: ...)")
    result: list[AlertRule] = []
    for i, item in enumerate(alerts):
        at: KeyPath = ("alerts", i)
        if not isinstance(item, dict):
            raise doc.error(at, "must be a mapping with name:, fields:, channels: ...")
        for key in item:
            if key not in ALERT_KEYS:
                raise doc.error(
                    at + (key,), f"unknown key; expected one of {', '.join(ALERT_KEYS)}"
                )
        name = item.get("name", "instant" if i == 0 else None)
        if not isinstance(name, str) or not is_wiki_name(name):
            raise doc.error(at + ("name",), "each alert rule needs a name (letters, digits, . _ -)")
        if name in {rule.name for rule in result}:
            raise doc.error(at + ("name",), f"another alert rule is already named {name!r}")
        titles, fields, min_change, min_percent = _selection(doc, at, item)
        hold = item.get("hold")
        hold_seconds = (
            DEFAULT_HOLD if hold is None else _seconds(doc, at + ("hold",), hold, zero=True)
        )
        max_hold = _duration(doc, at + ("max_hold",), item.get("max_hold"))
        if max_hold is not None and max_hold < hold_seconds:
            raise doc.error(at + ("max_hold",), "must be at least as long as hold:")
        channels = item.get("channels")
        if not isinstance(channels, list) or not channels:
            raise doc.error(
                at + ("channels",),
                "must be a list of apprise URLs (e.g. ntfy://topic) or webhooks (- webhook: URL)",
            )
        parsed = tuple(_channel(doc, at + ("channels", j), c) for j, c in enumerate(channels))
        if len({c.key for c in parsed}) < len(parsed):
            raise doc.error(at + ("channels",), "the same channel is listed twice")
        result.append(
            AlertRule(
                name=name, channels=parsed, articles=titles, fields=fields,
                min_change=min_change, min_percent=min_percent, hold=hold_seconds,
                max_hold=max_hold,
            )
        )  # fmt: skip
    return result


def _channel(doc: _Located, at: KeyPath, item: Any) -> Channel:
    if isinstance(item, str):
        item = {"apprise": item}
    if not isinstance(item, dict):
        raise doc.error(at, "must be an apprise URL or a mapping such as webhook: URL")
    for key in item:
        if key not in CHANNEL_KEYS:
            raise doc.error(at + (key,), f"unknown key; expected one of {', '.join(CHANNEL_KEYS)}")
    kinds = [k for k in ("apprise", "apprise_env", "webhook") if k in item]
    if len(kinds) != 1:
        raise doc.error(at, "give one of apprise: URL, apprise_env: VARIABLE or webhook: URL")
    kind = kinds[0]
    for key in ("secret_env", "timeout"):
        if key in item and kind != "webhook":
            raise doc.error(at + (key,), "only webhooks take this key")
    if kind == "apprise_env":
        name = item[kind]
        if not isinstance(name, str) or not _ENV_NAME.fullmatch(name):
            raise doc.error(
                at + (kind,), "must be the NAME of an environment variable holding the URL"
            )
        return Channel("apprise", url_env=name)
    url = item[kind]
    if not isinstance(url, str) or not url.strip() or re.search(r"[\x00-\x20\x7f]", url.strip()):
        raise doc.error(at + (kind,), "must be a URL on one line, without spaces")
    url = url.strip()
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError as error:
        raise doc.error(at + (kind,), f"not a URL ({error})") from None
    if password:
        raise doc.error(
            at + (kind,),
            "a password never goes in the file: put the whole URL in an environment variable "
            "and name it in apprise_env:",
        )
    if kind == "webhook":
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise doc.error(at + (kind,), "must be an http:// or https:// URL")
        secret_env = item.get("secret_env")
        if secret_env is not None and (
            not isinstance(secret_env, str) or not _ENV_NAME.fullmatch(secret_env)
        ):
            raise doc.error(
                at + ("secret_env",),
                "must be the NAME of an environment variable holding the secret (never the "
                "secret itself)",
            )
        timeout = _duration(doc, at + ("timeout",), item.get("timeout")) or WEBHOOK_TIMEOUT
        return Channel("webhook", url=url, secret_env=secret_env, timeout=timeout)
    with warnings.catch_warnings():  # apprise 2.x imports imghdr, deprecated in 3.11
        warnings.simplefilter("ignore", DeprecationWarning)
        import apprise  # only when alerts are configured: it is slow to import

        known = apprise.Apprise.instantiate(url) is not None
    if not known:
        raise doc.error(
            at + (kind,),
            f"{parts.scheme or url!r}:// is not a notification URL apprise knows (see "
            "https://github.com/caronc/apprise/wiki for slack://, ntfy://, mailto:// …)",
        )
    return Channel("apprise", url=url)
