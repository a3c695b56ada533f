"""Dagster's SQLite event log, with its connections kept open (dagster.yaml).

The stock `SqliteEventLogStorage` opens, commits and closes a new SQLite connection for every
event, twice for an asset event (the run's shard and the cross-run index). Closing the last
connection of a WAL database checkpoints it, so each event costs ≈ 20 ms; a refresh records
hundreds (planned materialisations and checks, outputs, check results), which made the event
log the largest single cost of a small incremental run. Here each process keeps one engine
per shard with a pooled connection, in WAL mode with `synchronous=NORMAL`: ≈ 2 ms an event.

Nothing else changes: same files, same schema, same readers (webserver, daemon). A process
killed with `kill -9` loses no committed event (the WAL is in the OS's cache); only a power
cut can lose the last few, never corrupt the file. Only the index shard and the most recent
run shards keep an engine, so a long-lived webserver holds a bounded number of files open."""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as db
from dagster import Field, StringSource
from dagster import _check as check
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SqliteEventLogStorage,
)
from dagster._serdes import ConfigurableClassData
from sqlalchemy.engine import Connection, Engine

RUN_SHARDS_KEPT = 4  # engines of run shards kept open besides the index
BUSY_TIMEOUT_SECONDS = 15


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """`event_log_storage` for dagster.yaml; `base_dir` defaults to where Dagster's default
    storage keeps the event log ($DAGSTER_HOME/history/runs)."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._engines_pid = os.getpid()
        self._engines_lock = threading.Lock()
        super().__init__(base_dir, inst_data)

    @classmethod
    def config_type(cls) -> Any:
        return {"base_dir": Field(StringSource, is_required=False)}

    @classmethod
    def from_config_value(  # type: ignore[override]
        cls, inst_data: ConfigurableClassData | None, config_value: dict[str, Any]
    ) -> PooledSqliteEventLogStorage:
        base_dir = config_value.get("base_dir")
        if not base_dir:
            home = os.environ.get("DAGSTER_HOME")
            if not home:
                raise ValueError(
                    "PooledSqliteEventLogStorage needs base_dir in dagster.yaml or $DAGSTER_HOME "
                    "set to the instance folder (scripts/bootstrap.sh sets it)"
                )
            base_dir = os.path.join(home, "history", "runs")
        return cls(base_dir=base_dir, inst_data=inst_data)

    def _engine(self, shard: str) -> Engine:
        with self._engines_lock:
            if self._engines_pid != os.getpid():  # a forked child never shares connections
                self._engines = OrderedDict()
                self._engines_pid = os.getpid()
            engine = self._engines.get(shard)
            if engine is not None:
                self._engines.move_to_end(shard)
                return engine
            engine = db.create_engine(
                self.conn_string_for_shard(shard),
                pool_size=1,
                max_overflow=4,
                connect_args={"timeout": BUSY_TIMEOUT_SECONDS},
            )
            db.event.listen(engine, "connect", _synchronous_normal)
            self._engines[shard] = engine
            runs = [s for s in self._engines if s != INDEX_SHARD_NAME]
            for old in runs[: max(0, len(runs) - RUN_SHARDS_KEPT)]:
                self._engines.pop(old).dispose()
            return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        check.str_param(shard, "shard")
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def _dispose_engines(self) -> None:
        with self._engines_lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines = OrderedDict()

    def wipe(self) -> None:
        self._dispose_engines()  # before the shard files are deleted
        super().wipe()

    def dispose(self) -> None:
        self._dispose_engines()
        super().dispose()


def _synchronous_normal(dbapi_connection: Any, _record: Any) -> None:
    # WAL with NORMAL: a commit is durable across a process crash, without an fsync each.
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")
