"""Hostile wikitext: the vandal edits that once took seconds to minutes to read (issue 12)
read right, and a fuzz test (hypothesis, fixed budget) over extraction and the diff.

What each input must read as is asserted here; how long it takes is measured in
``bench/hostile_wikitext.py`` (never asserted: the README has the figures).
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.core.diff import diff_wikitext
from monitor.core.extract import TOO_MALFORMED, extract_facts
from monitor.core.numbers import MAX_FIGURE

HEAD = "{{Infobox military conflict\n| conflict = Siege of X\n| result = Victory\n"


def _box(casualties: str) -> str:
    return HEAD + f"| casualties1 = {casualties}\n| casualties2 = 12 killed\n}}}}\nBody.\n"


def _casualties(text: str) -> tuple[str, list[tuple[str | None, int | None]]]:
    field = extract_facts(text).fields["casualties1"]
    return field.value, [(f.category, f.number) for f in field.figures]


def test_a_long_line_of_equals_after_an_unclosed_infobox_is_a_heading():
    for width in (1_500, 2_000):
        page = HEAD + "=" * width + "\nText of the section.\n"
        facts = extract_facts(page)
        assert {name: f.value for name, f in facts.fields.items()} == {
            "conflict": "Siege of X",
            "result": "Victory",
        }
        edited = page.replace("Victory", "Defeat")
        assert [(c.field, c.kind, c.old, c.new) for c in diff_wikitext(page, edited)] == [
            ("result", "value_changed", "Victory", "Defeat")
        ]


def test_a_long_line_of_equals_and_text_is_no_heading():
    # "===…=x" does not end with "=": no heading, the unclosed box runs on to the text's end
    page = HEAD + "=" * 2_000 + "x\n"
    assert extract_facts(page).fields["result"].value == "Victory\n" + "=" * 2_000 + "x"


def test_thousands_of_numbers_are_text_not_figures():
    for value in ("1 " * 3000, "5 killed and " * 3000):
        text, figures = _casualties(_box(value))
        assert text == value.strip()
        assert figures == []  # more than 200 numbers in one item: no count a reader follows
        # … and an edit of one of them is still seen
        edited = value[:3000] + "7" + value[3001:]
        assert edited != value
        changes = diff_wikitext(_box(value), _box(edited))
        assert [(c.field, c.kind) for c in changes] == [("casualties1", "value_changed")]
    # a casualty line of a few numbers keeps its figures
    assert _casualties(_box("5 killed and " * 3 + "2 wounded"))[1] == [
        ("killed", 5),
        ("killed", 5),
        ("killed", 5),
        ("wounded", 2),
    ]


def test_thousands_of_unclosed_tags_are_too_malformed_to_read():
    for value in ("5 killed " + "<ref " * 3000, "5 killed " + "<span " * 3000):
        assert _casualties(_box(value)) == (TOO_MALFORMED, [])
        changes = diff_wikitext(_box("5 killed"), _box(value))
        assert [(c.field, c.kind, c.new, c.old_number, c.new_number) for c in changes] == [
            ("casualties1", "value_changed", TOO_MALFORMED, None, None),
            ("casualties1", "figure_changed", TOO_MALFORMED, 5, None),  # the 5 killed are gone
        ]
        # the other fields are read as ever
        assert extract_facts(_box(value)).fields["casualties2"].value == "12 killed"


def test_a_few_unclosed_tags_are_read_as_the_page_shows_them():
    assert _casualties(_box("5 killed <span <span 3 wounded")) == (
        "5 killed <span <span 3 wounded",
        [("killed", 5), ("wounded", 3)],
    )


def test_thousands_of_unclosed_templates_are_text():
    value = "5 killed " + "{{a " * 3000
    assert _casualties(_box(value)) == (value.strip(), [("killed", 5)])


def test_other_markup_left_open_by_the_thousand():
    for opener in ("[[a|", "[http://example.org ", "<b>", "<nowiki>"):
        assert _casualties(_box("5 killed " + opener * 3000))[0] == TOO_MALFORMED, opener
        # fewer than 50 left open: read
        value, figures = _casualties(_box("5 killed " + opener * 3))
        assert value != TOO_MALFORMED and figures == [("killed", 5)], opener


# -- fuzz: extraction and diff on any markup ------------------------------------------------

# Fixed budget: the same examples on every run, no example database in the tree.
FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

_PIECES = st.sampled_from(
    [
        "{{", "}}", "{{{", "}}}", "[[", "]]", "[", "]", "|", "=", "==", "\n", "\n==", "\n|",
        "<ref>", "</ref>", "<ref ", "<ref name=a/>", "<span ", "<span>", "</span>", ">", "<",
        "<!--", "-->", "<br>", "<nowiki>", "</nowiki>", "'''", "''", ";", ":", "*", "#",
        "{{flagicon|Iran}}", "{{ubl|", "{{plainlist|", "[http://example.org ", "[[File:",
        "5 killed", "1 ", "1,000", "c. ", "–", "Army:", " ", "a", "Ω", "\t", "&nbsp;",
    ]
)  # fmt: skip
_MARKUP = st.lists(_PIECES, max_size=60).map("".join)


@FUZZ
@given(_MARKUP, _MARKUP)
def test_fuzz_extraction_and_diff(a: str, b: str):
    old, new = _box(a), _box(b)
    facts = extract_facts(old)
    # what comes before the fuzzed field is read as ever
    assert facts.infobox == "Infobox military conflict"
    assert facts.fields["conflict"].value == "Siege of X"
    assert facts.fields["result"].value == "Victory"
    for field in facts.fields.values():
        for figure in field.figures:
            assert figure.number is not None and 0 <= figure.number <= MAX_FIGURE
    assert diff_wikitext(old, old) == []
    changes = diff_wikitext(old, new)
    if extract_facts(new) != facts:
        assert changes  # facts that differ give at least one record


@FUZZ
@given(_MARKUP, st.integers(min_value=1, max_value=400))
def test_fuzz_repeated_markup(piece: str, times: int):
    # a run of the same markup (the shape of the vandal edits above) never raises
    page = _box(piece * times)
    facts = extract_facts(page)
    assert facts.fields["result"].value == "Victory"
    assert diff_wikitext(page, page.replace("Victory", "Defeat"))[0].field == "result"
