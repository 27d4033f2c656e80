"""Form bodies decode exactly as urllib does, however odd the escapes."""

from __future__ import annotations

import random
from urllib.parse import parse_qs, unquote_to_bytes, urlencode

from meterhub.faces.dsmr_reader.body import _unquote, urlencoded
from tests.conftest import telegram


def test_a_telegram_posted_as_requests_sends_it() -> None:
    text = telegram("dsmrreader_netbeheer_example_dsmr50.txt")
    assert urlencoded(urlencode({"telegram": text}).encode()) == {"telegram": text}


def test_fields_split_like_urllib() -> None:
    raw = b"telegram=%2FISK5&empty=&flag&telegram=second+one"
    assert urlencoded(raw) == {k: v[-1] for k, v in parse_qs(raw.decode(), keep_blank_values=True).items()}


def test_random_escapes_decode_like_urllib() -> None:
    rnd = random.Random(5)
    alphabet = b"%=+ \r\n0123456789abcdefABCDEFxyz()!*:._-~\x00\xff"
    for _ in range(20_000):
        value = bytes(rnd.choice(alphabet) for _ in range(rnd.randint(0, 40)))
        assert _unquote(value) == unquote_to_bytes(value.replace(b"+", b" ")), value
