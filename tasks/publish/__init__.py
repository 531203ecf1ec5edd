"""Publish: what people read (workbooks, HTML, Parquet, feedback, templates, summary)."""
