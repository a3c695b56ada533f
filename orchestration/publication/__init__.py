"""The bureau's published assessment (docs/bureau-guide.md): one read-only DuckDB file of
immutable versions per assessment year, and each version as Parquet.

* `tables.py` — what is published: the tables, their marts and row keys;
* `versions.py` — the one writer: a new version per changed year, built beside the file and
  renamed over it, under a file lock;
* `parquet.py` — each version's Parquet folder, which appears only by an atomic rename;
* `leftovers.py` — the names of what a publication writes before renaming it, and their
  removal when a killed publication left them behind;
* `diff.py` — the row-level diff stored with a version, and its Markdown;
* `inputs.py` — what a version was computed from (delivered files, seeds, rubric, dbt);
* `reader.py` — the one reader of the published file (the CLI, the Excel export, the assets).
"""
