"""Shared by the attribution tests on the sample (unit) and on the big dev history
(integration): what the change log says about who wrote each value and who moved each
figure, to compare with what a digest credits.

Expected values come from `wikimon changes --json` and `wikimon revisions --json`."""

from __future__ import annotations

from typing import Any

from digest_helpers import ArticleText


def counted(changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The change records that count for attribution: not undone by a revert, and not a
    revert (which restores what someone else wrote)."""
    return [c for c in changes if c["reverted_by"] is None and c["revert"] is None]


def wrote(record: dict[str, Any], text: str) -> bool:
    """Did this change record leave ``text`` as an item or as the whole value? (A value is
    its items' texts, a line each.)"""
    if record["kind"] in ("value_changed", "field_added"):
        return text in (record["new"] or "").split("\n")
    return record["kind"] != "item_removed" and record["item"] == text


def check_creation_window(
    article: ArticleText, changes: list[dict[str, Any]], creator: dict[str, Any], index_url: str
) -> int:
    """In a digest whose window holds the article's creation every line is an addition;
    each must be credited to the last counted edit that wrote its text, else to the
    creation, with its diff (or the first revision) linked. Returns the lines checked."""
    checked = 0
    for name, field_text in article.fields.items():
        for line in field_text.changes:
            assert line.text.startswith("+ "), line.text  # a new article: everything is new
            text = line.text[2:]
            writers = [c for c in counted(changes) if c["field"] == name and wrote(c, text)]
            if writers:
                last = writers[-1]
                expected = (last["user"], f"{index_url}?diff={last['revid']}&oldid="
                                          f"{last['parent_revid']}")  # fmt: skip
            else:
                expected = (creator["user"], f"{index_url}?oldid={creator['revid']}")
            assert len(line.edits) == 1, (name, line)
            assert (line.by, line.url) == expected, (name, line.text)
            checked += 1
    return checked
