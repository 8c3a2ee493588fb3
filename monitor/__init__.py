"""wikimon: watch Wikipedia articles and report when the facts in their infoboxes change."""

__version__ = "0.1.0"
