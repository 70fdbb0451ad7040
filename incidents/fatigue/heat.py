"""How hot a week's fatigue score is on the heatmap: a level, its name, and its colours.

No Django here. Each level's text colour on its background passes WCAG AA (4.5:1) for normal
text; the cells show the number itself, so the colour is never the only cue.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Level:
    name: str
    below: float | None  # a score below this is this level (None: the top level)
    css: str  # the modifier class: heat--<css>


LEVELS = (
    Level("none", 0.05, "0"),
    Level("low", 10, "1"),
    Level("moderate", 20, "2"),
    Level("high", 35, "3"),
    Level("very high", None, "4"),
)


def level_of(score: float) -> Level:
    """Return the heatmap level of a week's score."""
    for level in LEVELS:
        if level.below is None or score < level.below:
            return level
    raise AssertionError("the last level has no bound")  # pragma: no cover


def legend() -> list[tuple[Level, str]]:
    """Return each level with the range of scores it stands for, in words."""
    found = [(LEVELS[0], "0")]
    floor = None
    for level in LEVELS[1:]:
        if level.below is None:
            words = f"{floor:g} or more"
        elif floor is None:
            words = f"over 0, under {level.below:g}"
        else:
            words = f"{floor:g} to under {level.below:g}"
        found.append((level, words))
        floor = level.below
    return found
