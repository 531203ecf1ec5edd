"""A small error hierarchy: every message says what is wrong and how to fix it."""

from __future__ import annotations


class JunhengError(Exception):
    """Base class. ``fix`` tells the reader what to do about it."""

    def __init__(self, reason: str, fix: str = "") -> None:
        self.reason = reason
        self.fix = fix
        super().__init__(f"{reason}{'；处理办法：' + fix if fix else ''}")


class DataError(JunhengError):
    """The input is wrong. Never retried: running again gives the same answer."""


class FileRejected(DataError):
    """A received file cannot be read as a return at all (not a workbook, encrypted, ...)."""

    def __init__(self, reason: str, fix: str, rule: str = "file.unreadable", sheet: str = "", cell: str = "") -> None:
        self.rule = rule
        self.sheet = sheet  # where in the file, when the cause has a place (a sheet, a cell)
        self.cell = cell
        super().__init__(reason, fix)


class ConfigError(JunhengError):
    """Settings or policy files are wrong. Never retried."""


class TransientIOError(JunhengError):
    """A database, file share or network hiccup. Retried with backoff."""
