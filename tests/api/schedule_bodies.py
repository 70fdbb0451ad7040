"""Request bodies and answers the schedule-writing tests share."""

from oncall.models import Layer, Override, Schedule

HANDOFF = "2026-10-26T09:00:00Z"  # a Monday, a week before T0: weekly turns hand off at 09:00 Z


def layer_body(*people, **extra) -> dict:
    """A weekly layer of `people` (in turn order) handing off on Mondays at 09:00 UTC."""
    return {
        "name": "weekly",
        "participants": [person.pk for person in people],
        "turn_unit": "weeks",
        "turn_count": 1,
        "handoff": HANDOFF,
        "time_zone": "UTC",
        **extra,
    }


def schedule_body(world, *layers, **extra) -> dict:
    return {
        "team": world.team.pk,
        "name": "red-secondary",
        "time_zone": "Europe/Lisbon",
        "layers": list(layers),
        **extra,
    }


def oncall_now(client, schedule, at: str) -> str | None:
    """Return the name of who /api/v1/oncall/ says covers `schedule` at `at` (None: a gap)."""
    for entry in client.get("/api/v1/oncall/", {"at": at}).json():
        if entry["schedule"]["id"] == schedule.pk:
            return entry["now"] and entry["now"]["person"]["name"]
    raise AssertionError(f"{schedule} is not in the answer")


def stored() -> tuple[int, int, int]:
    """Return how many schedules, layers and overrides are stored."""
    return Schedule.objects.count(), Layer.objects.count(), Override.objects.count()


def error_fields(answer) -> dict:
    assert answer.status_code == 400, (answer.status_code, answer.content[:500])
    error = answer.json()["error"]
    assert error["code"] == "invalid"
    return error["fields"]
