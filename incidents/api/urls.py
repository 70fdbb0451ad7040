from rest_framework.routers import SimpleRouter

from incidents.api.config import (
    EscalationPolicyViewSet,
    IntegrationViewSet,
    MaintenanceWindowViewSet,
    ServiceViewSet,
)
from incidents.api.incidents import IncidentViewSet

router = SimpleRouter()
router.register("incidents", IncidentViewSet, basename="api-incident")
router.register("services", ServiceViewSet, basename="api-service")
router.register("maintenance-windows", MaintenanceWindowViewSet, basename="api-maintenance")
router.register("integrations", IntegrationViewSet, basename="api-integration")
router.register("escalation-policies", EscalationPolicyViewSet, basename="api-policy")

urlpatterns = router.urls
