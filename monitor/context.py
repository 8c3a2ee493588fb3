"""What every command and every daemon job works with: the config, the store, clients."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

from storage import Clock, DamagedDatabase, Page, Store, StoreError, system_clock
from storage.integrity import diagnose

from .analysis import AnalysisResult, analyze_page, stale_pages
from .config import Config, load_config
from .database import Database
from .errors import ConfigError, WikimonError

if TYPE_CHECKING:  # imported where it is used: commands that talk to no wiki start faster
    from .sources.api import WikiClient


class Context:
    """What every command needs: the config and, lazily, the store."""

    def __init__(
        self,
        config_path: str | None,
        db_path: str | None,
        config: Config | None = None,
        *,
        clock: Clock = system_clock,
    ):
        self.clock = clock  # "now", for everything the command or job does
        self.config_path = config_path
        self.db_override = db_path
        self._config: Config | None = config
        self._store: Store | None = None
        self._reader: Store | None = None
        self._clients: dict[str, WikiClient] = {}

    @property
    def config(self) -> Config:
        if self._config is None:
            path = self.config_path
            if path is None and Path("config.yaml").exists():
                path = "config.yaml"
            self._config = load_config(path)
        return self._config

    @property
    def db_path(self) -> str:
        return self.db_override or self.config.database

    def store(self, *, must_exist: bool = False) -> Store:
        """The database; commands that only read it pass ``must_exist`` so that a typo in
        --db is an error, not a new empty file."""
        if self._store is None:
            if must_exist and not Path(self.db_path).exists():
                raise WikimonError(
                    f"no database at {self.db_path}: run `wikimon import FILE` or "
                    "`wikimon add TITLE` first (or pass --db PATH)"
                )
            self._store = Store(self.db_path, clock=self.clock, check=True)
            if not must_exist:
                self.sync_config(self._store)
        return self._store

    def reader(self) -> Store:
        """The database opened read-only, for commands that only read it: no lock is
        taken, so they answer at once while the daemon writes (WAL readers never wait).
        When the command also opened it for writing, that connection serves."""
        if self._store is not None:
            return self._store
        if self._reader is None:
            if not Path(self.db_path).exists():
                raise WikimonError(
                    f"no database at {self.db_path}: run `wikimon import FILE` or "
                    "`wikimon add TITLE` first (or pass --db PATH)"
                )
            self._reader = Store(self.db_path, readonly=True, clock=self.clock, check=True)
        return self._reader

    def bring_up_to_date(self, pages: list[Page] | None = None) -> list[Page]:
        """For readers: analyse the pages whose change log lags behind their stored
        revisions (an analysis cut short, a new wikimon) if the database can be written
        right now; never wait for another writer. Returns the pages still lagging."""
        lagging = stale_pages(self.reader())
        if pages is not None:
            wanted = {page.id for page in pages}
            lagging = [page for page in lagging if page.id in wanted]
        if not lagging:
            return []
        if self._store is not None:  # this command writes anyway
            for page in lagging:
                self.analyze(page)
            return []
        try:
            writer = Store(self.db_path, busy_timeout=0, clock=self.clock)
        except StoreError:
            return lagging  # e.g. a read-only file system
        try:
            for page in lagging:
                analyze_page(writer, page, self.config.infobox_for(page.wiki, page.title))
        except sqlite3.OperationalError:  # locked by another writer, read-only file…
            return lagging
        finally:
            writer.close()
        return []

    def sync_config(self, store: Store) -> None:
        # Configured wikis are known by their API URL; configured articles that are
        # already stored are tracked. Only commands that write do this.
        for wiki in self.config.wikis.values():
            known = store.wiki(wiki.name)
            if known is None or known.api_url != wiki.api_url:
                store.ensure_wiki(wiki.name, api_url=wiki.api_url)
        for article in self.config.articles:
            for page in store.find_pages(article.title, article.wiki):
                if not page.tracked and page.deleted_at is None:
                    store.upsert_page(page.wiki, page.page_id, page.title, page.ns, tracked=True)

    def analyze(self, page: Page, *, full: bool = False) -> AnalysisResult:
        """Bring the page's change log up to date (incremental unless ``full``)."""
        infobox = self.config.infobox_for(page.wiki, page.title)
        return analyze_page(self.store(), page, infobox, full=full)

    def analyze_stale(self) -> list[AnalysisResult]:
        """Analyse every page whose change log lags behind its stored revisions: new
        revisions, or an earlier run that was interrupted."""
        return [self.analyze(page) for page in stale_pages(self.store())]

    def client(self, wiki: str) -> WikiClient:
        wiki_config = self.config.wiki(wiki)
        if not self.config.contact:
            where = self.config.path or "config.yaml"
            raise ConfigError(
                f"{where}: contact: is not set; wikimon sends it in its User-Agent, as "
                "Wikimedia's policy requires. Add e.g. `contact: you@example.org`"
            )
        if wiki not in self._clients:
            from .sources.api import WikiClient

            self._clients[wiki] = WikiClient(
                wiki_config.api_url, self.config.contact, self.config.http
            )
        return self._clients[wiki]

    def damage(self, error: BaseException) -> DamagedDatabase | None:
        """After a command or job failed with ``error``: the damage of the database, if
        that is what it is (a command that never opened the database cannot tell)."""
        if self._store is None and self._reader is None:
            return error if isinstance(error, DamagedDatabase) else None
        return diagnose(Path(self.db_path), error)

    def close(self) -> None:
        for store in (self._store, self._reader):
            if store is not None:
                store.close()
        self._store = self._reader = None

    def data(self) -> Database:
        """The Python API's reader over the database (:meth:`reader`): what the read
        commands show."""
        return Database(self.reader())

    def page(self, title: str, wiki: str | None = None) -> Page:
        """A stored page by title, matched by each wiki's title rules (see
        :meth:`Database.page`)."""
        return self.data().page(title, wiki)
