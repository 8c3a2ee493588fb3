"""Errors a user can cause or fix. The CLI prints their message on one line, no traceback."""

from __future__ import annotations


class WikimonError(Exception):
    """Base class; ``exit_code`` is what the CLI exits with."""

    exit_code = 1


class ConfigError(WikimonError):
    exit_code = 2


class UnknownTitle(WikimonError):
    pass


class InvalidTitle(WikimonError):
    pass


class WikiError(WikimonError):
    """The wiki is unreachable, answered garbage, or refused the request."""


class PageError(WikimonError):
    """The page is missing, deleted or a redirect."""


class DumpError(WikimonError):
    """An XML export is malformed or truncated; its message starts with ``file:line``."""
