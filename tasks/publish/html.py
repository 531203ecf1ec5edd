"""HTML pages from Jinja2 templates: one environment per template folder, autoescape always on."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Undefined


@cache
def templates(folder: Path, *, strict: bool = False) -> Environment:
    """The Jinja2 environment of a template folder. Every value is escaped (data never becomes markup);
    ``strict``: a name the template uses but the page does not give is an error, not an empty string."""
    return Environment(
        loader=FileSystemLoader(folder),
        autoescape=True,
        undefined=StrictUndefined if strict else Undefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
