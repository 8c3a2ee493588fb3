"""Revision text compression: a keyframe alone, or a delta against an earlier revision.

A **keyframe** is a zstd frame of the text alone. A **delta** says how the text differs
from a base text (an earlier revision): the lengths of the part both start with and of
the part both end with, and what lies between them in the new text, as is when it is a
few bytes (a figure changed), else compressed by zstd with a raw dictionary: the part of
the base it replaced and a few KB around it, or the whole base when that does better.
A one-figure edit of a 120 KB article costs a dozen bytes, and most deltas cost no zstd
work at all. Deltas written before this format are zstd frames of the whole text with the
base as the dictionary; :func:`decompress` reads both.

A chain of deltas is cut by a keyframe before it grows longer than ``MAX_CHAIN`` links,
which bounds the work needed to read any one revision.

zstandard is imported when text is first compressed or decompressed: commands that never
touch a revision's text (``--help``, ``status``) start without it.
"""

from __future__ import annotations

import functools
from types import ModuleType
from typing import Any, Literal

MAX_CHAIN = 2000  # deltas between a keyframe and any revision
DELTA_LEVEL = 9  # level 19 saves ~1% here and is 12x slower
KEYFRAME_LEVEL = 19
RAW_MIDDLE = 32  # bytes of new text stored as they are: zstd would not make them smaller

WINDOW = 4096  # bytes of the base either side of what a delta replaced, as its dictionary
SEARCH_WHOLE = 200  # bytes: a delta this large tries the whole base as dictionary too

# The first byte of a delta says how its middle is stored: as is, or zstd with the whole
# base or with its window as the dictionary (a zstd frame, the first format, starts 0x28).
_RAW, _ZSTD, _WINDOW = 0x01, 0x02, 0x03
_BLOCK = 4096  # bytes compared at once when looking for the common start and end


@functools.cache
def _zstd() -> ModuleType:
    import zstandard

    return zstandard


@functools.cache
def _middle_params() -> Any:
    """A delta's middle is a zstd frame without the 4-byte magic number (the delta's first
    byte says what it is)."""
    zstd = _zstd()
    return zstd.ZstdCompressionParameters.from_level(
        DELTA_LEVEL, format=zstd.FORMAT_ZSTD1_MAGICLESS
    )


def _dictionary(base: bytes) -> Any:
    zstd = _zstd()
    return zstd.ZstdCompressionDict(base, dict_type=zstd.DICT_TYPE_RAWCONTENT)


def common_ends(data: bytes, base: bytes) -> tuple[int, int]:
    """(prefix, suffix): how many bytes ``data`` and ``base`` have in common at their start
    and at their end, not overlapping."""
    prefix = _common_run(data, base, min(len(data), len(base)), from_end=False)
    suffix = _common_run(data, base, min(len(data), len(base)) - prefix, from_end=True)
    return prefix, suffix


def _common_run(data: bytes, base: bytes, limit: int, *, from_end: bool) -> int:
    """How many bytes (at most ``limit``) the two have in common at their start or end:
    blocks are compared at once (memcmp); in the first that differs, the highest set bit
    of the two read as one number each and xored is the first difference."""
    order: Literal["big", "little"] = "little" if from_end else "big"
    lo = 0
    while lo < limit:
        hi = min(limit, lo + _BLOCK)
        ours = data[len(data) - hi : len(data) - lo] if from_end else data[lo:hi]
        theirs = base[len(base) - hi : len(base) - lo] if from_end else base[lo:hi]
        if ours != theirs:
            differ = int.from_bytes(ours, order) ^ int.from_bytes(theirs, order)
            return lo + (len(ours) * 8 - differ.bit_length()) // 8
        lo = hi
    return limit


def _window(base: bytes, prefix: int, suffix: int) -> bytes:
    """The part of ``base`` a delta's middle replaced, with ``WINDOW`` bytes either side."""
    return base[max(0, prefix - WINDOW) : len(base) - max(0, suffix - WINDOW)]


def compress(data: bytes, base: bytes | None = None, ends: tuple[int, int] | None = None) -> bytes:
    """A keyframe of ``data``, or with ``base`` a delta against those bytes (``ends``: their
    :func:`common_ends`, if known)."""
    zstd = _zstd()
    if base is None:
        return bytes(zstd.ZstdCompressor(level=KEYFRAME_LEVEL).compress(data))
    prefix, suffix = ends if ends is not None else common_ends(data, base)
    middle = data[prefix : len(data) - suffix]
    # the common start, and how much of the base lies between it and the common end
    where = _varint(prefix) + _varint(len(base) - prefix - suffix)
    if len(middle) <= RAW_MIDDLE:
        return bytes([_RAW]) + where + middle
    # What replaced a part of the base is mostly made of that part: a dictionary of it
    # (and around it) is much cheaper to load than the whole text. A large middle may be
    # made of text from elsewhere in the base (a section moved): the whole base is tried.
    window = _compress_middle(middle, _window(base, prefix, suffix))
    delta = bytes([_WINDOW]) + where + window
    if len(delta) > SEARCH_WHOLE:
        whole = bytes([_ZSTD]) + where + _compress_middle(middle, base)
        delta = min(delta, whole, key=len)
    return delta


def _compress_middle(middle: bytes, dictionary: bytes) -> bytes:
    compressor = _zstd().ZstdCompressor(
        compression_params=_middle_params(),
        dict_data=_dictionary(dictionary) if dictionary else None,  # an empty base
    )
    return bytes(compressor.compress(middle))


class CorruptText(ValueError):
    """A stored text that cannot be decoded: its bytes were damaged."""


def decompress(blob: bytes, base: bytes | None = None) -> bytes:
    """Inverse of :func:`compress` (``base`` must be the same bytes used to compress);
    raises :class:`CorruptText` when ``blob`` is damaged."""
    zstd = _zstd()
    try:
        return _decompress(zstd, blob, base)
    except (zstd.ZstdError, IndexError) as error:  # IndexError: a varint cut short
        raise CorruptText(str(error) or "cut short") from None


def _decompress(zstd: ModuleType, blob: bytes, base: bytes | None) -> bytes:
    if base is None:
        return bytes(zstd.ZstdDecompressor().decompress(blob))
    method = blob[0]
    if method not in (_RAW, _ZSTD, _WINDOW):  # a delta of the first format: a zstd frame
        return bytes(zstd.ZstdDecompressor(dict_data=_dictionary(base)).decompress(blob))
    prefix, at = _read_varint(blob, 1)
    replaced, at = _read_varint(blob, at)
    suffix = len(base) - prefix - replaced
    if suffix < 0:
        raise CorruptText(f"it replaces {replaced:,} bytes of a {len(base):,}-byte base")
    middle = blob[at:]
    if method != _RAW:
        dictionary = base if method == _ZSTD else _window(base, prefix, suffix)
        decompressor = zstd.ZstdDecompressor(
            dict_data=_dictionary(dictionary) if dictionary else None,
            format=zstd.FORMAT_ZSTD1_MAGICLESS,
        )
        middle = bytes(decompressor.decompress(middle))
    return base[:prefix] + middle + base[len(base) - suffix :]


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        low, value = value & 0x7F, value >> 7
        if not value:
            out.append(low)
            return bytes(out)
        out.append(low | 0x80)


def _read_varint(blob: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = blob[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, at
        shift += 7
