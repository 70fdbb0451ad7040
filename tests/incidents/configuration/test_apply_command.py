"""manage.py config apply FILE: the plan printed, then carried out; problems with their lines."""

import io

import pytest
from django.core.management import CommandError, call_command

from incidents.models import Integration, Service
from oncall.models import AuditEntry, ContactMethod

from .world import FILE, NOW, edited

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(tmp_path, frozen_now):
    frozen_now(NOW)

    def run(text: str = FILE, *options: str, name: str = "plantao.yaml") -> tuple[str, str]:
        path = tmp_path / name
        path.write_text(text)
        out, err = io.StringIO(), io.StringIO()
        call_command("config", "apply", str(path), *options, stdout=out, stderr=err)
        return out.getvalue(), err.getvalue()

    return run


def test_dry_run_prints_the_plan_and_changes_nothing(run):
    out, _ = run(FILE, "--dry-run")
    assert "+ schedule 'Follow the sun'" in out
    assert "+ integration cdn/alertmanager 'prod'" in out
    assert out.rstrip().endswith("Plan: 16 to create, 0 to change, 0 to delete.")
    assert not Service.objects.exists() and not AuditEntry.objects.exists()


def test_apply_prints_each_new_token_once_then_says_no_changes(run):
    out, _ = run(FILE)
    assert "Plan: 16 to create" in out
    (alertmanager,) = [
        line for line in out.splitlines() if line.startswith("New integration cdn/alertmanager")
    ]
    assert "/integrations/alertmanager/" in alertmanager and "shown this once" in alertmanager
    assert out.count("New integration") == 2
    assert Integration.objects.count() == 2
    assert ContactMethod.objects.filter(verified_at__isnull=True).count() == 3
    assert set(AuditEntry.objects.values_list("origin", "source")) == {("plantao.yaml", "config")}

    again, _ = run(FILE)
    assert again.strip() == "No changes: the database already matches the file."
    assert "New integration" not in again


def test_trust_verified_and_prune_reach_apply(run):
    run(FILE, "--trust-verified")
    assert not ContactMethod.objects.filter(verified_at__isnull=True).exists()
    out, _ = run(edited(lambda c: c["services"].pop(1)), "--prune")
    assert "- service 'api'" in out and "0 to create, 0 to change, 1 to delete" in out
    assert not Service.objects.filter(name="api").exists()


def test_an_invalid_file_lists_every_problem_with_its_line_and_exits_2(run):
    text = FILE.replace(
        "time_zone: America/Sao_Paulo\n    contact", "time_zone: Mars/Base\n    contact"
    )
    text = text.replace("escalation_policy: SRE quiet", "escalation_policy: nobody")
    with pytest.raises(CommandError) as raised:
        run(text, name="broken.yaml")
    assert raised.value.returncode == 2
    assert "2 problems; nothing was changed" in str(raised.value)
    assert not AuditEntry.objects.exists()


def test_problems_go_to_stderr_as_file_line_path_message(tmp_path, frozen_now):
    frozen_now(NOW)
    path = tmp_path / "broken.yaml"
    path.write_text(FILE.replace("escalation_policy: SRE quiet", "escalation_policy: nobody"))
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("config", "apply", str(path), stderr=err)
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if "nobody" in text)
    assert err.getvalue().splitlines() == [
        f"{path}:{line}: services[1].escalation_policy: no escalation policy 'nobody' in the file"
    ]


def test_a_refusal_while_applying_is_reported_the_same_way(run, tmp_path):
    text = FILE.replace("    escalation_policy: SRE quiet\n", "    slack_channel: not-one\n")
    with pytest.raises(CommandError) as raised:
        run(text)
    assert raised.value.returncode == 2
    assert not Service.objects.exists()


def test_as_names_the_actor(run, django_user_model):
    django_user_model.objects.create_user("root")
    run(FILE, "--as", "root")
    assert set(AuditEntry.objects.values_list("actor", flat=True)) == {"root"}
    with pytest.raises(CommandError, match="No user is named 'nobody'"):
        run(FILE, "--as", "nobody")
