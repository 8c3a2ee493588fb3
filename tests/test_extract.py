"""Extraction: wikitext in, infobox facts out.

The cases are data (``tests/cases/extract/NAME.wikitext`` → ``NAME.json``, see
``tests/cases/README.md``), run by one parametrised test; the few tests after it check
properties that a single fixture cannot show (identity across edits, caching, and that the
page is never parsed as a whole).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor import extract
from monitor.extract import KIA_MARKER, extract_facts, field_facts, find_infobox

CASES_DIR = Path(__file__).resolve().parent / "cases" / "extract"
CASES = sorted(CASES_DIR.glob("*.wikitext"))
SEED = Path(__file__).resolve().parent / "data" / "2024_Syrian_opposition_offensives.wikitext"


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
    real_parse = extract.mwparserfromhell.parse

    def spy(text, *args, **kwargs):
        parsed.append(len(text))
        return real_parse(text, *args, **kwargs)

    monkeypatch.setattr(extract.mwparserfromhell, "parse", spy)
    extract.field_facts.cache_clear()
    extract._field_facts.cache_clear()
    extract._box_facts.cache_clear()
    facts = extract_facts(seed)
    assert facts.fields and parsed
    assert max(parsed) < 10_000 < len(seed)  # one field value at a time, refs removed
    assert sum(parsed) < len(seed) // 10


def test_no_infobox_and_empty_input():
    assert extract_facts("") == extract_facts("Just text {{cn}}") == extract.Facts(None, {})
    assert extract_facts("{{Infobox") == extract.Facts("Infobox", {})
