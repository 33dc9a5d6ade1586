"""/projects/{id}/load/ fuzzed over the whole shape of the OpenShot project file it reads: every
field the loader reads (project settings, files, clips, effects, layers, and what is nested in
them) and every key of a clip's or effect's libopenshot json gets values of the wrong kind. Each
answer is a 200, or a 400/404 in the API's error shape naming the field, and a refused load
changes nothing. Never a 500."""
import copy
import hashlib
import json
import time

import pytest

from tests.factories import create_clip, create_project, upload_file

# Values of every JSON kind, and the numbers and strings that broke conversions before.
WRONG = ["abc", "", "\u00b9", 7, -1, 1.5, 1e308, 2 ** 70, True, None, [], [1], {}, {"a": 1}]
# The project settings and item fields the loader reads itself.
SETTINGS = ("width", "height", "fps", "sample_rate", "channels", "channel_layout")
LISTS = ("files", "clips", "effects", "layers")
CLIP_FIELDS = ("file_id", "reader", "position", "start", "end", "layer", "title")
EFFECT_FIELDS = ("class_name", "type", "title", "position", "start", "end", "layer")


@pytest.fixture
def probe_once(monkeypatch):
    """The renderer's probe of the same bytes answered once: the fuzz loads one small video
    hundreds of times, and what is under test is the loader, not libopenshot's probe."""
    from openshot_api_render_libopenshot.renderer import LibopenshotRenderer
    probe, known = LibopenshotRenderer.probe, {}

    def cached(self, path):
        with open(path, "rb") as media:
            digest = hashlib.sha256(media.read()).hexdigest()
        if digest not in known:
            known[digest] = probe(self, path)
        return copy.deepcopy(known[digest])
    monkeypatch.setattr(LibopenshotRenderer, "probe", cached)


@pytest.fixture
def source(api, media):
    """A project file (from /json/) with a file, a clip and an effect, and an empty target."""
    project = create_project(api, width=320, height=240)
    red = upload_file(api, project, media["red.mp4"])
    create_clip(api, project, red, end=2.0, layer=2)
    api.post_json(f"{project['url']}effects/", {"type": "Blur", "end": 1.0, "layer": 3})
    return api.get(f"{project['url']}json/").json, create_project(api, name="Target")


def _mutated(document, path, value):
    data = copy.deepcopy(document)
    holder = data
    for key in path[:-1]:
        holder = holder[key]
    holder[path[-1]] = value
    return data


def _paths(document):
    """Every place the fuzz puts a wrong value: what the loader reads, each key of the first
    file, clip, effect and layer, and the insides of the structures it reads (fps, a clip's
    reader, a keyframe's points, a colour)."""
    clip, effect = document["clips"][0], document["effects"][0]
    paths = [(key,) for key in SETTINGS + LISTS]
    paths += [("fps", "num"), ("fps", "den")]
    for kind, item in (("files", document["files"][0]), ("clips", clip), ("effects", effect),
                       ("layers", document["layers"][0])):
        paths += [(kind, 0)] + [(kind, 0, key) for key in item]
    paths += [("clips", 0, key) for key in CLIP_FIELDS + EFFECT_FIELDS if key not in clip]
    paths += [("effects", 0, key) for key in EFFECT_FIELDS if key not in effect]
    paths += [("clips", 0, "reader", "path"), ("clips", 0, "reader", "type"), ("clips", 0, "alpha", "Points"),
              ("clips", 0, "alpha", "Points", 0), ("clips", 0, "alpha", "Points", 0, "co"),
              ("clips", 0, "alpha", "Points", 0, "co", "X"), ("clips", 0, "alpha", "Points", 0, "co", "Y"),
              ("clips", 0, "alpha", "Points", 0, "interpolation"), ("clips", 0, "wave_color", "red"),
              ("clips", 0, "effects", 0), ("files", 0, "fps", "den"), ("files", 0, "metadata", "x"),
              ("effects", 0, "sigma", "Points", 0, "co", "Y"), ("layers", 0, "number")]
    return list(dict.fromkeys(paths))


def _state(api, project):
    data = api.get(project["url"]).json
    return [data[key] for key in ("files", "clips", "effects", "width", "height", "fps_num", "fps_den",
                                  "sample_rate", "channels", "channel_layout")]


def test_load_answers_every_wrong_value_in_every_field_without_a_server_error(api, source, probe_once):
    document, target = source
    api.post_json(f"{target['url']}load/", {"json": document}, status=200)  # the unchanged file loads
    before, tried, started = _state(api, target), 0, time.monotonic()
    for path in _paths(document):
        for value in WRONG:
            try:
                data = _mutated(document, path, value)
            except (IndexError, KeyError, TypeError):
                continue  # the item has no such place (a list emptied above it)
            # As a JSON object, and for the top level also as text (as a form sends it).
            for body in ({"json": data}, {"json": json.dumps(data)})[:1 if len(path) > 1 else 2]:
                answer = api.post_json(f"{target['url']}load/", body, expect_errors=True)
                tried += 1
                where = f"{'.'.join(map(str, path))} = {value!r}: {answer.status} {answer.text[:300]}"
                assert answer.status_int in (200, 400, 404), where
                if answer.status_int != 200:
                    assert answer.json["detail"] and "json" in answer.json, where
                    assert _state(api, target) == before, where  # a refused load changes nothing
                else:
                    before = _state(api, target)
                if isinstance(value, (dict, list)) or answer.status_int == 200:
                    break  # the same object as text adds nothing; a loaded project is costly
    print(f"{tried} loads in {time.monotonic() - started:.1f} s")
    assert tried > 500


@pytest.mark.parametrize("path, value, message", [
    (("clips", 0, "layer"), "abc", "clips[0].layer: A valid integer is required."),
    (("clips", 0), 5, "clips[0] must be an object, not int."),
    (("clips", 0, "reader"), "video.mp4", "clips[0].reader must be an object."),
    (("clips", 0, "end"), 1e308, "clips[0].end: 1e+308 is greater than maximum value"),
    (("clips", 0, "position"), "nan", "clips[0].position: A valid number is required."),
    (("clips", 0, "alpha"), "abc", "clips[0].alpha must be a keyframe"),
    (("effects", 0, "layer"), -1, "effects[0].layer: -1 is less than minimum value 0"),
    (("effects", 0, "title"), "t" * 256, "effects[0].title is longer than 255 characters."),
    (("files", 0, "duration"), "long", "files[0].duration must be a number"),
    (("layers", 0, "number"), {"a": 1}, "layers[0].number: A valid integer is required."),
    (("layers",), "abc", "layers must be a list, not str."),
])
def test_load_names_the_wrong_field(api, source, path, value, message):
    document, target = source
    answer = api.post_json(f"{target['url']}load/", {"json": _mutated(document, path, value)}, status=400)
    assert message in answer.json["json"][0], answer.json


def test_a_project_file_that_is_no_object_is_a_400(api, source):
    _, target = source
    for value in (5, True, [1, 2], "[]", "5", '"text"'):
        answer = api.post_json(f"{target['url']}load/", {"json": value}, status=400)
        assert "must be an object" in answer.json["json"][0]
