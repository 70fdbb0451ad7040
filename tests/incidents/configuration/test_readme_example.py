"""The README's commented example file is a file `config apply` takes, and reads back whole."""

import io
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.management import call_command

from incidents.configuration import normal
from incidents.configuration.export import config_export
from oncall import clock
from oncall.models import Schedule

README = Path(__file__).parents[3] / "README.md"


def example() -> str:
    found = re.search(r"```yaml\n(# plantao\.yaml: one team.*?)```", README.read_text(), re.S)
    assert found, "the README's example file (```yaml starting '# plantao.yaml: one team')"
    return found.group(1)


@pytest.mark.django_db
def test_the_readme_example_applies_and_exports_back(tmp_path, frozen_now):
    frozen_now(datetime(2027, 1, 20, 12, 0, tzinfo=UTC))
    path = tmp_path / "plantao.yaml"
    path.write_text(example())
    out = io.StringIO()
    call_command("config", "apply", str(path), stdout=out)
    assert "Applied plantao.yaml" in out.getvalue()
    assert normal.load(example()).config == config_export(now=clock.now())
    primary = Schedule.objects.get(name="Primary")
    assert [layer.name for layer in primary.layers.order_by("position")] == [
        "Weekly base",
        "Singapore mornings",
    ]
