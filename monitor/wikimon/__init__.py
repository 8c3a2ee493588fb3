"""wikimon's Python API (``import wikimon``): read a wikimon database from a notebook or a
script, or get the facts and changes of plain wikitext. See README, "Python API".

This package is ``monitor/wikimon`` in the source tree (a setuptools package-dir mapping);
the code is :mod:`monitor.database`, so ``wikimon.PageChange is
monitor.database.PageChange``.
"""

from monitor import __version__
from monitor.core.facts import Change, Facts, FieldFacts, Figure, Item
from monitor.core.rows import FactRow, fact_rows
from monitor.database import Database, FactsAt, PageChange, diff, facts, moment, open
from monitor.errors import UnknownTitle, WikimonError
from storage import ChangeRow, Page, Revert, RevisionRow, StatusRow, StoreError

__all__ = [
    "Change",
    "ChangeRow",
    "Database",
    "FactRow",
    "Facts",
    "FactsAt",
    "FieldFacts",
    "Figure",
    "Item",
    "Page",
    "PageChange",
    "Revert",
    "RevisionRow",
    "StatusRow",
    "StoreError",
    "UnknownTitle",
    "WikimonError",
    "__version__",
    "diff",
    "fact_rows",
    "facts",
    "moment",
    "open",
]
