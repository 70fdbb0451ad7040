"""The audit log in the Django admin: read only, for everyone, superusers included."""

from django.contrib import admin

from oncall.audit.recording import audited_object_types
from oncall.models import AuditEntry
from oncall.models.audit import COMMON_ACTIONS


class _NamedValuesFilter(admin.SimpleListFilter):
    """A filter offering known values, rather than a SELECT DISTINCT over the whole log."""

    def queryset(self, request, queryset):
        value = self.value()
        return queryset if value is None else queryset.filter(**{self.parameter_name: value})


class AuditActionFilter(_NamedValuesFilter):
    title = parameter_name = "action"

    def lookups(self, request, model_admin):
        return [(action, action) for action in COMMON_ACTIONS]


class AuditObjectTypeFilter(_NamedValuesFilter):
    title = "object type"
    parameter_name = "object_type"

    def lookups(self, request, model_admin):
        return [(name, name) for name in sorted({*audited_object_types(), "incident"})]


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The audit log, to read only: nobody adds, changes or deletes an entry, not even a
    superuser (the model and, on PostgreSQL, the database refuse it as well)."""

    list_display = [
        "at",
        "actor",
        "token_name",
        "origin",
        "source",
        "action",
        "object_type",
        "object_id",
        "object_repr",
        "team_id",
    ]
    list_filter = ["source", AuditActionFilter, AuditObjectTypeFilter]
    search_fields = ["actor", "actor_name", "token_name", "object_type", "object_id", "object_repr"]
    date_hierarchy = "at"
    show_full_result_count = False  # a COUNT of the whole log on every page is slow, and needless

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
