"""/api/v1/contact-methods/ and notification-rules/: how and when each person in your teams is
reached. Everyone manages their own; a team admin also manages its members' (a new hire's)."""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from oncall import clock
from oncall.api.access import require_may_mark_verified, require_person_editor
from oncall.api.base import TeamScopedReadOnlyViewSet, people_shown_whole, visible_people
from oncall.api.fields import (
    ApiModelSerializer,
    PersonRefSerializer,
    ScopedRelatedField,
    id_filter,
)
from oncall.api.schema import ERRORS
from oncall.models import ContactMethod, NotificationRule
from oncall.redaction import address_mask
from oncall.services import (
    contact_method_create,
    contact_method_delete,
    contact_method_update,
    contact_method_verification_send,
    contact_method_verify,
    notification_rule_create,
    notification_rule_delete,
    notification_rule_update,
)

NO_CONTENT = {204: None, 409: ERRORS[409]}


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


class ContactMethodUpdateBody(serializers.Serializer):
    address = serializers.CharField(
        max_length=254,
        help_text="E.164 phone number (+351912345678), e-mail address or Slack member id "
        "(U012AB3CD). A new address must be verified again: it is sent a code.",
    )
    label = serializers.CharField(max_length=50, required=False, allow_blank=True)
    verified = serializers.BooleanField(
        required=False,
        help_text="Mark it verified without a code: team admins and superusers only.",
    )


class ContactMethodBody(ContactMethodUpdateBody):
    person = ScopedRelatedField(
        what="person", scope=visible_people, required=False, help_text="Whose (default: you)."
    )
    kind = serializers.ChoiceField(choices=ContactMethod.Kind.choices)

    def validate(self, attrs):
        if "person" not in attrs:
            person = getattr(self.context["request"].user, "person", None)
            if person is None:
                raise serializers.ValidationError(
                    {"person": "Give the person: your login has no on-call profile."}
                )
            attrs["person"] = person
        return attrs


class CodeBody(serializers.Serializer):
    code = serializers.CharField(max_length=12, help_text="The code sent to the address.")


class ContactMethodViewSet(TeamScopedReadOnlyViewSet):
    """How the people in your teams are reached; only verified methods are ever paged."""

    queryset = ContactMethod.objects.select_related("person", "person__user")
    serializer_class = ContactMethodSerializer
    filterset_class = ContactMethodFilter
    ordering_fields = ["id"]

    def get_queryset(self):
        return self.queryset.filter(person__in=visible_people(self.request))

    def get_serializer_context(self):
        return super().get_serializer_context() | {"whole": people_shown_whole(self.request)}

    def _shown(self, method, status_code: int = status.HTTP_200_OK) -> Response:
        return Response(self.get_serializer(method).data, status=status_code)

    @extend_schema(request=ContactMethodBody, responses={201: ContactMethodSerializer})
    def create(self, request):
        """Add a way to reach a person (you by default).

        It is sent a code to prove it reaches them; only verified methods are paged. `verified`
        is for team admins and superusers.
        """
        body = ContactMethodBody(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        fields = dict(body.validated_data)
        require_person_editor(request, fields["person"], "add their contact methods")
        if fields.get("verified"):
            require_may_mark_verified(request, fields["person"])
        return self._shown(contact_method_create(**fields), status.HTTP_201_CREATED)

    @extend_schema(request=ContactMethodUpdateBody, responses={200: ContactMethodSerializer})
    def partial_update(self, request, pk=None):
        """Change a contact method's label or address.

        A new address loses its verification and is sent a code. `verified` is for team admins
        and superusers.
        """
        method = self.get_object()
        require_person_editor(request, method.person, "change their contact methods")
        body = ContactMethodUpdateBody(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        fields = dict(body.validated_data)
        if "verified" in fields:
            require_may_mark_verified(request, method.person)
            fields["verified_at"] = clock.now() if fields.pop("verified") else None
        return self._shown(contact_method_update(method=method, **fields))

    @extend_schema(request=None, responses=NO_CONTENT)
    def destroy(self, request, pk=None):
        """Delete a contact method and its notification rules.

        Refused (409) for the last verified method of someone who takes turns in a layer.
        """
        method = self.get_object()
        require_person_editor(request, method.person, "delete their contact methods")
        contact_method_delete(method=method)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={202: ContactMethodSerializer})
    @action(detail=True, methods=["post"], url_path="send-verification", filter_backends=[])
    def send_verification(self, request, pk=None):
        """Send the contact method a new verification code.

        At most one a minute; 400 for a verified method or a voice number (verified through
        its SMS twin).
        """
        method = self.get_object()
        require_person_editor(request, method.person, "verify their contact methods")
        contact_method_verification_send(method=method, now=clock.now())
        return self._shown(method, status.HTTP_202_ACCEPTED)

    @extend_schema(request=CodeBody, responses={200: ContactMethodSerializer})
    @action(detail=True, methods=["post"], filter_backends=[])
    def verify(self, request, pk=None):
        """Verify the contact method with the code it was sent.

        A wrong or expired code is a 400; after five wrong tries, ask for a new code.
        """
        method = self.get_object()
        require_person_editor(request, method.person, "verify their contact methods")
        body = CodeBody(data=request.data)
        body.is_valid(raise_exception=True)
        method = contact_method_verify(method=method, now=clock.now(), **body.validated_data)
        return self._shown(method)


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


def methods_visible(request):
    return ContactMethod.objects.filter(person__in=visible_people(request)).select_related(
        "person__user"
    )


class NotificationRuleBody(serializers.Serializer):
    contact_method = ScopedRelatedField(
        what="contact method",
        scope=methods_visible,
        help_text="Which of the person's methods: the rule is for its owner.",
    )
    delay_minutes = serializers.IntegerField(
        min_value=0, max_value=1440, help_text="Minutes after the page that it reaches them."
    )
    urgency = serializers.ChoiceField(
        choices=NotificationRule.Urgency.choices,
        default=NotificationRule.Urgency.HIGH,
        help_text="For pages of this urgency.",
    )


class NotificationRuleViewSet(TeamScopedReadOnlyViewSet):
    """When and how each person in your teams is paged: a contact method after a delay."""

    queryset = NotificationRule.objects.select_related("person", "contact_method")
    serializer_class = NotificationRuleSerializer
    filterset_class = NotificationRuleFilter
    ordering_fields = ["id"]

    def get_queryset(self):
        return self.queryset.filter(person__in=visible_people(self.request))

    def _shown(self, rule, status_code: int = status.HTTP_200_OK) -> Response:
        return Response(self.get_serializer(self.queryset.get(pk=rule.pk)).data, status=status_code)

    @extend_schema(request=NotificationRuleBody, responses={201: NotificationRuleSerializer})
    def create(self, request):
        """Reach a contact method's owner through it, some minutes after a page."""
        body = NotificationRuleBody(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        method = body.validated_data["contact_method"]
        require_person_editor(request, method.person, "change their notification rules")
        return self._shown(notification_rule_create(**body.validated_data), status.HTTP_201_CREATED)

    @extend_schema(request=NotificationRuleBody, responses={200: NotificationRuleSerializer})
    def update(self, request, pk=None, partial=False):
        """Change a notification rule: its method (the same person's), delay or urgency."""
        rule = self.get_object()
        require_person_editor(request, rule.person, "change their notification rules")
        body = NotificationRuleBody(
            data=request.data, partial=partial, context={"request": request}
        )
        body.is_valid(raise_exception=True)
        return self._shown(notification_rule_update(rule=rule, **body.validated_data))

    @extend_schema(request=NotificationRuleBody, responses={200: NotificationRuleSerializer})
    def partial_update(self, request, pk=None):
        """Change some of a notification rule's fields."""
        return self.update(request, pk, partial=True)

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request, pk=None):
        """Delete a notification rule."""
        rule = self.get_object()
        require_person_editor(request, rule.person, "change their notification rules")
        notification_rule_delete(rule=rule)
        return Response(status=status.HTTP_204_NO_CONTENT)
