"""Extraction: wikitext in, infobox facts out.

The cases are data (``tests/cases/extract/NAME.wikitext`` → ``NAME.json``, see
``tests/cases/README.md``), run by one parametrised test; the few tests after it check
properties that a single fixture cannot show (identity across edits, caching, and that the
page is never parsed as a whole).
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from helpers import CASES, SEED
from mwparserfromhell.parser import ParserError

from monitor.core import catalogue, extract, numbers, render
from monitor.core.extract import KIA_MARKER, extract_facts, field_facts, find_infobox

CASES_DIR = CASES / "extract"
CASES = sorted(CASES_DIR.glob("*.wikitext"))


def test_there_are_enough_cases():
    assert len(CASES) >= 35
    assert all(path.with_suffix(".json").exists() for path in CASES)


@pytest.mark.parametrize("path", CASES, ids=lambda path: path.stem)
def test_extract_case(path: Path):
    expected = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    facts = extract_facts(path.read_text(encoding="utf-8"), expected.get("configured_infobox"))
    assert facts.infobox == expected["infobox"]
    actual = facts.to_json()
    for name, field in expected["fields"].items():
        assert name in actual, f"field {name} missing"
        assert actual[name] == field, f"field {name}"
    assert set(actual) == set(expected["fields"])
    for name, keys in expected.get("keys", {}).items():
        assert [item.key for item in facts.fields[name].items] == keys, f"keys of {name}"


def _box(**fields: str) -> str:
    lines = "".join(f"| {name} = {value}\n" for name, value in fields.items())
    return "{{Infobox military conflict\n" + lines + "}}\nBody.\n"


def test_item_identity_survives_kia_and_repiping():
    before = extract_facts(
        _box(commander2="{{ubl|[[Ali Mahmoud (military officer)|Ali Mahmoud]]"
             "|{{flagicon|Iran}} [[Kioumars Pourhashemi]]}}")
    )  # fmt: skip
    after = extract_facts(
        _box(commander2="{{ubl|[[Ali_Mahmoud (military officer)#Career|General Ali Mahmoud]]"
             "|{{flagicon|Iran}} [[Kioumars Pourhashemi]]{{KIA}}<ref>x</ref>}}")
    )  # fmt: skip
    old, new = before.fields["commander2"].items, after.fields["commander2"].items
    assert [i.key for i in old] == [i.key for i in new]
    assert new[1].text == "Kioumars Pourhashemi" + KIA_MARKER


def test_figure_changes_keep_the_item_key():
    flag = "{{flagicon|Syrian Arab Republic}} "
    texts = [flag + "208 killed", flag + "208 killed, 21 captured", flag + "c. 2,100+ killed"]
    keys = {
        extract_facts(_box(casualties2=text)).fields["casualties2"].items[0].key for text in texts
    }
    assert keys == {"Syrian Arab Republic"}
    unflagged = ["61 civilians killed", "82 civilians killed", "c. 1,000+ civilians killed"]
    keys = {extract_facts(_box(notes=text)).fields["notes"].items[0].key for text in unflagged}
    assert keys == {"civilians killed"}


def test_cosmetic_edits_give_equal_facts():
    seed = SEED.read_text(encoding="utf-8")
    facts = extract_facts(seed)
    span = find_infobox(seed)
    body_edit = seed[: span.end] + "\n\nA new paragraph with 500 killed.{{cn}}\n" + seed[span.end :]
    aligned = seed.replace("| notes             = ", "|notes=").replace("<br />", "<br>")
    line = "{{flagicon|Syrian opposition}} 60 killed"
    reference_only = seed.replace(line + '<ref name="dec524"/>', line + "<ref>New source</ref>")
    for variant in (body_edit, aligned, reference_only):
        assert variant != seed
        assert extract_facts(variant) == facts


def test_fields_are_cached_on_their_raw_text():
    raw = "{{flagicon|Syrian Arab Republic}} 220 killed<ref>a</ref>"
    first = field_facts("casualties2", raw)
    assert field_facts("casualties2", raw) is first
    # a reference-only change is a cache miss on the raw text, a hit on the displayed text
    assert field_facts("casualties2", raw.replace("<ref>a</ref>", "<ref>b</ref>")) is first


def test_the_page_is_never_parsed_whole(monkeypatch):
    seed = SEED.read_text(encoding="utf-8")
    parsed: list[int] = []
    real_parse = render.mwparserfromhell.parse

    def spy(text, *args, **kwargs):
        parsed.append(len(text))
        return real_parse(text, *args, **kwargs)

    monkeypatch.setattr(render.mwparserfromhell, "parse", spy)
    extract.field_facts.cache_clear()
    extract._field_facts.cache_clear()
    extract._box_facts.cache_clear()
    extract.param_facts.cache_clear()
    facts = extract_facts(seed)
    assert facts.fields and parsed
    assert max(parsed) < 10_000 < len(seed)  # one field value at a time, refs removed
    assert sum(parsed) < len(seed) // 10


def test_no_infobox_and_empty_input():
    assert extract_facts("") == extract_facts("Just text {{cn}}") == extract.Facts(None, {})
    assert extract_facts("{{Infobox") == extract.Facts("Infobox", {})


def test_enough_fixture_cases_in_total():
    diff_cases = [p for p in (CASES_DIR.parent / "diff").iterdir() if p.is_dir()]
    assert len(CASES) + len(diff_cases) >= 60


# -- numbers ----------------------------------------------------------------------------------


def test_counts_are_whole_numbers_up_to_max_figure():
    assert numbers.count("1,000") == 1000
    assert numbers.count("70 000") == numbers.count("70\u00a0000") == 70000
    assert numbers.count("1.000") == 1000 and numbers.count("1.000.000") == 1_000_000
    assert numbers.count("1.5", "million") == numbers.count("1.500", "million") == 1_500_000
    assert numbers.count("2,5", "million") == 2_500_000
    assert numbers.count("2,500", "million") == 2_500_000_000
    assert numbers.count("1,000,000,000,000,000") == numbers.MAX_FIGURE == 10**15
    assert numbers.count("1,000,000,000,000,001") is None  # would not fit a figure
    assert numbers.count("99999999999999999999999999") is None
    assert numbers.count("9" * 310) is None  # float("9" * 310) is inf: no OverflowError
    assert numbers.count("1,234.5") is None and numbers.count("2.5") is None  # not counts
    assert numbers.count("1e999") is None and numbers.count("1,2345") is None
    # the exact value is kept for comparing texts: no rounding through float
    assert numbers.exact_value("99999999999999999999999999") == 10**26 - 1
    assert numbers.exact_value("1,234.5") == Decimal("1234.5")


def test_quantities_are_what_extraction_reads_as_numbers():
    text = "c. 1,000+ killed, 70 000 displaced, 2,5 million fled, 27–30 November, 5th Corps"
    found = [(text[q.start : q.end], q.low, q.high) for q in numbers.quantities(text)]
    assert found == [
        ("1,000+", 1000, 1000),
        ("70 000", 70000, 70000),
        ("2,5 million", 2_500_000, 2_500_000),
        ("27–30", 27, 30),
        ("5", 5, 5),  # "th" is glued to it, not part of it
    ]
    figures = extract.find_figures(text)
    assert [(category, low) for category, low, *_ in figures] == [
        ("killed", 1000),
        ("displaced", 70000),
        ("displaced", 2_500_000),
    ]


# -- broken templates -------------------------------------------------------------------------


def _notes(value: str) -> list[tuple[str, list[int | None]]]:
    field = extract_facts(_box(notes=value)).fields["notes"]
    return [(item.text, [figure.number for figure in item.figures]) for item in field.items]


def test_two_unclosed_templates_on_one_line_are_text_once():
    value = "{{flagicon|Iran [[A]] 5 killed {{flagicon|Iraq [[B]] 6 killed"
    assert _notes(value) == [("{{flagicon|Iran A 5 killed {{flagicon|Iraq B 6 killed", [5, 6])]


def test_many_unclosed_templates_are_text():
    # Each "{{" that is never closed is escaped where it stands: the parser never backtracks
    # over them (these took 10 s and 130 s when they were left to it).
    assert _notes("{{x|" * 100) == [("{{x|" * 100, [])]
    shown = ("{{a|B " * 100 + "{{c|" * 50).strip()
    assert _notes("{{a|{{b}} " * 100 + "{{c|" * 50) == [(shown, [])]
    # one "}}" closes the last template only ({{x|}}: its name); the rest is text
    assert _notes("{{ubl|A|{{x|" * 60 + "}}") == [("{{ubl|A|{{x|" * 59 + "{{ubl|A|X", [])]


def test_parser_failure_still_shows_readable_text(monkeypatch):
    def fail(*args, **kwargs):
        raise ParserError("internal error")

    monkeypatch.setattr(render.mwparserfromhell, "parse", fail)
    items = render.display_items(
        "{{ubl|[[Hayat Tahrir al-Sham|HTS]]|{{flagicon|Iran}} 5 killed<br>{{nowrap|''about'' 6}}}}"
    )
    assert [item.text for item in items] == ["HTS", "5 killed", "about 6"]


def test_template_registry_is_consistent():
    # a name is rendered one way: not registered twice (that raises at import), not both
    # handled and in the list of templates that show nothing
    assert not catalogue.NOTHING & catalogue.HANDLERS.keys()
    assert catalogue.HANDLERS["resize"] is catalogue._last  # {{resize|90%|text}}: the text
    assert _notes("{{resize|90%|Aleppo}} {{sic|Ale|ppo}}") == [("Aleppo Aleppo", [])]


def test_every_fallback_infobox_is_found_by_the_quick_check() -> None:
    """find_infobox skips a page early unless "Infobox" or a fallback's name ends in one of
    the known endings: a new fallback name needs its ending listed."""
    from monitor.core.scan import _FALLBACK_ENDINGS, FALLBACK_INFOBOXES

    for name in FALLBACK_INFOBOXES:
        assert name.endswith(_FALLBACK_ENDINGS), name
        for spelled in (name, name.upper(), name.title()):
            found = extract_facts("{{" + spelled + " | a = 1 }}").infobox
            assert found is not None and found.casefold() == name


# -- what is presentation ---------------------------------------------------------------------


def test_presentation_is_never_a_value():
    for css in ("line-height:1.25em", "padding-top:0;line-height:1.4em ", "20px", "90%", "#ebc0b3"):
        assert catalogue.presentational_value(css), css
    for text in ("Note: see below", "75% Arab", "1.25", "Colour: red"):
        assert not catalogue.presentational_value(text), text
    for name, value in (("style", "x"), ("titlestyle", "x"), ("location_color", "green"),
                        ("image_size", "x"), ("date", "May 2020"), ("link", "no"),
                        ("anything", "yes")):  # fmt: skip
        assert catalogue.presentational_arg(name, value), name
    for name, value in (("title", "Units:"), ("name", "Netherlands"), ("text", "x")):
        assert not catalogue.presentational_arg(name, value), name


def test_presentational_infobox_parameters_are_no_facts():
    box = _box(
        alt="A man kneeling", image_size="300px", image_alt="x", bgcolor="#fff",
        familycolor="Afro-Asiatic", embed="yes", signature_alt="x", width="3,639",
        altname="Mon–Khmer", size="5,000 men", color="Colorless",
    )  # fmt: skip
    assert set(extract_facts(box).fields) == {"width", "altname", "size", "color"}


def test_unknown_templates_show_their_arguments_not_their_presentation():
    shown = _notes("{{Mystery|First|style=color:red|second|label=Shown|df=y|width=20px}}")
    assert shown == [("First second Shown", [])]
    assert _notes("{{Yes}}") == [("Yes", [])]
    for spelled in ("Infobox settlement", "INFOBOX settlement", "Template:infoBox_settlement"):
        found = extract_facts("{{" + spelled + " | a = 1 }}").infobox
        assert found is not None and found.casefold() == "infobox settlement"
