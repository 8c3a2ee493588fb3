"""The semantic diff: hand-made facts first (the rules), then real wikitext cases.

Every directory of ``tests/cases/diff/`` is one case (see its README.md): the records of
``diff_wikitext(old.wikitext, new.wikitext)`` must equal ``expected.json``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import CASES

from monitor.core.diff import diff_facts, diff_wikitext
from monitor.core.facts import CHANGE_KINDS, Change, Facts, FieldFacts, Figure, Item

DIFF_CASES = CASES / "diff"


# -- hand-made facts ------------------------------------------------------------------------


def fig(item: str, number: int | None, category: str | None = "killed", side=None, **kw):
    return Figure(item=item, side=side, category=category, number=number, **kw)


def item(text: str, key: str | None = None, *figures: Figure) -> Item:
    return Item(key=text if key is None else key, text=text, figures=tuple(figures))


def field(name: str, *items: Item, value: str | None = None) -> FieldFacts:
    return FieldFacts(
        name=name, value="\n".join(i.text for i in items) if value is None else value, items=items
    )


def facts(*fields: FieldFacts, infobox: str | None = "Infobox military conflict") -> Facts:
    return Facts(infobox=infobox, fields={f.name: f for f in fields})


def casualty(text: str, side: str | None, *numbers: tuple[int | None, str]) -> Item:
    """An unlinked casualty line: key = its text without figures."""
    key = " ".join(w for w in text.split() if not w[0].isdigit())
    return Item(
        key=key,
        text=text,
        figures=tuple(fig(text, n, category, side) for n, category in numbers),
    )


def test_equal_facts_produce_nothing():
    a = facts(
        field("result", item("Ongoing")),
        field("casualties2", casualty("61 killed", "S", (61, "killed"))),
    )
    b = facts(
        field("casualties2", casualty("61 killed", "S", (61, "killed"))),
        field("result", item("Ongoing")),
    )
    assert diff_facts(a, b) == []  # parameter order is not a fact
    assert diff_facts(a, a) == []
    assert diff_facts(Facts(None), Facts(None)) == []


def test_field_added_and_removed_in_stable_order():
    old = facts(
        field("conflict", item("X")),
        field("territory", item("None")),
        field("result", item("Ongoing")),
    )
    new = facts(
        field("result", item("Ongoing")),
        field("image", item("map.jpg")),
        field("conflict", item("X")),
    )
    assert diff_facts(old, new) == [
        Change(field="image", kind="field_added", new="map.jpg"),
        Change(field="territory", kind="field_removed", old="None"),
    ]


def test_empty_field_counts_as_absent():
    old = facts(field("territory", value=""))
    new = facts(field("territory", item("Aleppo captured")))
    assert diff_facts(old, new) == [
        Change(field="territory", kind="field_added", new="Aleppo captured")
    ]
    assert diff_facts(new, old) == [
        Change(field="territory", kind="field_removed", old="Aleppo captured")
    ]


def test_no_infobox_to_infobox_adds_every_field():
    new = facts(field("a", item("1 thing")), field("b", item("B")))
    assert [c.kind for c in diff_facts(Facts(None), new)] == ["field_added", "field_added"]
    assert [c.kind for c in diff_facts(new, Facts(None))] == ["field_removed", "field_removed"]


def test_scalar_value_changed():
    old = facts(field("result", item("Ongoing")))
    new = facts(field("result", item("Assad wins lol")))
    assert diff_facts(old, new) == [
        Change(field="result", kind="value_changed", old="Ongoing", new="Assad wins lol")
    ]


def test_scalar_whitespace_and_case_are_cosmetic():
    old = facts(field("place", item("Idlib ,  Aleppo and Hama Governorates, Syria")))
    new = facts(field("place", item("idlib, Aleppo and Hama governorates , Syria")))
    assert diff_facts(old, new) == []


def test_scalar_figure_change_is_figure_changed():
    old = facts(
        field("casualties2", casualty("142 killed", "Syrian Arab Republic", (142, "killed")))
    )
    new = facts(
        field("casualties2", casualty("208 killed", "Syrian Arab Republic", (208, "killed")))
    )
    assert diff_facts(old, new) == [
        Change(
            field="casualties2", kind="figure_changed", old="142 killed", new="208 killed",
            item="208 killed", category="killed", side="Syrian Arab Republic",
            old_number=142, new_number=208, old_low=142, old_high=142, new_low=208, new_high=208,
        )
    ]  # fmt: skip


def test_figures_appear_in_existing_item():
    old = facts(field("casualties2", casualty("61 killed", "S", (61, "killed"))))
    new = facts(
        field(
            "casualties2",
            casualty("142 killed, 21 captured", "S", (142, "killed"), (21, "captured")),
        )
    )
    records = diff_facts(old, new)
    assert [(c.kind, c.category, c.old_number, c.new_number) for c in records] == [
        ("figure_changed", "killed", 61, 142),
        ("figure_changed", "captured", None, 21),
    ]
    assert all(c.old == "61 killed" and c.new == "142 killed, 21 captured" for c in records)
    back = diff_facts(new, old)
    assert [(c.category, c.old_number, c.new_number) for c in back] == [
        ("killed", 142, 61),
        ("captured", 21, None),
    ]


def test_list_items_added_removed_changed_in_order():
    old = facts(
        field(
            "commander2",
            item("Bashar al-Assad"),
            item("Abdul Karim Mahmoud Ibrahim"),
            item("Kioumars Pourhashemi"),
            item("Old General"),
        )
    )
    new = facts(
        field(
            "commander2",
            item("New General"),
            item("Bashar al-Assad"),
            item("Kioumars Pourhashemi †", "Kioumars Pourhashemi"),
            item("abdul karim  mahmoud ibrahim", "Abdul Karim Mahmoud Ibrahim"),
            item("Suhayl al-Hasan"),
        )
    )
    assert diff_facts(old, new) == [
        Change(field="commander2", kind="item_removed", item="Old General", old="Old General"),
        Change(field="commander2", kind="item_added", item="New General", new="New General"),
        Change(
            field="commander2", kind="item_added", item="Suhayl al-Hasan", new="Suhayl al-Hasan"
        ),
        Change(
            field="commander2", kind="item_changed", item="Kioumars Pourhashemi †",
            old="Kioumars Pourhashemi", new="Kioumars Pourhashemi †",
        ),
    ]  # fmt: skip


def test_item_reordering_is_cosmetic():
    a = field("combatant2", item("Syria"), item("Iran"), item("Russia"))
    b = field("combatant2", item("Russia"), item("Syria"), item("Iran"))
    assert diff_facts(facts(a), facts(b)) == []


def test_figures_in_list_items_matched_by_side_then_order():
    old = facts(
        field(
            "casualties1",
            casualty("44 killed", "Syrian Salvation Government", (44, "killed")),
            casualty("6 killed", "Syrian opposition", (6, "killed")),
        )
    )
    new = facts(
        field(
            "casualties1",
            casualty("102 killed", "Syrian Salvation Government", (102, "killed")),
            casualty("18 killed", "Syrian opposition", (18, "killed")),
        )
    )
    records = diff_facts(old, new)
    assert [(c.kind, c.side, c.old_number, c.new_number, c.item) for c in records] == [
        ("figure_changed", "Syrian Salvation Government", 44, 102, "102 killed"),
        ("figure_changed", "Syrian opposition", 6, 18, "18 killed"),
    ]


def test_same_key_items_keep_identity_when_one_is_removed():
    old = facts(
        field(
            "casualties1",
            casualty("44 killed", "A", (44, "killed")),
            casualty("6 killed", "B", (6, "killed")),
        )
    )
    new = facts(
        field(
            "casualties1",
            casualty("6 killed", "B", (6, "killed")),
            casualty("9 killed", "C", (9, "killed")),
        )
    )
    records = diff_facts(old, new)
    assert [(c.kind, c.item) for c in records] == [
        ("item_removed", "44 killed"),
        ("item_added", "9 killed"),
    ]


def test_figure_appearing_changes_key_but_not_identity():
    # extraction's key (text without figures) may keep the category word: still one item
    old = facts(
        field(
            "casualties2",
            Item("killed", "208 killed", (fig("208 killed", 208, side="SAR"),)),
            Item(
                "militiamen killed",
                "9 militiamen killed",
                (fig("9 militiamen killed", 9, side="Iran"),),
            ),
        )
    )
    new_text = "208 killed, 21 captured"
    new = facts(
        field(
            "casualties2",
            Item(
                "killed, captured",
                new_text,
                (fig(new_text, 208, side="SAR"), fig(new_text, 21, "captured", "SAR")),
            ),
            Item(
                "militiamen killed",
                "9 militiamen killed",
                (fig("9 militiamen killed", 9, side="Iran"),),
            ),
        )
    )
    assert [(c.kind, c.category, c.old_number, c.new_number) for c in diff_facts(old, new)] == [
        ("figure_changed", "captured", None, 21)
    ]


def test_text_change_with_figure_change_reports_both():
    old = facts(
        field("notes", casualty("19 civilians killed", None, (19, "killed")), item("Other"))
    )
    new = facts(
        field("notes", casualty("48 civilians killed (SOHR)", None, (48, "killed")), item("Other"))
    )
    records = diff_facts(old, new)
    # the keys differ ("civilians killed" / "civilians killed (SOHR)"): a new line
    assert [c.kind for c in records] == ["item_removed", "item_added"]
    old = facts(
        field("notes", item("19 civilians killed", "Civilians", fig("x", 19)), item("Other"))
    )
    new = facts(
        field("notes", item("48 civilians killed (SOHR)", "Civilians", fig("x", 48)), item("Other"))
    )
    assert [(c.kind, c.old_number, c.new_number) for c in diff_facts(old, new)] == [
        ("item_changed", None, None),
        ("figure_changed", 19, 48),
    ]


def test_uncategorised_numbers_in_changed_text_are_not_figure_records():
    old = facts(
        field(
            "date",
            item("27 November 2024 – present", None, fig("d", 27, None), fig("d", 2024, None)),
        )
    )
    new = facts(
        field(
            "date",
            item(
                "27 November – 8 December 2024",
                None,
                fig("d", 27, None),
                fig("d", 8, None),
                fig("d", 2024, None),
            ),
        )
    )
    assert [c.kind for c in diff_facts(old, new)] == ["value_changed"]


def test_strength_figure_change_without_category():
    old = facts(
        field(
            "strength3",
            item(
                "100,000 (2021)", "SDF", fig("100,000 (2021)", 100000, None), fig("x", 2021, None)
            ),
        )
    )
    new = facts(
        field(
            "strength3",
            item(
                "120,000 (2021)", "SDF", fig("120,000 (2021)", 120000, None), fig("x", 2021, None)
            ),
        )
    )
    assert [(c.kind, c.old_number, c.new_number) for c in diff_facts(old, new)] == [
        ("figure_changed", 100000, 120000)
    ]


def test_range_and_flags_of_a_figure():
    old = facts(
        field("strength1", item("70,000–90,000", "k", fig("r", 70000, None, low=70000, high=90000)))
    )
    new = facts(
        field(
            "strength1", item("70,000–100,000", "k", fig("r", 70000, None, low=70000, high=100000))
        )
    )
    [record] = diff_facts(old, new)
    assert (record.kind, record.old_number, record.new_number) == ("figure_changed", 70000, 70000)
    old = facts(field("c", item("1+ killed", "k", fig("1+ killed", 1, plus=True))))
    new = facts(field("c", item("1 killed", "k", fig("1 killed", 1))))
    assert [c.kind for c in diff_facts(old, new)] == ["figure_changed"]


def test_inserted_figure_of_the_same_kind_is_one_appearance():
    t_old, t_new = "5 killed, 3 killed", "5 killed, 4 killed, 3 killed"
    old = facts(field("c", item(t_old, "k", fig(t_old, 5), fig(t_old, 3))))
    new = facts(field("c", item(t_new, "k", fig(t_new, 5), fig(t_new, 4), fig(t_new, 3))))
    assert [(c.old_number, c.new_number) for c in diff_facts(old, new)] == [(None, 4)]


def test_list_replaced_by_one_value_is_value_changed():
    old = facts(
        field("combatant1", item("Syrian Salvation Government"), item("Syrian Interim Government"))
    )
    new = facts(field("combatant1", item("Bashar al-Assad fan club", "Bashar al-Assad")))
    assert diff_facts(old, new) == [
        Change(
            field="combatant1", kind="value_changed",
            old="Syrian Salvation Government\nSyrian Interim Government",
            new="Bashar al-Assad fan club",
        )
    ]  # fmt: skip
    assert [c.kind for c in diff_facts(new, old)] == ["value_changed"]


def test_single_value_growing_into_a_list_keeps_items():
    old = facts(field("combatant3", item("AANES")))
    new = facts(field("combatant3", item("AANES"), item("CJTF–OIR"), item("United States")))
    assert [(c.kind, c.item) for c in diff_facts(old, new)] == [
        ("item_added", "CJTF–OIR"),
        ("item_added", "United States"),
    ]


def test_whitespace_and_case_of_an_item_are_cosmetic():
    old = facts(field("units", item("Hamza Division", "Hamza Division (Aleppo)"), item("X")))
    new = facts(field("units", item("hamza  division", "Hamza_Division_(Aleppo)"), item("X")))
    assert diff_facts(old, new) == []


def test_figureless_annotation_is_a_text_change():
    old = facts(
        field("commander2", item("Ali Mahmoud", "Ali Mahmoud (military officer)"), item("X"))
    )
    new = facts(
        field(
            "commander2", item("Ali Mahmoud (killed)", "Ali Mahmoud (military officer)"), item("X")
        )
    )
    assert [c.kind for c in diff_facts(old, new)] == ["item_changed"]


def test_records_serialise():
    old = facts(field("casualties2", casualty("142 killed", "S", (142, "killed"))))
    new = facts(field("casualties2", casualty("14,200 killed", "S", (14200, "killed"))))
    [record] = diff_facts(old, new)
    data = record.to_json()
    assert data["old_number"] == 142 and data["new_number"] == 14200
    assert Change(**json.loads(json.dumps(data))) == record
    assert record.kind in CHANGE_KINDS


# -- real wikitext cases --------------------------------------------------------------------


def _cases() -> list[Path]:
    return sorted(p for p in DIFF_CASES.iterdir() if p.is_dir())


def _params() -> list:
    """One parameter per case; a case with an ``xfail.txt`` (an extraction problem, reported)
    is a strict xfail: it fails the run once extraction is fixed, so the mark comes off."""
    params = []
    for case in _cases():
        reason = case / "xfail.txt"
        marks = (
            [pytest.mark.xfail(strict=True, reason=reason.read_text(encoding="utf-8").strip())]
            if reason.exists()
            else []
        )
        params.append(pytest.param(case, id=case.name, marks=marks))
    return params


@pytest.mark.parametrize("case", _params())
def test_case(case: Path):
    old = (case / "old.wikitext").read_text(encoding="utf-8")
    new = (case / "new.wikitext").read_text(encoding="utf-8")
    infobox_file = case / "infobox.txt"
    infobox = infobox_file.read_text(encoding="utf-8").strip() if infobox_file.exists() else None
    expected = json.loads((case / "expected.json").read_text(encoding="utf-8"))
    got = [c.to_json() for c in diff_wikitext(old, new, infobox)]
    assert got == expected, json.dumps(got, ensure_ascii=False, indent=1)


def test_there_are_enough_cases():
    cases = _cases()
    assert len(cases) >= 30
    kinds = {r["kind"] for c in cases for r in json.loads((c / "expected.json").read_text())}
    assert kinds == set(CHANGE_KINDS)
    assert sum(1 for c in cases if json.loads((c / "expected.json").read_text()) == []) >= 12


def test_numbers_that_are_not_figures_are_text():
    old = facts(field("subdivision", item("About 30 species; see text.")))
    new = facts(field("subdivision", item("About 40 species; see text.")))
    assert [c.kind for c in diff_facts(old, new)] == ["value_changed"]
    t_old, t_new = "15,000 (est. 2022)", "15,000 (est. 2023)"
    old = facts(field("strength1", item(t_old, "HTS", fig(t_old, 15000, "strength")), item("X")))
    new = facts(field("strength1", item(t_new, "HTS", fig(t_new, 15000, "strength")), item("X")))
    assert [c.kind for c in diff_facts(old, new)] == ["item_changed"]


def test_rewording_an_approximation_or_typography_is_cosmetic():
    approx = {"approximate": True}
    old = facts(field("c1", item("c. 1,000 killed", "k", fig("c. 1,000 killed", 1000, **approx))))
    new = facts(field("c1", item("~1,000 killed", "k", fig("~1,000 killed", 1000, **approx))))
    assert diff_facts(old, new) == []
    exact = facts(field("c1", item("1,000 killed", "k", fig("1,000 killed", 1000))))
    [record] = diff_facts(old, exact)  # no longer approximate: the figure changed
    assert (record.kind, record.old_number, record.new_number) == ("figure_changed", 1000, 1000)
    old = facts(field("strength1", item("70,000–90,000 (est. 2020)", "k", fig("x", 70000, None))))
    new = facts(field("strength1", item("70,000-90,000 (est. 2020)", "k", fig("x", 70000, None))))
    assert diff_facts(old, new) == []
    old = facts(field("result", item("Hay’at Tahrir al-Sham victory")))
    new = facts(field("result", item("Hay'at Tahrir al-Sham victory")))
    assert diff_facts(old, new) == []


def test_diff_wikitext_is_the_diff_of_the_extractions():
    old = "{{Infobox military conflict\n| casualties2 = {{flagicon|Iran}} 61 killed\n}}"
    new = (
        "{{Infobox military conflict\n"
        "|casualties2={{flagicon|Iran}} 142 killed, 21 captured<ref>x</ref>\n"
        "| result = Ongoing\n}}"
    )
    assert [
        (c.field, c.kind, c.category, c.old_number, c.new_number) for c in diff_wikitext(old, new)
    ] == [
        ("casualties2", "figure_changed", "killed", 61, 142),
        ("casualties2", "figure_changed", "captured", None, 21),
        ("result", "field_added", None, None, None),
    ]
    assert diff_wikitext("No infobox here.", "Still none.") == []


# -- identity: link targets in any script, redirects bypassed, flags swapped ------------------


def test_a_link_in_a_script_without_case_is_still_a_link():
    """Items keyed by a link target pair whatever the sides of their figures, whether the
    target is written in Latin, Arabic or CJK letters (which have no case)."""
    for target in ("Hay'at Tahrir al-Sham", "هيئة تحرير الشام", "沙姆解放组织"):
        old = (
            "{{Infobox military conflict\n| casualties1 = {{ubl"
            f"|[[{target}|HTS]] 5 killed|{{{{flagicon|Russia}}}} 1 killed}}}}\n}}}}"
        )
        new = old.replace(
            f"[[{target}|HTS]] 5", f"{{{{flagicon|Syrian opposition}}}} [[{target}|HTS]] 7"
        )
        assert [(c.kind, c.side, c.old_number, c.new_number) for c in diff_wikitext(old, new)] == [
            ("figure_changed", "Syrian opposition", 5, 7)
        ], target


def test_items_with_the_same_text_pair_when_their_keys_differ():
    old = facts(field("combatant1", item("HTS", "Hayat Tahrir al-Sham"), item("SIG")))
    new = facts(field("combatant1", item("HTS", "Hay'at Tahrir al-Sham"), item("SIG")))
    assert diff_facts(old, new) == []


def test_a_swapped_flag_is_an_item_change():
    def line(flag: str | None, number: int) -> Item:
        text = f"{number} killed"
        return Item(
            key=flag or "killed", text=text, figures=(fig(text, number, side=flag),),
            kind="flag" if flag else "text", flag=flag,
        )  # fmt: skip

    old = facts(field("casualties1", line("Iran", 5), line("Iraq", 6)))
    new = facts(field("casualties1", line("Israel", 5), line("Iraq", 6)))
    assert diff_facts(old, new) == [
        Change(
            field="casualties1", kind="item_changed", item="5 killed",
            old="5 killed (Iran)", new="5 killed (Israel)",
        )
    ]  # fmt: skip
    # flag and number both changed: in a list nothing is left of the line, it was replaced
    new = facts(field("casualties1", line("Israel", 7), line("Iraq", 6)))
    assert [(c.kind, c.item) for c in diff_facts(old, new)] == [
        ("item_removed", "5 killed"),
        ("item_added", "7 killed"),
    ]
    # a scalar field's one item changes: the text record, then the figure's
    old, new = facts(field("c4", line("Iran", 5))), facts(field("c4", line("Israel", 5)))
    assert [(c.kind, c.old, c.new) for c in diff_facts(old, new)] == [
        ("item_changed", "5 killed (Iran)", "5 killed (Israel)")
    ]
    new = facts(field("c4", line("Israel", 7)))
    assert [(c.kind, c.old, c.new, c.side, c.new_number) for c in diff_facts(old, new)] == [
        ("item_changed", "5 killed", "7 killed", None, None),
        ("figure_changed", "5 killed", "7 killed", "Israel", 7),
    ]
    # a flag appearing or vanishing is not a swap
    assert diff_facts(old, facts(field("c4", line(None, 5)))) == []
    assert diff_facts(facts(field("c4", line(None, 5))), old) == []


def test_item_identity_comes_from_its_fields():
    plain = Item(key="Syrian opposition", text="60 killed")
    assert plain.identity == "Syrian opposition"
    qualified = Item(
        key="Syrian opposition / killed #2", text="60 killed", kind="flag",
        base_key="Syrian opposition", qualifier="killed", position=2,
    )  # fmt: skip
    assert qualified.identity == "Syrian opposition / killed"


def test_requalifying_a_number_is_one_figure_record():
    """Rewording "about 1,000" as "more than 1,000" changes the figure's flags, not the text; a
    word that merely precedes a number ("in", "of") is text."""
    t_old, t_new = "about 1,000 killed", "more than 1,000 killed"
    old = facts(field("c1", item(t_old, "k", fig(t_old, 1000, approximate=True)), item("X")))
    new = facts(field("c1", item(t_new, "k", fig(t_new, 1000, plus=True)), item("X")))
    assert [(c.kind, c.old_number, c.new_number) for c in diff_facts(old, new)] == [
        ("figure_changed", 1000, 1000)
    ]
    old = facts(field("result", item("Ceasefire in 2,000 villages")))
    new = facts(field("result", item("Ceasefire of 2,000 villages")))
    assert [c.kind for c in diff_facts(old, new)] == ["value_changed"]


def test_range_records_carry_both_ends_and_read_as_ranges():
    from monitor.wording import describe

    box = "{{Infobox military conflict\n| casualties1 = {{flagicon|Syrian opposition}} %s\n}}"
    (record,) = diff_wikitext(box % "60–70 killed", box % "60–80 killed")
    ends = (record.old_low, record.old_high, record.new_low, record.new_high)
    assert (record.old_number, record.new_number, ends) == (60, 60, (60, 70, 60, 80))
    assert describe(record) == "killed: 60–70 → 60–80 (60–80 killed, Syrian opposition)"
    (single,) = diff_wikitext(box % "60 killed", box % "75 killed")
    assert describe(single) == "killed: 60 → 75 (+15) (75 killed, Syrian opposition)"
    (appeared,) = diff_wikitext(box % "60 killed", box % "60 killed, 5 captured")
    assert describe(appeared) == "captured: — → 5 (60 killed, 5 captured, Syrian opposition)"
