import zstandard
from helpers import SEED
from hypothesis import given, settings
from hypothesis import strategies as st

from storage import codec


def test_keyframe_and_delta_round_trip():
    base = SEED.read_bytes()
    new = base.replace(b"11 arrested", b"12 arrested", 1)
    assert new != base
    assert codec.decompress(codec.compress(base)) == base
    delta = codec.compress(new, base)
    assert codec.decompress(delta, base) == new
    # a one-figure edit of a 120 KB article costs a few dozen bytes, not a keyframe
    assert len(delta) < 200
    assert len(codec.compress(new)) > 20_000


def test_empty_text_round_trips():
    assert codec.decompress(codec.compress(b"")) == b""
    assert codec.decompress(codec.compress(b"", b"base"), b"base") == b""


def test_a_delta_spells_out_only_what_changed():
    base = SEED.read_bytes()
    # one figure: the bytes between the common start and end, as they are
    figure = base.replace(b"11 arrested", b"12 arrested", 1)
    delta = codec.compress(figure, base)
    assert len(delta) < 12 and delta.endswith(b"2")
    # a paragraph rewritten: zstd, with the text around it as the dictionary
    at = base.index(b"11 arrested")
    rewritten = base[:at] + base[at : at + 3000].replace(b" the ", b" a ") + base[at + 3000 :]
    delta = codec.compress(rewritten, base)
    assert 12 < len(delta) < 400
    # a section moved to the end: the whole base is the better dictionary
    moved = base[:at] + base[at + 20_000 :] + base[at : at + 20_000]
    delta = codec.compress(moved, base)
    assert len(delta) < 400
    for new in (figure, rewritten, moved):
        assert codec.decompress(codec.compress(new, base), base) == new


def test_a_delta_of_the_first_format_still_decodes():
    """Before migration 0005 a delta was a zstd frame of the whole text, with the base as
    a raw-content dictionary."""
    base = SEED.read_bytes()
    new = base.replace(b"11 arrested", b"12 arrested", 1)
    dictionary = zstandard.ZstdCompressionDict(base, dict_type=zstandard.DICT_TYPE_RAWCONTENT)
    old = zstandard.ZstdCompressor(level=9, dict_data=dictionary).compress(new)
    assert codec.decompress(old, base) == new


texts = st.binary(max_size=300) | st.text(alphabet="ab \n{|}=é", max_size=300).map(str.encode)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(base=texts, data=texts, cut=st.integers(0, 300), keep=st.integers(0, 300))
def test_every_delta_round_trips(base: bytes, data: bytes, cut: int, keep: int) -> None:
    for new in (data, base[:cut] + data + base[cut:], base[:cut] + base[cut + keep :]):
        prefix, suffix = codec.common_ends(new, base)
        assert new[:prefix] == base[:prefix]
        assert prefix + suffix <= min(len(new), len(base))
        assert new[len(new) - suffix :] == base[len(base) - suffix :]
        shorter = len(new) - prefix - suffix, len(base) - prefix - suffix
        assert 0 in shorter or (new[prefix : prefix + 1] != base[prefix : prefix + 1]
                                and new[-suffix - 1 :][:1] != base[-suffix - 1 :][:1])  # fmt: skip
        assert codec.decompress(codec.compress(new, base), base) == new
        assert codec.decompress(codec.compress(new)) == new
