"""A team's postmortem template and policy."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from incidents.models import PostmortemSettings
from incidents.models.postmortems import DEFAULT_SECTIONS
from incidents.services.postmortems import (
    postmortem_settings_of,
    postmortem_settings_update,
    postmortem_start,
)

from .conftest import T0
from .postmortems import incident_with_record, person

NOW = T0 + timedelta(hours=2)


@pytest.mark.django_db
def test_a_team_without_settings_has_the_default_template_unsaved(sre):
    settings = postmortem_settings_of(team=sre)
    assert settings.pk is None and settings.sections == DEFAULT_SECTIONS
    assert not settings.required_for_critical


@pytest.mark.django_db
def test_new_sections_apply_to_postmortems_started_afterwards(sre, workers):
    first = incident_with_record(workers, key="a")
    before = postmortem_start(incidents=[first], by=None, now=NOW)
    postmortem_settings_update(
        team=sre,
        by=person("helena"),
        now=NOW,
        sections=[{"heading": " Timeline  review ", "prompt": ""}, {"heading": "Actions"}],
        required_for_critical=True,
    )
    settings = postmortem_settings_of(team=sre)
    assert settings.required_for_critical
    assert settings.sections == [
        {"heading": "Timeline review", "prompt": ""},
        {"heading": "Actions", "prompt": ""},
    ]
    second = incident_with_record(workers, key="b", at=T0 + timedelta(minutes=30))
    after = postmortem_start(incidents=[second], by=None, now=NOW)
    assert [s.heading for s in after.sections.all()] == ["Timeline review", "Actions"]
    assert before.sections.count() == len(DEFAULT_SECTIONS)


@pytest.mark.django_db
def test_bad_settings_name_the_field_and_store_nothing(sre):
    for kwargs, field in (
        ({"sections": []}, "sections"),
        ({"sections": [{"heading": ""}]}, "sections"),
        ({"sections": [{"heading": "A"}, {"heading": "a"}]}, "sections"),
        ({"required_for_critical": "yes"}, "required_for_critical"),
    ):
        with pytest.raises(ValidationError) as bad:
            postmortem_settings_update(team=sre, by=None, now=NOW, **kwargs)
        assert field in bad.value.message_dict
    assert not PostmortemSettings.objects.exists()
