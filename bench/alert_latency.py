"""Benchmark: edit-to-alert latency with the stream, on the local MediaWiki.

Builds the test wiki (Debian's MediaWiki on SQLite, served by php -S), serves its recent
changes as an EventStreams `recentchange` stream (the tests' server: the wiki writes each
change through $wgRCFeeds, the server streams it), runs `wikimon run` with `stream: true`
and an alert rule without hold to a webhook, then makes N edits of a casualty figure, one
at a time, and measures from the moment the edit is sent to the wiki's API to the moment
the webhook receives the signed alert (the wiki writes the change to its feed while it
saves, so an alert can arrive before the API has answered the edit: the time of the save
itself is printed too). Polling is the 1-hour safety net, so every alert comes by the
stream. Usage:

    .venv/bin/python bench/alert_latency.py [--edits 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "integration")]

from mediawiki_fixtures import ARTICLE, TestWiki, _free_port, build_golden  # noqa: E402
from push_fixtures import EventStreamServer, WebhookReceiver  # noqa: E402

LINE = "| casualties2 = {{flagicon|Syrian Arab Republic}} 142 killed"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--edits", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        build_golden(tmp_path / "wiki")
        wiki = TestWiki(tmp_path / "wiki", _free_port())
        wiki.start()
        stream, hook = EventStreamServer(), WebhookReceiver()
        stream.start()
        stream.tail(wiki.recent_changes_file)
        config = tmp_path / "config.yaml"
        config.write_text(
            "contact: wikimon bench <bench@example.org>\n"
            f"wikis:\n  local:\n    api: {wiki.api_url}\n    stream: true\n"
            f"    stream_url: {stream.url}\n    interval: 1h\n"
            f"articles:\n  - title: {ARTICLE}\n"
            "log: daemon.log\n"
            "alerts:\n  - name: bench\n    hold: 0s\n    channels:\n"
            f"      - webhook: {hook.url}\n        secret_env: BENCH_SECRET\n",
            encoding="utf-8",
        )
        env = dict(os.environ, BENCH_SECRET=hook.secret.decode())
        daemon = subprocess.Popen(
            [sys.executable, "-m", "monitor", "--config", str(config), "run"], cwd=tmp, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            log = tmp_path / "daemon.log"
            while "poll local: 1 article added" not in (log.read_text() if log.exists() else ""):
                time.sleep(0.05)
            text = wiki.revisions(ARTICLE)[-1]["content"]
            latencies, saves = [], []
            for n in range(args.edits):
                killed = 143 + n
                edited = text.replace(LINE, LINE.replace("142", str(killed)))
                count = len(hook.accepted())
                sent = time.monotonic()
                wiki.edit(ARTICLE, edited, f"toll {killed}")
                saves.append(time.monotonic() - sent)
                while len(hook.accepted()) <= count:
                    time.sleep(0.002)
                latencies.append(time.monotonic() - sent)
            assert all(r.signed for r in hook.accepted())
        finally:
            daemon.terminate()
            daemon.wait(60)
            stream.stop()
            hook.stop()
            wiki.stop()
    print(f"edit-to-alert latency with the stream, {args.edits} edits on the local wiki: "
          f"median {statistics.median(latencies) * 1000:.0f} ms, min "
          f"{min(latencies) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms "
          f"(the edit request: median {statistics.median(saves) * 1000:.0f} ms)")  # fmt: skip


if __name__ == "__main__":
    main()
