from django.contrib import admin

from incidents.models import (
    ActionItem,
    Alert,
    EmailLinkKey,
    EscalationPolicy,
    EscalationStep,
    EscalationTarget,
    Event,
    Incident,
    InsightBucket,
    Integration,
    MaintenanceWindow,
    NoiseDay,
    Page,
    Postmortem,
    PostmortemEntry,
    PostmortemIncident,
    PostmortemReviewer,
    PostmortemSection,
    PostmortemSettings,
    Rehearsal,
    Responder,
    RestNotice,
    RestOffer,
    RollupWatermark,
    RotaProposal,
    Service,
    Tally,
    TestPage,
    TimelineEntry,
)


class MaintenanceInline(admin.TabularInline):
    model = MaintenanceWindow
    extra = 0


class IntegrationInline(admin.TabularInline):
    model = Integration
    extra = 0
    fields = ["kind", "name", "token_hint", "rate_limit_per_second", "last_seen_at"]
    readonly_fields = ["kind", "token_hint", "last_seen_at"]
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        # A token is shown once when made (`manage.py integration create`), which a form cannot.
        return False


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "description",
        "team",
        "escalation_policy",
        "urgency_rule",
        "slack_channel",
        "archived_at",
    ]
    list_filter = ["team"]
    search_fields = ["name", "description"]
    readonly_fields = ["archived_at"]  # set by deleting a service incidents name (API)
    inlines = [IntegrationInline, MaintenanceInline]


@admin.register(MaintenanceWindow)
class MaintenanceWindowAdmin(admin.ModelAdmin):
    list_display = ["service", "start", "end", "reason"]


@admin.register(Integration)
class IntegrationAdmin(admin.ModelAdmin):
    list_display = ["service", "kind", "name", "token_hint", "last_seen_at"]
    list_filter = ["kind"]
    readonly_fields = ["token_hint", "previous_valid_until", "heartbeat_due_at", "last_seen_at"]

    def has_add_permission(self, request):
        return False


class EscalationTargetInline(admin.TabularInline):
    model = EscalationTarget
    extra = 0
    min_num = 1
    validate_min = True


@admin.register(EscalationStep)
class EscalationStepAdmin(admin.ModelAdmin):
    list_display = ["policy", "position", "escalate_after_minutes"]
    inlines = [EscalationTargetInline]


class EscalationStepInline(admin.TabularInline):
    model = EscalationStep
    extra = 0
    show_change_link = True


@admin.register(EscalationPolicy)
class EscalationPolicyAdmin(admin.ModelAdmin):
    list_display = ["name", "team", "repeat"]
    inlines = [EscalationStepInline]


@admin.register(EscalationTarget)
class EscalationTargetAdmin(admin.ModelAdmin):
    list_display = ["step", "kind", "person", "schedule", "team"]


class TimelineInline(admin.TabularInline):
    model = TimelineEntry
    extra = 0
    fields = ["at", "kind", "source", "actor", "message"]
    readonly_fields = fields
    can_delete = False


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ["id", "title", "service", "status", "urgency", "severity", "created_at"]
    list_filter = ["status", "urgency", "severity", "service"]
    search_fields = ["title", "dedup_key"]
    readonly_fields = [
        "policy_snapshot",
        "esc_rung_for",
        "esc_rung_at",
        "slack_channel",
        "slack_ts",
    ]
    inlines = [TimelineInline]


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ["received_at", "action", "dedup_key", "title", "incident", "integration"]
    list_filter = ["action"]
    list_select_related = ["incident", "integration__service"]


@admin.register(Page)
class PageAdmin(admin.ModelAdmin):
    list_display = ["incident", "person", "kind", "state", "due_at", "sent_at", "interruption"]
    list_filter = ["state", "kind", "interruption"]
    list_select_related = ["incident", "person"]


@admin.register(EmailLinkKey)
class EmailLinkKeyAdmin(admin.ModelAdmin):
    """Read-only: a key is the digest of a secret sent by e-mail; deleting one voids its links."""

    list_display = ["page", "created_at"]
    list_select_related = ["page__incident", "page__person"]
    readonly_fields = ["page", "digest", "created_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(TimelineEntry)
class TimelineEntryAdmin(admin.ModelAdmin):
    list_display = ["incident", "at", "kind", "source", "actor"]
    list_filter = ["kind", "source"]


@admin.register(Responder)
class ResponderAdmin(admin.ModelAdmin):
    list_display = ["incident", "person", "added_at"]


class PostmortemSectionInline(admin.StackedInline):
    model = PostmortemSection
    extra = 0


class ActionItemInline(admin.TabularInline):
    model = ActionItem
    extra = 0
    fields = ["title", "owner", "due_on", "status", "url"]


@admin.register(Postmortem)
class PostmortemAdmin(admin.ModelAdmin):
    list_display = ["title", "team", "status", "began_at", "created_at", "published_at"]
    list_filter = ["status", "team"]
    search_fields = ["title"]
    readonly_fields = ["revision"]
    inlines = [PostmortemSectionInline, ActionItemInline]


@admin.register(PostmortemIncident)
class PostmortemIncidentAdmin(admin.ModelAdmin):
    list_display = ["postmortem", "incident"]
    list_select_related = ["postmortem", "incident"]


@admin.register(PostmortemSection)
class PostmortemSectionAdmin(admin.ModelAdmin):
    list_display = ["postmortem", "position", "heading"]


@admin.register(PostmortemEntry)
class PostmortemEntryAdmin(admin.ModelAdmin):
    list_display = ["postmortem", "at", "kind", "hidden", "edited"]
    list_filter = ["kind", "hidden"]


@admin.register(PostmortemReviewer)
class PostmortemReviewerAdmin(admin.ModelAdmin):
    list_display = ["postmortem", "person", "requested_at", "approved_at"]


@admin.register(ActionItem)
class ActionItemAdmin(admin.ModelAdmin):
    list_display = ["title", "owner", "due_on", "status", "postmortem"]
    list_filter = ["status"]
    list_select_related = ["owner", "postmortem"]


@admin.register(PostmortemSettings)
class PostmortemSettingsAdmin(admin.ModelAdmin):
    list_display = ["team", "required_for_critical"]


class RollupAdmin(admin.ModelAdmin):
    """Read-only: the insights rollup is derived from the record (manage.py insights rebuild)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(InsightBucket)
class InsightBucketAdmin(RollupAdmin):
    list_display = ["start", "service", "incidents", "pages", "sleep", "off", "business"]
    list_select_related = ["service"]


@admin.register(NoiseDay)
class NoiseDayAdmin(RollupAdmin):
    list_display = ["day", "service", "alert_name", "incidents", "alerts", "quiet"]
    list_select_related = ["service"]


@admin.register(RollupWatermark)
class RollupWatermarkAdmin(RollupAdmin):
    list_display = ["until", "days_until"]


class RestRecordAdmin(admin.ModelAdmin):
    """Read-only: rest protection's records of what it did once (incidents/rest/)."""

    list_select_related = ["person", "team"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(RestOffer)
class RestOfferAdmin(RestRecordAdmin):
    list_display = ["night", "person", "team", "sleep_pages", "offered_night", "requests_opened"]


@admin.register(RestNotice)
class RestNoticeAdmin(RestRecordAdmin):
    list_display = ["night", "person", "team", "nights_woken", "manager", "sent_at"]


@admin.register(RotaProposal)
class RotaProposalAdmin(admin.ModelAdmin):
    """Read-only: a proposal is asked and applied on its schedule's page, the API or the
    command (its overrides are audited there); deleting an old one is allowed."""

    list_display = ["schedule", "since", "until", "status", "created_by", "created_at"]
    list_filter = ["status"]
    list_select_related = ["schedule", "created_by"]
    readonly_fields = [f.name for f in RotaProposal._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Rehearsal)
class RehearsalAdmin(admin.ModelAdmin):
    """Read-only: a rehearsal is started, finished and removed by `manage.py rehearse` through
    the API (audited there); deleting an old one's record is allowed."""

    list_display = ["service", "shape", "alerts", "rate", "started_at", "finished_at", "passed"]
    list_filter = ["shape", "passed"]
    list_select_related = ["service"]
    readonly_fields = [f.name for f in Rehearsal._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    """Big events are planned on /events/ (audited there, services and responders included);
    here for the record and for repairs."""

    list_display = ["name", "team", "starts_at", "ends_at", "ack_timeout_minutes"]
    list_filter = ["team"]
    list_select_related = ["team"]
    search_fields = ["name"]
    filter_horizontal = ["services", "extra_people", "extra_schedules"]


@admin.register(TestPage)
class TestPageAdmin(admin.ModelAdmin):
    """Read-only: a test page is sent from its event's page, the API or the command."""

    list_display = ["event", "person", "incident", "sent_at"]
    list_select_related = ["event", "person", "incident"]
    readonly_fields = [f.name for f in TestPage._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Tally)
class TallyAdmin(admin.ModelAdmin):
    """Read-only: each process's counters for /metrics."""

    list_display = ["metric", "label", "process", "count", "total", "updated_at"]
    list_filter = ["metric"]
    readonly_fields = [f.name for f in Tally._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
