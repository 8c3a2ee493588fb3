"""The jinja2 templates shared by the e-mail digests and the history report: where they are,
the environment that renders them and its filters.

HTML templates autoescape everything they are given; text templates do not (they are never
interpreted as markup).
"""

from __future__ import annotations

import functools
from pathlib import Path

import jinja2

from . import __version__
from .wording import isolate, one_line, plural

# templates/ of the checkout, or the copy a wheel installs as monitor/templates
TEMPLATES = next(
    (
        path
        for path in (
            Path(__file__).resolve().parent.parent / "templates",
            Path(__file__).resolve().parent / "templates",
        )
        if (path / "digest.txt").exists()
    ),
    Path(__file__).resolve().parent / "templates",
)


@functools.cache
def environment() -> jinja2.Environment:
    """The templates: HTML autoescaped, text not (it is never interpreted as markup)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html"], default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["utc"] = utc
    env.filters["oneline"] = one_line
    env.filters["isolate"] = isolate
    env.filters["plural"] = plural
    env.globals["version"] = __version__
    return env


def utc(moment: str | None) -> str:
    """2024-12-01T14:03:00Z → 2024-12-01 14:03 UTC (seconds only when not zero)"""
    if not moment:
        return ""
    seconds = moment[16:19] if moment[17:19] not in ("", "00") else ""
    return f"{moment[:10]} {moment[11:16]}{seconds} UTC"
