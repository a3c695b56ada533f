"""Writing a batch of files, one transaction, without letting one file sink the others.

Both ingestion channels (feed files and submission workbooks) write what they read in batches:
a statement per file cost more than reading it. If the batch's transaction fails, it is
written again file by file, so only the faulty file fails (and is read again next pass)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

Item = TypeVar("Item")
Report = TypeVar("Report")


def write_isolating(
    batch: Sequence[Item],
    write: Callable[[Sequence[Item]], list[Report]],
    failed: Callable[[Item, Exception], Report],
) -> list[Report]:
    """`write(batch)` (one transaction, the reports of its files); if it raises, `write` each
    file alone and report a file that still fails with `failed(item, error)`. A batch of one
    raises its error."""
    try:
        return write(batch)
    except Exception:
        if len(batch) == 1:
            raise
    reports: list[Report] = []
    for item in batch:
        try:
            reports += write([item])
        except Exception as error:
            reports.append(failed(item, error))
    return reports
