"""The whole service on each cloud storage backend, through the HTTP API: S3 on moto, Azure Blob on
Azurite, Google Cloud Storage on gcp-storage-emulator. For each: a multipart upload lands in the
media bucket and its ``media`` URL serves it; an object a client put in their own bucket is
imported by path; a project made of both is exported, uploaded to the client's bucket as the
export's ``json`` asks, and the three ways of measuring storage agree.

Also the refusals that guard the server's own network (``openshot_api.allow_private_urls =
false``): imports from addresses on this machine, other URL schemes and paths leaving the media
folder, and an export webhook aimed at this machine.

Every emulator is a real server on a free local port; CI=true makes a missing one a failure.
"""
import contextlib
import http.server
import importlib.util
import os
import shutil
import sys
import threading
import uuid
from pathlib import Path
from urllib.parse import unquote, urlsplit

import dramatiq
import pytest
import requests
import webtest

from openshot_api import worker as worker_module
from openshot_api.app import make_app
from openshot_api.broker import use_broker
from openshot_api.testing import free_port, missing_service, running_process
from tests.conftest import base_settings
from tests.factories import create_clip, create_project, upload_file
from tests.functional.test_exports import download, wait_for
from tests.media_checks import close, pixel_at, probe, stream

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[2]
# Azurite's built-in development account (published with the emulator, not a secret).
AZURE_ACCOUNT = "devstoreaccount1"
AZURE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
RED, BLUE = (255, 0, 0), (0, 0, 255)


# --- apps, each with its own broker, worker context and worker threads ----------------------

class App:
    """A built app with the broker and worker context make_app made for it."""

    def __init__(self, wsgi, broker, context):
        self.wsgi, self.broker, self.context = wsgi, broker, context
        self.registry = wsgi.app.registry


def build_app(tmp, **overrides):
    """make_app on a fresh SQLite database; the process's global broker and worker context are
    left as they were (make_app replaces them)."""
    from openshot_api.cli import initdb
    settings = base_settings(tmp, f"sqlite:///{tmp}/test.sqlite")
    settings.update(overrides)
    initdb(dict(settings))
    previous = current_globals()
    try:
        wsgi = make_app({}, dict(settings))
        return App(wsgi, dramatiq.get_broker(), worker_module._context)
    finally:
        restore_globals(previous)


def current_globals():
    """The process's broker (None when none is set yet) and worker context."""
    return dramatiq.broker.global_broker, worker_module._context


def restore_globals(previous):
    broker, context = previous
    if broker is not None:  # with none before, the last one stays: actors need some broker
        use_broker(broker)
    worker_module.set_context(context)


@contextlib.contextmanager
def activated(app):
    """Make ``app``'s broker and context the global ones and run worker threads on them; on exit
    wait for queued jobs, stop the threads and put back what was there."""
    previous = current_globals()
    use_broker(app.broker)
    worker_module.set_context(app.context)
    worker = dramatiq.Worker(app.broker, worker_threads=1, worker_timeout=50)
    worker.start()
    try:
        yield app
    finally:
        settle(app)
        worker.stop()
        restore_globals(previous)


def settle(app, timeout=60):
    """Wait until every queued job of ``app`` (renders, then the webhooks they send) is done."""
    for queue in ("render", "webhooks", "default"):
        if queue in app.broker.queues:
            app.broker.join(queue, timeout=timeout * 1000)


def client_for(app):
    """A WebTest client logged in with Basic auth as a new user of ``app``."""
    import transaction
    from openshot_api.auth import create_user
    from openshot_api.db import get_tm_session
    username, password = f"cloud-{uuid.uuid4().hex[:8]}", "pw-" + uuid.uuid4().hex[:8]
    tm = transaction.TransactionManager(explicit=True)
    with tm:
        create_user(get_tm_session(app.registry["dbsession_factory"], tm), username, password)
    client = webtest.TestApp(app.wsgi, extra_environ={"HTTP_HOST": "testserver"})
    client.authorization = ("Basic", (username, password))
    return client


# --- the three clouds, each with its emulator and an SDK client looking from outside ----------

def require(module, what):
    if importlib.util.find_spec(module) is None:
        missing_service(what)


class S3:
    name = "s3"
    media_bucket, client_bucket = "media-bucket", "client-bucket"

    def __init__(self, endpoint):
        import boto3
        self.endpoint = endpoint
        self.sdk = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                                aws_access_key_id="testing", aws_secret_access_key="testing")
        for bucket in (self.media_bucket, self.client_bucket):
            self.sdk.create_bucket(Bucket=bucket)

    def settings(self, tmp):
        p = "openshot_api.storage.s3."
        return {"openshot_api.storage": "s3", p + "endpoint_url": self.endpoint, p + "region": "us-east-1",
                p + "access_key_id": "testing", p + "secret_access_key": "testing",
                p + "bucket": self.media_bucket, p + "prefix": "site/", p + "chunk_mb": "5",
                p + "cache_dir": str(tmp / "cloud-cache")}

    def check_media_url(self, url):
        assert url.startswith(f"{self.endpoint}/{self.media_bucket}/site/video/"), url
        assert "X-Amz-Signature=" in url, "a private bucket needs a presigned URL"

    def media_objects(self, prefix):
        listing = self.sdk.list_objects_v2(Bucket=self.media_bucket, Prefix="site/" + prefix)
        return {o["Key"][len("site/"):]: o["Size"] for o in listing.get("Contents", [])}

    def put(self, key, path):
        self.sdk.upload_file(path, self.client_bucket, key)

    def import_spec(self, key):
        return {"url": key, "bucket": self.client_bucket}

    def export_spec(self, key):
        return {"bucket": self.client_bucket, "url": key, "acl": "public-read"}

    def read_export(self, key):
        obj = self.sdk.get_object(Bucket=self.client_bucket, Key=key)
        assert obj["ContentType"] == "video/mp4"
        return obj["Body"].read()

    def check_upload_result(self, result, key):
        assert (result["bucket"], result["key"], result["acl"]) == (self.client_bucket, key, "public-read")
        assert "Signature" not in result["url"], "a public-read object is fetched without a signature"


class Azure:
    name = "azure"
    media_container, client_container, export_container = "media", "client-private", "client-exports"

    def __init__(self, endpoint):
        from azure.storage.blob import BlobServiceClient
        self.endpoint = endpoint
        self.connection_string = (f"DefaultEndpointsProtocol=http;AccountName={AZURE_ACCOUNT};"
                                  f"AccountKey={AZURE_KEY};BlobEndpoint={endpoint};")
        self.sdk = BlobServiceClient.from_connection_string(self.connection_string)
        for container in (self.media_container, self.client_container):
            self.sdk.create_container(container)

    def settings(self, tmp):
        p = "openshot_api.storage.azure."
        return {"openshot_api.storage": "azure", p + "connection_string": self.connection_string,
                p + "container": self.media_container, p + "prefix": "site/", p + "chunk_mb": "5",
                p + "cache_dir": str(tmp / "cloud-cache")}

    def check_media_url(self, url):
        assert url.startswith(f"{self.endpoint}/{self.media_container}/site/video/"), url
        assert "sig=" in url and "sp=r" in url, "a private container needs a read-only SAS"

    def media_objects(self, prefix):
        blobs = self.sdk.get_container_client(self.media_container).list_blobs(name_starts_with="site/" + prefix)
        return {b.name[len("site/"):]: b.size for b in blobs}

    def put(self, key, path):
        with open(path, "rb") as src:
            self.sdk.get_blob_client(self.client_container, key).upload_blob(src, overwrite=True)

    def import_spec(self, key):
        return {"url": key, "container": self.client_container}

    def export_spec(self, key):
        return {"container": self.export_container, "url": key, "public": "blob"}

    def read_export(self, key):
        blob = self.sdk.get_blob_client(self.export_container, key)
        assert blob.get_blob_properties().content_settings.content_type == "video/mp4"
        return blob.download_blob().readall()

    def check_upload_result(self, result, key):
        assert (result["container"], result["blob"], result["public"]) == (self.export_container, key, "blob")
        assert "sig=" not in result["url"], "a blob in a public container is fetched without a SAS"


class GCS:
    name = "gcs"
    media_bucket, client_bucket = "media-bucket", "client-bucket"

    def __init__(self, endpoint):
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import storage
        self.endpoint = endpoint
        self.sdk = storage.Client(project="test", credentials=AnonymousCredentials(),
                                  client_options={"api_endpoint": endpoint})
        for bucket in (self.media_bucket, self.client_bucket):
            self.sdk.create_bucket(bucket)

    def settings(self, tmp):
        p = "openshot_api.storage.gcs."
        return {"openshot_api.storage": "gcs", p + "emulator_host": self.endpoint, p + "project": "test",
                p + "bucket": self.media_bucket, p + "prefix": "site/", p + "chunk_mb": "5",
                p + "cache_dir": str(tmp / "cloud-cache")}

    def check_media_url(self, url):
        # The emulator cannot check signatures, so the plugin hands out the object's own URL there.
        assert url.startswith(f"{self.endpoint}/") and f"/{self.media_bucket}/" in url, url

    def media_objects(self, prefix):
        return {b.name[len("site/"):]: b.size for b in self.sdk.list_blobs(self.media_bucket, prefix="site/" + prefix)}

    def put(self, key, path):
        self.sdk.bucket(self.client_bucket).blob(key).upload_from_filename(path)

    def import_spec(self, key):
        return {"url": key, "bucket": self.client_bucket, "gcs": True}

    def export_spec(self, key):
        return {"bucket": self.client_bucket, "url": key, "gcs": True}

    def read_export(self, key):
        blob = self.sdk.bucket(self.client_bucket).get_blob(key)
        assert blob is not None and blob.content_type == "video/mp4"
        return blob.download_as_bytes()

    def check_upload_result(self, result, key):
        assert (result["bucket"], result["key"]) == (self.client_bucket, key)


@contextlib.contextmanager
def moto_s3(tmp):
    require("openshot_api_storage_s3", "the storage_s3 plugin")
    try:
        from moto.server import ThreadedMotoServer
    except ImportError:
        missing_service("moto[server], the S3 emulator")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield S3(f"http://{host}:{port}")
    finally:
        server.stop()


@contextlib.contextmanager
def azurite(tmp):
    require("openshot_api_storage_azure", "the storage_azure plugin")
    local = REPO_ROOT / "node_modules" / ".bin" / "azurite-blob"
    command = str(local) if local.exists() else (shutil.which("azurite-blob") or "azurite-blob")
    port = free_port()
    argv = [command, "--blobHost", "127.0.0.1", "--blobPort", str(port), "--inMemoryPersistence",
            "--disableTelemetry", "--skipApiVersionCheck", "--silent"]
    with running_process(argv, port, "Azurite (npm install at the repository root)", cwd=str(tmp)):
        yield Azure(f"http://127.0.0.1:{port}/{AZURE_ACCOUNT}")


@contextlib.contextmanager
def gcs_emulator(tmp):
    require("openshot_api_storage_gcs", "the storage_gcs plugin")
    require("gcp_storage_emulator", "gcp-storage-emulator (the storage_gcs plugin's [test] extra)")
    port = free_port()
    argv = [sys.executable, "-m", "gcp_storage_emulator", "start", "--host", "127.0.0.1", "--port", str(port),
            "--in-memory", "--quiet"]
    with running_process(argv, port, "gcp-storage-emulator", cwd=str(tmp)):
        yield GCS(f"http://127.0.0.1:{port}")


EMULATORS = {"s3": moto_s3, "azure": azurite, "gcs": gcs_emulator}


@pytest.fixture(scope="module", params=list(EMULATORS))
def cloud(request, tmp_path_factory):
    """One cloud's emulator, running for the tests of that cloud."""
    with EMULATORS[request.param](tmp_path_factory.mktemp(f"{request.param}-emulator")) as backend:
        yield backend


@pytest.fixture(scope="module")
def cloud_app(cloud, tmp_path_factory):
    """The app storing its media in ``cloud``, with worker threads while its tests run."""
    app = build_app(tmp_path_factory.mktemp(f"{cloud.name}-app"), **cloud.settings(
        tmp_path_factory.mktemp(f"{cloud.name}-cache")))
    with activated(app):
        yield app
    app.registry["db_engine"].dispose()


@pytest.fixture(scope="module")
def cloud_api(cloud_app):
    return client_for(cloud_app)


@pytest.fixture(scope="module")
def media_server(media):
    """A small HTTP server on 127.0.0.1 serving the media folder; ``hits`` lists the paths asked."""
    folder = os.path.dirname(media["red.mp4"])
    hits = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=folder, **kwargs)

        def do_GET(self):
            hits.append(self.path)
            super().do_GET()

        def do_POST(self):
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    server.hits = hits
    server.port = server.server_address[1]
    yield server
    server.shutdown()
    server.server_close()


def read(path):
    with open(path, "rb") as src:
        return src.read()


def key_of(cloud, file):
    """The storage key behind a file: the object of its project named as its media URL ends."""
    project_id = int(file["project"].rstrip("/").rsplit("/", 1)[1])
    name = unquote(urlsplit(file["media"]).path).rsplit("/", 1)[1]
    objects = [k for k in cloud.media_objects(f"video/files/{project_id}/") if k.endswith("/" + name)]
    assert len(objects) == 1, objects
    return objects[0]


# --- the work done once per cloud: uploads, an import, an export ------------------------------

@pytest.fixture(scope="module")
def sources(cloud, cloud_api, media):
    """A project with red.mp4 uploaded (multipart) and blue.mp4 imported from the client's bucket."""
    project = create_project(cloud_api)
    uploaded = upload_file(cloud_api, project, media["red.mp4"])
    client_key = f"incoming/{uuid.uuid4().hex[:8]}/Blue Clip.mp4"
    cloud.put(client_key, media["blue.mp4"])
    imported = cloud_api.post_json("/files/", {"project": project["url"], "json": cloud.import_spec(client_key)},
                                   status=201).json
    return {"project": project, "uploaded": uploaded, "imported": imported, "client_key": client_key}


@pytest.fixture(scope="module")
def rendered(cloud, cloud_app, cloud_api, sources, tmp_path_factory):
    """1 s of the uploaded red clip then 1 s of the imported blue one, exported to the client's bucket."""
    project = sources["project"]
    create_clip(cloud_api, project, sources["uploaded"], position=0.0, end=1.0)
    create_clip(cloud_api, project, sources["imported"], position=1.0, end=1.0, layer=2)
    target = f"renders/{uuid.uuid4().hex[:8]}/final cut.mp4"
    export = cloud_api.post_json(f"{project['url']}exports/", {"audio_codec": "aac",
                                                               "json": cloud.export_spec(target)}, status=201).json
    done = wait_for(cloud_api, export, timeout=120)
    settle(cloud_app)
    assert done["status"] == "completed", done["json"]
    folder = tmp_path_factory.mktemp(f"{cloud.name}-render")
    path = download(cloud_api, done, folder, "download.mp4")
    return {"export": done, "target": target, "path": path, "bytes": read(path)}


# --- the cloud tests ---------------------------------------------------------------------------

def test_an_upload_is_stored_in_the_cloud_and_its_media_url_serves_it(cloud, cloud_api, sources, media):
    file = sources["uploaded"]
    cloud.check_media_url(file["media"])
    response = requests.get(file["media"], timeout=30)
    assert response.status_code == 200 and response.content == read(media["red.mp4"])
    key = key_of(cloud, file)
    assert cloud.media_objects(key) == {key: os.path.getsize(media["red.mp4"])}
    assert cloud_api.get(f"{file['url']}download/").body == read(media["red.mp4"])
    assert (file["json"]["width"], file["json"]["height"], file["json"]["has_video"]) == (320, 240, True)


def test_an_object_in_the_clients_bucket_is_imported_by_its_path(cloud, cloud_api, sources, media):
    file = sources["imported"]
    cloud.check_media_url(file["media"])
    assert requests.get(file["media"], timeout=30).content == read(media["blue.mp4"])
    assert cloud_api.get(f"{file['url']}download/").body == read(media["blue.mp4"])
    assert file["json"]["width"] == 320 and float(file["json"]["duration"]) == pytest.approx(3.0, abs=0.1)


def test_a_files_name_is_its_stored_name_not_the_servers_cache_file(sources):
    # The client's key "Blue Clip.mp4" is stored as ".../Blue_Clip.mp4" (a safe name).
    names = [sources["uploaded"]["json"]["name"], sources["imported"]["json"]["name"]]
    assert names == ["red.mp4", "Blue_Clip.mp4"]


def test_an_import_of_a_missing_object_is_a_400_naming_it(cloud, cloud_api, sources):
    response = cloud_api.post_json("/files/", {"project": sources["project"]["url"],
                                               "json": cloud.import_spec("incoming/not-there.mp4")}, status=400)
    assert "incoming/not-there.mp4" in str(response.json["json"])


def test_an_import_from_a_url_lands_in_the_cloud(cloud, cloud_api, sources, media, media_server):
    url = f"http://127.0.0.1:{media_server.port}/green.png"
    file = cloud_api.post_json("/files/", {"project": sources["project"]["url"], "json": {"url": url}},
                               status=201).json
    cloud.check_media_url(file["media"])
    assert requests.get(file["media"], timeout=30).content == read(media["green.png"])
    cloud_api.delete(file["url"], status=204)
    assert not any(k.endswith("green.png") for k in cloud.media_objects("video/files/"))


def test_the_export_renders_both_clips_into_a_valid_video(rendered):
    info = probe(rendered["path"])
    video = stream(info, "video")
    assert (video["codec_name"], video["width"], video["height"]) == ("h264", 320, 240)
    assert int(video["nb_read_frames"]) == 60
    assert stream(info, "audio")["codec_name"] == "aac"
    assert close(pixel_at(rendered["path"], 0.5, 160, 120), RED)
    assert close(pixel_at(rendered["path"], 1.5, 160, 120), BLUE), "the imported clip is in the render"


def test_the_export_is_uploaded_to_the_clients_bucket_with_the_downloaded_bytes(cloud, rendered):
    export, target = rendered["export"], rendered["target"]
    result = export["json"]["upload"]
    cloud.check_upload_result(result, target)
    assert cloud.read_export(target) == rendered["bytes"]
    response = requests.get(result["url"], timeout=30)  # no credentials at all
    assert response.status_code == 200 and response.content == rendered["bytes"]
    assert export["json"]["file_size"] == len(rendered["bytes"])


def test_the_exports_output_is_kept_in_the_media_bucket_too(cloud, rendered):
    output = rendered["export"]["output"]
    cloud.check_media_url(output)
    assert requests.get(output, timeout=30).content == rendered["bytes"]


def test_storage_sizes_agree_for_the_local_cloud_and_json_backends(cloud, cloud_api, sources, rendered, media):
    project, files = sources["project"], [sources["uploaded"], sources["imported"]]
    expected = [os.path.getsize(media["red.mp4"]), os.path.getsize(media["blue.mp4"])]
    for file, size in zip(files, expected):
        for backend in ("local", "cloud", "json"):
            answer = cloud_api.get(f"{file['url']}storage/", {"backend": backend}).json
            assert answer == {"backend": backend, "storage": size}, (file["json"]["name"], answer)
    project_id = project["id"]
    in_bucket = sum({**cloud.media_objects(f"video/files/{project_id}/"),
                     **cloud.media_objects(f"video/output/{project_id}/")}.values())
    assert in_bucket == sum(expected) + len(rendered["bytes"])
    for backend in ("local", "cloud", "json"):
        answer = cloud_api.post_json(f"{project['url']}storage/", {"backend": backend}).json
        assert answer == {"backend": backend, "storage": in_bucket}, answer


# --- refusals that protect the server's network -----------------------------------------------

@pytest.fixture(scope="module")
def strict_app(tmp_path_factory):
    """Local storage with ``openshot_api.allow_private_urls = false``, as in production."""
    app = build_app(tmp_path_factory.mktemp("strict"), **{"openshot_api.allow_private_urls": "false"})
    yield app
    app.registry["db_engine"].dispose()


@pytest.fixture(scope="module")
def strict_api(strict_app):
    return client_for(strict_app)


@pytest.fixture
def strict_project(strict_api):
    return create_project(strict_api)


def assert_nothing_imported(api, project, server, before):
    assert api.get(f"{project['url']}files/").json["count"] == 0
    assert server.hits[before:] == [], "the server was asked for the URL it should have refused"


@pytest.mark.parametrize("address", ["127.0.0.1:{port}", "localhost:{port}", "[::1]:{port}", "0.0.0.0:{port}",
                                     "2130706433:{port}", "[::ffff:127.0.0.1]:{port}", "10.0.0.1",
                                     "169.254.169.254"])
def test_an_import_from_a_private_address_is_refused_when_private_urls_are_not_allowed(
        strict_api, strict_project, media_server, address):
    before = len(media_server.hits)
    url = f"http://{address.format(port=media_server.port)}/red.mp4"
    response = strict_api.post_json("/files/", {"project": strict_project["url"], "json": {"url": url}},
                                    status=400).json
    assert "not a public address" in str(response["json"]), response
    assert_nothing_imported(strict_api, strict_project, media_server, before)


@pytest.mark.parametrize("url", ["file://{red}", "file:///etc/passwd", "ftp://127.0.0.1/red.mp4",
                                 "gopher://127.0.0.1:70/x"])
def test_an_import_by_a_non_http_url_is_refused(strict_api, strict_project, media_server, media, url):
    before = len(media_server.hits)
    response = strict_api.post_json("/files/", {"project": strict_project["url"],
                                                "json": {"url": url.format(red=media["red.mp4"])}}, status=400).json
    assert "only http and https" in str(response["json"]), response
    assert_nothing_imported(strict_api, strict_project, media_server, before)


@pytest.mark.parametrize("path", ["../x", "../../etc/passwd", "video/files/../../../x.mp4", "/etc/passwd",
                                  "./x.mp4", "C:/Windows/win.ini"])
def test_an_import_by_a_path_leaving_the_media_folder_is_refused(strict_api, strict_project, media_server, path):
    before = len(media_server.hits)
    response = strict_api.post_json("/files/", {"project": strict_project["url"], "json": {"url": path}},
                                    status=400).json
    assert "media folder" in str(response["json"]) or "'..'" in str(response["json"]), response
    assert_nothing_imported(strict_api, strict_project, media_server, before)


def test_an_export_webhook_to_a_private_address_is_not_called_when_private_urls_are_not_allowed(
        strict_app, strict_api, strict_project, media_server, media):
    file = upload_file(strict_api, strict_project, media["red.mp4"])
    create_clip(strict_api, strict_project, file, end=0.5)
    hook = f"http://127.0.0.1:{media_server.port}/hook/"
    before = len(media_server.hits)
    with activated(strict_app):
        response = strict_api.post_json(f"{strict_project['url']}exports/", {"audio_codec": "aac", "webhook": hook},
                                        expect_errors=True)
        if response.status_int == 400:  # refused at creation: fine
            assert "webhook" in response.json, response.json
            return
        assert response.status_int == 201, response.json
        done = wait_for(strict_api, response.json, timeout=120)
        settle(strict_app)
    done = strict_api.get(done["url"]).json
    assert done["status"] == "completed", done["json"]
    assert media_server.hits[before:] == [], (
        f"the webhook was POSTed to {hook} on this machine; the export says {done['json'].get('webhook')!r}")
