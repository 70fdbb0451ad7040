from django.contrib import admin

from incidents.models import Service


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "description", "team"]
    list_filter = ["team"]
    search_fields = ["name", "description"]
