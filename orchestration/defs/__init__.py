"""Dagster wiring, one package per capability (ingestion, submissions, transform,
publication, exports, refresh), each with its assets, checks, jobs and schedules together;
orchestration/definitions.py merges them."""
