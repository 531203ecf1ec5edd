"""Prefect flows: composition only, no pandas or SQL."""
