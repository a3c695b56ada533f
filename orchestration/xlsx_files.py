"""Byte-stable file writing shared by everything that produces files (sample feeds, submission
templates): the same content always gives the same bytes, and readers never see half a file."""

from __future__ import annotations

import datetime as dt
import io
import os
import zipfile
from pathlib import Path

from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter

# Fixed timestamp for xlsx metadata and zip entries so reruns produce identical bytes.
FIXED_TIMESTAMP = dt.datetime(2016, 1, 1, 0, 0, 0)


def write_atomically(path: Path, data: bytes) -> None:
    """Write through a temporary sibling and rename: readers polling the landing zone must
    never see a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def workbook_bytes(workbook: Workbook, stamp: dt.datetime = FIXED_TIMESTAMP) -> bytes:
    """The xlsx bytes of a workbook with fixed metadata and zip timestamps (`stamp`, e.g. the
    publication time of what it shows), so identical content gives identical bytes (openpyxl
    otherwise stamps the current time)."""
    workbook.properties.created = stamp
    workbook.properties.modified = stamp
    raw = io.BytesIO()
    archive = zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED)
    ExcelWriter(workbook, archive).save()  # closes the archive
    stable = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(raw.getvalue())) as source,
        zipfile.ZipFile(stable, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=stamp.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            target.writestr(entry, source.read(info.filename))
    return stable.getvalue()


def save_workbook(path: Path, workbook: Workbook, stamp: dt.datetime = FIXED_TIMESTAMP) -> None:
    """Save a workbook byte-deterministically and atomically."""
    write_atomically(path, workbook_bytes(workbook, stamp))
