"""Why a whole delivered file is not read. Its own module so that the readers and the
workbook guard (which the readers call) can both raise it without importing each other."""

from __future__ import annotations

NOT_READABLE = "not_readable"  # damaged, not a zip, not well-formed, no header, wrong type
UNSAFE_FILE = "unsafe_file"  # refused as hostile: size, macros, .xls, zip bomb, DTD/entities
MISPLACED = "misplaced"  # outside the landing layout <feed>/[<source>/]<period>/<file>


class FileRejected(Exception):
    """The whole file cannot be read as a table; the message says why, for the quarantine.

    `kind` is a stable code for reports and feedback: NOT_READABLE, UNSAFE_FILE or MISPLACED (a
    subclass may set others)."""

    def __init__(self, message: str, kind: str = NOT_READABLE) -> None:
        super().__init__(message)
        self.kind = kind


# A reason is read by a person in a report or a quarantine table: repeats are counted, not
# repeated, and the whole is capped (a workbook of 300 bad sheets gives one short line).
MAX_REASON_CHARS = 600


def summarise(parts: list[tuple[str, str]], limit: int = MAX_REASON_CHARS) -> str:
    """One reason from (where, what) parts: parts saying the same `what` are said once, with
    their places counted ("sheet A, sheet B and 298 more: no header row …"); the text is cut
    at `limit` characters with the number of reasons left out."""
    places: dict[str, list[str]] = {}
    for where, what in parts:
        places.setdefault(what, []).append(where)
    said = []
    for what, wheres in places.items():
        shown = ", ".join(w for w in wheres[:3] if w)
        more = f" and {len(wheres) - 3} more" if len(wheres) > 3 else ""
        said.append(f"{shown}{more}: {what}" if shown else what)
    return cap("; ".join(said), limit)


def cap(text: str, limit: int = MAX_REASON_CHARS) -> str:
    """`text` cut at `limit` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[: limit - 20].rstrip()} …（另有 {len(text) - limit + 20} 字省略）"
