"""`wikimon run`: the daemon. APScheduler runs a poll job per wiki, a job per digest
schedule and a delivery job; their state (last poll, last digest window, digests waiting
for delivery) is in SQLite, so the in-memory job store is rebuilt from config.yaml at
every start and nothing is lost when the process dies.

Jobs run one at a time on one worker thread, each with its own database connection. On
SIGTERM or SIGINT the current job finishes its unit of work (each commits as it goes),
the scheduler stops and the process exits 0.
"""

from __future__ import annotations

import fcntl
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import IO, Any

from apscheduler.events import EVENT_JOB_ERROR, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger

from storage import Clock, format_time, system_clock
from storage import digests as digest_log

from ..config import Config, DigestConfig
from ..context import Context
from ..errors import ConfigError, WikimonError
from ..wording import plural
from .alerts import log_pass, run_pass
from .digest import previous_fire_time
from .jobs import deliver_pending, digest_pages, make_digest, poll_wiki
from .push import StreamListener, listeners

log = logging.getLogger("wikimon")

MAX_BACKOFF = 3600.0  # seconds: the longest wait after repeated failures of a wiki


class AlreadyRunning(WikimonError):
    pass


def acquire_lock(db_path: str) -> IO[str]:
    """An exclusive OS lock on ``DB.lock`` for the life of the process: a second daemon on
    the same database is refused; the kernel releases it when the process dies, however."""
    path = f"{db_path}.lock"
    file = open(path, "a+")  # noqa: SIM115 - held until the process exits
    try:
        fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        file.seek(0)
        holder = file.read().strip() or "?"
        file.close()
        raise AlreadyRunning(
            f"another `wikimon run` (pid {holder}) is already running on {db_path}; "
            "one daemon per database (stop it first, or use another --db)"
        ) from None
    file.seek(0)
    file.truncate()
    file.write(f"{os.getpid()}\n")
    file.flush()
    return file


@dataclass
class Daemon:
    config: Config
    config_path: str | None
    db_path: str
    stopping: threading.Event = field(default_factory=threading.Event)
    finished: threading.Event = field(default_factory=threading.Event)  # scheduler returned
    busy: threading.Lock = field(default_factory=threading.Lock)  # held while a job works
    failures: dict[str, int] = field(default_factory=dict)  # wiki -> consecutive failures
    scheduler: BlockingScheduler | None = None
    clock: Clock = system_clock  # the scheduler keeps real time; the jobs' "now" is this
    streams: list[StreamListener] = field(default_factory=list)

    # -- jobs ------------------------------------------------------------------------------

    def _work(self, job: Callable[[Context], None]) -> None:
        """Run a job with a fresh connection; failures are logged, never fatal."""
        with self.busy:
            if self.stopping.is_set():
                return  # submitted before the signal: nothing new is started after it
            context = Context(self.config_path, self.db_path, self.config, clock=self.clock)
            try:
                job(context)
            except WikimonError as error:
                log.error("%s", error)
            except Exception as error:
                damage = context.damage(error)  # a damaged database: one line per job
                if damage is None:
                    raise
                log.error("%s", damage)
            finally:
                context.close()

    def poll(self, wiki: str) -> None:
        def job(context: Context) -> None:
            slack = self.config.poll_jitter + 1
            outcome = poll_wiki(context, wiki, due_at=self.clock(), slack=slack)
            if not outcome.checked and not outcome.added and not outcome.failed:
                return  # nothing tracked on this wiki, or nothing due yet
            for page in outcome.added:  # counted in the summary; named with -v
                log.debug("poll %s: %r added (listed in the config)", wiki, page.title)
            for line in outcome.article_lines():
                log.debug("poll %s", line)
            if not outcome.failed:
                for problem in outcome.problems:
                    log.warning("%s", problem)
                self.failures.pop(wiki, None)
                log.info("%s", outcome.summary())
                if self.config.alerts and outcome.new_revisions:
                    log_pass(run_pass(context))  # a rule without hold alerts at once
                return
            failures = self.failures[wiki] = self.failures.get(wiki, 0) + 1
            interval = self.poll_interval(wiki)
            delay = min(interval * 2**failures, max(MAX_BACKOFF, interval))
            log.warning("%s; attempt %d, next try in %.0f s", outcome.summary(), failures, delay)
            if self.scheduler is not None:
                self.scheduler.modify_job(
                    f"poll:{wiki}", next_run_time=self.clock() + timedelta(seconds=delay)
                )

        self._work(job)

    def digest(self, name: str) -> None:
        def job(context: Context) -> None:
            digest = self.config.digest(name)
            # Fresh revisions first: the window closes at the last successful poll.
            pages = digest_pages(context, digest)
            for wiki in dict.fromkeys(p.wiki for p in pages if p.tracked):
                if wiki not in self.config.wikis:
                    continue  # tracked before the wiki left the config: cannot be polled
                outcome = poll_wiki(context, wiki)
                for line in outcome.article_lines():
                    log.debug("poll %s", line)
                log.info("%s", outcome.summary())
            run = make_digest(context, digest)
            if run.digest is None:
                log.warning(
                    "digest %s: nothing new to cover: the last digest ended at %s and the "
                    "articles' revisions are known up to %s (a wiki that cannot be polled "
                    "holds the digest back)",
                    name, run.covered_until, run.horizon,
                )  # fmt: skip
            elif run.message is None:
                log.info(
                    "digest %s: %s – %s: nothing to say, not sent",
                    name, run.digest.window_start, run.digest.window_end,
                )  # fmt: skip
            else:
                log.info(
                    "digest %s: %s – %s: %s, recorded as digest %d",
                    name, run.digest.window_start, run.digest.window_end,
                    plural(len(run.digest.articles), "article"), run.record_id,
                )  # fmt: skip
            if run.record_id is not None and run.message is not None:
                self._deliver(context, only={run.record_id})

        self._work(job)

    def deliver(self) -> None:
        self._work(lambda context: self._deliver(context))

    def alerts(self) -> None:
        self._work(lambda context: log_pass(run_pass(context)))

    def alert_tick(self) -> float:
        """Seconds between two looks at the alerts: a quarter of the shortest hold, between
        1 s and 30 s (a poll or an event that finds changes looks at once, too)."""
        return min(30.0, max(1.0, min(rule.hold for rule in self.config.alerts) / 4))

    def _deliver(self, context: Context, only: set[int] | None = None) -> None:
        for delivery in deliver_pending(context, only=only):
            if delivery.where:
                log.info("digest %d: delivered (%s)", delivery.record_id, delivery.where)
            if delivery.gave_up:
                log.error("digest %d: refused for good: %s", delivery.record_id, delivery.error)
            elif delivery.error:
                log.warning("digest %d: not delivered: %s", delivery.record_id, delivery.error)

    # -- schedule --------------------------------------------------------------------------

    def poll_interval(self, wiki: str) -> float:
        """The shortest interval of the wiki's articles: each run polls those that are due."""
        intervals = [
            self.config.poll_interval_for(wiki, a.title)
            for a in self.config.articles
            if a.wiki == wiki
        ]
        return min([*intervals, self.config.poll_interval_for(wiki, "")])

    def build(self) -> BlockingScheduler:
        scheduler = BlockingScheduler(
            executors={"default": ThreadPoolExecutor(max_workers=1)},
            job_defaults={"coalesce": True, "max_instances": 1},
            timezone=UTC,
        )
        now = self.clock()
        for wiki in self.config.wikis:
            interval = self.poll_interval(wiki)
            scheduler.add_job(
                self.poll,
                IntervalTrigger(
                    seconds=interval, jitter=min(self.config.poll_jitter, interval / 2) or None
                ),
                args=[wiki],
                id=f"poll:{wiki}",
                name=f"poll {wiki} every {interval:g} s",
                next_run_time=now,
                misfire_grace_time=max(1, int(interval)),
            )
        for digest in self.config.digests:
            catch_up = {"next_run_time": now} if self.missed(digest, now) else {}
            scheduler.add_job(
                self.digest,
                digest.trigger(),
                args=[digest.name],
                id=f"digest:{digest.name}",
                name=f"digest {digest.name}",
                misfire_grace_time=3600,  # late is fine: the window ends when it runs
                **catch_up,
            )
        retry = self.config.retry_interval
        scheduler.add_job(
            self.deliver,
            IntervalTrigger(seconds=retry),
            id="deliver",
            name=f"deliver pending digests every {retry:g} s",
            next_run_time=now,  # digests a crash or an outage left behind
            misfire_grace_time=max(1, int(retry)),
        )
        if self.config.alerts:
            tick = self.alert_tick()
            scheduler.add_job(
                self.alerts,
                IntervalTrigger(seconds=tick),
                id="alerts",
                name=f"alerts every {tick:g} s",
                next_run_time=now,  # alerts a crash or an outage left behind
                misfire_grace_time=max(1, int(tick)),
            )
        scheduler.add_listener(self._job_failed, EVENT_JOB_ERROR)
        return scheduler

    def missed(self, digest: DigestConfig, now: datetime) -> bool:
        """Was a scheduled time of the digest missed while the daemon was down (its last
        run was made before it)? Then it runs now. Never run: it waits for its schedule."""
        context = Context(self.config_path, self.db_path, self.config, clock=self.clock)
        try:
            last_run = digest_log.last_scheduled_run(context.store(), digest.name)
        finally:
            context.close()
        return last_run is not None and format_time(previous_fire_time(digest, now)) > last_run

    def _job_failed(self, event: JobExecutionEvent) -> None:
        log.error("job %s failed unexpectedly: %r (it runs again on schedule)",
                  event.job_id, event.exception)  # fmt: skip

    # -- life ------------------------------------------------------------------------------

    def stop(self, signum: int, frame: Any) -> None:
        """The signal handler: only sets a flag and hands the shutdown to a thread (the
        scheduler's locks may be held by the code this handler interrupted)."""
        if self.stopping.is_set():
            return
        log.info("received %s: finishing the current job, then exiting", signal.strsignal(signum))
        self.stopping.set()
        threading.Thread(target=self._shutdown, name="wikimon-shutdown", daemon=True).start()

    def _shutdown(self) -> None:
        for listener in self.streams:
            # closing waits for a read in progress to end: not here (the listeners are
            # daemon threads, which end with the process; an event being processed holds
            # ``busy``, which run() waits for)
            threading.Thread(target=listener.stop, daemon=True).start()
        while not self.finished.is_set():
            if self.scheduler is None:  # stopped before run() built it: wait for it
                time.sleep(0.05)
                continue
            try:
                self.scheduler.shutdown(wait=False)
                return
            except SchedulerNotRunningError:  # a signal before start(): wait for it
                time.sleep(0.05)

    def run(self) -> int:
        lock = acquire_lock(self.db_path)
        try:
            self.scheduler = self.build()
            signal.signal(signal.SIGTERM, self.stop)
            signal.signal(signal.SIGINT, self.stop)
            self.streams = listeners(
                lambda: Context(self.config_path, self.db_path, self.config, clock=self.clock),
                list(self.config.wikis.values()), self.config.contact or "", self.busy,
                self.stopping,
            )  # fmt: skip
            jobs = ", ".join(
                [job.name for job in self.scheduler.get_jobs()]
                + [f"stream {s.names} from {s.url}" for s in self.streams]
            )
            log.info("wikimon run: database %s; jobs: %s", self.db_path, jobs)
            for listener in self.streams:
                listener.start()
            self.scheduler.start()  # returns once shut down
            self.finished.set()
            with self.busy:  # the job in progress, if any, has finished its unit of work
                self.stopping.set()
            log.info("wikimon run: stopped")
            return 0
        finally:
            lock.close()


def configure_logging(config: Config, verbose: bool) -> None:
    """One line per event, to stderr or to the config's log: file."""
    handler: logging.Handler
    if config.log:
        try:
            handler = logging.FileHandler(config.log, encoding="utf-8")
        except OSError as error:
            where = f"{config.path}: " if config.path else ""
            raise ConfigError(f"{where}log: cannot open {config.log}: {error.strerror}") from None
    else:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger = logging.getLogger("wikimon")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.DEBUG if verbose else logging.INFO)
    logger.propagate = False
    # APScheduler's own warnings (missed runs, job errors) go to the same place
    scheduler_logger = logging.getLogger("apscheduler")
    scheduler_logger.handlers[:] = [handler]
    scheduler_logger.setLevel(logging.WARNING)
    scheduler_logger.propagate = False
