"""The web paths of a postmortem's exports; the project's urls.py includes these at the root,
beside the postmortem pages."""

from django.urls import path

from incidents.views import postmortem_export

urlpatterns = [
    path(
        "postmortems/<int:pk>/print/",
        postmortem_export.postmortem_print,
        name="postmortem-print",
    ),
    path(
        "postmortems/<int:pk>/export.md",
        postmortem_export.postmortem_export_markdown,
        name="postmortem-export-md",
    ),
]
