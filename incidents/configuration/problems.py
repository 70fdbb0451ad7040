"""A configuration file's mistakes: each with its line and its path in the file."""

from __future__ import annotations

from dataclasses import dataclass

from .files import Path


@dataclass(frozen=True)
class Problem:
    line: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        return f"{where}{self.path}: {self.message}" if self.path else f"{where}{self.message}"

    def as_dict(self) -> dict:
        return {"line": self.line, "path": self.path, "message": self.message}


class ConfigInvalid(ValueError):
    """The file has mistakes; `problems` names each, with its line."""

    def __init__(self, problems: list[Problem], name: str = ""):
        self.problems = problems
        self.name = name
        prefix = f"{name}: " if name else ""
        super().__init__("\n".join(f"{prefix}{problem}" for problem in problems))


def path_text(path: Path) -> str:
    """Return a path as people read it: schedules[0].layers[1].time_zone."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text
