import codecs
import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.ingest.decode import decode_text
from bot.ingest.model import ParseError

TEXT = "1\n00:00:01,000 --> 00:00:02,000\nCafé crème, déjà vu\n"


@pytest.mark.parametrize(
    ("bom", "encoding"),
    [
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be"),
    ],
)
def test_byte_order_marks_pick_the_encoding(bom: bytes, encoding: str) -> None:
    assert decode_text(bom + TEXT.encode(encoding)) == TEXT


def test_windows_1252_with_crlf_is_read_as_text() -> None:
    data = ("Élodie: déjà vu, naïve café — “quoted” text\r\n" * 20).encode("cp1252")
    text = decode_text(data)
    assert "\r" not in text
    assert "déjà vu" in text


def test_binary_data_is_rejected() -> None:
    with pytest.raises(ParseError, match="binary"):
        decode_text(bytes(range(256)) * 40)


def test_invalid_utf8_in_the_middle_keeps_the_rest() -> None:
    data = ("good line one\n" * 500).encode() + b"\xff\xfe\xfa broken\n" + ("good line two\n" * 500).encode()
    text = decode_text(data)
    assert "good line one" in text
    assert "good line two" in text


@settings(deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes_decode_or_raise_parse_error(data: bytes) -> None:
    with contextlib.suppress(ParseError):
        assert isinstance(decode_text(data), str)
