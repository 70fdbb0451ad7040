"""/api/v1/teams/, people/, contact-methods/, notification-rules/: who is in which team and how
each wants to be reached, read-only (written in part 2)."""

from __future__ import annotations

import django_filters
from django.db.models import Prefetch
from rest_framework import serializers

from oncall.api.access import teams_with
from oncall.api.base import TeamScopedReadOnlyViewSet, people_shown_whole, visible_people
from oncall.api.fields import ApiModelSerializer, PersonRefSerializer, id_filter
from oncall.models import ContactMethod, Membership, NotificationRule, Person, Team
from oncall.redaction import address_mask


class MemberSerializer(ApiModelSerializer):
    person = PersonRefSerializer(read_only=True)

    class Meta:
        model = Membership
        fields = ["person", "role"]
        read_only_fields = fields


class TeamSerializer(ApiModelSerializer):
    manager = PersonRefSerializer(read_only=True, allow_null=True, help_text="Its manager.")
    members = MemberSerializer(
        source="memberships", many=True, read_only=True, help_text="Everyone in it, with roles."
    )

    class Meta:
        model = Team
        fields = ["id", "name", "slug", "slack_channel", "manager", "members"]
        read_only_fields = fields


class TeamViewSet(TeamScopedReadOnlyViewSet):
    """The teams you are in, with their members and roles."""

    queryset = Team.objects.select_related("manager").prefetch_related("memberships__person")
    serializer_class = TeamSerializer
    team_path = "pk"
    ordering_fields = ["id", "name"]


class PersonSerializer(ApiModelSerializer):
    name = serializers.CharField(source="display_name", read_only=True, help_text="Display name.")
    username = serializers.CharField(source="user.username", read_only=True)
    teams = serializers.SerializerMethodField(help_text="The teams you share, with their role.")

    class Meta:
        model = Person
        fields = ["id", "name", "username", "time_zone", "locale", "teams"]
        read_only_fields = fields

    def get_teams(self, person) -> list[dict]:
        return [{"id": m.team_id, "role": m.role} for m in person.visible_memberships]


class PersonFilter(django_filters.FilterSet):
    team = id_filter("memberships__team", "A team")

    class Meta:
        model = Person
        fields = ["team"]


class PersonViewSet(TeamScopedReadOnlyViewSet):
    """The people in your teams (and you)."""

    queryset = Person.objects.select_related("user")
    serializer_class = PersonSerializer
    filterset_class = PersonFilter
    ordering_fields = ["id"]

    def get_queryset(self):
        memberships = Membership.objects.filter(team__in=teams_with(self.request))
        return (
            visible_people(self.request)
            .select_related("user")
            .prefetch_related(Prefetch("memberships", memberships, to_attr="visible_memberships"))
        )


class ContactMethodSerializer(ApiModelSerializer):
    person = PersonRefSerializer(read_only=True)
    name = serializers.SerializerMethodField(help_text="Its label, or its kind.")
    address = serializers.SerializerMethodField(
        help_text="Whole for your own and for members of teams you administer; else masked."
    )
    verified = serializers.BooleanField(source="is_verified", read_only=True)

    class Meta:
        model = ContactMethod
        fields = ["id", "name", "person", "kind", "address", "label", "verified", "verified_at"]
        read_only_fields = fields

    def get_name(self, method) -> str:
        return method.label or method.get_kind_display()

    def get_address(self, method) -> str:
        if method.person_id in self.context["whole"]:
            return method.address
        return address_mask(method.kind, method.address)


class PersonScopedFilter(django_filters.FilterSet):
    person = id_filter("person_id", "A person")


class ContactMethodFilter(PersonScopedFilter):
    class Meta:
        model = ContactMethod
        fields = ["person", "kind"]


class ContactMethodViewSet(TeamScopedReadOnlyViewSet):
    """How the people in your teams are reached; only verified methods are ever paged."""

    queryset = ContactMethod.objects.select_related("person")
    serializer_class = ContactMethodSerializer
    filterset_class = ContactMethodFilter
    ordering_fields = ["id"]

    def get_queryset(self):
        return self.queryset.filter(person__in=visible_people(self.request))

    def get_serializer_context(self):
        return super().get_serializer_context() | {"whole": people_shown_whole(self.request)}


class NotificationRuleSerializer(ApiModelSerializer):
    name = serializers.SerializerMethodField(help_text="What it does, in words.")
    person = PersonRefSerializer(read_only=True)

    class Meta:
        model = NotificationRule
        fields = ["id", "name", "person", "contact_method", "delay_minutes", "urgency"]
        read_only_fields = fields

    def get_name(self, rule) -> str:
        return f"{rule.contact_method.get_kind_display()} after {rule.delay_minutes} min"


class NotificationRuleFilter(PersonScopedFilter):
    class Meta:
        model = NotificationRule
        fields = ["person", "urgency"]


class NotificationRuleViewSet(TeamScopedReadOnlyViewSet):
    """When and how each person in your teams is paged: a contact method after a delay."""

    queryset = NotificationRule.objects.select_related("person", "contact_method")
    serializer_class = NotificationRuleSerializer
    filterset_class = NotificationRuleFilter
    ordering_fields = ["id"]

    def get_queryset(self):
        return self.queryset.filter(person__in=visible_people(self.request))
