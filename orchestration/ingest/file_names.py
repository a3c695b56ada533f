"""What we show and record for the name of a delivered file.

A name comes from whoever delivered the file: it may carry path separators, '..', control
characters, bidi overrides or 255 bytes of Chinese. display_name() turns it into a short,
printable, single-segment label. It is for messages and records only: never build a path from a
delivered name (the file store names files by their sha256)."""

from __future__ import annotations

import re
import unicodedata

MAX_DISPLAY_CHARS = 120
MAX_SUFFIX_CHARS = 10  # longer "extensions" are just part of the name
FALLBACK_NAME = "unnamed"
ELLIPSIS = "…"

_SEPARATORS = re.compile(r"[/\\]+")


def _undo_surrogate_escape(name: str) -> str:
    """Names read from a non-UTF-8 file system arrive with their undecodable bytes as lone
    surrogates (PEP 383). Zips made on Chinese Windows carry GBK names, so try GB18030."""
    if not any("\udc80" <= char <= "\udcff" for char in name):
        return name
    try:
        raw = name.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return name  # other lone surrogates: dropped below as unprintable
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        return raw.decode("utf-8", "replace")


def _printable(char: str) -> bool:
    # C*: control, format (bidi overrides, zero-width), surrogate, private, unassigned;
    # Zl/Zp: line and paragraph separators, which break one-line messages like a newline.
    category = unicodedata.category(char)
    return not (category.startswith("C") or category in ("Zl", "Zp"))


def _clean(name: str) -> str:
    text = unicodedata.normalize("NFC", _undo_surrogate_escape(name))
    return "".join(char for char in text if _printable(char))


def _segments(text: str) -> list[str]:
    # Separators of both systems split; empty, '.' and '..' segments are dropped.
    segments = (segment.strip() for segment in _SEPARATORS.split(text))
    return [segment for segment in segments if segment.strip(".")]


def _shorten(text: str) -> str:
    if len(text) <= MAX_DISPLAY_CHARS:
        return text
    stem, dot, suffix = text.rpartition(".")
    if not (dot and stem and len(suffix) <= MAX_SUFFIX_CHARS and "/" not in suffix):
        stem, suffix = text, ""
    extension = f".{suffix}" if suffix else ""
    return stem[: MAX_DISPLAY_CHARS - len(extension) - len(ELLIPSIS)] + ELLIPSIS + extension


def display_name(name: str) -> str:
    """A delivered file name as we show and record it: NFC, printable, one path segment
    (separators become '_', '.'/'..' segments are dropped), at most 120 characters with the
    extension kept, never empty."""
    text = "_".join(_segments(_clean(name))).lstrip(". ")  # a leading dot hides a file
    return _shorten(text) if text else FALLBACK_NAME


def display_path(path: str) -> str:
    """A relative path from a sender (a zip member, a file under raw/) as we show it: cleaned
    like display_name, but its segments joined by '/' (no leading '/', no '..')."""
    text = "/".join(_segments(_clean(path)))
    return _shorten(text) if text else FALLBACK_NAME
