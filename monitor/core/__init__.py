"""The pure core: wikitext in, facts out; facts in, changes out.

Nothing here does I/O or imports from the rest of wikimon: only the standard library and
mwparserfromhell (a contract checked by ``lint-imports``). :mod:`monitor.analysis` versions
stored change logs by a digest of these files, so changing any of them re-analyses.
"""
