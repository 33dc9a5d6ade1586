"""Schemathesis against a live server's own /openapi.json, as an ordinary (non-admin) user: every
operation, every check of the installed schemathesis (server errors, status codes, content
types, headers and bodies as documented, schema-violating requests refused, schema-valid ones
accepted, unsupported methods answered 405, authentication enforced ...), in its four phases
(examples, coverage, fuzzing, and stateful sequences that follow the document's links from
creations to the created objects).

Ids in paths and ``project``/``file`` references in bodies are often real objects of the user,
so the operations run for real (renders, probes and uploads included, with few examples each to
stay fast); destructive operations get objects of their own. The run fails on any failure of any
check and prints how many cases it ran and how long it took."""
import json
import os
import re
import subprocess
import sys
import time

import pytest

from tests.browser.conftest import HERE, ROOT, LiveServer
from tests.conftest import base_settings

pytestmark = pytest.mark.slow

# Cases per operation in the fuzzing phase; the coverage phase adds its own (boundaries and
# each way to break the document), the stateful phase its sequences.
EXAMPLES = 6
# Steps of each stateful sequence (create, then what the links lead to).
STATEFUL_STEPS = 12
# Operations that render (each case a libopenshot process): no coverage phase, whose boundary
# cases would render hundreds of frames; they get their generated cases and stateful steps.
RENDERING = [("POST", "/projects/{id}/title/"), ("GET", "/projects/{id}/thumbnail/"),
             ("POST", "/projects/{id}/thumbnail/"), ("GET", "/files/{id}/thumbnail/"),
             ("POST", "/files/{id}/thumbnail/"), ("POST", "/info/fonts/"), ("GET", "/info/fonts/thumbnail/")]
# Operations that render, probe, upload or transcribe: few generated cases each.
HEAVY = {
    ("POST", "/files/"): 4, ("POST", "/projects/{id}/files/"): 4, ("PUT", "/files/{id}/"): 4,
    ("PATCH", "/files/{id}/"): 4, ("POST", "/projects/{id}/title/"): 4, ("POST", "/projects/{id}/load/"): 4,
    ("GET", "/projects/{id}/thumbnail/"): 4, ("POST", "/projects/{id}/thumbnail/"): 4,
    ("GET", "/files/{id}/thumbnail/"): 4, ("POST", "/files/{id}/thumbnail/"): 4,
    ("POST", "/exports/"): 4, ("POST", "/projects/{id}/exports/"): 4, ("POST", "/exports/{id}/retry/"): 3,
    ("GET", "/exports/{id}/retry/"): 3, ("POST", "/files/{id}/transcribe/"): 3, ("POST", "/info/fonts/"): 3,
    ("GET", "/info/fonts/thumbnail/"): 3, ("POST", "/projects/{id}/merge/"): 6, ("POST", "/projects/{id}/copy/"): 6,
    ("POST", "/files/{id}/copy/"): 6,
}
# A 400 for a request the document allows is a failure (the check positive_data_acceptance),
# except for these rules, which depend on the objects' state or on several fields together,
# and which OpenAPI 3.0 cannot express; each 400 must say which one it is.
RULES_BEYOND_THE_SCHEMA = [
    # Several fields together, or a field against what is stored:
    r"carries \d+ channel\(s\) but channels is",             # channel_layout against channels
    r"frame rate fps_num/fps_den must be at most",            # a ratio of two fields
    r"pixels allowed|must be at most \d+ pixels",             # width x height against the limits
    r"must be greater than start|0 <= start < end",          # end against start
    r"end_frame \(\d+\) is before start_frame|The export spans|The export lasts",
    # The objects' state:
    r"The project has \d+ problem|cannot be rendered",        # /validate/, and exports of such a project
    r"nothing to export|is after the project's last frame|The file has \d+ frames",
    r"belongs to another project|cannot move to another project|used by clips cannot move",
    r"A project cannot be merged into itself|matches nothing merged|is not in this project",
    r"only a (?:pending or in-progress|completed or failed) export can be|is being rendered",
    r"has no audio|has no transcript|No '.*' transcript|transcript is malformed|Send caption_text",
    r"caption_text: line \d+:",                               # captions are WebVTT or SubRip text
    r"layer -?\d+ has no clips|layer is required for EDL",
    r"Only text files|was not found in the file|not UTF-8 text|binary, not text",
    r"is not one of this project's files|is not one of the built-in transitions",
    r"Unable to log in with provided credentials",            # a well-formed, wrong password
    # What a file, URL or host holds, and what this renderer, ffmpeg build or model can do:
    r"No file was submitted|could not import|does not exist in the media folder|not a media file",
    r"Not a valid ZIP archive|The project file|The project uses|holds no OpenShot project file",
    r"Send the project file as json, a ZIP as archive, or both",  # one of a file and a field (multipart)
    r"(?:files|clips|effects|layers)\[\d+\]",                  # a loaded project file's items
    r"Could not render this frame",
    r"is not a (?:format|bit ?rate|colour|whole number|[a-z]+ encoder|known layout)|is not an image format",
    r"cannot be stored in|cannot hold audio|cannot write|is required for|is an audio format|is too low for",
    r"needs a whole number|must be between \d+ and|is out of range|Must be greater than 0",
    r"could not be resolved|is not a public address|has no host|has a bad port",
    r"unknown model|English-only model|is not installed|transcriber",
    r"No cloud storage plugin|cannot import from this cloud location|is required with bucket",
]


def _toml(value):
    """A TOML value (strings, numbers, booleans, arrays, inline tables) from Python."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + "}"


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory):
    """An instance of its own (fuzzing deletes and locks nothing the other browser tests use),
    with the failed-login limits raised: the auth checks send hundreds of bad credentials, which
    the instance would otherwise answer 429 (tested in tests/functional/test_auth.py)."""
    tmp = tmp_path_factory.mktemp("fuzz")
    settings = base_settings(tmp, f"sqlite:///{tmp}/fuzz.sqlite")
    settings.update({"openshot_api.embedded_worker": "true", "openshot_api.embedded_worker_threads": "1",
                     "openshot_api.page_size": "10", "openshot_api.auth_max_failures": "1000000",
                     "openshot_api.auth_max_failures_per_address": "1000000"})
    log_path = tmp / "server.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen([sys.executable, os.path.join(HERE, "live_server.py"), json.dumps(settings),
                                    "fuzz-user", "fuzz-pass-1"], stdout=subprocess.PIPE, stderr=log, text=True,
                                   cwd=ROOT)
        line = process.stdout.readline()
        if not line.startswith("READY"):
            process.kill()
            raise RuntimeError(f"the server did not start: {line!r}\n{log_path.read_text()[-4000:]}")
        yield LiveServer(f"http://127.0.0.1:{int(line.split()[1])}", "fuzz-user", "fuzz-pass-1", str(log_path))
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def _seed(server, media):
    """The user's objects, by dictionary name: ids (and URLs) for most operations, and objects
    of their own for those that delete or replace them."""
    api, url = server.api, server.url

    def post(path, **kwargs):
        answer = api.post(url + path, **kwargs)
        assert answer.status_code == 201, answer.text
        return answer.json()

    def project_with_media(name):
        project = post("/projects/", json={"name": name, "width": 320, "height": 240})
        with open(media["red.mp4"], "rb") as src:
            video = post("/files/", data={"project": project["url"]}, files={"media": ("red.mp4", src, "video/mp4")})
        with open(media["green.png"], "rb") as src:
            picture = post("/files/", data={"project": project["url"]},
                           files={"media": ("green.png", src, "image/png")})
        clip = post("/clips/", json={"project": project["url"], "file": video["url"], "end": 1.0})
        effect = post("/effects/", json={"project": project["url"], "type": "Blur", "end": 1.0})
        export = post("/exports/", json={"project": project["url"], "end_frame": 3})
        return {"projects": project, "files": video, "pictures": picture, "clips": clip, "effects": effect,
                "exports": export}

    kept = project_with_media("Fuzzed")
    doomed = [project_with_media(f"Doomed {n}") for n in range(2)]
    ids = {kind: [kept[kind]["id"]] for kind in kept}
    ids["files"].append(kept["pictures"]["id"])
    ids.update({f"doomed_{kind}": [d[kind]["id"] for d in doomed] for kind in kept})
    ids["project_urls"] = [kept["projects"]["url"]]
    ids["doomed_project_urls"] = [d["projects"]["url"] for d in doomed]
    ids["file_urls"] = [kept["files"]["url"], kept["pictures"]["url"]]
    return ids


def _settings(method, path):
    """What one operation needs beyond the defaults: where its ids and references come from,
    fewer cases, no coverage phase, no undeclared-method check."""
    settings, parameters = {}, {}

    def ids(name, probability=0.8):
        return {"dictionary": name, "probability": probability}

    kind = path.strip("/").split("/")[0]
    if path.startswith(f"/{kind}/{{id}}/"):
        if method == "DELETE" and path == f"/{kind}/{{id}}/":
            parameters["path.id"] = ids(f"doomed_{kind}")       # deleted: objects of their own
        elif path == "/projects/{id}/load/":
            parameters["path.id"] = ids("doomed_projects")      # replaces the project's content
        elif path == "/files/{id}/transcribe/":
            parameters["path.id"] = ids("pictures")             # no sound: no model runs
        else:
            parameters["path.id"] = ids(kind)
    # References in bodies: the user's own objects, often.
    if method == "POST" and path in ("/clips/", "/effects/", "/exports/", "/files/"):
        parameters["body.project"] = ids("project_urls", 0.7)
    if method == "POST" and path in ("/clips/", "/projects/{id}/clips/"):
        parameters["body.file"] = ids("file_urls", 0.7)
    if path == "/projects/{id}/merge/":
        parameters["body.project"] = ids("doomed_project_urls", 0.7)
    if parameters:
        settings["parameters"] = parameters
    if (method, path) in HEAVY:
        settings["generation"] = {"max-examples": HEAVY[method, path]}
    if (method, path) in RENDERING:
        settings["phases"] = {"coverage": {"enabled": False}}
    if path in ("/", "/tokens/"):
        # They answer methods they do not have with 200/404, not 405: their routes are declared
        # in views.py and auth.py (reported to their owners); every other path is held to it.
        settings["checks"] = {"unsupported_method": {"enabled": False}}
    return settings


def _config(server, seeded, document, report_dir):
    """schemathesis.toml: all checks (positive_data_acceptance as the hooks' variant), all
    phases, the user's credentials, and for each operation what ``_settings`` says."""
    lines = [f"base-url = {_toml(server.url)}", "workers = 2", "continue-on-failure = true",
             "suppress-health-check = [\"all\"]", "",
             "[auth.basic]", f"username = {_toml(server.username)}", f"password = {_toml(server.password)}", "",
             "[generation]", f"max-examples = {EXAMPLES}", "no-shrink = true", "database = \"none\"",
             "deterministic = false", "",
             "[checks]", "enabled = true",
             "positive_data_acceptance.enabled = false", "",
             "[phases.stateful]", f"max-steps = {STATEFUL_STEPS}", "",
             "[reports.junit]", "enabled = true", f"path = {_toml(str(report_dir / 'junit.xml'))}", ""]
    for name, values in seeded.items():
        lines += [f"[dictionaries.{name}]", f"values = {_toml(values)}", ""]
    for path, item in document["paths"].items():
        for method in item:
            settings = _settings(method.upper(), path)
            if settings:
                # One entry per operation, by its exact name: several include-* keys would each
                # select operations on their own.
                lines += ["[[operations]]", f"include-name = {_toml(f'{method.upper()} {path}')}"]
                lines += [f"{key} = {_toml(value)}" for key, value in settings.items()] + [""]
    return "\n".join(lines)


HOOKS = '''
"""Hooks of the schemathesis run (written by tests/browser/test_browser_schemathesis.py)."""
import ast
import json
import re
import threading

import schemathesis
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import positive_data_acceptance

RULES = re.compile("|".join(%(rules)r))

# CPython 3.11 builds Python ASTs with state shared by all threads ("AST constructor recursion
# depth mismatch"): Hypothesis parses sources to describe lambdas, and the workers are threads.
# One parse at a time.
_parsing = threading.Lock()
_parse = ast.parse


def _parse_alone(*args, **kwargs):
    with _parsing:
        return _parse(*args, **kwargs)


ast.parse = _parse_alone

# ``format: json`` in the document: JSON text of an object (form fields carry json this way).
schemathesis.openapi.format("json", st.dictionaries(st.text(max_size=8), st.integers() | st.text(max_size=8),
                                                    max_size=3).map(json.dumps))


@schemathesis.check
def positive_data_acceptance_beyond_the_schema(ctx, response, case):
    """positive_data_acceptance, except for a 400 that names one of the rules the document
    cannot express (tests/browser/test_browser_schemathesis.py lists them)."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except Exception:
        try:
            detail = json.loads(response.content or b"{}").get("detail", "")
        except ValueError:
            detail = ""
        if response.status_code == 400 and RULES.search(str(detail)):
            return None
        raise
'''


def test_the_api_answers_generated_requests_as_its_schema_says(fuzz_server, media, tmp_path):
    seeded = _seed(fuzz_server, media)
    (tmp_path / "fuzz_hooks.py").write_text(HOOKS % {"rules": RULES_BEYOND_THE_SCHEMA})
    document = fuzz_server.api.get(f"{fuzz_server.url}/openapi.json").json()
    (tmp_path / "schemathesis.toml").write_text(_config(fuzz_server, seeded, document, tmp_path))
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "fuzz_hooks", "PYTHONPATH": str(tmp_path), "NO_COLOR": "1"}
    started = time.monotonic()
    run = subprocess.run([os.path.join(os.path.dirname(sys.executable), "schemathesis"),
                          "--config-file", str(tmp_path / "schemathesis.toml"), "run",
                          f"{fuzz_server.url}/openapi.json", "--no-color",
                          "--phases", "examples,coverage,fuzzing,stateful"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    elapsed = time.monotonic() - started
    output = run.stdout + run.stderr
    cases = re.search(r"(\d+) generated", output)
    tested = re.search(r"Tested: (\d+)", output)
    print(f"schemathesis: {cases.group(1) if cases else '?'} cases, {tested.group(1) if tested else '?'} "
          f"operations, in {elapsed:.0f} s")
    assert run.returncode == 0, output[-30000:] + "\n\n" + fuzz_server.log_tail()
    assert int(cases.group(1)) >= 2000, output[-3000:]
    selected = re.search(r"Selected: (\d+)/(\d+)", output)
    assert selected and selected.group(1) == selected.group(2), output[-3000:]
