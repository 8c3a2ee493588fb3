"""The store's own error."""


class StoreError(Exception):
    """The database cannot be used: not a wikimon database, unreadable, or damaged."""
