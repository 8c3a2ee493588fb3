"""The ``wikimon`` command line: the group in :mod:`.base`, the commands by role."""

from __future__ import annotations

from .base import cli, main

# Importing the command modules registers their commands, in the order `--help` lists
# them: a walk through the tool.
# isort: off
from . import tracking, reading, exporting, delivery, alerts, report, maintenance  # noqa: E402, F401
# isort: on

__all__ = ["cli", "main"]
