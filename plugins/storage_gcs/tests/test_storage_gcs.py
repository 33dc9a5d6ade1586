"""GCSStorage and GCSTransfer against gcp-storage-emulator, started on a free local port."""
import importlib.util
import io
import json
import shutil
import subprocess
import sys
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage as gcs

from openshot_api.interfaces import BackendError, ConfigurationError
from openshot_api.plugins import collect, make_plugin_manager
from openshot_api.testing import CloudStorageContract, free_port, missing_service, running_process
from openshot_api_storage_gcs import GCSStorage, GCSTransfer

P = "openshot_api.storage.gcs."


@pytest.fixture(scope="module")
def emulator_host(tmp_path_factory):
    """gcp-storage-emulator, in memory, in its own process."""
    if importlib.util.find_spec("gcp_storage_emulator") is None:
        missing_service("gcp-storage-emulator (pip install the plugin's [test] extra)")
    port = free_port()
    argv = [sys.executable, "-m", "gcp_storage_emulator", "start", "--host", "127.0.0.1",
            "--port", str(port), "--in-memory", "--quiet"]
    started = time.monotonic()
    with running_process(argv, port, "gcp-storage-emulator", cwd=str(tmp_path_factory.mktemp("gcs"))):
        print(f"gcp-storage-emulator up in {time.monotonic() - started:.2f} s")
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def client(emulator_host):
    """A plain client, to look at the buckets from outside the plugin."""
    client = gcs.Client(project="test", credentials=AnonymousCredentials(),
                        client_options={"api_endpoint": emulator_host})
    for name in ("media-bucket", "client-bucket"):
        client.create_bucket(name)
    return client


@pytest.fixture(scope="module")
def settings(emulator_host):
    return {P + "emulator_host": emulator_host, P + "project": "test", P + "bucket": "media-bucket",
            P + "prefix": "site/", P + "chunk_mb": "5"}


@pytest.fixture
def storage(settings, client, tmp_path):
    return GCSStorage.from_settings({**settings, P + "cache_dir": str(tmp_path / "cache")})


class TestGCSStorage(CloudStorageContract):
    def test_objects_live_under_the_configured_prefix_with_their_content_type(self, storage, client, folder):
        self.save(storage, folder + "a.mp4", b"abc", "video/mp4")
        blob = client.bucket("media-bucket").get_blob("site/" + folder + "a.mp4")
        assert (blob.size, blob.content_type) == (3, "video/mp4")

    def test_heartbeat_is_false_for_a_missing_bucket(self, settings, tmp_path):
        other = GCSStorage.from_settings({**settings, P + "bucket": "no-such-bucket", P + "cache_dir": str(tmp_path)})
        assert other.heartbeat() is False


@pytest.fixture
def service_account_file(tmp_path):
    """A service account key file with a freshly made RSA key (no Google account behind it)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    path = tmp_path / "service-account.json"
    path.write_text(json.dumps({
        "type": "service_account", "project_id": "test-project", "private_key_id": "k1",
        "private_key": pem, "client_email": "renderer@test-project.iam.gserviceaccount.com",
        "client_id": "1", "token_uri": "https://oauth2.googleapis.com/token"}))
    return path


def test_urls_are_v4_signed_with_the_service_account_key(service_account_file, tmp_path):
    storage = GCSStorage.from_settings({P + "bucket": "media-bucket", P + "prefix": "site",
                                        P + "credentials_file": str(service_account_file),
                                        P + "url_expires": "600", P + "cache_dir": str(tmp_path)})
    url = urlsplit(storage.url("video/My clip.mp4"))
    query = parse_qs(url.query)
    assert (url.scheme, url.netloc, url.path) == ("https", "storage.googleapis.com", "/media-bucket/site/video/My%20clip.mp4")
    assert query["X-Goog-Algorithm"] == ["GOOG4-RSA-SHA256"] and query["X-Goog-Expires"] == ["600"]
    assert query["X-Goog-Credential"][0].startswith("renderer@test-project.iam.gserviceaccount.com/")
    assert len(bytes.fromhex(query["X-Goog-Signature"][0])) == 256  # an RSA-2048 signature


def test_settings_name_the_missing_or_unusable_key(tmp_path, monkeypatch):
    with pytest.raises(ConfigurationError, match=r"openshot_api\.storage\.gcs\.bucket"):
        GCSStorage.from_settings({})
    with pytest.raises(ConfigurationError, match=r"openshot_api\.storage\.gcs\.credentials_file cannot be used"):
        GCSStorage.from_settings({P + "bucket": "b", P + "credentials_file": str(tmp_path / "none.json")})
    # No default credentials anywhere: no variable, no gcloud folder, no metadata server asked.
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path))
    monkeypatch.setenv("NO_GCE_CHECK", "True")
    with pytest.raises(ConfigurationError, match=r"openshot_api\.storage\.gcs\.credentials_file is required"):
        GCSStorage.from_settings({P + "bucket": "b"})
    with pytest.raises(ConfigurationError, match=r"openshot_api\.storage\.gcs\.credentials_file is required"):
        GCSTransfer.from_settings({})


def test_the_plugin_registers_the_storage_and_the_transfer():
    pm = make_plugin_manager()
    assert collect(pm.hook.openshot_api_storage_backends())["gcs"] is GCSStorage
    assert collect(pm.hook.openshot_api_cloud_transfers())["gcs"] is GCSTransfer


@pytest.fixture
def transfer(settings, client):
    return GCSTransfer.from_settings(settings)


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """A real 1 s 320x240 MP4 made by ffmpeg."""
    if shutil.which("ffmpeg") is None:
        missing_service("ffmpeg")
    path = tmp_path_factory.mktemp("media") / "clip.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=10",
                    "-t", "1", "-pix_fmt", "yuv420p", str(path)], check=True)
    return path


def test_the_transfer_accepts_gcs_specs_only(transfer):
    assert transfer.accepts({"url": "a/b.mp4", "bucket": "B", "gcs": True})
    assert transfer.accepts({"url": "a/b.mp4", "bucket": "B", "gcs": "true"})
    assert not transfer.accepts({"url": "a/b.mp4", "bucket": "B"})
    assert not transfer.accepts({"url": "a/b.mp4", "bucket": "B", "gcs": False})
    assert not transfer.accepts({"url": "a/b.mp4", "container": "C", "gcs": True})


def test_an_import_streams_the_object_and_is_named_after_it(transfer, client, clip):
    client.bucket("client-bucket").blob("in/My Clip.mp4").upload_from_filename(str(clip))
    out = io.BytesIO()
    name = transfer.download({"url": "/in/My Clip.mp4", "bucket": "client-bucket", "gcs": True}, out, max_bytes=10 ** 7)
    assert (name, out.getvalue()) == ("My Clip.mp4", clip.read_bytes())


def test_an_import_larger_than_the_limit_is_refused(transfer, client, clip):
    client.bucket("client-bucket").blob("in/limit.mp4").upload_from_filename(str(clip))
    out = io.BytesIO()
    with pytest.raises(BackendError, match="larger than the limit of 100 bytes"):
        transfer.download({"url": "in/limit.mp4", "bucket": "client-bucket", "gcs": True}, out, max_bytes=100)
    assert out.getvalue() == b""


def test_an_import_of_a_missing_object_or_bucket_is_a_clear_error(transfer):
    with pytest.raises(BackendError, match="gs://client-bucket/in/none.mp4 was not found"):
        transfer.download({"url": "in/none.mp4", "bucket": "client-bucket", "gcs": True}, io.BytesIO(), 10 ** 6)
    with pytest.raises(BackendError, match="gs://no-such-bucket/a.mp4 was not found"):
        transfer.download({"url": "a.mp4", "bucket": "no-such-bucket", "gcs": True}, io.BytesIO(), 10 ** 6)


def test_an_export_upload_is_stored_with_its_type_and_acl_and_served_at_its_url(transfer, client, clip):
    result = transfer.upload({"url": "out/render 1.mp4", "bucket": "client-bucket", "gcs": True,
                              "acl": "public-read"}, str(clip), "video/mp4")
    assert (result["bucket"], result["key"], result["acl"]) == ("client-bucket", "out/render 1.mp4", "publicRead")
    blob = client.bucket("client-bucket").get_blob("out/render 1.mp4")
    assert (blob.content_type, blob.size) == ("video/mp4", clip.stat().st_size)
    response = requests.get(result["url"], timeout=10)
    assert response.status_code == 200 and response.content == clip.read_bytes()


def test_an_export_upload_without_a_content_type_is_stored(transfer, client, clip):
    transfer.upload({"url": "out/untyped", "bucket": "client-bucket", "gcs": True}, str(clip), None)
    assert client.bucket("client-bucket").get_blob("out/untyped").size == clip.stat().st_size


def test_an_export_upload_with_an_unknown_acl_is_refused(transfer, clip):
    with pytest.raises(BackendError, match="acl must be one of"):
        transfer.upload({"url": "x.mp4", "bucket": "client-bucket", "gcs": True, "acl": "everyone"},
                        str(clip), "video/mp4")
