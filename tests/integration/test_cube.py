"""`wikimon cube` on a real Dask LocalCluster of 2 worker processes, over the big dev
history, the German and French exports and the big history split into several files:
its records equal `wikimon import` + `wikimon export` of the same files; a worker killed
mid-run and a run killed outright still end complete, without duplicates; a re-run skips
what is done."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pyarrow.parquet as pq
import pytest
from exports import split_export
from helpers import BIG_HISTORY, REAL, WIKIMON

GERMAN = REAL / "dewiki_history_sample" / "Bz2Test.xml.bz2"
FRENCH = REAL / "frwiki_history_dbpedia" / "frwiki-20220101-pages-articles.xml.bz2"

pytestmark = pytest.mark.slow
NO_SPILL = {"DASK_DISTRIBUTED__WORKER__MEMORY__TARGET": "False",
            "DASK_DISTRIBUTED__WORKER__MEMORY__SPILL": "False"}  # fmt: skip


def wikimon(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        WIKIMON + list(args), cwd=cwd, capture_output=True, text=True, timeout=600
    )


def by_page(rows: list[dict]) -> dict[tuple[str, int], list[dict]]:
    """Each page's records in order; the cube's ``source`` partition left out."""
    pages: dict[tuple[str, int], list[dict]] = {}
    for row in rows:
        record = {key: value for key, value in row.items() if key != "source"}
        pages.setdefault((row["wiki"], row["page_id"]), []).append(record)
    return pages


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> list[Path]:
    """The big history, the German and French exports, and the big history again split
    into 6 pages in 3 gzip files (a page never spans files, as in a dump)."""
    parts = split_export(BIG_HISTORY, tmp_path_factory.mktemp("split"), 6, 2)
    assert len(parts) == 3
    return [BIG_HISTORY, GERMAN, FRENCH, *parts]


@pytest.fixture(scope="module")
def expected(corpus, tmp_path_factory) -> dict[tuple[str, int], list[dict]]:
    """What import + export give for the same files."""
    work = tmp_path_factory.mktemp("import")
    imported = wikimon("--db", "w.db", "import", *map(str, corpus), cwd=work)
    # the German export has a bad byte: replaced and reported, everything imported (exit 0)
    assert imported.returncode == 0 and "invalid UTF-8 byte" in imported.stderr
    exported = wikimon("--db", "w.db", "export", "--out", "all.parquet", cwd=work)
    assert exported.returncode == 0, exported.stderr
    pages = by_page(pq.read_table(work / "all.parquet").to_pylist())
    assert len(pages) > 10 and sum(map(len, pages.values())) > 200
    return pages


def outputs(out: Path) -> list[Path]:
    return sorted(out.glob("wiki=*/source=*/*.parquet"))


def test_cube_on_two_workers_equals_import_and_export(corpus, expected, tmp_path):
    result = wikimon("cube", *map(str, corpus), "--out", "cube", "--workers", "2", cwd=tmp_path)
    assert result.returncode == 0, result.stderr  # the German bad byte: a warning, as for import
    assert result.stderr.startswith("Warning: ") and "Traceback" not in result.stderr
    assert f"{BIG_HISTORY}: 1 page, 1396 revisions, " in result.stdout
    assert result.stdout.endswith("6 files analysed: " + result.stdout.split(": ")[-1])
    out = tmp_path / "cube"
    assert by_page(pq.read_table(out).to_pylist()) == expected
    assert {p.parent.parent.name for p in outputs(out)} == {"wiki=enwiki", "wiki=dewiki",
                                                          "wiki=frwiki"}  # fmt: skip
    assert len(outputs(out)) == len(corpus)
    assert len(list((out / "_success").glob("*.json"))) == len(corpus)
    # a re-run skips every file and touches nothing
    before = {path: path.stat().st_mtime_ns for path in outputs(out)}
    again = wikimon("cube", *map(str, corpus), "--out", "cube", "--workers", "2", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("done by an earlier run, skipped") == len(corpus) - 1
    assert f"{GERMAN}: done by an earlier run (with 1 warning), skipped" in again.stdout
    assert again.stderr == ""  # the German file's problem was reported by the run that did it
    assert again.stdout.endswith("0 files analysed, 6 skipped: 0 change records written to cube/\n")
    assert {path: path.stat().st_mtime_ns for path in outputs(out)} == before


def start_cube(corpus: list[Path], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        WIKIMON + ["cube", *map(str, corpus), "--out", "cube", "--workers", "2"],
        cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,  # its cluster is its process group
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
    )  # fmt: skip


def wait_until_mid_run(proc: subprocess.Popen[str], out: Path, total: int) -> None:
    """Until a file is finished while others are still being written (a hidden partial
    Parquet file exists): tasks are running."""
    deadline = time.monotonic() + 300
    while True:
        done = len(list((out / "_success").glob("*.json"))) if out.exists() else 0
        writing = list(out.glob("wiki=*/source=*/.*.partial")) if out.exists() else []
        if 1 <= done < total and writing:
            return
        assert proc.poll() is None, f"finished before it could be killed: {proc.communicate()}"
        assert time.monotonic() < deadline, "made no progress"
        time.sleep(0.02)


def workers_of(proc: subprocess.Popen[str]) -> list[psutil.Process]:
    """The cluster's worker processes (the nannies live in the cube's own process)."""
    children = psutil.Process(proc.pid).children(recursive=True)
    return [child for child in children if "spawn_main" in " ".join(child.cmdline())]


def test_workers_killed_mid_run_the_result_is_complete(corpus, expected, tmp_path):
    out = tmp_path / "cube"
    proc = start_cube(corpus, tmp_path)
    try:
        wait_until_mid_run(proc, out, len(corpus))
        workers = workers_of(proc)
        assert len(workers) == 2
        for worker in workers:  # each was analysing a file: both tasks are lost
            worker.send_signal(signal.SIGKILL)
        stdout, stderr = proc.communicate(timeout=600)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 0, stderr  # the German bad byte is a warning
    assert "Traceback" not in stderr
    assert stdout.endswith("6 files analysed: " + stdout.split(": ")[-1])
    assert by_page(pq.read_table(out).to_pylist()) == expected  # nothing twice, nothing lost
    assert list(out.glob("wiki=*/source=*/.*")) == []  # the lost attempts' files are gone


def test_a_killed_run_resumes_where_it_stopped(corpus, expected, tmp_path):
    out = tmp_path / "cube"
    proc = start_cube(corpus, tmp_path)
    try:
        wait_until_mid_run(proc, out, len(corpus))
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the command, its cluster and its workers
        proc.communicate()
    done = len(list((out / "_success").glob("*.json")))
    assert 1 <= done < len(corpus)
    result = wikimon("cube", *map(str, corpus), "--out", "cube", "--workers", "2", cwd=tmp_path)
    assert result.stdout.count("done by an earlier run") == done
    assert f"{len(corpus) - done} files analysed, {done} skipped" in result.stdout or (
        f"{len(corpus) - done} file analysed, {done} skipped" in result.stdout
    )
    assert by_page(pq.read_table(out).to_pylist()) == expected
    assert list(out.glob("wiki=*/source=*/.*")) == []


def test_cube_refuses_two_files_of_one_name_and_needs_a_cluster(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "history.xml").write_text("<mediawiki/>")
    (tmp_path / "history.xml").write_text("<mediawiki/>")
    result = wikimon("cube", "a/history.xml", "history.xml", "--out", "c", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr == (
        "Error: a/history.xml and history.xml have the same name: the output is partitioned "
        "by file name; rename one\n"
    )
    result = wikimon(
        "cube", "history.xml", "--out", "c", "--workers", "2", "--scheduler", "tcp://x:1",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 2 and "exclude each other" in result.stderr


def test_cube_on_a_running_cluster(corpus, expected, tmp_path):
    """`dask scheduler` and `dask worker` as the README starts them, on 127.0.0.1."""
    python_m = [sys.executable, "-m"]
    started = []
    try:
        started.append(subprocess.Popen(
            [*python_m, "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", "0",
             "--no-dashboard", "--scheduler-file", "scheduler.json"],
            cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        ))  # fmt: skip
        deadline = time.monotonic() + 60
        while not (tmp_path / "scheduler.json").exists():
            assert time.monotonic() < deadline, "the scheduler did not start"
            time.sleep(0.1)
        address = json.loads((tmp_path / "scheduler.json").read_text())["address"]
        started.append(subprocess.Popen(
            [*python_m, "distributed.cli.dask_worker", address, "--nworkers", "1",
             "--nthreads", "1", "--no-dashboard"],
            cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env=dict(os.environ, **NO_SPILL),  # see README: editable installs
        ))  # fmt: skip
        files = [FRENCH, *corpus[3:]]
        result = wikimon(
            "cube", *map(str, files), "--out", "cube", "--scheduler", address, cwd=tmp_path
        )
        assert result.returncode == 0, result.stderr
        wanted = {key: rows for key, rows in expected.items() if key[0] == "frwiki"
                  or key[1] // 100 == 78552391}  # fmt: skip
        assert by_page(pq.read_table(tmp_path / "cube").to_pylist()) == wanted
    finally:
        for proc in reversed(started):
            proc.terminate()
            proc.wait(timeout=30)
    gone = wikimon("cube", str(FRENCH), "--out", "c2", "--scheduler", address, cwd=tmp_path)
    assert gone.returncode == 1 and gone.stderr.startswith(
        f"Error: cannot start or reach the Dask scheduler at {address}: "
    )
    assert gone.stderr.count("\n") == 1
