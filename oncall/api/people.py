"""/api/v1/people/: the people in your teams (and you). A team admin creates people straight
into their team, changes the profiles of its members and archives those who left; everyone
changes their own profile."""

from __future__ import annotations

import django_filters
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from oncall import clock
from oncall.absences import person_holiday_calendar
from oncall.api.access import (
    ADMIN,
    acts_as_superuser,
    require_admin_of_every_team,
    require_person_editor,
    require_role,
    teams_with,
)
from oncall.api.base import TeamScopedReadOnlyViewSet, people_shown_whole, visible_people
from oncall.api.fields import ApiModelSerializer, ScopedRelatedField, id_filter
from oncall.api.schema import ERRORS
from oncall.models import Membership, Person, Team
from oncall.redaction import address_mask
from oncall.services import person_archive, person_create, person_update


class HolidayCalendarSerializer(serializers.Serializer):
    country = serializers.CharField(help_text="ISO 3166 code; blank: no calendar (UTC).")
    subdivision = serializers.CharField(help_text="A state or region's code, or blank.")
    from_time_zone = serializers.BooleanField(
        help_text="True when the person chose none and their time zone's country applies."
    )


class PersonSerializer(ApiModelSerializer):
    name = serializers.CharField(source="display_name", read_only=True, help_text="Display name.")
    username = serializers.CharField(source="user.username", read_only=True)
    email = serializers.SerializerMethodField(
        help_text="Whole for yourself and members of teams you administer; else masked."
    )
    teams = serializers.SerializerMethodField(help_text="The teams you share, with their role.")
    active = serializers.BooleanField(
        source="user.is_active", read_only=True, help_text="False once archived."
    )
    holiday_calendar = serializers.SerializerMethodField(
        help_text="Whose public holidays apply: the chosen country and subdivision, or "
        "(from_time_zone) the country of their time zone."
    )

    class Meta:
        model = Person
        fields = [
            "id",
            "name",
            "username",
            "email",
            "time_zone",
            "locale",
            "holiday_country",
            "holiday_subdivision",
            "holiday_calendar",
            "active",
            "teams",
        ]
        read_only_fields = fields

    @extend_schema_field(HolidayCalendarSerializer)
    def get_holiday_calendar(self, person) -> dict:
        return person_holiday_calendar(person=person).as_dict()

    def get_email(self, person) -> str:
        email = person.user.email
        if not email or person.pk in self.context["whole"]:
            return email
        return address_mask("email", email)

    def get_teams(self, person) -> list[dict]:
        return [{"id": m.team_id, "role": m.role} for m in person.visible_memberships]


class PersonFilter(django_filters.FilterSet):
    team = id_filter("memberships__team", "A team")

    class Meta:
        model = Person
        fields = ["team"]


def teams_visible(request):
    return Team.objects.filter(pk__in=teams_with(request))


class ProfileBody(serializers.Serializer):
    name = serializers.CharField(max_length=150, source="display_name", help_text="Display name.")
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True)
    time_zone = serializers.CharField(
        max_length=64, required=False, help_text="An IANA zone, such as Europe/Lisbon."
    )
    locale = serializers.CharField(max_length=16, required=False, help_text="Such as en or pt-BR.")
    holiday_country = serializers.CharField(
        max_length=2,
        required=False,
        allow_blank=True,
        help_text="Whose public holidays you keep: an ISO 3166 code such as PT; blank for "
        "the country of your time zone.",
    )
    holiday_subdivision = serializers.CharField(
        max_length=10,
        required=False,
        allow_blank=True,
        help_text="A state or region with holidays of its own, such as SP (with country BR).",
    )


class NewPersonBody(ProfileBody):
    username = serializers.CharField(max_length=150, help_text="Their login.")
    password = serializers.CharField(
        max_length=128,
        required=False,
        write_only=True,
        style={"input_type": "password"},
        help_text="Leave it out for someone who signs in otherwise (or never, a script).",
    )
    team = ScopedRelatedField(
        what="team",
        scope=teams_visible,
        required=False,
        help_text="The team they join (one you administer); only a superuser may leave it out.",
    )
    role = serializers.ChoiceField(
        choices=Membership.Role.choices, default="responder", help_text="Their role in the team."
    )

    def validate(self, attrs):
        if attrs.get("team") is None and not acts_as_superuser(self.context["request"]):
            raise serializers.ValidationError(
                {"team": "Give the team they join: you see only the people of your teams."}
            )
        password = attrs.get("password")
        if password:
            user = get_user_model()(username=attrs["username"], email=attrs.get("email", ""))
            try:
                validate_password(password, user)
            except DjangoValidationError as error:
                raise serializers.ValidationError({"password": error.messages}) from error
        return attrs


class PersonViewSet(TeamScopedReadOnlyViewSet):
    """The people in your teams (and you)."""

    queryset = Person.objects.select_related("user")
    serializer_class = PersonSerializer
    filterset_class = PersonFilter
    ordering_fields = ["id"]

    def get_queryset(self):
        memberships = Membership.objects.filter(team__in=teams_with(self.request))
        return (
            self.queryset.filter(pk__in=visible_people(self.request).values("pk"))
            if self.action != "me"
            else self.queryset.filter(user=self.request.user)
        ).prefetch_related(Prefetch("memberships", memberships, to_attr="visible_memberships"))

    def get_serializer_context(self):
        return super().get_serializer_context() | {"whole": people_shown_whole(self.request)}

    def _shown(self, person: Person, status_code: int = status.HTTP_200_OK) -> Response:
        memberships = Membership.objects.filter(team__in=teams_with(self.request))
        shown = self.queryset.prefetch_related(
            Prefetch("memberships", memberships, to_attr="visible_memberships")
        ).get(pk=person.pk)
        return Response(self.get_serializer(shown).data, status=status_code)

    @extend_schema(request=NewPersonBody, responses={201: PersonSerializer})
    def create(self, request):
        """Create a person in a team you administer (a superuser may leave the team out)."""
        body = NewPersonBody(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        fields = dict(body.validated_data)
        team = fields.get("team")
        if team is not None:
            require_role(request, team.pk, ADMIN, "add people to the team")
        person = person_create(**fields)
        return self._shown(person, status.HTTP_201_CREATED)

    @extend_schema(request=ProfileBody, responses={200: PersonSerializer})
    def update(self, request, pk=None, partial=False):
        """Change a profile: display name, e-mail, time zone, locale, holiday calendar.

        Yourself (with a respond or admin token), or an admin of one of the person's teams.
        """
        person = self.get_object()
        require_person_editor(request, person, "change their profile")
        body = ProfileBody(data=request.data, partial=partial)
        body.is_valid(raise_exception=True)
        person_update(person=person, **body.validated_data)
        return self._shown(person)

    @extend_schema(request=ProfileBody, responses={200: PersonSerializer})
    def partial_update(self, request, pk=None):
        """Change some of a profile's fields (yourself, or an admin of one of their teams)."""
        return self.update(request, pk, partial=True)

    @extend_schema(request=None, responses={204: None, 409: ERRORS[409]})
    def destroy(self, request, pk=None):
        """Archive a person who left.

        Their login, API tokens and calendar links stop working and they leave their teams;
        their history stays. Needs the admin role in every team they are in. Refused (409)
        while a layer, an override to come or an escalation policy still names them, or a team
        would be left without an admin.
        """
        person = self.get_object()
        require_admin_of_every_team(request, person, "archive them")
        person_archive(person=person, now=clock.now())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses={200: PersonSerializer})
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def me(self, request):
        """You: the person your token or session acts for."""
        person = self.get_queryset().first()
        if person is None:
            raise NotFound()
        return Response(self.get_serializer(person).data)
