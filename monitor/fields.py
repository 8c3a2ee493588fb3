"""How readers sort infobox parameters: by group (casualties, combatants…), the digests'
order and the report's filters alike."""

from __future__ import annotations

import re

# The field groups, in the order readers look at them.
GROUPS = {
    "casualties": "Casualties",
    "combatants": "Combatants",
    "commanders": "Commanders",
    "outcome": "Result, date, place",
    "other": "Other",
}
_GROUP_PREFIXES = (
    ("casualties", ("casualties", "casualty", "notes", "deaths", "killed", "injuries")),
    ("combatants", ("combatant", "belligerent", "side")),
    ("commanders", ("commander", "leader")),
    ("outcome", ("result", "date", "place", "location", "status", "territory", "outcome")),
)


def field_group(name: str) -> str:
    """casualties2 → casualties; combatant1 → combatants; result → outcome…"""
    for group, prefixes in _GROUP_PREFIXES:
        if name.startswith(prefixes):
            return group
    return "other"


def field_order(name: str) -> tuple[int, str, int]:
    """Sort key: by group (casualties first), then casualties2 before casualties10."""
    match = re.match(r"^(\D*?)(\d*)$", name)
    stem, number = (match[1], int(match[2] or 0)) if match else (name, 0)
    return list(GROUPS).index(field_group(name)), stem, number
