"""Error types that cross module boundaries; each maps to one exit code."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class CarekpiError(Exception):
    """Base class: an expected failure with a message meant for the user."""

    exit_code = 2


@dataclass
class FrameworkProblem:
    """One problem found while loading a framework file."""

    file: str
    line: int | None
    code: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.code} {self.message}"


class FrameworkError(CarekpiError):
    """A framework file could not be loaded. Carries every problem, each with file and line."""

    def __init__(self, problems: list[FrameworkProblem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class UnreadableWorkbook(CarekpiError):
    """The file is not a workbook carekpi can read; the message says why in one sentence."""

    def __init__(self, path: str | Path, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class UsageError(CarekpiError):
    """The command was misused (unknown framework, bad option combination...)."""
