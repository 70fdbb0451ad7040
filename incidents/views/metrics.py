"""GET /metrics: Prometheus's text exposition of Plantão's own health (incidents/metrics.py)."""

from django.http import HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from incidents.metrics import EngineCollector

REGISTRY = CollectorRegistry(auto_describe=False)
REGISTRY.register(EngineCollector())


@require_GET
def metrics(request):
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)
