"""Reads: who is on call, and the shifts of schedules and people, as model objects; whose a
contact address is, and who may act for a team."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.db.models import Prefetch, Q, QuerySet

from oncall import rota
from oncall.models import ContactMethod, CoverRequest, Layer, Membership, Override, Person, Schedule

NEXT_HORIZON = timedelta(days=60)
# The paging path keeps each schedule's compiled rota, with the overrides of a window around
# the instant it was built for, while the schedule's version stands (oncall/signals.py).
ROTA_WINDOW_BEFORE, ROTA_WINDOW_AFTER = timedelta(hours=1), timedelta(days=7)


@dataclass(frozen=True)
class _CompiledRota:
    version: int
    since: datetime
    until: datetime
    rota: rota.Rota


_compiled: dict[int, _CompiledRota] = {}


def rotas_forget() -> None:
    """Drop every compiled rota and kept answer this process holds (between tests; after
    restoring a database)."""
    _compiled.clear()
    _answers.clear()


@dataclass(frozen=True)
class Shift:
    start: datetime
    end: datetime
    person: Person | None  # None is a gap: nobody is on call


@dataclass(frozen=True)
class OnCall:
    """Who covers `schedule` at an instant (None: a gap), until when, and who comes next.

    `until` is None when the current stretch lasts beyond the horizon we look at; the next
    person may come on after a gap, so `next_start` can be later than `until`.
    """

    schedule: Schedule
    person: Person | None
    until: datetime | None
    next_person: Person | None
    next_start: datetime | None


def schedules_with_rota(
    *, since: datetime, until: datetime, schedules: QuerySet[Schedule] | None = None
) -> QuerySet[Schedule]:
    """Return schedules with their layers, members, restrictions and the overrides in a window."""
    queryset = Schedule.objects.all() if schedules is None else schedules
    return queryset.select_related("team").prefetch_related(
        Prefetch(
            "layers",
            queryset=Layer.objects.prefetch_related("members", "restrictions").order_by(
                "position", "id"
            ),
        ),
        Prefetch(
            "overrides",
            queryset=Override.objects.filter(end__gt=since, start__lt=until).order_by(
                "created_at", "id"
            ),
            to_attr="window_overrides",
        ),
    )


def rota_layer(layer: Layer, *, participants: Iterable, restrictions: Iterable) -> rota.Layer:
    """Build the pure form of `layer` (saved or not) with these participant keys and windows.

    A restriction is anything with kind, start_time, duration and start_weekday.
    """
    return rota.Layer(
        participants=tuple(participants),
        turn_unit=rota.TurnUnit(layer.turn_unit),
        turn_count=layer.turn_count,
        handoff=layer.handoff,
        time_zone=layer.time_zone,
        restrictions=tuple(
            rota.Restriction(
                kind=rota.RestrictionKind(r.kind),
                start_time=r.start_time,
                duration=r.duration,
                start_weekday=r.start_weekday,
            )
            for r in restrictions
        ),
        active_from=layer.active_from,
        active_until=layer.active_until,
    )


def schedule_rota(schedule: Schedule) -> rota.Rota:
    """Build the pure rota of a schedule fetched by schedules_with_rota()."""
    layers = tuple(
        rota_layer(
            layer,
            participants=[member.person_id for member in layer.members.all()],
            restrictions=layer.restrictions.all(),
        )
        for layer in schedule.layers.all()
        if layer.members.all()  # a layer emptied in the admin covers nothing, and breaks nothing
    )
    overrides = tuple(
        rota.Override(person=o.person_id, start=o.start, end=o.end)
        for o in schedule.window_overrides
    )
    return rota.Rota(layers=layers, overrides=overrides)


def _people(ids: Iterable[int | None]) -> dict[int, Person]:
    wanted = {pk for pk in ids if pk is not None}
    return Person.objects.in_bulk(wanted) if wanted else {}


def oncall_board(
    *, at: datetime, until: datetime, schedules: QuerySet[Schedule] | None = None
) -> tuple[list[OnCall], dict[Schedule, list[Shift]]]:
    """Return who is on call at `at` and next, and the shifts up to `until`, for each schedule.

    Fetches the schedules once for both answers (the who-is-on-call page needs both).
    """
    horizon = at + NEXT_HORIZON
    fetched = schedules_with_rota(since=at, until=max(until, horizon), schedules=schedules)
    answers = []
    for schedule in fetched:
        schedule_rota_ = schedule_rota(schedule)
        current = rota.shift_at(schedule_rota_, at, horizon=NEXT_HORIZON)
        upcoming = rota.next_shift_after(schedule_rota_, at, horizon=NEXT_HORIZON)
        pieces = rota.final_shifts(schedule_rota_, at, until) if until > at else []
        answers.append((schedule, current, upcoming, pieces))
    people = _people(
        pk
        for _, current, upcoming, pieces in answers
        for pk in (current.person, upcoming and upcoming.person, *(p.person for p in pieces))
    )
    summaries = [
        OnCall(
            schedule=schedule,
            person=people.get(current.person),
            until=current.end if current.end < horizon else None,
            next_person=people.get(upcoming.person) if upcoming else None,
            next_start=upcoming.start if upcoming else None,
        )
        for schedule, current, upcoming, _ in answers
    ]
    shifts = {
        schedule: [Shift(p.start, p.end, people.get(p.person)) for p in pieces]
        for schedule, _, _, pieces in answers
    }
    return summaries, shifts


def oncall_summary(*, at: datetime, schedules: QuerySet[Schedule] | None = None) -> list[OnCall]:
    """Return who is on call at `at` and who is next, for each schedule."""
    summaries, _ = oncall_board(at=at, until=at, schedules=schedules)
    return summaries


def _rotas_at(
    at: datetime, schedule_ids: list[int], ahead: timedelta = timedelta(0)
) -> dict[int, rota.Rota]:
    """Return the rota of each existing schedule, good from `at` to `at + ahead`, compiled
    afresh only where it changed.

    One query for the versions; the rotas themselves are fetched only when a schedule changed
    or the span asked for is outside the window of overrides kept. A schedule changed between
    the version read and the fetch is kept under the older version, so it is fetched again next
    time: never stale.
    """
    versions = dict(Schedule.objects.filter(pk__in=schedule_ids).values_list("pk", "version"))
    stale = [
        pk
        for pk, version in versions.items()
        if (kept := _compiled.get(pk)) is None
        or kept.version != version
        or not kept.since <= at
        or not at + ahead < kept.until
    ]
    if stale:
        # A day more than asked for, so that the next questions (a moment later) still fit.
        since = at - ROTA_WINDOW_BEFORE
        until = at + max(ROTA_WINDOW_AFTER, ahead + timedelta(days=1))
        for schedule in schedules_with_rota(
            since=since, until=until, schedules=Schedule.objects.filter(pk__in=stale)
        ):
            _compiled[schedule.pk] = _CompiledRota(
                min(versions[schedule.pk], schedule.version), since, until, schedule_rota(schedule)
            )
    return {pk: _compiled[pk].rota for pk in versions if pk in _compiled}


@dataclass(frozen=True)
class _KeptAnswer:
    version: int
    since: datetime
    until: datetime  # the next handoff (or ANSWER_KEPT_AT_MOST after `since`)
    answer: OnCall


# Who is on call now and next does not change before the next handoff unless the schedule's
# version moves; past an hour it is asked again anyway (a rename, a shift entering the horizon).
ANSWER_KEPT_AT_MOST = timedelta(hours=1)
_answers: dict[int, _KeptAnswer] = {}


def oncall_now(*, at: datetime, schedules: QuerySet[Schedule]) -> list[OnCall]:
    """Return who is on call at `at` and who is next for each of `schedules`, as
    oncall_summary() does, keeping each schedule's answer until its next handoff or version
    change: asked often (dashboards, the API), it costs one query while nothing changed."""
    fetched = list(schedules.only("pk", "name", "team_id", "version"))
    answers: dict[int, OnCall] = {}
    stale = []
    for schedule in fetched:
        kept = _answers.get(schedule.pk)
        if kept is not None and kept.version == schedule.version and kept.since <= at < kept.until:
            answers[schedule.pk] = replace(kept.answer, schedule=schedule)
        else:
            stale.append(schedule)
    if stale:
        answers.update(_oncall_compute(at, stale))
    return [answers[s.pk] for s in fetched if s.pk in answers]


def _oncall_compute(at: datetime, schedules: list[Schedule]) -> dict[int, OnCall]:
    rotas = _rotas_at(at, [s.pk for s in schedules], ahead=NEXT_HORIZON)
    found = []
    for schedule in schedules:
        compiled = rotas.get(schedule.pk)
        if compiled is None:  # deleted meanwhile
            continue
        current = rota.shift_at(compiled, at, horizon=NEXT_HORIZON)
        upcoming = rota.next_shift_after(compiled, at, horizon=NEXT_HORIZON)
        found.append((schedule, current, upcoming))
    people = _people(
        pk
        for _, current, upcoming in found
        for pk in (current.person, upcoming and upcoming.person)
    )
    horizon = at + NEXT_HORIZON
    answers = {}
    for schedule, current, upcoming in found:
        answer = OnCall(
            schedule=schedule,
            person=people.get(current.person),
            until=current.end if current.end < horizon else None,
            next_person=people.get(upcoming.person) if upcoming else None,
            next_start=upcoming.start if upcoming else None,
        )
        changes = [current.end, at + ANSWER_KEPT_AT_MOST]
        if upcoming is not None:
            changes.append(upcoming.start)
        _answers[schedule.pk] = _KeptAnswer(schedule.version, at, min(changes), answer)
        answers[schedule.pk] = answer
    return answers


def oncall_people_at(*, at: datetime, schedule_ids: Iterable[int]) -> dict[int, Person | None]:
    """Return who is on call at `at` for each schedule id (None in a gap): the paging question,
    with nothing about who is next. Cheap when asked often: see _rotas_at."""
    answers = {
        pk: rota.on_call_at(compiled, at)
        for pk, compiled in _rotas_at(at, list(schedule_ids)).items()
    }
    people = _people(answers.values())
    return {pk: people.get(person) for pk, person in answers.items()}


def oncall_at(*, schedule: Schedule, at: datetime) -> Person | None:
    """Return the person on call for `schedule` at `at`, or None in a gap."""
    return oncall_people_at(at=at, schedule_ids=[schedule.pk]).get(schedule.pk)


def schedule_shifts(
    *, since: datetime, until: datetime, schedules: QuerySet[Schedule] | None = None
) -> dict[Schedule, list[Shift]]:
    """Return the final shifts covering [since, until), gaps included, for each schedule."""
    rendered = {
        schedule: rota.final_shifts(schedule_rota(schedule), since, until)
        for schedule in schedules_with_rota(since=since, until=until, schedules=schedules)
    }
    people = _people(piece.person for pieces in rendered.values() for piece in pieces)
    return {
        schedule: [Shift(p.start, p.end, people.get(p.person)) for p in pieces]
        for schedule, pieces in rendered.items()
    }


def shifts_between(*, schedule: Schedule, since: datetime, until: datetime) -> list[Shift]:
    """Return the final shifts of `schedule` covering [since, until), gaps included."""
    (shifts,) = schedule_shifts(
        since=since, until=until, schedules=Schedule.objects.filter(pk=schedule.pk)
    ).values()
    return shifts


@dataclass(frozen=True)
class ScheduleRows:
    """A schedule drawn over a window: the final shifts (gaps included), each layer's own turns,
    and the overrides that reach into the window."""

    final: list[Shift]
    layers: list[tuple[Layer, list[Shift]]]
    overrides: list[Override]


def schedule_rows(*, schedule: Schedule, since: datetime, until: datetime) -> ScheduleRows:
    """Return the final shifts of `schedule` over [since, until), each layer's active turns
    there (highest layer last, as stored) and the overrides reaching into it, in one fetch."""
    (fetched,) = schedules_with_rota(
        since=since, until=until, schedules=Schedule.objects.filter(pk=schedule.pk)
    )
    final = rota.final_shifts(schedule_rota(fetched), since, until)
    layers = []
    for layer in fetched.layers.all():
        members = [member.person_id for member in layer.members.all()]
        pieces = []
        if members:
            pure = rota_layer(layer, participants=members, restrictions=layer.restrictions.all())
            pieces = rota.layer_shifts(pure, since, until)
        layers.append((layer, pieces))
    overrides = sorted(fetched.window_overrides, key=lambda o: (o.start, o.pk))
    people = _people(
        [p.person for p in final]
        + [p.person for _, pieces in layers for p in pieces]
        + [o.person_id for o in overrides]
    )
    for override in overrides:
        override.person = people[override.person_id]

    def shifts(pieces) -> list[Shift]:
        return [Shift(p.start, p.end, people.get(p.person)) for p in pieces]

    return ScheduleRows(
        final=shifts(final),
        layers=[(layer, shifts(pieces)) for layer, pieces in layers],
        overrides=overrides,
    )


def person_shifts_between(
    *, person: Person, since: datetime, until: datetime
) -> list[tuple[Schedule, Shift]]:
    """Return `person`'s shifts across every schedule between since and until, by start."""
    schedules = Schedule.objects.filter(
        Q(layers__members__person=person)
        | Q(overrides__person=person, overrides__end__gt=since, overrides__start__lt=until)
    ).distinct()
    found = []
    for schedule in schedules_with_rota(since=since, until=until, schedules=schedules):
        for piece in rota.final_shifts(schedule_rota(schedule), since, until):
            if piece.person == person.pk:
                found.append((schedule, Shift(piece.start, piece.end, person)))
    return sorted(found, key=lambda pair: (pair[1].start, pair[0].name))


# People and their roles


ACTING_ROLES = (Membership.Role.RESPONDER, Membership.Role.ADMIN)


def people_by_contact(*, kind: str, address: str) -> QuerySet[Person]:
    """Return the people whose verified contact method of `kind` is `address` (usually one;
    two people may share a phone); an archived person is no one's any more."""
    if kind not in ContactMethod.Kind.values or not address:
        return Person.objects.none()
    return (
        Person.objects.filter(
            user__is_active=True,
            contact_methods__kind=kind,
            contact_methods__address=address,
            contact_methods__verified_at__isnull=False,
        )
        .select_related("user")
        .distinct()
    )


def person_by_contact(*, kind: str, address: str) -> Person | None:
    """Return the person a verified contact method (an SMS or voice number, an e-mail address,
    a Slack member id) belongs to, or None; of people sharing it, the first by name."""
    return people_by_contact(kind=kind, address=address).first()


def team_role(*, person: Person, team_id: int) -> str | None:
    """Return the person's role in the team (Membership.Role), or None when not a member."""
    return (
        Membership.objects.filter(person=person, team_id=team_id)
        .values_list("role", flat=True)
        .first()
    )


def teams_acted_for(*, person: Person) -> QuerySet:
    """Return the ids of the teams the person responds for (as a responder or an admin)."""
    return Membership.objects.filter(person=person, role__in=ACTING_ROLES).values("team_id")


def is_superuser(person: Person) -> bool:
    """Whether the person's login is a Django superuser, who acts on every team."""
    return bool(person.user.is_superuser)


def team_members(*, team_id: int) -> QuerySet[Person]:
    """Return the members of team `team_id`, by name."""
    return Person.objects.filter(memberships__team_id=team_id).order_by("display_name", "pk")


def people_of_teams(*, team_ids: Iterable[int]) -> QuerySet[Person]:
    """Return everyone in any of the teams `team_ids` (those a viewer of them may see named)."""
    return Person.objects.filter(memberships__team_id__in=list(team_ids)).distinct()


def cover_gaps(*, team_ids: Iterable[int], now: datetime, ahead: timedelta) -> QuerySet:
    """Return the open cover requests of `team_ids` starting within `ahead` and not over yet:
    the coming gaps a manager should see."""
    return (
        CoverRequest.objects.filter(
            schedule__team_id__in=list(team_ids),
            status=CoverRequest.Status.OPEN,
            start__lt=now + ahead,
            end__gt=now,
        )
        .select_related("schedule", "asker", "trade_with")
        .order_by("start", "pk")
    )


@dataclass(frozen=True)
class LayerPreview:
    """A schedule's final shifts over a window as they are, and as they would be with one layer
    written differently (or added), and that layer's own turns; nothing is saved."""

    current: list[Shift]
    preview: list[Shift]
    layer: list[Shift]


def layer_preview(
    *,
    schedule: Schedule,
    since: datetime,
    until: datetime,
    layer: Layer,
    participants: Iterable[Person],
    restrictions: Iterable,
    replacing: int | None = None,
) -> LayerPreview:
    """Return the final shifts of `schedule` over [since, until) now and with `layer` (unsaved,
    valid: see services.layers_build) in place of layer `replacing`, or added when None; layers
    are stacked by position as when saved. Read only: the rota is built in memory."""
    (fetched,) = schedules_with_rota(
        since=since, until=until, schedules=Schedule.objects.filter(pk=schedule.pk)
    )
    current = schedule_rota(fetched)
    draft = rota_layer(
        layer, participants=[p.pk for p in participants], restrictions=list(restrictions)
    )
    stacked = [
        (stored.position, stored.pk, schedule_rota_layer(stored))
        for stored in fetched.layers.all()
        if stored.pk != replacing and stored.members.all()
    ]
    stacked.append((layer.position, replacing or 0, draft))
    stacked.sort(key=lambda entry: (entry[0], entry[1]))
    edited = replace(current, layers=tuple(entry[2] for entry in stacked))
    before = rota.final_shifts(current, since, until)
    after = rota.final_shifts(edited, since, until)
    own = rota.layer_shifts(draft, since, until)
    people = _people([p.person for p in [*before, *after, *own]])

    def shifts(pieces) -> list[Shift]:
        return [Shift(p.start, p.end, people.get(p.person)) for p in pieces]

    return LayerPreview(current=shifts(before), preview=shifts(after), layer=shifts(own))


def schedule_rota_layer(layer: Layer) -> rota.Layer:
    """Build the pure form of a layer fetched by schedules_with_rota()."""
    return rota_layer(
        layer,
        participants=[member.person_id for member in layer.members.all()],
        restrictions=layer.restrictions.all(),
    )
