"""A lint finding: where it is (file, line, field path) and what was expected there."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LintIssue:
    """One problem in a document; prints as `file:line: path: message`, like a compiler."""

    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"
