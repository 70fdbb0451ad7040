"""The lower layer's web pages; the project's urls.py includes these at the root."""

from django.urls import path

from oncall.web import cover, layer_pages, profile, schedules, teams

app_name = "oncall"

urlpatterns = [
    path("schedules/", schedules.schedule_list, name="schedule-list"),
    path("schedules/<int:schedule_id>/", schedules.schedule_detail, name="schedule-detail"),
    path(
        "schedules/<int:schedule_id>/overrides/",
        schedules.override_create_web,
        name="override-create",
    ),
    path(
        "schedules/<int:schedule_id>/overrides/<int:override_id>/delete/",
        schedules.override_delete_web,
        name="override-delete",
    ),
    path("teams/", teams.team_list, name="team-list"),
    path("teams/<int:team_id>/", teams.team_detail, name="team-detail"),
    path("teams/<int:team_id>/members/", teams.member_add, name="member-add"),
    path("teams/<int:team_id>/rest/", teams.rest_protection, name="team-rest"),
    path(
        "teams/<int:team_id>/members/<int:person_id>/role/",
        teams.member_role,
        name="member-role",
    ),
    path(
        "teams/<int:team_id>/members/<int:person_id>/remove/",
        teams.member_remove,
        name="member-remove",
    ),
    path("schedules/<int:schedule_id>/cover/", cover.cover_ask, name="cover-ask"),
    path("cover/", cover.cover_list, name="cover-list"),
    path("cover/<int:cover_id>/", cover.cover_detail, name="cover-detail"),
    path("cover/<int:cover_id>/take/", cover.cover_take, name="cover-take"),
    path("cover/<int:cover_id>/withdraw/", cover.cover_withdraw, name="cover-withdraw"),
    path(
        "schedules/<int:schedule_id>/layers/new/",
        layer_pages.layer_new,
        name="schedule-layer-new",
    ),
    path(
        "schedules/<int:schedule_id>/layers/<int:layer_id>/",
        layer_pages.layer_edit,
        name="schedule-layer-edit",
    ),
    path(
        "schedules/<int:schedule_id>/layers/<int:layer_id>/delete/",
        layer_pages.layer_delete_web,
        name="schedule-layer-delete",
    ),
    path("profile/", profile.profile, name="profile"),
    path("profile/details/", profile.profile_update, name="profile-update"),
    path("profile/contact-methods/", profile.contact_method_add, name="contact-method-add"),
    path(
        "profile/contact-methods/<int:pk>/verify/",
        profile.contact_method_verify,
        name="contact-method-verify",
    ),
    path(
        "profile/contact-methods/<int:pk>/send-code/",
        profile.contact_method_code_send,
        name="contact-method-send-code",
    ),
    path(
        "profile/contact-methods/<int:pk>/delete/",
        profile.contact_method_delete,
        name="contact-method-delete",
    ),
    path("profile/time-off/", profile.time_off_add, name="time-off-add"),
    path("profile/time-off/<int:pk>/remove/", profile.time_off_remove, name="time-off-remove"),
    path("profile/holidays/", profile.holiday_calendar_update, name="holiday-calendar-update"),
    path("profile/rules/", profile.notification_rule_add, name="rule-add"),
    path("profile/rules/<int:pk>/delete/", profile.notification_rule_delete, name="rule-delete"),
    path("profile/tokens/", profile.api_token_add, name="token-add"),
    path("profile/tokens/<int:pk>/revoke/", profile.api_token_delete, name="token-revoke"),
    path("profile/calendar-links/", profile.calendar_link_add, name="calendar-add"),
    path(
        "profile/calendar-links/<int:pk>/revoke/",
        profile.calendar_link_revoke,
        name="calendar-revoke",
    ),
]
