"""The star-schema warehouse: schema, engines, loads and SQL models."""
