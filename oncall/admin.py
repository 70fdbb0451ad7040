from django import forms
from django.contrib import admin, messages

from oncall import clock, services
from oncall.audit import admin as audit_admin  # noqa: F401 - registers the audit log
from oncall.models import (
    ApiToken,
    CalendarFeed,
    ContactMethod,
    CoverRequest,
    HandoffSummary,
    Heartbeat,
    Layer,
    LayerMember,
    LayerRestriction,
    Membership,
    NotificationRule,
    Override,
    Person,
    RehearsalSend,
    RehearsalTurn,
    Schedule,
    SendPace,
    ShiftNotice,
    SignedRequest,
    Team,
    TimeOff,
)
from oncall.services import contact_method_update
from oncall.services.time_off import MAX_LENGTH
from oncall.tokens import api_token_revoke
from oncall.verification import VERIFIABLE, verification_request

# What the admin's contact method forms may change through contact_method_update.
METHOD_FIELDS = ("kind", "address", "label", "verified_at")


def _method_updated(method: ContactMethod, fields) -> None:
    """Save the changes a form made to an existing contact method through its service, which
    knows that a new address must prove itself (unless the form set its verification too)."""
    stored = ContactMethod.objects.get(pk=method.pk)
    changes = {name: getattr(method, name) for name in fields if name in METHOD_FIELDS}
    contact_method_update(method=stored, **changes)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["person"]


class ContactMethodInline(admin.TabularInline):
    model = ContactMethod
    extra = 0


class NotificationRuleInline(admin.TabularInline):
    model = NotificationRule
    extra = 0


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "manager", "slack_channel"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]
    autocomplete_fields = ["manager"]
    inlines = [MembershipInline]


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["display_name", "user", "time_zone", "locale"]
    list_filter = ["time_zone", "teams"]
    search_fields = ["display_name", "user__username", "user__email"]
    inlines = [ContactMethodInline, NotificationRuleInline]

    def save_formset(self, request, form, formset, change):
        if formset.model is not ContactMethod:
            return super().save_formset(request, form, formset, change)
        formset.save(commit=False)
        for method in formset.deleted_objects:
            method.delete()
        for method in formset.new_objects:
            method.save()
            verification_request(method=method)  # a new address proves itself, as in the API
        for method, fields in formset.changed_objects:
            _method_updated(method, fields)
        return None


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["person", "team", "role"]
    list_filter = ["team", "role"]


@admin.register(ContactMethod)
class ContactMethodAdmin(admin.ModelAdmin):
    list_display = ["person", "kind", "address", "verified_at"]
    list_filter = ["kind"]
    search_fields = ["person__display_name", "address"]
    actions = ["send_verification_code"]

    def get_readonly_fields(self, request, obj=None):
        # A method moves with its notification rules: another person's would be someone else's.
        return ["person"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        if change:
            _method_updated(obj, form.changed_data)
        else:
            super().save_model(request, obj, form, change)
            verification_request(method=obj)

    @admin.action(description="Send a verification code")
    def send_verification_code(self, request, queryset):
        sent = 0
        for method in queryset.filter(verified_at__isnull=True, kind__in=VERIFIABLE):
            verification_request(method=method)
            sent += 1
        self.message_user(
            request,
            f"{sent} verification code(s) on their way; verified and voice methods are skipped "
            "(a voice number is verified through its SMS twin).",
            messages.SUCCESS,
        )


@admin.register(NotificationRule)
class NotificationRuleAdmin(admin.ModelAdmin):
    list_display = ["person", "contact_method", "delay_minutes", "urgency"]
    list_filter = ["urgency"]


class LayerMemberInline(admin.TabularInline):
    model = LayerMember
    extra = 0
    min_num = 1
    validate_min = True
    autocomplete_fields = ["person"]


class LayerRestrictionInline(admin.TabularInline):
    model = LayerRestriction
    extra = 0


@admin.register(Layer)
class LayerAdmin(admin.ModelAdmin):
    list_display = ["name", "schedule", "position", "turn_count", "turn_unit", "time_zone"]
    list_filter = ["schedule"]
    inlines = [LayerMemberInline, LayerRestrictionInline]


@admin.register(LayerMember)
class LayerMemberAdmin(admin.ModelAdmin):
    list_display = ["layer", "position", "person"]
    list_filter = ["layer__schedule"]


@admin.register(LayerRestriction)
class LayerRestrictionAdmin(admin.ModelAdmin):
    list_display = ["layer", "kind", "start_weekday", "start_time", "duration"]


class LayerInline(admin.TabularInline):
    model = Layer
    extra = 0
    show_change_link = True
    fields = ["name", "position", "turn_count", "turn_unit", "handoff", "time_zone"]


@admin.register(Schedule)
class ScheduleAdmin(admin.ModelAdmin):
    list_display = ["name", "team", "time_zone"]
    search_fields = ["name"]
    inlines = [LayerInline]


@admin.register(Override)
class OverrideAdmin(admin.ModelAdmin):
    list_display = ["schedule", "person", "start", "end", "reason", "created_by"]
    list_filter = ["schedule"]
    date_hierarchy = "start"
    autocomplete_fields = ["person"]


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    list_display = ["hint", "schedule", "person", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["hint", "created_at", "last_used_at"]

    def has_add_permission(self, request):
        # A link is created with its token shown once, which the admin form cannot do.
        return False


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin):
    list_display = ["name", "seen_at", "worker"]
    readonly_fields = ["name", "seen_at", "worker"]

    def has_add_permission(self, request):
        return False


@admin.register(SendPace)
class SendPaceAdmin(admin.ModelAdmin):
    list_display = ["sender", "free_at"]
    readonly_fields = ["sender", "free_at"]

    def has_add_permission(self, request):
        return False


@admin.register(RehearsalTurn)
class RehearsalTurnAdmin(admin.ModelAdmin):
    """A number's turns as rehearsals see them: bookkeeping, read-only."""

    list_display = ["contact_method", "quiet_until", "calls_at"]
    readonly_fields = ["contact_method", "quiet_until", "calls_at"]

    def has_add_permission(self, request):
        return False


@admin.register(RehearsalSend)
class RehearsalSendAdmin(admin.ModelAdmin):
    """What the rehearsal channel 'sent' (it reached no one): read-only."""

    list_display = ["reference", "kind", "address", "sent_at"]
    list_filter = ["kind"]
    readonly_fields = ["reference", "kind", "address", "also", "provider_id", "sent_at"]

    def has_add_permission(self, request):
        return False


@admin.register(ShiftNotice)
class ShiftNoticeAdmin(admin.ModelAdmin):
    list_display = ["person", "schedule", "kind", "shift_start", "shift_end", "sent_at"]
    list_filter = ["kind", "schedule"]
    readonly_fields = ["person", "schedule", "kind", "shift_start", "shift_end", "sent_at"]

    def has_add_permission(self, request):
        return False


@admin.register(HandoffSummary)
class HandoffSummaryAdmin(admin.ModelAdmin):
    list_display = ["schedule", "at", "outgoing", "incoming", "channel", "sent_at"]
    list_filter = ["schedule"]
    readonly_fields = ["schedule", "at", "outgoing", "incoming", "channel", "sent_at"]

    def has_add_permission(self, request):
        # A record says a summary went (or is going): made by the scheduler only.
        return False


@admin.register(SignedRequest)
class SignedRequestAdmin(admin.ModelAdmin):
    list_display = ["source", "key", "taken_at", "expires_at"]
    list_filter = ["source"]
    readonly_fields = ["source", "key", "taken_at", "expires_at"]

    def has_add_permission(self, request):
        # A row says a request acted; only that request makes one.
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "user",
        "scope",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["scope"]
    search_fields = ["name", "user__username"]
    readonly_fields = ["user", "name", "scope", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        # A token's secret is shown once, when made: `manage.py apitoken create`, not this form.
        return False

    @admin.action(description="Revoke the selected tokens now")
    def revoke(self, request, queryset):
        revoked = sum(api_token_revoke(token=token, now=clock.now()) for token in queryset)
        self.message_user(request, f"Revoked {revoked} token(s).", messages.SUCCESS)


@admin.register(CoverRequest)
class CoverRequestAdmin(admin.ModelAdmin):
    """Cover requests are asked, taken and withdrawn on the web (the services decide who was
    first); here they are read, and a note may be corrected."""

    list_display = ["schedule", "asker", "start", "end", "status", "taken_by"]
    list_filter = ["status"]
    readonly_fields = [
        "schedule",
        "asker",
        "start",
        "end",
        "trade_with",
        "trade_start",
        "trade_end",
        "status",
        "taken_by",
        "taken_at",
        "override",
        "return_override",
        "time_off",
        "created_by",
        "created_at",
    ]

    def has_add_permission(self, request):
        return False


class TimeOffForm(forms.ModelForm):
    class Meta:
        model = TimeOff
        fields = ["person", "start", "end", "reason"]

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end - start > MAX_LENGTH:
            self.add_error("end", f"Time off lasts at most {MAX_LENGTH.days} days.")
        return cleaned


@admin.register(TimeOff)
class TimeOffAdmin(admin.ModelAdmin):
    """Time off saved here goes through the services, as on the web: the person's shifts in it
    are offered to the team, and deleting it withdraws what nobody took."""

    list_display = ["person", "start", "end", "reason", "created_by"]
    date_hierarchy = "start"
    search_fields = ["person__display_name", "reason"]
    autocomplete_fields = ["person"]
    form = TimeOffForm
    readonly_fields = ["created_by", "created_at"]

    def save_model(self, request, obj, form, change):
        fields = {"start": obj.start, "end": obj.end, "reason": obj.reason}
        if change:
            services.time_off_update(time_off=obj, created_by=request.user, **fields)
        else:
            saved = services.time_off_create(person=obj.person, created_by=request.user, **fields)
            obj.pk = saved.pk

    def delete_model(self, request, obj):
        services.time_off_delete(time_off=obj)

    def delete_queryset(self, request, queryset):
        for time_off in queryset:
            services.time_off_delete(time_off=time_off)
