"""wikimon's SQLite store."""

from .errors import StoreError
from .integrity import DamagedDatabase
from .models import (
    MAX_REVID,
    TIME_FORMAT,
    AnalysisState,
    ArticleActivity,
    ChangeRecord,
    ChangeRow,
    Clock,
    DigestRow,
    Page,
    Revert,
    Revision,
    RevisionRow,
    StatusRow,
    SyncState,
    WikiRow,
    format_time,
    parse_time,
    sha1_base36_to_hex,
    sha1_hex,
    system_clock,
    time_problem,
    up_to,
)
from .store import Store
from .texts import RevisionWriter

__all__ = [
    "MAX_REVID",
    "TIME_FORMAT",
    "AnalysisState",
    "ArticleActivity",
    "Clock",
    "ChangeRecord",
    "ChangeRow",
    "DamagedDatabase",
    "DigestRow",
    "Page",
    "Revert",
    "Revision",
    "RevisionRow",
    "StatusRow",
    "SyncState",
    "WikiRow",
    "RevisionWriter",
    "Store",
    "StoreError",
    "format_time",
    "parse_time",
    "sha1_base36_to_hex",
    "sha1_hex",
    "system_clock",
    "time_problem",
    "up_to",
]
