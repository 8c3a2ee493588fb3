"""What the store raises."""

from __future__ import annotations


class StoreError(Exception):
    """The database cannot be used: not a wikimon database, unreadable, or damaged."""
