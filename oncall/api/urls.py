from django.urls import path
from rest_framework.routers import SimpleRouter

from oncall.api.audit import AuditEntryViewSet
from oncall.api.contacts import ContactMethodViewSet, NotificationRuleViewSet
from oncall.api.layers import LayerViewSet
from oncall.api.oncall import OnCallView
from oncall.api.overrides import OverrideViewSet
from oncall.api.people import PersonViewSet
from oncall.api.schedule_parts import ID_PATTERN
from oncall.api.schedules import ScheduleViewSet
from oncall.api.teams import TeamViewSet
from oncall.api.time_off import TimeOffViewSet

router = SimpleRouter()
router.register("teams", TeamViewSet, basename="api-team")
router.register("people", PersonViewSet, basename="api-person")
router.register("contact-methods", ContactMethodViewSet, basename="api-contact-method")
router.register("notification-rules", NotificationRuleViewSet, basename="api-notification-rule")
router.register("schedules", ScheduleViewSet, basename="api-schedule")
router.register(
    rf"schedules/(?P<schedule_id>{ID_PATTERN})/layers", LayerViewSet, basename="api-layer"
)
router.register(
    rf"schedules/(?P<schedule_id>{ID_PATTERN})/overrides", OverrideViewSet, basename="api-override"
)
router.register(
    rf"people/(?P<person_id>{ID_PATTERN})/time-off", TimeOffViewSet, basename="api-time-off"
)
router.register("audit", AuditEntryViewSet, basename="api-audit")

urlpatterns = [
    path("oncall/", OnCallView.as_view(), name="api-oncall"),
    *router.urls,
]
