"""Two people starting a postmortem of one incident at the same moment get one postmortem: the
database's unique link of an incident decides, and the second is told which one it is in."""

from datetime import timedelta

import pytest

from incidents.models import Postmortem, PostmortemEntry, PostmortemIncident
from incidents.services.postmortems import IncidentAlreadyInPostmortem, postmortem_start

from .conftest import T0
from .postmortems import incident_with_record, person
from .test_chaos import concurrently

THREADS = 6


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_starts_for_one_incident_make_one_postmortem(demo, workers):
    incident = incident_with_record(workers)
    people = [person(name) for name in ("joao", "rita", "mei", "tiago", "helena", "ana")]
    outcomes = []

    def start(n):
        try:
            postmortem = postmortem_start(
                incidents=[incident], by=people[n], now=T0 + timedelta(hours=1)
            )
            outcomes.append(("started", postmortem.pk))
        except IncidentAlreadyInPostmortem as refused:
            outcomes.append(("refused", refused.postmortem.pk))

    concurrently(start, threads=THREADS)
    (postmortem,) = Postmortem.objects.all()
    assert sorted(outcomes) == [("refused", postmortem.pk)] * (THREADS - 1) + [
        ("started", postmortem.pk)
    ]
    assert PostmortemIncident.objects.get().postmortem == postmortem
    assert PostmortemEntry.objects.exclude(postmortem=postmortem).count() == 0
