"""Validate: the reader's findings plus the generated GX data suite; which returns are loaded."""
