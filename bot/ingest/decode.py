"""Turn the bytes of a file into text, whatever encoding it came in."""

from __future__ import annotations

import codecs

from charset_normalizer import from_bytes

from bot.ingest.model import ParseError

_DROP_CONTROLS = {code: None for code in range(32) if chr(code) not in "\n\r\t\f"}
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def decode_text(data: bytes) -> str:
    """Decode `data` (BOM, UTF-8, or a detected legacy encoding) with newlines normalised."""
    text = _decode(data)
    if "\x00" in text or _control_ratio(text) > 0.05:
        raise ParseError("binary data, not text")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _decode(data: bytes) -> str:
    for bom, encoding in _BOMS:  # UTF-32-LE's BOM starts with UTF-16-LE's, so order matters
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(encoding)
            except UnicodeDecodeError as error:
                raise ParseError(f"invalid {encoding} after its byte-order mark") from error
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    matches = from_bytes(data[:200_000])
    best = matches.best()
    if best is None:
        raise ParseError("binary data, not text")
    # Western legacy files are far more common than Baltic or Central European ones: prefer
    # Windows-1252 whenever the detector finds it nearly as plausible as its first choice.
    western = next((m for m in matches if m.encoding == "cp1252"), None)
    chosen = western if western is not None and western.chaos <= best.chaos + 0.2 else best
    return data.decode(chosen.encoding, errors="replace")


def _control_ratio(text: str) -> float:
    sample = text[:20_000]
    if not sample:
        return 0.0
    return (len(sample) - len(sample.translate(_DROP_CONTROLS))) / len(sample)
