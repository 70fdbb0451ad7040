"""The code's shape: imports run incidents -> oncall, and the rota stays pure."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_oncall_never_imports_incidents():
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "oncall").rglob("*.py")
        if "migrations" not in path.parts
        and any(name.split(".")[0] == "incidents" for name in imported_modules(path))
    ]
    assert offenders == []


def test_rota_imports_no_django_and_reads_no_clock():
    package = sorted((ROOT / "oncall" / "rota").glob("*.py"))
    assert package
    for path in package:
        source = path.read_text()
        modules = imported_modules(path)
        assert not [name for name in modules if name.split(".")[0] in {"django", "oncall"}], path
        assert ".now(" not in source and "time.time(" not in source, path


def test_the_fair_rota_generator_imports_no_django_and_reads_no_clock():
    pure = {"oncall.rota", "oncall.load", "oncall.fatigue", "oncall.calendars"}
    package = sorted((ROOT / "oncall" / "rota" / "fair").glob("*.py"))
    assert package
    for path in package:
        source = path.read_text()
        modules = imported_modules(path)
        assert not [name for name in modules if name.split(".")[0] == "django"], path
        assert not [name for name in modules if name.startswith("oncall.") and name not in pure]
        assert ".now(" not in source and "time.time(" not in source, path
