"""config.yaml: which wikis, which articles, who to contact. Errors name the file, line and key."""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from .errors import ConfigError, InvalidTitle
from .titles import normalize_title

DEFAULT_DATABASE = "wikimon.db"
DEFAULT_WIKIS = {"enwiki": "https://en.wikipedia.org/w/api.php"}
_WIKI_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


@dataclass(frozen=True)
class WikiConfig:
    name: str
    api_url: str

    @property
    def host(self) -> str:
        return urlsplit(self.api_url).netloc


@dataclass(frozen=True)
class ArticleConfig:
    title: str
    wiki: str
    infobox: str | None = None  # the infobox template to read, if not the first "Infobox …"


@dataclass
class Config:
    path: Path | None = None
    contact: str | None = None
    database: str = DEFAULT_DATABASE
    wikis: dict[str, WikiConfig] = field(
        default_factory=lambda: {n: WikiConfig(n, u) for n, u in DEFAULT_WIKIS.items()}
    )
    articles: list[ArticleConfig] = field(default_factory=list)
    http: dict[str, float] = field(default_factory=dict)  # RetryPolicy fields

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


class _Located:
    """The YAML document as Python values, plus the line of every mapping key."""

    def __init__(self, path: Path, text: str):
        self.path = path
        try:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            line = f":{mark.line + 1}" if mark else ""
            problem = getattr(error, "problem", None) or str(error)
            raise ConfigError(f"{path}{line}: not valid YAML: {problem}") from None
        self.lines: dict[tuple, int] = {}
        self.value = self._convert(node, ()) if node is not None else {}

    def _convert(self, node: yaml.Node, key_path: tuple) -> Any:
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

    def _error_at(self, line: int, key_path: tuple, message: str) -> ConfigError:
        dotted = ".".join(str(k) for k in key_path) or "(top level)"
        return ConfigError(f"{self.path}:{line}: {dotted}: {message}")

    def error(self, key_path: tuple, message: str) -> ConfigError:
        line = self.lines.get(key_path)
        while line is None and key_path:
            key_path = key_path[:-1]
            line = self.lines.get(key_path)
        dotted = ".".join(str(k) for k in key_path) or "(top level)"
        return ConfigError(f"{self.path}:{line or 1}: {dotted}: {message}")


KNOWN_TOP_LEVEL = {"contact", "database", "wikis", "articles", "http"}
HTTP_KEYS = {"timeout": float, "max_tries": int, "backoff": float, "max_delay": float}


def load_config(path: str | os.PathLike[str] | None) -> Config:
    """Read config.yaml; ``None`` gives the embedded defaults."""
    if path is None:
        return Config()
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
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
            if not isinstance(name, str) or not _WIKI_NAME.match(name):
                raise doc.error(("wikis", name), "wiki names use letters, digits, '.', '_', '-'")
            if not isinstance(settings, dict):
                raise doc.error(("wikis", name), "must be a mapping with an api: URL")
            for key in settings:
                if key != "api":
                    raise doc.error(("wikis", name, key), "unknown key; expected api")
            api = settings.get("api")
            parts = urlsplit(api) if isinstance(api, str) else None
            if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
                raise doc.error(
                    ("wikis", name, "api"),
                    "must be the URL of api.php, e.g. https://en.wikipedia.org/w/api.php",
                )
            if not parts.path.endswith("api.php"):
                raise doc.error(("wikis", name, "api"), f"{api!r} does not end in api.php")
            config.wikis[name] = WikiConfig(name, api)

    http = data.get("http") or {}
    if not isinstance(http, dict):
        raise doc.error(("http",), f"must be a mapping with {', '.join(HTTP_KEYS)}")
    for key, value in http.items():
        kind = HTTP_KEYS.get(key)
        if kind is None:
            raise doc.error(("http", key), f"unknown key; expected one of {', '.join(HTTP_KEYS)}")
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or value <= 0
        ):
            raise doc.error(("http", key), "must be a positive number")
        if kind is int and not isinstance(value, int):
            raise doc.error(("http", key), "must be a whole number")
        config.http[key] = kind(value)

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
            if key not in ("title", "wiki", "infobox"):
                raise doc.error(
                    ("articles", i, key), "unknown key; expected title, wiki or infobox"
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
        config.articles.append(ArticleConfig(title, wiki, infobox.strip() if infobox else None))
    return config
