"""How incidents and what they hold look in the API, and the body that declares one."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from incidents.models import Alert, Incident, Page, Service, TimelineEntry
from incidents.models.choices import Urgency
from incidents.selectors import text_masked
from oncall.api.fields import ApiModelSerializer, PersonRefSerializer, RefSerializer
from oncall.redaction import address_mask


class IncidentSerializer(ApiModelSerializer):
    """An incident in a list: read in one query with its page, whatever the page size."""

    number = serializers.IntegerField(source="pk", read_only=True, help_text="#42 is 42.")
    service = RefSerializer(read_only=True, help_text="The service it is about.")
    team = serializers.IntegerField(source="service.team_id", read_only=True)
    assignee = PersonRefSerializer(read_only=True, allow_null=True, help_text="Handed to.")

    class Meta:
        model = Incident
        fields = [
            "number",
            "title",
            "status",
            "severity",
            "urgency",
            "service",
            "team",
            "created_at",
            "acknowledged_at",
            "resolved_at",
            "assignee",
        ]
        read_only_fields = fields


class IncidentDetailSerializer(IncidentSerializer):
    """An incident whole: who acknowledged and resolved it, and where its escalation stands."""

    acknowledged_by = PersonRefSerializer(read_only=True, allow_null=True)
    resolved_by = PersonRefSerializer(read_only=True, allow_null=True)
    responders = serializers.SerializerMethodField(help_text="Who was asked to help.")
    next_escalation_at = serializers.DateTimeField(
        source="esc_due_at", read_only=True, allow_null=True, help_text="null: none is due."
    )
    # A string, not a "uri": an incident declared by hand has none ("").
    source_url = serializers.CharField(
        read_only=True, help_text="The monitoring page behind it, or empty when it has none."
    )

    class Meta(IncidentSerializer.Meta):
        fields = [
            *IncidentSerializer.Meta.fields,
            "details",
            "source_url",
            "acknowledged_by",
            "resolved_by",
            "responders",
            "esc_step",
            "next_escalation_at",
            "ack_timeout_at",
            "auto_resolve_at",
        ]
        read_only_fields = fields

    @extend_schema_field(PersonRefSerializer(many=True))
    def get_responders(self, incident) -> list[dict]:
        return PersonRefSerializer([r.person for r in incident.responders.all()], many=True).data


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Viewers complain, graphs are green",
            value={"service": "playback", "title": "Viewers in Brazil see endless buffering"},
            request_only=True,
        )
    ]
)
class DeclareSerializer(serializers.Serializer):
    service = serializers.CharField(
        max_length=100, help_text="The service: its id, or its name (e.g. playback)."
    )
    title = serializers.CharField(max_length=1024, help_text="What is wrong, in a line.")
    urgency = serializers.ChoiceField(
        choices=Urgency.choices, required=False, help_text="Default: the service's rule."
    )
    details = serializers.CharField(
        max_length=10_000, required=False, allow_blank=True, help_text="More, in words."
    )

    def validate_service(self, value: str) -> Service:
        services = self.context["services"]
        found = services.filter(pk=int(value)) if value.isdigit() and len(value) < 19 else None
        found = found if found is not None and found.exists() else services.filter(name=value)
        service = found.select_related("team").first()
        if service is None:
            raise serializers.ValidationError("No such service.")
        return service


class AlertSerializer(ApiModelSerializer):
    class Meta:
        model = Alert
        fields = [
            "id",
            "integration",
            "action",
            "dedup_key",
            "title",
            "severity",
            "received_at",
            "payload",
        ]
        read_only_fields = fields


class PageSerializer(ApiModelSerializer):
    """One page: to whom, by which channel, to which (masked) address, and how it went."""

    person = PersonRefSerializer(read_only=True)
    channel = serializers.CharField(source="kind", read_only=True, help_text="sms, voice, ...")
    address = serializers.SerializerMethodField(help_text="Masked: the last four characters.")
    failure_reason = serializers.SerializerMethodField(help_text="Why it failed; addresses masked.")

    class Meta:
        model = Page
        fields = [
            "id",
            "person",
            "channel",
            "address",
            "state",
            "failure_reason",
            "step",
            "urgency",
            "due_at",
            "created_at",
            "sent_at",
            "delivered_at",
            "failed_at",
        ]
        read_only_fields = fields

    def get_address(self, page) -> str:
        return address_mask(page.kind, page.address)

    def get_failure_reason(self, page) -> str:
        return text_masked(page.error, self.context["masks"])


class TimelineEntrySerializer(ApiModelSerializer):
    """One thing that happened to an incident; contact addresses in the message are masked."""

    actor = PersonRefSerializer(read_only=True, allow_null=True, help_text="Who did it.")
    message = serializers.SerializerMethodField(help_text="What happened, addresses masked.")

    class Meta:
        model = TimelineEntry
        fields = ["id", "at", "kind", "source", "actor", "message", "data"]
        read_only_fields = fields

    def get_message(self, entry) -> str:
        return text_masked(entry.message, self.context["masks"])
