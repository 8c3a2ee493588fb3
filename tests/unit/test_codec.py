from helpers import SEED

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
