"""Refuse hostile or unusable workbooks before calamine (feeds) or openpyxl (submissions)
opens them.

openpyxl parses XML through defusedxml, but it trusts the zip around it: a 300 KB file can
declare gigabytes of XML, and a refusal from deep inside openpyxl reads as a stack trace, not a
reason. Every check here reads only the zip's central directory or a bounded, streamed slice of a
member, so a hostile file is refused in well under a second with a message a person can act on.

Checks, in order: file size; format (.xlsm/.xltm/.xlsb, legacy/encrypted OLE2 .xls, not a zip);
zip central directory (entry count, total declared uncompressed size, compression ratio,
encryption, compression method, macros); a streamed scan of the XML members for DTD/entity
declarations; a defusedxml parse of xl/workbook.xml.

Refusals are FileRejected with kind "unsafe_file" (size, macros, OLE2 .xls or encrypted file,
zip bomb by ratio, total, entries or a lying declared size, encrypted entries, compression
method, DTD/entities, an encoding that could hide them) or "not_readable" (not a zip, a damaged
zip or member, XML that is not well-formed).

Limits are a WorkbookLimits; DEFAULT_LIMITS is read from the environment at import time:

- ``LQ_MAX_WORKBOOK_BYTES``: size of the workbook file itself (default 20 MiB). The readers'
  MAX_FILE_BYTES (100 MiB, every file type) still applies on top.
- ``LQ_MAX_UNCOMPRESSED_BYTES``: total uncompressed size the zip may declare (default 200 MiB);
  it is also the most the XML scan can ever decompress.

The entry count (2000) and the compression ratio (200:1, for entries of 1 MiB or more) are fixed
defaults of WorkbookLimits.
"""

from __future__ import annotations

import copy
import os
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, iterparse

from orchestration.ingest.errors import UNSAFE_FILE, FileRejected
from orchestration.ingest.file_names import display_path

MiB = 1024 * 1024
CHUNK = MiB
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"  # Excel's xlsx always starts with a local file header
MACRO_SUFFIXES = frozenset({".xlsm", ".xltm", ".xlsb"})
LEGACY_SUFFIXES = frozenset({".xls", ".xlt"})
REFUSED_SUFFIXES = MACRO_SUFFIXES | LEGACY_SUFFIXES
WORKBOOK_PART = "xl/workbook.xml"
XML_SUFFIXES = (".xml", ".rels", ".vml")
# Binary payloads openpyxl never parses as XML; an SVG image may legitimately carry a DOCTYPE.
BINARY_FOLDERS = ("xl/media/", "xl/embeddings/", "docprops/thumbnail")
ACCEPTED_COMPRESSION = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED})  # what Excel writes

SAVE_AS_XLSX = "save as .xlsx (Excel 工作簿)"
LEGACY_REFUSED = (
    "legacy Excel 97-2003 format .xls is not accepted (OLE2 file): "
    f"{SAVE_AS_XLSX}; a password-protected (encrypted) .xlsx is stored in the same OLE2 "
    "format, so remove the password before saving"
)
NOT_A_ZIP = "not an xlsx workbook (not a zip archive)"
DTD_REFUSED = "XML DTD/entity declarations are not allowed (possible entity-expansion attack)"

ENV_MAX_WORKBOOK_BYTES = "LQ_MAX_WORKBOOK_BYTES"
ENV_MAX_UNCOMPRESSED_BYTES = "LQ_MAX_UNCOMPRESSED_BYTES"


def _env_bytes(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) <= 0:
        raise ValueError(f"{name} must be a positive number of bytes, not {value!r}")
    return int(value)


@dataclass(frozen=True)
class WorkbookLimits:
    max_file_bytes: int = 20 * MiB
    max_uncompressed_bytes: int = 200 * MiB
    max_entries: int = 2000
    max_ratio: float = 200.0
    ratio_min_bytes: int = MiB  # small parts (styles, empty sheets) compress far better

    @classmethod
    def from_env(cls) -> WorkbookLimits:
        return cls(
            max_file_bytes=_env_bytes(ENV_MAX_WORKBOOK_BYTES, cls.max_file_bytes),
            max_uncompressed_bytes=_env_bytes(
                ENV_MAX_UNCOMPRESSED_BYTES, cls.max_uncompressed_bytes
            ),
        )


DEFAULT_LIMITS = WorkbookLimits.from_env()

_EOCD = struct.Struct("<4s4H2LH")  # end of central directory record
_ZIP64_LOCATOR_SIZE = 20
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")
_CENTRAL_HEADER_SIZE = 46


def _count_entries(handle: BinaryIO, size: int, stop_after: int) -> int:
    """Count central-directory headers as zipfile will walk them, stopping past `stop_after`.
    zipfile builds a ZipInfo per entry (~5 µs each), so 20 MB of empty entries would cost
    seconds before infolist() could be checked. Any oddity returns 0: zipfile judges it next."""
    tail_size = min(size, _EOCD.size + 0xFFFF)  # the record plus the longest zip comment
    handle.seek(size - tail_size)
    tail = handle.read(tail_size)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < _EOCD.size:
        return 0
    declared, directory_size = _EOCD.unpack_from(tail, at)[4:6]
    end = size - tail_size + at
    # zip64 (like zipfile, whenever its locator precedes the end record, whatever the counts
    # say): the real figures sit in the zip64 end record, just before the locator.
    locator_at = end - _ZIP64_LOCATOR_SIZE
    if locator_at >= 0:
        handle.seek(locator_at)
        if handle.read(4) == b"PK\x06\x07":
            end = locator_at - _ZIP64_EOCD.size
            if end < 0:
                return 0
            handle.seek(end)
            record = handle.read(_ZIP64_EOCD.size)
            if len(record) < _ZIP64_EOCD.size or not record.startswith(b"PK\x06\x06"):
                return 0
            declared, directory_size = _ZIP64_EOCD.unpack(record)[7:9]
    if declared > stop_after:
        return declared  # the honest case, without reading the directory
    if directory_size > end:
        return 0
    handle.seek(end - directory_size)
    directory = handle.read(directory_size)  # at most the file size, itself limited
    count = offset = 0
    while count <= stop_after and offset + _CENTRAL_HEADER_SIZE <= len(directory):
        if not directory.startswith(b"PK\x01\x02", offset):
            break
        name, extra, comment = struct.unpack_from("<3H", directory, offset + 28)
        offset += _CENTRAL_HEADER_SIZE + name + extra + comment
        count += 1
    return count


def _entry(info: zipfile.ZipInfo) -> str:
    return f"zip entry {display_path(info.filename)}"  # member names are attacker-chosen


def _check_directory(entries: list[zipfile.ZipInfo], limits: WorkbookLimits) -> None:
    """Everything the central directory alone can tell, before any member is decompressed."""
    if len(entries) > limits.max_entries:
        raise FileRejected(f"zip archive has more than {limits.max_entries} entries", UNSAFE_FILE)
    total = sum(info.file_size for info in entries)
    if total > limits.max_uncompressed_bytes:
        raise FileRejected(
            f"zip archive declares {total} bytes uncompressed, over the "
            f"{limits.max_uncompressed_bytes} byte limit ({ENV_MAX_UNCOMPRESSED_BYTES}; "
            "possible zip bomb)",
            UNSAFE_FILE,
        )
    for info in entries:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size >= limits.ratio_min_bytes and ratio > limits.max_ratio:
            raise FileRejected(
                f"{_entry(info)} expands {ratio:.0f}:1 ({info.compress_size} to "
                f"{info.file_size} bytes), over the {limits.max_ratio:.0f}:1 limit "
                "(possible zip bomb)",
                UNSAFE_FILE,
            )
    for info in entries:
        if info.flag_bits & 0x41:  # 0x01 encrypted, 0x40 strong encryption
            raise FileRejected(
                f"{_entry(info)} is encrypted: remove the password and {SAVE_AS_XLSX}",
                UNSAFE_FILE,
            )
    for info in entries:
        if info.compress_type not in ACCEPTED_COMPRESSION:
            raise FileRejected(
                f"{_entry(info)} uses zip compression method {info.compress_type}; "
                f"only stored and deflate (what Excel writes) are accepted: {SAVE_AS_XLSX}",
                UNSAFE_FILE,
            )
    for info in entries:
        if PurePosixPath(info.filename).name.lower() == "vbaproject.bin":
            raise FileRejected(
                f"workbook contains macros ({display_path(info.filename)}) although named "
                f".xlsx: macro-enabled workbooks are not accepted, {SAVE_AS_XLSX} without macros",
                UNSAFE_FILE,
            )


def _dtd_pattern(encoding: str) -> re.Pattern[bytes]:
    words = (re.escape(word.encode(encoding)) for word in ("<!DOCTYPE", "<!ENTITY"))
    return re.compile(b"|".join(words), re.IGNORECASE)


_PATTERNS = {name: _dtd_pattern(name) for name in ("ascii", "utf-16-le", "utf-16-be")}
_OVERLAP = 2 * len("<!DOCTYPE")  # a declaration split across two chunks is still found
_XML_ENCODING = re.compile(rb"""\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})["']""")


def _encoding_of(info: zipfile.ZipInfo, head: bytes) -> str:
    """Which byte pattern a '<!DOCTYPE' takes in this member. expat reads UTF-16 (by BOM or a
    '<' followed by NUL) and any ASCII-compatible declared encoding; anything else could hide
    the declaration from a byte scan, and Excel never writes it."""
    if head.startswith((b"\xff\xfe", b"<\x00")):
        return "utf-16-le"
    if head.startswith((b"\xfe\xff", b"\x00<")):
        return "utf-16-be"
    match = _XML_ENCODING.match(head.removeprefix(b"\xef\xbb\xbf"))
    if match:
        declared = match.group(1).decode("ascii")
        try:
            ascii_compatible = "<!DOCTYPE<!ENTITY".encode(declared) == b"<!DOCTYPE<!ENTITY"
        except (LookupError, UnicodeError):
            ascii_compatible = False
        if not ascii_compatible:
            raise FileRejected(
                f"{_entry(info)} declares XML encoding {declared!r}, which is not accepted "
                "(use UTF-8)",
                UNSAFE_FILE,
            )
    return "ascii"


def _scanned(info: zipfile.ZipInfo) -> bool:
    # openpyxl parses whatever part the relationships point to, whatever its extension.
    name = info.filename.lower()
    if info.is_dir():
        return False
    return name.endswith(XML_SUFFIXES) or not name.startswith(BINARY_FOLDERS)


def _scan_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Stream one member looking for DTD/entity declarations, never decompressing more than
    its declared size (whose sum is already within the limit)."""
    pattern: re.Pattern[bytes] | None = None
    carry = b""
    seen = 0
    try:
        with archive.open(info) as member:
            while chunk := member.read(CHUNK):
                seen += len(chunk)
                if seen > info.file_size:  # zipfile truncates today; do not rely on it
                    raise FileRejected(
                        f"{_entry(info)} decompresses to more than its declared "
                        f"{info.file_size} bytes (possible zip bomb)",
                        UNSAFE_FILE,
                    )
                if pattern is None:
                    pattern = _PATTERNS[_encoding_of(info, chunk)]
                window = carry + chunk
                if pattern.search(window):
                    raise FileRejected(
                        f"{DTD_REFUSED}: found in {display_path(info.filename)}", UNSAFE_FILE
                    )
                carry = window[-_OVERLAP:]
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as error:
        # A lying declared size ends here too (zipfile stops at it, so the data fails its
        # CRC): told apart from plain damage by one bounded look past the declared end.
        if _runs_past_declared_size(archive, info):
            raise FileRejected(
                f"{_entry(info)} is damaged: {error}; it decompresses to more than its "
                f"declared {info.file_size} bytes (possible zip bomb)",
                UNSAFE_FILE,
            ) from error
        raise FileRejected(f"{_entry(info)} is damaged: {error}") from error


def _runs_past_declared_size(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    """Whether the member yields more than its declared size: read it again allowing one
    byte more (without the CRC check, which fails either way). Decompresses at most
    file_size + 1 bytes."""
    probe = copy.copy(info)
    probe.file_size = info.file_size + 1
    probe.CRC = None  # zipfile skips the check without an expected CRC
    seen = 0
    try:
        with archive.open(probe) as member:
            while chunk := member.read(min(CHUNK, probe.file_size - seen)):
                seen += len(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError):
        pass
    return seen > info.file_size


def _parse_workbook_part(archive: zipfile.ZipFile) -> None:
    """Second opinion from defusedxml on the part openpyxl reads first (the byte scan above
    is the first): its refusals become the same reason."""
    try:
        info = archive.getinfo(WORKBOOK_PART)
    except KeyError:
        return  # openpyxl finds the workbook part through the relationships, and says so
    try:
        with archive.open(info) as member:
            for _event, element in iterparse(member, forbid_dtd=True):
                element.clear()  # keep memory flat on a large part
    except DefusedXmlException as error:
        raise FileRejected(
            f"{DTD_REFUSED}: {WORKBOOK_PART} refused by defusedxml ({type(error).__name__})",
            UNSAFE_FILE,
        ) from error
    except ParseError as error:
        raise FileRejected(f"{WORKBOOK_PART} is not well-formed XML: {error}") from error
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as error:
        raise FileRejected(f"zip entry {WORKBOOK_PART} is damaged: {error}") from error


def inspect_workbook(path: Path, limits: WorkbookLimits = DEFAULT_LIMITS) -> None:
    """Raise FileRejected, with the problem and the limit, unless `path` is a plain .xlsx that
    is safe to hand to openpyxl. Reads the central directory and at most the declared
    uncompressed size (itself limited); never extracts anything to disk."""
    size = path.stat().st_size
    if size > limits.max_file_bytes:
        raise FileRejected(
            f"workbook is {size} bytes, over the {limits.max_file_bytes} byte limit for "
            f"workbooks ({ENV_MAX_WORKBOOK_BYTES})",
            UNSAFE_FILE,
        )
    suffix = path.suffix.lower()
    if suffix in MACRO_SUFFIXES:
        raise FileRejected(
            f"macro-enabled / binary workbooks ({suffix}) are not accepted: {SAVE_AS_XLSX}",
            UNSAFE_FILE,
        )
    with path.open("rb") as handle:
        magic = handle.read(len(OLE2_MAGIC))
        if magic == OLE2_MAGIC or suffix in LEGACY_SUFFIXES:
            raise FileRejected(LEGACY_REFUSED, UNSAFE_FILE)
        if not magic.startswith(ZIP_MAGIC):
            raise FileRejected(NOT_A_ZIP)
        if _count_entries(handle, size, limits.max_entries) > limits.max_entries:
            raise FileRejected(
                f"zip archive has more than {limits.max_entries} entries", UNSAFE_FILE
            )
        handle.seek(0)
        try:
            archive = zipfile.ZipFile(handle)
        except (zipfile.BadZipFile, ValueError, OSError, EOFError, struct.error) as error:
            raise FileRejected(
                f"not a readable xlsx workbook: damaged zip archive: {error}"
            ) from error
        with archive:
            entries = archive.infolist()
            _check_directory(entries, limits)
            for info in entries:
                if _scanned(info):
                    _scan_member(archive, info)
            _parse_workbook_part(archive)
