"""Every Celery task that the code queues by name is one the worker knows: a renamed task fails
here, not in a page at run time."""

import ast
import re
from pathlib import Path

from incidents.services import doorbell
from oncall.config.beat import SCHEDULE
from oncall.config.celery import app

ROOT = Path(__file__).resolve().parents[1]
TASK_NAME = re.compile(r"^(incidents|oncall)(\.\w+)*\.tasks\.\w+$")


def task_names_in_source() -> dict[str, str]:
    """Return every string in the code that looks like a task name, with where it is."""
    found = {}
    for package in ("incidents", "oncall"):
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
                text = node.value if isinstance(node, ast.Constant) else None
                if isinstance(text, str) and TASK_NAME.match(text):
                    found[text] = f"{path.relative_to(ROOT)}:{node.lineno}"
    return found


def test_every_task_name_in_the_code_is_a_registered_task():
    names = task_names_in_source()
    # The scan finds the names the code queues (doorbell, verification, the beat schedule).
    assert set(doorbell.TASKS) | {entry["task"] for entry in SCHEDULE.values()} <= set(names)
    assert "oncall.tasks.contact_verification_send" in names
    app.loader.import_default_modules()  # what a worker does as it starts: find the tasks
    unknown = {name: where for name, where in names.items() if name not in app.tasks}
    assert unknown == {}


def test_the_incidents_app_names_its_tasks_in_the_doorbell_only():
    elsewhere = {
        name: where
        for name, where in task_names_in_source().items()
        if name.startswith("incidents.") and not where.startswith("incidents/services/doorbell")
    }
    # The beat schedule is the project's configuration, which names its periodic tasks itself.
    assert set(elsewhere) <= {entry["task"] for entry in SCHEDULE.values()}
