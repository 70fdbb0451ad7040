@pytest.mark.django_db
def test_the_events_of_a_batch_of_first_steps_are_read_once(demo, recorded, rings, frozen_now):
    frozen_now(T0)
    event_make(
        start=T0,
        hours=1,
        services=("edge", "auth", "cdn"),
        extra_people=[demo.manager],
        extra_schedules=[Schedule.objects.get(name="Secondary")],
    )

    def event_queries(count: int) -> int:
        for index in range(count):
            fire(service=("edge", "auth", "cdn")[index % 3], key=f"batch-{count}-{index}")
        with CaptureQueriesContext(connection) as queries:
            fired = engine.escalation_fire_due(now=T0)
        assert len(fired) == count
        return sum("incidents_event" in q["sql"] for q in queries.captured_queries)

    assert event_queries(2) == event_queries(6) == 3  # the events, their people, schedules
