from django.urls import path
from rest_framework.routers import SimpleRouter

from incidents.api.action_items import ActionItemViewSet, PostmortemSettingsViewSet
from incidents.api.config import ConfigApplyView, ConfigPlanView
from incidents.api.events import EventViewSet
from incidents.api.fatigue import FatigueView
from incidents.api.incidents import IncidentViewSet
from incidents.api.insights import InsightsView
from incidents.api.integrations import IntegrationViewSet
from incidents.api.policies import EscalationPolicyViewSet
from incidents.api.postmortem_timeline import PostmortemEntryViewSet
from incidents.api.postmortems import PostmortemViewSet
from incidents.api.proposals import ProposalViewSet
from incidents.api.rehearsals import RehearsalViewSet
from incidents.api.services import MaintenanceWindowViewSet, ServiceViewSet
from oncall.api.schedule_parts import ID_PATTERN

router = SimpleRouter()
router.register("incidents", IncidentViewSet, basename="api-incident")
router.register("services", ServiceViewSet, basename="api-service")
router.register("maintenance-windows", MaintenanceWindowViewSet, basename="api-maintenance")
router.register("integrations", IntegrationViewSet, basename="api-integration")
router.register("escalation-policies", EscalationPolicyViewSet, basename="api-policy")
router.register("postmortems", PostmortemViewSet, basename="api-postmortem")
router.register(
    r"postmortems/(?P<postmortem_id>[0-9]{1,18})/timeline",
    PostmortemEntryViewSet,
    basename="api-postmortem-entry",
)
router.register("rehearsals", RehearsalViewSet, basename="api-rehearsal")
router.register("events", EventViewSet, basename="api-event")
router.register("action-items", ActionItemViewSet, basename="api-action-item")
router.register(
    "postmortem-settings", PostmortemSettingsViewSet, basename="api-postmortem-settings"
)
router.register(
    rf"schedules/(?P<schedule_id>{ID_PATTERN})/proposals", ProposalViewSet, basename="api-proposal"
)

urlpatterns = [
    # A file's name, so no trailing slash (the router would add one).
    path(
        "postmortems/<int:pk>/export.md",
        PostmortemViewSet.as_view({"get": "export"}, filter_backends=[]),
        name="api-postmortem-export",
    ),
    path("insights/", InsightsView.as_view(), name="api-insights"),
    path("fatigue/", FatigueView.as_view(), name="api-fatigue"),
    path("config/plan/", ConfigPlanView.as_view(), name="api-config-plan"),
    path("config/apply/", ConfigApplyView.as_view(), name="api-config-apply"),
    *router.urls,
]
