"""Deterministic sample data for the feeds: files shaped like the departments' real deliveries,
with a controlled share of contract violations so ingestion and checks have work to do."""
