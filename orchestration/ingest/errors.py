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
