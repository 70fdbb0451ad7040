"""Rehearsal and test incidents never count: not in insights (raw rows or the rollup), fatigue,
past load, rest protection, /metrics' load figures, the Slack channel announcement, nor the
dashboard's lists. Each case puts one real, one rehearsal and one test incident side by side."""

from datetime import UTC, datetime, timedelta

from incidents.fatigue.selectors import people_load, team_fatigue
from incidents.insights.queries import Scope, insights_of
from incidents.insights.rollup import rollup_advance
from incidents.metrics import engine_figures
from incidents.models import Alert, Incident, Page, Service
from incidents.rehearsals.twins import twin_for
from incidents.rest import protection
from incidents.services import pages
from incidents.services.doorbell import REST_CHECK, SLACK_POST
from incidents.services.slack_channel import slack_incidents_announce
from oncall import services as oncall_services
from oncall.models import Person, Team

from .conftest import T0

NIGHT = datetime(2027, 1, 13, 2, 0, tzinfo=UTC)  # 02:00 in Lisbon: sleep hours
KINDS = (Incident.Kind.REAL, Incident.Kind.REHEARSAL, Incident.Kind.TEST)


def person() -> Person:
    return Person.objects.filter(contact_methods__kind="sms").order_by("pk").first()


def one_of_each(at: datetime, *, state: str = "sent") -> dict[str, Incident]:
    """A real, a rehearsal and a test incident opened at `at`, each with an alert and a page to
    the same person sent at `at` (in their sleep hours at NIGHT)."""
    real = Service.objects.get(name="auth")
    twin = twin_for(real)
    someone = person()
    method = someone.contact_methods.get(kind="sms")
    made = {}
    for number, kind in enumerate(KINDS):
        incident = Incident.objects.create(
            service=twin if kind == Incident.Kind.REHEARSAL else real,
            kind=kind,
            title=f"{kind} disk",
            alert_name=f"{kind}-disk",
            dedup_key=f"{kind}-{at.isoformat()}",
            severity="critical",
            urgency="high",
            created_at=at,
        )
        Alert.objects.create(
            incident=incident, action="trigger", dedup_key=incident.dedup_key, received_at=at
        )
        Page.objects.create(
            incident=incident,
            step=0,
            loop=0,
            person=someone,
            rule_id=number + 1,
            contact_method=method,
            kind="sms",
            address=method.address,
            urgency="high",
            state=state,
            due_at=at,
            created_at=at,
            sent_at=at if state == "sent" else None,
            interruption="sleep" if at == NIGHT else "business",
        )
        made[kind] = incident
    return made


def test_insights_count_only_real_incidents_raw_and_rolled_up(demo):
    one_of_each(NIGHT)
    services = tuple(Service.objects.values_list("pk", flat=True))
    since, until = NIGHT - timedelta(days=1), NIGHT + timedelta(days=1)

    def figures():
        found = insights_of(scope=Scope(service_ids=services), since=since, until=until, zone=UTC)
        return (
            sum(n for _, n, _ in found.weeks),
            sum(p for _, _, p in found.weeks),
            [(n.alert_name, n.incidents, n.alerts) for n in found.noisy],
        )

    assert figures() == (1, 1, [("real-disk", 1, 1)])  # the raw rows
    rollup_advance(now=NIGHT + timedelta(days=3))
    assert figures() == (1, 1, [("real-disk", 1, 1)])  # the rollup's


def test_fatigue_and_past_load_count_only_real_pages(demo):
    one_of_each(NIGHT)
    someone = person()
    since, until = NIGHT - timedelta(days=1), NIGHT + timedelta(days=1)
    team = Team.objects.get(memberships__person=someone)
    (figure,) = [
        f for p, f in team_fatigue(team=team, since=since, until=until).people if p == someone
    ]
    assert figure.pages_total == 1 and figure.pages["sleep"] == 1
    load = people_load(person_ids=[someone.pk], since=since, until=until)[someone.pk]
    assert (load.pages, load.sleep_pages) == (1, 1)


def test_rest_protection_counts_only_real_sleep_pages(demo):
    one_of_each(NIGHT)
    found = protection._sleep_pages(person(), NIGHT - timedelta(hours=1), NIGHT)
    assert len(found) == 1


def test_a_rehearsal_or_test_page_in_the_night_queues_no_rest_check(
    demo, rings, django_capture_on_commit_callbacks
):
    someone = person()
    team = Team.objects.get(memberships__person=someone)
    oncall_services.team_update(team=team, rest_after_sleep_pages=2)
    made = one_of_each(NIGHT, state="sending")
    for kind in (Incident.Kind.REHEARSAL, Incident.Kind.TEST, Incident.Kind.REAL):
        page = Page.objects.select_related("incident", "person").get(incident=made[kind])
        with django_capture_on_commit_callbacks(execute=True):
            pages.page_sent(page=page, provider_id=f"p-{kind}", status="sent", now=NIGHT)
        checks = [pk for task, pk in rings if task == REST_CHECK]
        assert checks == ([someone.pk] if kind == Incident.Kind.REAL else []), kind


def test_metrics_load_figures_count_only_real_incidents(demo):
    one_of_each(T0)
    figures = engine_figures(now=T0 + timedelta(minutes=1))
    assert figures["incidents_open"]["triggered"] == 1
    assert sum(figures["pages_sent_24h"].values()) == 1


def test_no_slack_post_announces_a_rehearsal_incident(
    demo, rings, settings, django_capture_on_commit_callbacks
):
    settings.SLACK_BOT_TOKEN = "xoxb-test"
    made = one_of_each(T0)
    Service.objects.filter(pk__in=[i.service_id for i in made.values()]).update(
        slack_channel="C0123ABCD"
    )
    incidents = list(Incident.objects.select_related("service"))
    with django_capture_on_commit_callbacks(execute=True):
        slack_incidents_announce(incidents=incidents, now=T0)
    posted = {pk for task, pk in rings if task == SLACK_POST}
    assert posted == {made[Incident.Kind.REAL].pk, made[Incident.Kind.TEST].pk}


def test_the_dashboard_hides_rehearsal_incidents_and_says_how_many_are_open(
    demo, client, frozen_now
):
    frozen_now(T0)
    made = one_of_each(T0)
    twin_for(Service.objects.get(name="edge"))
    client.force_login(Person.objects.get(user__username="admin").user)
    html = client.get("/dashboard/incidents/").content.decode()
    assert "real disk" in html and "test disk" in html
    assert "rehearsal disk" not in html
    assert "1 rehearsal incident open" in html
    board = client.get("/incidents/").content.decode()
    assert "real disk" in board and "rehearsal disk" not in board
    assert "edge-rehearsal" not in client.get("/").content.decode()  # nor declared on by hand
    # Asked for by its service, it is found.
    twin = made[Incident.Kind.REHEARSAL].service
    assert "rehearsal disk" in client.get(f"/incidents/?service={twin.pk}").content.decode()
