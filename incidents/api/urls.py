from django.urls import path
from rest_framework.routers import SimpleRouter

from incidents.api.incidents import IncidentViewSet
from incidents.api.insights import InsightsView
from incidents.api.integrations import IntegrationViewSet
from incidents.api.policies import EscalationPolicyViewSet
from incidents.api.services import MaintenanceWindowViewSet, ServiceViewSet

router = SimpleRouter()
router.register("incidents", IncidentViewSet, basename="api-incident")
router.register("services", ServiceViewSet, basename="api-service")
router.register("maintenance-windows", MaintenanceWindowViewSet, basename="api-maintenance")
router.register("integrations", IntegrationViewSet, basename="api-integration")
router.register("escalation-policies", EscalationPolicyViewSet, basename="api-policy")

urlpatterns = [
    path("insights/", InsightsView.as_view(), name="api-insights"),
    *router.urls,
]
