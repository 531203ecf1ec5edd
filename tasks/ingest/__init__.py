"""Ingest: discover and archive received files, check the output folder, the school roster."""
