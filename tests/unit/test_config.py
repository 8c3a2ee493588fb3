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


# -- hostile configs (issue 12): refused in one line before anything is built -------------------

# 353 bytes that expand to 9**9 strings (387 million; gigabytes as Python objects)
ALIAS_BOMB = "".join(
    f"{name}: &{name} [{', '.join([f'*{previous}'] * 9) if previous else ', '.join(['lol'] * 9)}]\n"
    for previous, name in zip([None, *"abcdefgh"], "abcdefghi", strict=True)
)


def test_an_alias_bomb_is_refused_before_it_expands(run, tmp_path):
    assert len(ALIAS_BOMB.encode()) < 400 and ALIAS_BOMB.count("*") == 72
    path = tmp_path / "config.yaml"
    path.write_text(ALIAS_BOMB)
    result = run("status", config=path)
    assert result.exit_code == 2
    (line,) = result.output.splitlines()
    assert line.startswith(f"Error: {path}:")
    assert "YAML aliases expand to more than 100,000 values; refused (an alias bomb?)" in line


def test_more_than_a_hundred_aliases_are_refused_as_they_are_read(run, tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("articles:\n  - &x A\n" + "  - *x\n" * 101)
    result = run("status", config=path)
    assert result.exit_code == 2
    assert result.output == (
        f"Error: {path}:103: more than 100 YAML aliases (*name); refused before expanding "
        "any (an alias bomb?)\n"
    )
    path.write_text("articles:\n  - &x A\n" + "  - *x\n" * 100)  # a hundred are fine
    assert len(load_config(path).articles) == 101


@pytest.mark.parametrize(
    "text",
    [
        "a: " + "[" * 20000 + "]" * 20000 + "\n",  # flow lists
        "a: " + "{b: " * 20000 + "1" + "}" * 20000 + "\n",  # flow mappings
        "a:\n" + "".join("  " * depth + "-\n" for depth in range(1, 40)),  # block lists
    ],
    ids=["lists", "mappings", "block"],
)
def test_deep_nesting_is_refused_without_a_recursion_error(run, tmp_path, text):
    path = tmp_path / "config.yaml"
    path.write_text(text)
    result = run("status", config=path)
    assert result.exit_code == 2
    (line,) = result.output.splitlines()
    assert line.startswith(f"Error: {path}:")
    assert line.endswith(": nested more than 32 levels deep; refused (a config needs a few)")


def test_a_config_over_a_megabyte_is_refused(run, tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("# padding\n" * (1 << 17))  # 1.25 MB of comments: valid, and too big
    result = run("status", config=path)
    assert result.exit_code == 2
    assert result.output == (
        f"Error: {path}: over 1 MB; refused (a config is a few lines: is this the right file?)\n"
    )
    path.write_text("# padding\n" * 100_000)  # under 1 MB
    assert load_config(path).wikis == load_config(None).wikis


@pytest.mark.parametrize("name", ["..", ".hidden", "a/b", "../../tmp/x", "x" * 65])
def test_a_wiki_name_that_is_not_a_plain_name_is_refused(run, tmp_path, name):
    path = tmp_path / "config.yaml"
    path.write_text(f"wikis:\n  '{name}':\n    api: https://a.example/w/api.php\n")
    result = run("status", config=path)
    assert result.exit_code == 2
    assert result.output == (
        f"Error: {path}:2: wikis.{name}: wiki names are 1 to 64 letters, digits, '.', '_' or "
        "'-', and do not start with '.'\n"
    )


def test_recipients_with_letters_beyond_ascii(tmp_path):
    path = tmp_path / "config.yaml"
    text = "digests:\n  - name: d\n    to:\n      - a@example.org\n      - anna@exämple.org\n"
    path.write_text(text + "      - jörg@exämple.org\n")
    config = load_config(path)
    assert config.digests[0].to == ("a@example.org", "anna@exämple.org", "jörg@exämple.org")
    # a domain has an ASCII form (IDNA): nothing to say; a local part has none
    assert config.notes == [
        f"{path}:6: digests.0.to.2: jörg@exämple.org has letters beyond ASCII before the @: "
        "it is not shown in the To: header of the outbox files (ASCII only)"
    ]
    path.write_text("smtp:\n  host: mail.example.org\n" + text + "      - jörg@exämple.org\n")
    assert load_config(path).notes == [
        f"{path}:8: digests.0.to.2: jörg@exämple.org has letters beyond ASCII before the @: "
        "it is sent only if mail.example.org offers SMTPUTF8 (else this recipient alone is "
        "refused, and told so), and never shown in the To: header, which stays ASCII for the "
        "others"
    ]


@pytest.mark.parametrize(
    ("text", "line", "key"),
    [
        ("digests:\n  - to: [x@💩.la]\n", 2, "digests.0.to.0"),  # no IDNA form
        ("digests:\n  - to: ['a@b\u202e.org']\n", 2, "digests.0.to.0"),  # a bidi control
        ("smtp:\n  host: h.example\n  from: jörg@example.org\n", 3, "smtp.from"),
    ],
)
def test_addresses_that_cannot_be_sent_are_refused(run, tmp_path, text, line, key):
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    result = run("status", config=path)
    assert result.exit_code == 2
    (message,) = result.output.splitlines()
    assert message.startswith(f"Error: {path}:{line}: {key}: ")
