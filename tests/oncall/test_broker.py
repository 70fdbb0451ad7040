"""The embedded default's broker (kombu's filesystem transport, oncall.config.broker): a worker
never reads a message half written, and one file it cannot read does not stop it."""

from pathlib import Path

import pytest
from django.conf import settings
from kombu import Connection

from oncall.config.broker import Transport


@pytest.fixture
def folder(tmp_path) -> Path:
    for name in ("queue", "processed", "control"):
        (tmp_path / name).mkdir()
    return tmp_path


def connect(folder: Path) -> Connection:
    return Connection(
        transport=Transport,
        transport_options={
            "data_folder_in": str(folder / "queue"),
            "data_folder_out": str(folder / "queue"),
            "processed_folder": str(folder / "processed"),
            "control_folder": str(folder / "control"),
            "store_processed": False,
        },
    )


def test_messages_go_through(folder):
    with connect(folder) as connection:
        queue = connection.SimpleQueue("plantao-round-trip")
        for n in range(3):
            queue.put({"n": n})
        assert sorted(queue.get(timeout=1).payload["n"] for _ in range(3)) == [0, 1, 2]
        queue.close()


def test_a_message_that_cannot_be_written_leaves_nothing_for_a_worker_to_choke_on(folder):
    """kombu's own transport creates the file before it writes it: here it appears whole or
    not at all."""
    with connect(folder) as connection:
        channel = connection.default_channel
        with pytest.raises(TypeError):
            channel._put("celery", {"unserialisable": object()})
    assert list((folder / "queue").iterdir()) == []


def test_a_file_a_worker_cannot_read_is_skipped_and_the_next_message_delivered(folder, caplog):
    (folder / "queue" / "0_torn.plantao-skip.msg").write_bytes(b"")  # an empty, torn write
    with connect(folder) as connection:
        queue = connection.SimpleQueue("plantao-skip")
        queue.put({"n": 1})
        assert queue.get(timeout=1).payload == {"n": 1}
        queue.close()
    assert "could not read" in caplog.text


def test_the_embedded_default_uses_it_and_a_redis_url_is_left_to_kombu():
    from oncall.config.celery import app

    assert Connection("filesystem://").transport_cls is Transport or isinstance(
        Connection("filesystem://").transport, Transport
    )
    assert not isinstance(Connection("redis://127.0.0.1:9/0").transport, Transport)
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        assert isinstance(app.connection_for_write().transport, Transport)
