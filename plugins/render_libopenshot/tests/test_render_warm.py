"""Warm children: probes and thumbnails run in children started ahead of need, each seeing only
the media linked in for its one job, and answering as a child started for the job would."""
import os
import time

import pytest

from openshot_api.interfaces import BackendError
from openshot_api_render_libopenshot import LibopenshotRenderer


@pytest.fixture
def warm(tmp_path):
    renderer = LibopenshotRenderer(threads=2, segments=1, warm_children=2, warm_dir=str(tmp_path / "work"))
    os.makedirs(tmp_path / "work")
    yield renderer
    renderer.warm.close()


def ready(renderer, count=2, timeout=30):
    deadline = time.monotonic() + timeout
    while renderer.warm.ready.qsize() < count and time.monotonic() < deadline:
        time.sleep(0.05)
    assert renderer.warm.ready.qsize() >= count


def test_a_warm_probe_answers_as_a_cold_one_and_names_the_real_path(warm, renderer, media):
    cold = renderer.probe(media["red.mp4"])
    assert warm.warm.take() is None  # the first request starts the pool; its job runs cold
    ready(warm)
    info = warm.probe(media["red.mp4"])
    assert info["path"] == media["red.mp4"]
    assert {k: info[k] for k in ("video_length", "width", "height", "has_audio", "media_type")} == \
        {k: cold[k] for k in ("video_length", "width", "height", "has_audio", "media_type")}


def test_each_warm_child_does_one_job_and_leaves_nothing_behind(warm, media, tmp_path):
    warm.warm.take()
    ready(warm)
    before = sorted(os.listdir(tmp_path / "work"))
    assert len(before) == 4  # two children, each a scratch and a staging folder
    pids = [child.started[0].pid for child in list(warm.warm.ready.queue)]
    warm.probe(media["still.png"])
    warm.probe(media["tone.mp3"])
    ready(warm)
    after = sorted(os.listdir(tmp_path / "work"))
    assert len(after) == 4 and not set(after) & set(before)  # used folders removed, new ones made
    assert not set(pids) & {child.started[0].pid for child in list(warm.warm.ready.queue)}
    for pid in pids:
        assert not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split()[2] == "Z"


def test_a_warm_thumbnail_sees_the_jobs_media_and_only_it(warm, clip, project, media):
    warm.warm.take()
    ready(warm)
    image = warm.thumbnail(project(clip("red.mp4", 1, 1)), 1, 64, 48, "PNG", 90)
    assert image.startswith(b"\x89PNG")
    ready(warm)
    # A file of the machine that the job does not name is not in the warm child's box.
    unchecked = LibopenshotRenderer(threads=2, segments=1, check_readers=False, warm_children=2,
                                    warm_dir=os.path.dirname(media["red.mp4"]))
    try:
        unchecked.warm.take()
        ready(unchecked)
        hidden = project(clip("red.mp4", 1, 1))
        hidden["clips"][0]["reader"] = dict(hidden["clips"][0]["reader"], path="/etc/shadow")
        with pytest.raises(BackendError):
            unchecked.thumbnail(hidden, 1, 64, 48, "PNG", 90)
    finally:
        unchecked.warm.close()


def test_when_media_cannot_be_linked_the_job_runs_in_a_child_started_for_it(tmp_path, media):
    # /dev/shm is another file system than the test media: no hard link across it.
    renderer = LibopenshotRenderer(threads=2, segments=1, warm_children=1, warm_dir="/dev/shm")
    try:
        renderer.warm.take()
        ready(renderer, 1)
        assert renderer.probe(media["red.mp4"])["path"] == media["red.mp4"]
    finally:
        renderer.warm.close()
