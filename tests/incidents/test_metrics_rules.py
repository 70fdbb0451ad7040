"""The Prometheus alert rules shipped for Plantão (static/prometheus/plantao-rules.yml): each rule
is well formed, pages the second site, and names only metrics that /metrics really exposes."""

import re
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

RULES = Path(__file__).resolve().parents[2] / "static" / "prometheus" / "plantao-rules.yml"
PROMETHEUS_OWN = {"up"}  # recorded by Prometheus for every scrape, not by Plantão
# A word followed by "(" is a PromQL function; "by (le)" and the like name labels.
NAME = re.compile(r"(?<![\w{,=\"])([a-z_][a-z0-9_]*)\b(?!\s*\()")
KEYWORDS = {"by", "without", "and", "or", "unless", "on", "ignoring", "le", "kind", "outcome"}


def rules() -> list[dict]:
    return [
        rule for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"]
    ]


def metric_names(expr: str) -> set[str]:
    expr = re.sub(r"\{[^}]*\}", "", expr)  # label matchers
    expr = re.sub(r"\[[^\]]*\]", "", expr)  # range selectors
    expr = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", "", expr)  # grouping labels
    return {name for name in NAME.findall(expr) if name not in KEYWORDS}


@pytest.mark.django_db
def test_every_metric_a_rule_names_is_exposed(client):
    exposed = {
        sample.name
        for family in text_string_to_metric_families(client.get("/metrics").content.decode())
        for sample in family.samples
    }
    named = set().union(*(metric_names(rule["expr"]) for rule in rules()))
    assert "plantao_alert_to_first_page_seconds_bucket" in named
    assert "plantao_ingest_requests_total" in named
    assert named - PROMETHEUS_OWN <= exposed, named - PROMETHEUS_OWN - exposed


def test_the_rules_the_readme_promises_page_the_second_site():
    by_name = {rule["alert"]: rule for rule in rules()}
    assert {
        "PlantaoEscalationsLate",
        "PlantaoPagesBacklog",
        "PlantaoPipelineStale",
        "PlantaoFirstPageSlow",
        "PlantaoIngestErrors",
    } <= set(by_name)
    late = by_name["PlantaoEscalationsLate"]
    assert late["expr"].strip() == "plantao_escalation_oldest_due_seconds > 30"
    assert late["for"] == "1m"
    assert "histogram_quantile(0.99" in by_name["PlantaoFirstPageSlow"]["expr"]
    for rule in by_name.values():
        assert rule["labels"]["site"] == "second" and rule["annotations"]["summary"]
