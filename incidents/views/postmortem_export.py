"""A postmortem to take away: a printable page, and its Markdown as a download. Both show
what the reader may see (another team's postmortem is a 404), in the reader's time zone."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from incidents.postmortem_export import export_filename, postmortem_html, postmortem_markdown
from incidents.postmortem_selectors import postmortem_detail


def _loaded(request, pk: int):
    postmortem = postmortem_detail(postmortem_id=pk, user=request.user)
    if postmortem is None:
        raise Http404("No such postmortem in your teams.")
    person = getattr(request.user, "person", None)
    return postmortem, person.time_zone if person is not None else "UTC"


@login_required
@require_GET
def postmortem_print(request, pk: int):
    """Show the postmortem as one page made for printing (or saving as PDF)."""
    postmortem, zone = _loaded(request, pk)
    context = {
        "postmortem": postmortem,
        "document": postmortem_html(postmortem, zone=zone),
        "zone": zone,
    }
    return render(request, "incidents/postmortem_print.html", context)


@login_required
@require_GET
def postmortem_export_markdown(request, pk: int):
    """Download the postmortem as Markdown (GitHub Flavored), for a repository or a wiki."""
    postmortem, zone = _loaded(request, pk)
    answer = HttpResponse(
        postmortem_markdown(postmortem, zone=zone), content_type="text/markdown; charset=utf-8"
    )
    answer["Content-Disposition"] = f'attachment; filename="{export_filename(postmortem)}"'
    return answer
