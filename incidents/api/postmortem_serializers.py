"""How postmortems, their timeline entries, action items and a team's postmortem settings look
in the API, and the bodies that write them."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from incidents.models import (
    ActionItem,
    Postmortem,
    PostmortemEntry,
    PostmortemReviewer,
    PostmortemSection,
    PostmortemSettings,
)
from incidents.services.postmortems.editing import BODY_MAX, TEXT_MAX
from incidents.services.postmortems.settings import HEADING_MAX, PROMPT_MAX, SECTIONS_MAX
from oncall.api.fields import (
    ApiModelSerializer,
    AwareDateTimeField,
    PersonRefSerializer,
    RefSerializer,
)

MAX_ID = 2**63 - 1
INCIDENTS_MAX = 50
TITLE_MAX = Postmortem._meta.get_field("title").max_length


class PersonId(serializers.IntegerField):
    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        kwargs.setdefault("help_text", "A person's id: a member of the postmortem's team.")
        super().__init__(**kwargs)


class SectionSerializer(ApiModelSerializer):
    class Meta:
        model = PostmortemSection
        fields = ["id", "position", "heading", "prompt", "body"]
        read_only_fields = fields
        extra_kwargs = {"body": {"help_text": "Markdown."}}


class EntrySerializer(ApiModelSerializer):
    """One line of the postmortem's own timeline: drafted from the record, or added by hand."""

    actor = serializers.CharField(
        source="actor_name", read_only=True, help_text="Who did it, by name; empty for nobody."
    )
    incident = serializers.IntegerField(
        source="incident_id", read_only=True, allow_null=True, help_text="The incident's number."
    )
    manual = serializers.SerializerMethodField(help_text="Added by hand (it may be deleted).")

    class Meta:
        model = PostmortemEntry
        fields = [
            "id",
            "at",
            "kind",
            "source",
            "actor",
            "text",
            "incident",
            "origin",
            "hidden",
            "edited",
            "manual",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "kind": {"help_text": "What happened (triggered, paged, note…); manual by hand."},
            "origin": {"help_text": 'What it was drafted from ("timeline:12", "alert:7").'},
        }

    def get_manual(self, entry) -> bool:
        return entry.kind == PostmortemEntry.MANUAL and not entry.origin


class ReviewerSerializer(ApiModelSerializer):
    person = PersonRefSerializer(read_only=True)

    class Meta:
        model = PostmortemReviewer
        fields = ["person", "requested_at", "approved_at"]
        read_only_fields = fields


class ActionItemSerializer(ApiModelSerializer):
    owner = PersonRefSerializer(read_only=True, allow_null=True)
    team = serializers.IntegerField(source="postmortem.team_id", read_only=True)
    # A string, not a "uri": an item tracked nowhere has "".
    url = serializers.CharField(read_only=True, help_text="Its tracker link, or empty.")

    class Meta:
        model = ActionItem
        fields = [
            "id",
            "postmortem",
            "team",
            "title",
            "owner",
            "due_on",
            "status",
            "url",
            "created_at",
            "updated_at",
            "done_at",
        ]
        read_only_fields = fields


class PostmortemSerializer(ApiModelSerializer):
    """A postmortem in a list."""

    team = RefSerializer(read_only=True)
    incidents = serializers.SerializerMethodField(help_text="The incidents' numbers.")
    created_by = PersonRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Postmortem
        fields = [
            "id",
            "title",
            "status",
            "team",
            "incidents",
            "began_at",
            "acknowledged_at",
            "resolved_at",
            "created_by",
            "created_at",
            "updated_at",
            "published_at",
            "revision",
        ]
        read_only_fields = fields
        extra_kwargs = {"revision": {"help_text": "Give it back with an edit (409 if stale)."}}

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_incidents(self, postmortem) -> list[int]:
        return sorted(link.incident_id for link in postmortem.links.all())


class PostmortemDetailSerializer(PostmortemSerializer):
    """A postmortem whole: its sections, its timeline, its reviewers and its action items."""

    sections = SectionSerializer(many=True, read_only=True)
    timeline = EntrySerializer(source="entries", many=True, read_only=True)
    reviewers = ReviewerSerializer(many=True, read_only=True)
    action_items = ActionItemSerializer(many=True, read_only=True)
    time_to_acknowledge_seconds = serializers.SerializerMethodField()
    time_to_resolve_seconds = serializers.SerializerMethodField()

    class Meta(PostmortemSerializer.Meta):
        fields = [
            *PostmortemSerializer.Meta.fields,
            "time_to_acknowledge_seconds",
            "time_to_resolve_seconds",
            "sections",
            "timeline",
            "reviewers",
            "action_items",
        ]
        read_only_fields = fields

    def get_time_to_acknowledge_seconds(self, postmortem) -> float | None:
        delta = postmortem.time_to_acknowledge
        return None if delta is None else delta.total_seconds()

    def get_time_to_resolve_seconds(self, postmortem) -> float | None:
        delta = postmortem.time_to_resolve
        return None if delta is None else delta.total_seconds()


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Two incidents of one outage",
            value={"incidents": [41, 42], "title": "CDN outage in São Paulo"},
            request_only=True,
        )
    ]
)
class PostmortemStartBody(serializers.Serializer):
    incidents = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        min_length=1,
        max_length=INCIDENTS_MAX,
        help_text="The incidents' numbers, all of one team, none in another postmortem.",
    )
    title = serializers.CharField(
        max_length=TITLE_MAX, required=False, help_text="Default: the first incident's."
    )


class PostmortemUpdateBody(serializers.Serializer):
    revision = serializers.IntegerField(
        min_value=1, max_value=2**31 - 1, help_text="The revision this edit was made from."
    )
    title = serializers.CharField(max_length=TITLE_MAX, required=False)
    sections = serializers.DictField(
        child=serializers.CharField(max_length=BODY_MAX, allow_blank=True, trim_whitespace=False),
        required=False,
        help_text='New bodies (Markdown) by section id: {"12": "…"}.',
    )


class EntryAddBody(serializers.Serializer):
    at = AwareDateTimeField(help_text="When it happened, with its offset.")
    text = serializers.CharField(max_length=TEXT_MAX)


class EntryUpdateBody(serializers.Serializer):
    at = AwareDateTimeField(required=False)
    text = serializers.CharField(max_length=TEXT_MAX, required=False)
    hidden = serializers.BooleanField(required=False, help_text="Left out of the document.")


class ReviewBody(serializers.Serializer):
    reviewers = serializers.ListField(
        child=PersonId(), min_length=1, max_length=20, help_text="People of the team."
    )


class ActionItemCreateBody(serializers.Serializer):
    postmortem = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    title = serializers.CharField(max_length=ActionItem._meta.get_field("title").max_length)
    owner = PersonId(required=False, allow_null=True)
    due_on = serializers.DateField(required=False, allow_null=True)
    url = serializers.CharField(max_length=500, required=False, allow_blank=True)


class ActionItemUpdateBody(serializers.Serializer):
    title = serializers.CharField(max_length=ActionItem._meta.get_field("title").max_length)
    owner = PersonId(allow_null=True)
    due_on = serializers.DateField(allow_null=True)
    status = serializers.ChoiceField(choices=ActionItem.Status.choices)
    url = serializers.CharField(max_length=500, allow_blank=True)


class SectionTemplateSerializer(serializers.Serializer):
    heading = serializers.CharField(max_length=HEADING_MAX)
    prompt = serializers.CharField(max_length=PROMPT_MAX, required=False, allow_blank=True)


class PostmortemSettingsSerializer(serializers.ModelSerializer):
    team = serializers.IntegerField(source="team_id", read_only=True)
    sections = SectionTemplateSerializer(
        many=True, help_text="The sections a new postmortem starts with."
    )

    class Meta:
        model = PostmortemSettings
        fields = ["team", "sections", "required_for_critical"]
        read_only_fields = fields


class PostmortemSettingsBody(serializers.Serializer):
    sections = SectionTemplateSerializer(
        many=True, min_length=1, max_length=SECTIONS_MAX, help_text="In order."
    )
    required_for_critical = serializers.BooleanField(
        help_text="Every resolved critical incident needs a postmortem."
    )
