from django.urls import path
from rest_framework.routers import SimpleRouter

from oncall.api.audit import AuditEntryViewSet
from oncall.api.contacts import ContactMethodViewSet, NotificationRuleViewSet
from oncall.api.people import PersonViewSet
from oncall.api.schedules import OnCallView, ScheduleViewSet
from oncall.api.teams import TeamViewSet

router = SimpleRouter()
router.register("teams", TeamViewSet, basename="api-team")
router.register("people", PersonViewSet, basename="api-person")
router.register("contact-methods", ContactMethodViewSet, basename="api-contact-method")
router.register("notification-rules", NotificationRuleViewSet, basename="api-notification-rule")
router.register("schedules", ScheduleViewSet, basename="api-schedule")
router.register("audit", AuditEntryViewSet, basename="api-audit")

urlpatterns = [
    path("oncall/", OnCallView.as_view(), name="api-oncall"),
    *router.urls,
]
