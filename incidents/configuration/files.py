"""YAML in and out: a file read with the line of every value, and the normal form written back.

Reading is YAML 1.2-minded where YAML 1.1 surprises people: `NO` (Norway), `on` and `yes` stay
strings, timestamps stay strings (the file's instants carry their offset and are parsed by
`normal`), and a key given twice is a mistake rather than the last one winning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

import yaml

Path = tuple[str | int, ...]


class YamlError(ValueError):
    """The text is not YAML, or not YAML we take; `line` is 1-based (0: unknown)."""

    def __init__(self, message: str, line: int = 0):
        super().__init__(message)
        self.message = message
        self.line = line


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """SafeLoader without timestamps and with only true/false as booleans (libyaml's parser
    where PyYAML has it: five times faster on a file of 500 people, with the same marks)."""


_Loader.yaml_implicit_resolvers = {
    first: [
        (tag, pattern)
        for tag, pattern in resolvers
        if tag
        not in (
            "tag:yaml.org,2002:timestamp",
            "tag:yaml.org,2002:bool",
            "tag:yaml.org,2002:int",
            "tag:yaml.org,2002:float",
        )
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
# YAML 1.2's numbers: no sexagesimal (9:00 is text, not 540), no octal 012, no 1_000.
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$"), list("-+0123456789")
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)(?:[eE][-+]?[0-9]+)?$"),
    list("-+.0123456789"),
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


@dataclass
class Parsed:
    """A file's data, and the 1-based line where each value (by path) begins."""

    data: object
    lines: dict[Path, int] = field(default_factory=dict)

    def line_of(self, path: Path) -> int:
        """Return the line of `path`, or of the nearest enclosing value that has one."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), 0)


def parse(text: str) -> Parsed:
    """Read YAML `text`, keeping the line of every value."""
    loader = None
    try:
        loader = _Loader(text)
        node = loader.get_single_node()
        parsed = Parsed(data=None)
        if node is not None:
            parsed.data = _build(loader, node, (), parsed.lines)
        return parsed
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else 0
        raise YamlError(f"not valid YAML: {error.problem or error}", line) from None
    except yaml.reader.ReaderError as error:
        line = error.position and text.count("\n", 0, error.position) + 1
        raise YamlError(
            f"not valid YAML: character {chr(error.character)!r} is not allowed", line
        ) from None
    except yaml.YAMLError as error:
        raise YamlError(f"not valid YAML: {error}") from None
    finally:
        if loader is not None:
            loader.dispose()


def _build(loader: _Loader, node: yaml.Node, path: Path, lines: dict[Path, int]):
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        built = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                raise YamlError(f"a key must be text, not {key!r}", key_node.start_mark.line + 1)
            if key in built:
                raise YamlError(f"{key!r} is given twice", key_node.start_mark.line + 1)
            built[key] = _build(loader, value_node, (*path, key), lines)
            lines[(*path, key)] = key_node.start_mark.line + 1
        return built
    if isinstance(node, yaml.SequenceNode):
        return [
            _build(loader, item, (*path, index), lines) for index, item in enumerate(node.value)
        ]
    return loader.construct_object(node, deep=True)


class _Dumper(yaml.SafeDumper):
    """Block style, keys in the order given, lists indented under their key."""

    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)


def _instant(dumper: _Dumper, value: datetime):
    return dumper.represent_scalar("tag:yaml.org,2002:str", instant_text(value))


_Dumper.add_representer(datetime, _instant)


def instant_text(value: datetime) -> str:
    """Return an aware instant as the file writes it: ISO 8601, its offset, Z for UTC."""
    text = value.isoformat()
    in_utc = value.tzinfo in (UTC,) or str(value.tzinfo) in ("UTC", "Etc/UTC")
    return text[:-6] + "Z" if in_utc and text.endswith("+00:00") else text


def dump(data: dict, header: str = "") -> str:
    """Return `data` as YAML, after `header` (comment lines, each starting "# ")."""
    body = yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
    )
    return header + body
