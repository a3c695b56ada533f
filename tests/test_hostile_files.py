"""Hostile and unusable files, crafted for real in tmp_path: each is refused with a reason a
person can act on, and quickly (the guard reads the central directory and bounded slices)."""

from __future__ import annotations

import errno
import os
import struct
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from openpyxl import Workbook

from orchestration.ingest import errors, file_store, landing, loader, readers, xlsx_guard
from orchestration.ingest.contract import load_contract
from orchestration.ingest.file_names import display_name, display_path
from orchestration.ingest.loader import ingest_feed
from orchestration.ingest.readers import FileRejected, read_table
from orchestration.ingest.xlsx_guard import (
    DTD_REFUSED,
    LEGACY_REFUSED,
    NOT_A_ZIP,
    WorkbookLimits,
    inspect_workbook,
)

MiB = 1024 * 1024
BOMB_MIB = 300  # ~300 KB on disk; a real bomb would be 1 GB+, refused the same way
SHEET = "xl/worksheets/sheet1.xml"
HEADERS = frozenset({"序号", "产品名称"})
ENTITIES = ['<!ENTITY lol0 "lol">'] + [
    f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
]
LAUGHS = f"<!DOCTYPE lolz [{''.join(ENTITIES)}]>"  # &lol9; expands to 10^9 "lol"

# A delivery folder of the landing layout: spot_checks/<stream>/<YYYY-MM>/.
SLOT_DIR = Path("spot_checks/manufacturing/2015-03")


def _refused(check: Callable[[], object]) -> str:
    """The refusal message; the check must also be quick."""
    started = time.perf_counter()
    with pytest.raises(FileRejected) as refusal:
        check()
    elapsed = time.perf_counter() - started
    assert elapsed < 1.0, f"check took {elapsed:.2f} s"
    return str(refusal.value)


def _workbook(path: Path) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["序号", "产品名称"])
    sheet.append([1, "电缆"])
    workbook.save(path)
    return path


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _write_zip(path: Path, members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _with_dtd(xml: bytes, old: bytes = b"", new: bytes = b"") -> bytes:
    """Insert the billion-laughs DTD after the XML declaration (and an entity reference)."""
    if not xml.startswith(b"<?xml"):  # openpyxl writes none
        xml = b'<?xml version="1.0" encoding="UTF-8"?>' + xml
    end = xml.index(b"?>") + 2
    return xml[:end] + LAUGHS.encode() + xml[end:].replace(old, new, 1)


@pytest.fixture(scope="module")
def zip_bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real workbook whose sheet is replaced by 300 MiB of zeros (deflate level 9)."""
    path = tmp_path_factory.mktemp("bomb") / "bomb.xlsx"
    members = _members(_workbook(tmp_path_factory.mktemp("src") / "src.xlsx"))
    zeros = bytes(MiB)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in members.items():
            if name != SHEET:
                archive.writestr(name, data)
        with archive.open(SHEET, "w", force_zip64=True) as member:
            for _ in range(BOMB_MIB):
                member.write(zeros)
    assert path.stat().st_size < MiB
    return path


def test_a_normal_workbook_passes_and_reads(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "ok.xlsx")
    started = time.perf_counter()
    inspect_workbook(path)
    assert time.perf_counter() - started < 1.0
    assert read_table(path, HEADERS).rows[0].values == (1, "电缆")


def test_zip_bomb_is_refused_from_the_central_directory(zip_bomb: Path) -> None:
    with zipfile.ZipFile(zip_bomb) as archive:
        total = sum(info.file_size for info in archive.infolist())
    assert total > BOMB_MIB * MiB
    assert _refused(lambda: inspect_workbook(zip_bomb)) == (
        f"zip archive declares {total} bytes uncompressed, over the {200 * MiB} byte "
        "limit (LQ_MAX_UNCOMPRESSED_BYTES; possible zip bomb)"
    )


def test_zip_bomb_under_the_total_limit_is_refused_by_its_ratio(zip_bomb: Path) -> None:
    limits = WorkbookLimits(max_uncompressed_bytes=10 * 1024 * MiB)
    message = _refused(lambda: inspect_workbook(zip_bomb, limits))
    assert message.startswith(f"zip entry {SHEET} expands ")
    assert message.endswith(
        f" to {BOMB_MIB * MiB} bytes), over the 200:1 limit (possible zip bomb)"
    )


def test_read_table_refuses_a_zip_bomb_and_the_loader_records_it(
    zip_bomb: Path, tmp_path: Path
) -> None:
    assert "possible zip bomb" in _refused(lambda: read_table(zip_bomb, HEADERS))
    raw = tmp_path / "raw"
    (raw / SLOT_DIR).mkdir(parents=True)
    (raw / SLOT_DIR / "bomb.xlsx").write_bytes(zip_bomb.read_bytes())
    conn = duckdb.connect(str(tmp_path / "wh.duckdb"))
    try:
        [report] = ingest_feed(conn, load_contract("spot_checks"), raw, tmp_path / "store")
    finally:
        conn.close()
    assert report.status == "rejected"
    assert report.reason.startswith(
        "spot_checks/manufacturing/2015-03/bomb.xlsx: zip archive declares "
    )


def test_a_member_that_lies_about_its_size_is_never_decompressed_past_it(tmp_path: Path) -> None:
    members = _members(_workbook(tmp_path / "src.xlsx"))
    members[SHEET] = bytes(5 * MiB)
    data = bytearray(_write_zip(tmp_path / "lie.xlsx", members).read_bytes())
    # Declare 1000 bytes uncompressed in the central directory and the local header.
    central = data.index(SHEET.encode(), data.index(b"PK\x01\x02")) - 46
    local = data.rindex(b"PK\x03\x04", 0, data.index(SHEET.encode()))
    struct.pack_into("<L", data, central + 24, 1000)
    struct.pack_into("<L", data, local + 22, 1000)
    (tmp_path / "lie.xlsx").write_bytes(data)
    message = _refused(lambda: inspect_workbook(tmp_path / "lie.xlsx"))
    assert message.startswith(f"zip entry {SHEET} is damaged: Bad CRC-32")


@pytest.mark.parametrize(
    ("part", "old", "new"),
    [
        ("xl/workbook.xml", b'name="Sheet"', b'name="&lol9;"'),
        (SHEET, b"<v>1</v>", b"<v>&lol9;</v>"),
    ],
)
def test_billion_laughs_is_refused(tmp_path: Path, part: str, old: bytes, new: bytes) -> None:
    members = _members(_workbook(tmp_path / "src.xlsx"))
    assert old in members[part]
    members[part] = _with_dtd(members[part], old, new)
    path = _write_zip(tmp_path / "laughs.xlsx", members)
    assert _refused(lambda: inspect_workbook(path)) == f"{DTD_REFUSED}: found in {part}"


def test_billion_laughs_in_every_part_names_the_first(tmp_path: Path) -> None:
    members = _members(_workbook(tmp_path / "src.xlsx"))
    for part in ("xl/workbook.xml", SHEET):
        members[part] = _with_dtd(members[part])
    path = _write_zip(tmp_path / "laughs.xlsx", members)
    assert _refused(lambda: read_table(path, HEADERS)).startswith(f"{DTD_REFUSED}: found in xl/")


def test_a_dtd_in_utf16_is_found(tmp_path: Path) -> None:
    members = _members(_workbook(tmp_path / "src.xlsx"))
    xml = _with_dtd(members["xl/workbook.xml"]).decode().replace("UTF-8", "UTF-16")
    members["xl/workbook.xml"] = xml.encode("utf-16")  # with a BOM, as expat expects
    path = _write_zip(tmp_path / "utf16.xlsx", members)
    assert _refused(lambda: inspect_workbook(path)) == f"{DTD_REFUSED}: found in xl/workbook.xml"


def test_a_dtd_split_across_read_chunks_is_found(tmp_path: Path) -> None:
    members = _members(_workbook(tmp_path / "src.xlsx"))
    head = b"<?xml version='1.0' encoding='UTF-8'?>"
    members[SHEET] = head + b" " * (xlsx_guard.CHUNK - len(head) - 4) + b"<!DOCTYPE x><x/>"
    path = _write_zip(tmp_path / "split.xlsx", members)
    limits = WorkbookLimits(max_ratio=1e9)  # the padding compresses 1000:1
    assert _refused(lambda: inspect_workbook(path, limits)) == f"{DTD_REFUSED}: found in {SHEET}"


def test_an_encoding_that_could_hide_a_dtd_is_refused(tmp_path: Path) -> None:
    members = _members(_workbook(tmp_path / "src.xlsx"))
    members[SHEET] = b"<?xml version='1.0' encoding='cp500'?>" + "<x/>".encode("cp500")
    path = _write_zip(tmp_path / "ebcdic.xlsx", members)
    assert _refused(lambda: inspect_workbook(path)) == (
        f"zip entry {SHEET} declares XML encoding 'cp500', which is not accepted (use UTF-8)"
    )


def test_defusedxml_refusals_become_the_same_reason(tmp_path: Path) -> None:
    # The byte scan finds every DTD first, so ask the second opinion directly.
    members = {"xl/workbook.xml": _with_dtd(b"<?xml version='1.0'?><workbook/>")}
    with zipfile.ZipFile(_write_zip(tmp_path / "w.xlsx", members)) as archive:
        message = _refused(lambda: xlsx_guard._parse_workbook_part(archive))
    assert message == f"{DTD_REFUSED}: xl/workbook.xml refused by defusedxml (DTDForbidden)"


@pytest.mark.parametrize("suffix", [".xlsm", ".xltm", ".xlsb"])
def test_macro_and_binary_workbooks_are_refused(tmp_path: Path, suffix: str) -> None:
    path = _workbook(tmp_path / "ok.xlsx").rename(tmp_path / f"renamed{suffix}")
    expected = (
        f"macro-enabled / binary workbooks ({suffix}) are not accepted: "
        "save as .xlsx (Excel 工作簿)"
    )
    assert _refused(lambda: inspect_workbook(path)) == expected
    assert _refused(lambda: read_table(path, HEADERS)) == expected


def test_macros_inside_a_file_named_xlsx_are_refused(tmp_path: Path) -> None:
    members = _members(_workbook(tmp_path / "src.xlsx"))
    members["xl/vbaProject.bin"] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 vba"
    path = _write_zip(tmp_path / "macro.xlsx", members)
    assert _refused(lambda: inspect_workbook(path)) == (
        "workbook contains macros (xl/vbaProject.bin) although named .xlsx: macro-enabled "
        "workbooks are not accepted, save as .xlsx (Excel 工作簿) without macros"
    )


@pytest.mark.parametrize("name", ["old.xls", "encrypted.xlsx"])
def test_ole2_files_are_refused_as_legacy_or_encrypted(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4096))
    assert _refused(lambda: inspect_workbook(path)) == LEGACY_REFUSED
    assert _refused(lambda: read_table(path, HEADERS)) == LEGACY_REFUSED
    assert "password" in LEGACY_REFUSED and ".xls is not accepted" in LEGACY_REFUSED


def test_random_bytes_named_xlsx_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "random.xlsx"
    path.write_bytes(bytes(range(256)) * 64)
    assert (
        _refused(lambda: inspect_workbook(path))
        == NOT_A_ZIP
        == ("not an xlsx workbook (not a zip archive)")
    )


def test_a_damaged_zip_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "cut.xlsx"
    path.write_bytes(_workbook(tmp_path / "src.xlsx").read_bytes()[:600])
    assert _refused(lambda: inspect_workbook(path)).startswith(
        "not a readable xlsx workbook: damaged zip archive: "
    )


def test_an_oversized_workbook_is_refused(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "big.xlsx")
    size = path.stat().st_size
    assert _refused(lambda: inspect_workbook(path, WorkbookLimits(max_file_bytes=1000))) == (
        f"workbook is {size} bytes, over the 1000 byte limit for workbooks (LQ_MAX_WORKBOOK_BYTES)"
    )


def test_too_many_entries_are_refused(tmp_path: Path) -> None:
    members = _members(_workbook(tmp_path / "src.xlsx"))
    members.update({f"xl/pad/{i}.bin": b"" for i in range(2000)})
    path = _write_zip(tmp_path / "many.xlsx", members, zipfile.ZIP_STORED)
    assert _refused(lambda: inspect_workbook(path)) == "zip archive has more than 2000 entries"


def test_too_many_entries_are_counted_even_when_the_end_record_lies(tmp_path: Path) -> None:
    members = {f"{i}": b"" for i in range(5000)}
    data = bytearray(_write_zip(tmp_path / "many.xlsx", members, zipfile.ZIP_STORED).read_bytes())
    end = data.rindex(b"PK\x05\x06")
    struct.pack_into("<2H", data, end + 8, 1, 1)  # "1 entry" on this disk and in total
    path = tmp_path / "many.xlsx"
    path.write_bytes(data)
    # The directory is walked, and the walk stops early, before zipfile builds every ZipInfo.
    with path.open("rb") as handle:
        assert xlsx_guard._count_entries(handle, len(data), 2000) == 2001
    assert _refused(lambda: inspect_workbook(path)) == "zip archive has more than 2000 entries"


def test_encrypted_entries_are_refused(tmp_path: Path) -> None:
    members = _members(_workbook(tmp_path / "src.xlsx"))
    data = bytearray(_write_zip(tmp_path / "enc.xlsx", members).read_bytes())
    central = data.index(SHEET.encode(), data.index(b"PK\x01\x02")) - 46
    data[central + 8] |= 0x01  # general purpose flag: encrypted
    (tmp_path / "enc.xlsx").write_bytes(data)
    assert _refused(lambda: inspect_workbook(tmp_path / "enc.xlsx")) == (
        f"zip entry {SHEET} is encrypted: remove the password and save as .xlsx (Excel 工作簿)"
    )


def test_compression_methods_excel_never_writes_are_refused(tmp_path: Path) -> None:
    members = _members(_workbook(tmp_path / "src.xlsx"))
    path = _write_zip(tmp_path / "bz.xlsx", members, zipfile.ZIP_BZIP2)
    assert _refused(lambda: inspect_workbook(path)).endswith(
        "uses zip compression method 12; only stored and deflate (what Excel writes) are "
        "accepted: save as .xlsx (Excel 工作簿)"
    )


def test_limits_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LQ_MAX_WORKBOOK_BYTES", "1000")
    monkeypatch.setenv("LQ_MAX_UNCOMPRESSED_BYTES", "5000")
    limits = WorkbookLimits.from_env()
    assert (limits.max_file_bytes, limits.max_uncompressed_bytes) == (1000, 5000)
    assert limits.max_entries == WorkbookLimits().max_entries
    monkeypatch.setenv("LQ_MAX_WORKBOOK_BYTES", "20MB")
    with pytest.raises(ValueError, match="LQ_MAX_WORKBOOK_BYTES must be a positive number"):
        WorkbookLimits.from_env()


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("../../etc/passwd", "etc_passwd"),
        ("..\\..\\windows\\win.ini", "windows_win.ini"),
        ("报告\x00.csv", "报告.csv"),
        ("line\nbreak\r\t.xlsx", "linebreak.xlsx"),
        ("evil\u202excod.csv", "evilxcod.csv"),  # bidi override
        (".hidden.csv", "hidden.csv"),
        ("a/./b/../c.xlsx", "a_b_c.xlsx"),
        ("", "unnamed"),
        ("..", "unnamed"),
        ("/\x00/\n", "unnamed"),
        ("e\u0301.csv", "\u00e9.csv"),  # NFC
        (b"\xb1\xa8\xb8\xe6.csv".decode("utf-8", "surrogateescape"), "报告.csv"),  # GBK bytes
    ],
)
def test_display_name(name: str, shown: str) -> None:
    assert display_name(name) == shown


def test_display_name_caps_long_names_keeping_the_extension() -> None:
    shown = display_name("廊坊" * 150 + ".xlsx")
    assert len(shown) == 120
    assert shown.endswith("….xlsx") and shown.startswith("廊坊廊坊")
    assert len(display_name("x" * 300)) == 120


def test_keep_stores_a_file_with_a_250_byte_name(tmp_path: Path) -> None:
    name = "数" * 82 + ".csv"  # 250 bytes in UTF-8: a prefix used to overflow NAME_MAX
    assert len(name.encode()) == 250
    path = tmp_path / name
    path.write_text("序号,产品名称\n1,电缆\n", encoding="utf-8")
    store = tmp_path / "store"
    sha256, stored = file_store.keep(path, store)
    assert stored == store / sha256[:2] / f"{sha256}.csv"
    assert stored.read_bytes() == path.read_bytes()
    assert [p.name for p in store.iterdir()] == [sha256[:2]]  # no partial file left behind
    assert file_store.keep(path, store) == (sha256, stored)


@pytest.mark.parametrize(
    ("suffix", "kept"),
    [(".CSV", ".csv"), (".xlsx", ".xlsx"), (".x/../y", ""), (".csv\n", ""), (".数据", "")],
)
def test_stored_path_keeps_only_a_plain_suffix(tmp_path: Path, suffix: str, kept: str) -> None:
    sha256 = "ab" * 32
    assert file_store.stored_path(tmp_path, sha256, suffix).name == f"{sha256}{kept}"
    with pytest.raises(ValueError, match="not a sha256"):
        file_store.stored_path(tmp_path, "../x", ".csv")


def test_a_sheet_that_breaks_while_streaming_is_a_rejection_not_a_crash(tmp_path: Path) -> None:
    # calamine parses a sheet only when it is asked for, after the guard passed.
    members = _members(_workbook(tmp_path / "src.xlsx"))
    members[SHEET] = members[SHEET].replace(b"</sheetData>", b"</sheetDta>")
    path = _write_zip(tmp_path / "broken.xlsx", members)
    inspect_workbook(path)
    assert _refused(lambda: read_table(path, HEADERS)).startswith(
        "not a readable xlsx workbook: sheet Sheet: XmlError"
    )


def test_display_path_keeps_folders_but_not_escapes() -> None:
    assert display_path("/../xl//worksheets/./she\u202eet\n1.xml") == "xl/worksheets/sheet1.xml"
    assert display_path("spot_checks\\2015\\..\\a.csv") == "spot_checks/2015/a.csv"
    assert display_path("../..") == "unnamed"


def _rejection(check: Callable[[], object]) -> FileRejected:
    with pytest.raises(FileRejected) as refusal:
        check()
    return refusal.value


def test_file_rejected_is_one_class_wherever_it_is_imported() -> None:
    assert readers.FileRejected is errors.FileRejected is xlsx_guard.FileRejected
    assert FileRejected("x").kind == errors.NOT_READABLE == "not_readable"
    assert FileRejected("x", errors.UNSAFE_FILE).kind == "unsafe_file"


def test_a_zip_bomb_is_an_unsafe_file(zip_bomb: Path) -> None:
    assert _rejection(lambda: inspect_workbook(zip_bomb)).kind == "unsafe_file"
    assert _rejection(lambda: read_table(zip_bomb, HEADERS)).kind == "unsafe_file"
    limits = WorkbookLimits(max_uncompressed_bytes=10 * 1024 * MiB)  # refused by its ratio
    assert _rejection(lambda: inspect_workbook(zip_bomb, limits)).kind == "unsafe_file"


def test_random_bytes_and_damage_are_not_readable(tmp_path: Path) -> None:
    noise = tmp_path / "random.xlsx"
    noise.write_bytes(bytes(range(256)) * 64)
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(_workbook(tmp_path / "src.xlsx").read_bytes()[:600])
    members = _members(_workbook(tmp_path / "src2.xlsx"))
    members[SHEET] = members[SHEET].replace(b"</sheetData>", b"</sheetDta>")
    broken = _write_zip(tmp_path / "broken.xlsx", members)
    for path in (noise, cut):
        assert _rejection(lambda p=path: inspect_workbook(p)).kind == "not_readable"
    assert _rejection(lambda: read_table(broken, HEADERS)).kind == "not_readable"
    assert _rejection(lambda: read_table(noise, HEADERS)).kind == "not_readable"


def test_a_damaged_member_is_not_readable_but_a_lying_size_is_unsafe(tmp_path: Path) -> None:
    members = _members(_workbook(tmp_path / "src.xlsx"))
    members[SHEET] = bytes(5 * MiB)
    honest = bytearray(_write_zip(tmp_path / "src.zip", members).read_bytes())
    central = honest.index(SHEET.encode(), honest.index(b"PK\x01\x02")) - 46
    local = honest.rindex(b"PK\x03\x04", 0, honest.index(SHEET.encode()))
    lie = bytearray(honest)
    struct.pack_into("<L", lie, central + 24, 1000)
    struct.pack_into("<L", lie, local + 22, 1000)
    (tmp_path / "lie.xlsx").write_bytes(lie)
    refusal = _rejection(lambda: inspect_workbook(tmp_path / "lie.xlsx"))
    assert refusal.kind == "unsafe_file"
    assert str(refusal).endswith(
        "decompresses to more than its declared 1000 bytes (possible zip bomb)"
    )
    damaged = bytearray(_workbook(tmp_path / "crc.xlsx").read_bytes())
    central = damaged.index(SHEET.encode(), damaged.index(b"PK\x01\x02")) - 46
    local = damaged.rindex(b"PK\x03\x04", 0, damaged.index(SHEET.encode()))
    struct.pack_into("<L", damaged, central + 16, 12345)  # a wrong CRC-32, sizes honest
    struct.pack_into("<L", damaged, local + 14, 12345)
    (tmp_path / "crc.xlsx").write_bytes(damaged)
    refusal = _rejection(lambda: inspect_workbook(tmp_path / "crc.xlsx"))
    assert str(refusal) == f"zip entry {SHEET} is damaged: Bad CRC-32 for file '{SHEET}'"
    assert refusal.kind == "not_readable"


@pytest.mark.parametrize(
    "make",
    [
        lambda p: _workbook(p.with_suffix(".xlsx")).rename(p.with_suffix(".xlsm")),
        lambda p: p.with_suffix(".xls").write_bytes(xlsx_guard.OLE2_MAGIC + bytes(64)),
        lambda p: _write_zip(
            p.with_suffix(".xlsx"),
            {**_members(_workbook(p.with_suffix(".src.xlsx"))), "xl/vbaProject.bin": b"vba"},
        ),
        lambda p: _write_zip(
            p.with_suffix(".xlsx"),
            {"xl/workbook.xml": _with_dtd(b"<?xml version='1.0'?><workbook/>")},
        ),
        lambda p: _write_zip(
            p.with_suffix(".xlsx"),
            _members(_workbook(p.with_suffix(".src.xlsx"))),
            zipfile.ZIP_BZIP2,
        ),
    ],
    ids=["xlsm", "ole2", "vba", "dtd", "bzip2"],
)
def test_hostile_refusals_are_unsafe_files(tmp_path: Path, make: Callable[[Path], object]) -> None:
    make(tmp_path / "f")
    [path] = [p for p in tmp_path.iterdir() if ".src." not in p.name]
    assert _rejection(lambda: read_table(path, HEADERS)).kind == "unsafe_file"


def test_an_oversized_workbook_is_an_unsafe_file(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "big.xlsx")
    limits = WorkbookLimits(max_file_bytes=1000)
    assert _rejection(lambda: inspect_workbook(path, limits)).kind == "unsafe_file"


def test_delivered_files_are_never_read_through_a_symlink(tmp_path: Path) -> None:
    target = tmp_path / "secret.csv"
    target.write_text("序号,产品名称\n1,电缆\n", encoding="utf-8")
    link = tmp_path / "landed.csv"
    link.symlink_to(target)
    store = tmp_path / "store"
    for read in (lambda: file_store.sha256_of(link), lambda: file_store.keep(link, store)):
        with pytest.raises(OSError, match="symbolic link") as refusal:
            read()
        assert refusal.value.errno == errno.ELOOP
    assert not store.exists() or not any(store.iterdir())  # no partial copy left


def test_a_file_swapped_for_a_symlink_after_the_scan_fails_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = tmp_path / "raw"
    (raw / SLOT_DIR).mkdir(parents=True)
    path = raw / SLOT_DIR / "a.csv"
    path.write_text("序号,产品名称\n1,电缆\n", encoding="utf-8")
    contract = load_contract("spot_checks")
    scanned = loader.landed_files(contract, raw, 0)
    assert scanned.ready == (path,)
    outside = tmp_path / "outside.csv"
    path.rename(outside)
    path.symlink_to(outside)  # the race: swapped between the scan and the read
    monkeypatch.setattr(loader, "landed_files", lambda *args: scanned)
    conn = duckdb.connect(str(tmp_path / "wh.duckdb"))
    try:
        [report] = ingest_feed(conn, contract, raw, tmp_path / "store", 0)
        assert conn.execute("select count(*) from raw.ingested_files").fetchall() == [(0,)]
    finally:
        conn.close()
    assert report.status == "failed"
    assert "is a symbolic link, which is never followed" in report.reason
    assert not (tmp_path / "store").exists()


def test_fifos_are_not_read(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    with pytest.raises(OSError, match="not a regular file"):
        file_store.sha256_of(fifo)  # would block forever if opened for reading
    assert landing.scan(tmp_path, 0) == landing.Landing((), (), ())
