"""Schemathesis against the live server's own /openapi.json: generated requests to the safe
operations (every JSON GET, and creating/updating a project) never meet a server error, and every
answer matches the schema. Ids in paths are real objects of the user, so item answers are checked
too. Renders, downloads and thumbnails are left out to stay fast."""
import re

import pytest
from hypothesis import HealthCheck, Phase, given, settings

from tests.browser.conftest import missing

pytestmark = pytest.mark.slow

# Heavy or binary answers: frame renders, archives, font sheets, media streams.
SKIPPED_PATHS = r".*/(thumbnail|download|download/format)/$"
WRITES = {("POST", "/projects/"), ("PATCH", "/projects/{id}/")}


@pytest.fixture(scope="session")
def seeded(live_server, media):
    """One object of each kind for the user, by kind: ``{"projects": id, ...}``."""
    api, url = live_server.api, live_server.url
    project = api.post(url + "/projects/", json={"name": "Fuzzed", "width": 320, "height": 240}).json()
    with open(media["red.mp4"], "rb") as src:
        file = api.post(url + "/files/", data={"project": project["url"]},
                        files={"media": ("red.mp4", src, "video/mp4")}).json()
    clip = api.post(url + "/clips/", json={"project": project["url"], "file": file["url"], "end": 1.0}).json()
    effect_type = api.get(url + "/info/effects/").json()[0]["class_name"]
    effect = api.post(url + "/effects/", json={"project": project["url"], "type": effect_type}).json()
    export = api.post(url + "/exports/", json={"project": project["url"], "end_frame": 5}).json()
    return {"projects": project["id"], "files": file["id"], "clips": clip["id"], "effects": effect["id"],
            "exports": export["id"]}


def live_operations(schemathesis, live_server):
    schema = schemathesis.openapi.from_url(live_server.url + "/openapi.json")
    for result in schema.get_all_operations():
        operation = result.ok()
        method = operation.method.upper()
        if (method == "GET" and not re.match(SKIPPED_PATHS, operation.path)) or (method, operation.path) in WRITES:
            yield operation


def test_the_api_answers_generated_requests_as_its_schema_says(live_server, seeded):
    """Five generated requests per operation (the pytest integration of schemathesis that
    parametrizes from a fixture does not run on this pytest, so hypothesis drives it here)."""
    try:
        import schemathesis
        from schemathesis.checks import not_a_server_error
        from schemathesis.specs.openapi.checks import response_schema_conformance
    except ImportError:
        missing("schemathesis (PyPI package schemathesis)")
    auth = (live_server.username, live_server.password)
    failures, tried = [], []
    for operation in live_operations(schemathesis, live_server):
        kind = operation.path.strip("/").split("/")[0]

        @settings(max_examples=5, deadline=None, phases=[Phase.explicit, Phase.generate], database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def check(case):
            if "id" in (case.path_parameters or {}):
                case.path_parameters["id"] = seeded[kind]
            case.call_and_validate(auth=auth, checks=[not_a_server_error, response_schema_conformance])

        tried.append(operation.label)
        try:
            check()
        except Exception as exc:  # collect every operation's failure, then report them all
            failures.append(f"{operation.label}: {exc}")
    assert len(tried) >= 20, tried
    assert "POST /projects/" in tried and "GET /projects/{id}/" in tried
    assert not failures, "\n\n".join(failures) + "\n\n" + live_server.log_tail()
