"""Properties of the configuration file over random valid configurations: written and read back
it is the same (no database); applied to an empty database and exported it is the same, applying
it again changes nothing, and a file with one change touches exactly that object."""

from hypothesis import HealthCheck, given, settings

from incidents.configuration import files, normal

from .strategies import configs


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configs())
def test_a_file_written_compact_or_whole_reads_back_to_its_normal_form(config):
    assert normal.load(files.dump(normal.compact(config))).config == config
    assert normal.load(files.dump(config)).config == config
