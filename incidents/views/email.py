"""The links in an e-mail page: GET shows what the link will do and asks to confirm (mail
scanners open links to inspect them, and must not acknowledge anything); POST does it."""

from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from incidents.services.email_links import ACKNOWLEDGE, LinkInvalid, link_read
from incidents.services.responses import email_link_act
from oncall import clock


@csrf_exempt  # the signed token in the path is the credential; no session is involved
@require_http_methods(["GET", "POST"])
def email_action(request, token: str):
    now = clock.now()
    try:
        if request.method == "POST":
            incident = email_link_act(token, now=now)
            return render(request, "incidents/email_action.html", {"done": incident})
        link = link_read(token, now=now)
    except LinkInvalid as error:
        return render(request, "incidents/email_action.html", {"problem": error.reason}, status=410)
    verb = "Acknowledge" if link.action == ACKNOWLEDGE else "Resolve"
    context = {"incident": link.page.incident, "verb": verb, "person": link.page.person}
    return render(request, "incidents/email_action.html", context)
