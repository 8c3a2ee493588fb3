"""config.yaml: the shipped example loads; each mistake is one line naming file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import ROOT, SAMPLE_HISTORY

from monitor.config import load_config


def test_shipped_config_tracks_the_reference_article():
    config = load_config(ROOT / "config.yaml")
    assert config.wikis["enwiki"].api_url == "https://en.wikipedia.org/w/api.php"
    assert [(a.title, a.wiki) for a in config.articles] == [
        ("2024 Syrian opposition offensives", "enwiki")
    ]
    assert config.contact and config.database == str(ROOT / "wikimon.db")


def test_no_config_means_embedded_defaults():
    config = load_config(None)
    assert config.database == "wikimon.db" and "enwiki" in config.wikis and not config.articles


BAD_CONFIGS = [
    ("wikis:\n  enwiki:\n    api: ftp://example.org/api.php\n", 3, "wikis.enwiki.api"),
    ("wikis:\n  enwiki:\n    api: https://example.org/wiki/\n", 3, "wikis.enwiki.api"),
    ("wikis:\n  enwiki:\n    url: https://x/api.php\n", 3, "wikis.enwiki.url"),
    ("articles:\n  - title: A\n    wiki: dewiki\n", 3, "articles.0.wiki"),
    ("articles:\n  - title: A\n  - title: 'Bad[[x]]'\n", 3, "articles.1.title"),
    ("articles:\n  - wiki: enwiki\n", 2, "articles.0"),
    ("contact: a@b.c\nbogus: 1\n", 2, "bogus"),
    ("http:\n  max_tries: 0\n", 2, "http.max_tries"),
    ("contact: [1, 2]\n", 1, "contact"),
    ("wikis: [\n", 2, "not valid YAML"),
    ("- just\n- a list\n", 1, "(top level)"),
    ("articles:\n  - title: x\n    wiki: [a]\n", 3, "articles.0.wiki"),
    ("? [a]\n: 1\n", 1, "keys must be plain names"),
    ("contact: !!python/object:os.system x\n", 1, "contact"),
    (
        "wikis:\n  enwiki:\n    api: https://en.wikipedia.org/w/api.php\n"
        "  enwiki:\n    api: https://de.wikipedia.org/w/api.php\n",
        4,
        "wikis.enwiki: duplicate key",
    ),
    ("http:\n  timeout: .nan\n", 2, "http.timeout"),
    ("http:\n  timeout: .inf\n", 2, "http.timeout"),
    ("wikis:\n\tenwiki: 1\n", 2, "not valid YAML"),
]


@pytest.mark.parametrize("text,line,key", BAD_CONFIGS)
def test_bad_config_is_one_clear_line_with_exit_2(run, tmp_path, text, line, key):
    path = tmp_path / "config.yaml"
    path.write_text(text)
    result = run("status", config=path)
    assert result.exit_code == 2
    message = result.output.strip()
    assert "\n" not in message and "Traceback" not in message
    assert message.startswith(f"Error: {path}:{line}")
    assert key in message


def test_empty_config_file_means_defaults(run, tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("# nothing yet\n")
    result = run("import", str(SAMPLE_HISTORY), config=path)
    assert result.exit_code == 0, result.output


def test_yaml_anchors_work(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(
        "wikis:\n  a: &w\n    api: https://a.example/w/api.php\n  b: *w\n"
        "articles:\n  - {title: x, wiki: b}\n"
    )
    config = load_config(path)
    assert config.wikis["b"].api_url == "https://a.example/w/api.php"
    assert config.articles[0].wiki == "b"


def test_missing_config_file(run, tmp_path):
    result = run("status", config=tmp_path / "nope.yaml")
    assert result.exit_code == 2
    assert "no such config file" in result.output


def test_db_option_overrides_config_database(run, tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("database: from-config.db\n")
    assert run("import", str(SAMPLE_HISTORY), config=config, db=None).exit_code == 0
    assert (tmp_path / "from-config.db").exists()  # relative to the config file
    other = tmp_path / "other.db"
    assert run("import", str(SAMPLE_HISTORY), config=config, db=other).exit_code == 0
    assert other.exists()


def test_config_yaml_in_current_directory_is_the_default(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from monitor.cli import cli

    (tmp_path / "config.yaml").write_text("database: here.db\n")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["import", str(SAMPLE_HISTORY)])
    assert result.exit_code == 0, result.output
    assert Path("here.db").exists()


def test_commands_needing_the_wiki_require_a_contact(run, tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("wikis:\n  local:\n    api: http://127.0.0.1:9/api.php\n")
    result = run("add", "Anything", config=config)
    assert result.exit_code == 2
    assert "contact" in result.output and "User-Agent" in result.output
