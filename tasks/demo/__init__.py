"""Demo: a deterministic demo county (school returns and the county return), used by the CLI and tests."""
