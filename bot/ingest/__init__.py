"""Ingestion: decode files, detect their format, parse them into episodes and segments."""
