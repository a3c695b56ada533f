"""Shared ingestion machinery: every feed is a YAML contract plus, at most, a small module.

contract → readers → normalise → validate_rows → loader (lineage, quarantine, reconciliation)."""
