"""The attribution model on the big dev history (1,396 revisions: the sample's story with
12× as many noise edits): a digest of the window with the article's creation credits each
value to the edit that put it there, as the change log says.

Expected values come from `wikimon changes --json` and `wikimon revisions --json`."""

from __future__ import annotations

import pytest
from attribution_helpers import check_creation_window
from digest_helpers import TITLE, cli_json, parse_text
from helpers import BIG_HISTORY


@pytest.mark.slow
def test_the_big_history_credits_each_value_to_the_edit_that_put_it_there(run):
    result = run("import", str(BIG_HISTORY))
    assert result.exit_code == 0, result.output
    changes = cli_json(run, "changes", TITLE)
    revisions = cli_json(run, "revisions", TITLE)
    start, end = revisions[0]["timestamp"][:10], revisions[-1]["timestamp"][:10]
    digest = run("digest", "--dry-run", "--since", start, "--until", end + "T23:59:59Z")
    assert digest.exit_code == 0, digest.output
    article = parse_text(digest.stdout)[TITLE]
    assert article.created and article.edits == len(revisions)
    lines = {line.text: line for f in article.fields.values() for line in f.changes}
    # the creator wrote 44 killed; the 311 that stands came later, from someone else
    assert lines["+ 311 killed"].by not in (None, revisions[0]["user"])
    index_url = "https://en.wikipedia.org/w/index.php"
    assert check_creation_window(article, changes, revisions[0], index_url) >= 30
