"""S3Storage and S3Transfer against moto's S3 server, started on a free local port."""
import io
import shutil
import subprocess
import time

import boto3
import pytest
import requests

from openshot_api.fetch import DownloadCache
from openshot_api.interfaces import BackendError, ConfigurationError
from openshot_api.plugins import collect, make_plugin_manager
from openshot_api.testing import CloudStorageContract, missing_service, payload
from openshot_api_storage_s3 import S3Storage, S3Transfer
from openshot_api_storage_s3.client import make_client

P = "openshot_api.storage.s3."
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"


@pytest.fixture(scope="module")
def endpoint():
    """moto's S3 server in a thread of this process; the URL it answers on."""
    try:
        from moto.server import ThreadedMotoServer
    except ImportError:
        missing_service("moto[server], the S3 emulator")
    started = time.monotonic()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    print(f"moto S3 server up in {time.monotonic() - started:.2f} s")
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(scope="module")
def settings(endpoint):
    return {P + "endpoint_url": endpoint, P + "region": "us-east-1", P + "access_key_id": "testing",
            P + "secret_access_key": "testing", P + "bucket": "media-bucket", P + "prefix": "media/",
            P + "chunk_mb": "5"}


@pytest.fixture(scope="module")
def s3(settings):
    """A plain boto3 client, to look at the buckets from outside the plugin."""
    client = boto3.client("s3", endpoint_url=settings[P + "endpoint_url"], region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    for bucket in ("media-bucket", "client-bucket"):
        client.create_bucket(Bucket=bucket)
    return client


@pytest.fixture(scope="module")
def plugin_client(settings):
    """The plugin's own client, built once: boto3 takes a while to build one."""
    return make_client(settings, P)


@pytest.fixture
def storage(plugin_client, s3, tmp_path):
    return S3Storage(plugin_client, "media-bucket", DownloadCache(str(tmp_path / "cache"), 10 ** 9),
                     prefix="media/", chunk=5 * 1024 * 1024)


class TestS3Storage(CloudStorageContract):
    def test_settings_build_the_same_storage(self, settings, s3, tmp_path, folder):
        storage = S3Storage.from_settings({**settings, P + "cache_dir": str(tmp_path)})
        assert (storage.bucket, storage.prefix, storage.cache.root) == ("media-bucket", "media/", str(tmp_path))
        self.save(storage, folder + "s.txt", b"from settings")
        self.assert_holds(storage, folder + "s.txt", b"from settings")

    def test_objects_live_under_the_configured_prefix(self, storage, s3, folder):
        self.save(storage, folder + "a.mp4", b"abc", "video/mp4")
        head = s3.head_object(Bucket="media-bucket", Key="media/" + folder + "a.mp4")
        assert (head["ContentLength"], head["ContentType"]) == (3, "video/mp4")

    def test_a_large_upload_is_sent_in_parts(self, storage, s3, folder):
        self.save(storage, folder + "big.bin", payload(11 * 1024 * 1024, "parts"))
        etag = s3.head_object(Bucket="media-bucket", Key="media/" + folder + "big.bin")["ETag"]
        assert etag.strip('"').endswith("-3"), "a multipart ETag ends with the number of parts"

    def test_heartbeat_is_false_for_a_missing_bucket(self, settings, tmp_path):
        other = S3Storage.from_settings({**settings, P + "bucket": "no-such-bucket", P + "cache_dir": str(tmp_path)})
        assert other.heartbeat() is False
        with pytest.raises(BackendError):
            other.save("a.txt", io.BytesIO(b"x"))


def test_settings_name_the_missing_key():
    with pytest.raises(ConfigurationError, match=r"openshot_api\.storage\.s3\.bucket"):
        S3Storage.from_settings({})
    with pytest.raises(ConfigurationError, match=r"openshot_api\.storage\.s3\.secret_access_key"):
        S3Storage.from_settings({P + "bucket": "b", P + "access_key_id": "id"})
    with pytest.raises(ConfigurationError, match=r"openshot_api\.storage\.s3\.chunk_mb"):
        S3Storage.from_settings({P + "bucket": "b", P + "chunk_mb": "1"})


def test_the_plugin_registers_the_storage_and_the_transfer():
    pm = make_plugin_manager()
    assert collect(pm.hook.openshot_api_storage_backends())["s3"] is S3Storage
    assert collect(pm.hook.openshot_api_cloud_transfers())["s3"] is S3Transfer


@pytest.fixture(scope="module")
def transfer(settings, s3):
    return S3Transfer.from_settings(settings)


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """A real 1 s 320x240 MP4 made by ffmpeg."""
    if shutil.which("ffmpeg") is None:
        missing_service("ffmpeg")
    path = tmp_path_factory.mktemp("media") / "clip.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=10",
                    "-t", "1", "-pix_fmt", "yuv420p", str(path)], check=True)
    return path


def test_the_transfer_accepts_s3_specs_only(transfer):
    assert transfer.accepts({"url": "a/b.mp4", "bucket": "B"})
    assert transfer.accepts({"url": "a/b.mp4", "bucket": "B", "acl": "public-read", "gcs": False})
    assert not transfer.accepts({"url": "a/b.mp4", "bucket": "B", "gcs": True})
    assert not transfer.accepts({"url": "a/b.mp4", "container": "C"})
    assert not transfer.accepts({"url": "http://example.com/a.mp4"})


def test_an_import_streams_the_object_and_is_named_after_its_key(transfer, s3, clip):
    s3.upload_file(str(clip), "client-bucket", "in/My Clip.mp4")
    out = io.BytesIO()
    name = transfer.download({"url": "/in/My Clip.mp4", "bucket": "client-bucket", "name": "x.mp4"},
                             out, max_bytes=10 ** 7)
    assert (name, out.getvalue()) == ("My Clip.mp4", clip.read_bytes())


def test_an_import_larger_than_the_limit_is_refused(transfer, s3, clip):
    s3.upload_file(str(clip), "client-bucket", "in/limit.mp4")
    out = io.BytesIO()
    with pytest.raises(BackendError, match="larger than the limit of 100 bytes"):
        transfer.download({"url": "in/limit.mp4", "bucket": "client-bucket"}, out, max_bytes=100)
    assert out.getvalue() == b""


def test_an_import_of_a_missing_object_or_bucket_is_a_clear_error(transfer):
    with pytest.raises(BackendError, match="s3://client-bucket/in/none.mp4 was not found"):
        transfer.download({"url": "in/none.mp4", "bucket": "client-bucket"}, io.BytesIO(), 10 ** 6)
    with pytest.raises(BackendError, match="no-such-bucket"):
        transfer.download({"url": "a.mp4", "bucket": "no-such-bucket"}, io.BytesIO(), 10 ** 6)
    with pytest.raises(BackendError, match="url .* is required"):
        transfer.download({"bucket": "client-bucket"}, io.BytesIO(), 10 ** 6)


def test_an_export_upload_with_public_read_can_be_fetched_by_anyone(transfer, s3, clip):
    result = transfer.upload({"url": "out/render 1.mp4", "bucket": "client-bucket", "acl": "public-read"},
                             str(clip), "video/mp4")
    assert (result["bucket"], result["key"], result["acl"]) == ("client-bucket", "out/render 1.mp4", "public-read")
    head = s3.head_object(Bucket="client-bucket", Key="out/render 1.mp4")
    assert (head["ContentType"], head["ContentLength"]) == ("video/mp4", clip.stat().st_size)
    grants = s3.get_object_acl(Bucket="client-bucket", Key="out/render 1.mp4")["Grants"]
    assert {"Type": "Group", "URI": ALL_USERS} in [g["Grantee"] for g in grants if g["Permission"] == "READ"]
    assert "Signature" not in result["url"] and "X-Amz" not in result["url"]
    response = requests.get(result["url"], timeout=10)  # no credentials at all
    assert response.status_code == 200 and response.content == clip.read_bytes()


def test_an_export_upload_without_an_acl_stays_private(transfer, s3, clip):
    result = transfer.upload({"url": "out/private.mp4", "bucket": "client-bucket"}, str(clip), "video/mp4")
    grants = s3.get_object_acl(Bucket="client-bucket", Key="out/private.mp4")["Grants"]
    assert all(g["Grantee"].get("URI") != ALL_USERS for g in grants)
    assert result["acl"] is None


def test_an_export_upload_without_a_content_type_is_stored_as_binary(transfer, s3, clip):
    transfer.upload({"url": "out/untyped", "bucket": "client-bucket"}, str(clip), None)
    assert s3.head_object(Bucket="client-bucket", Key="out/untyped")["ContentLength"] == clip.stat().st_size


def test_an_export_upload_with_an_unknown_acl_is_refused(transfer, clip):
    with pytest.raises(BackendError, match="acl must be one of"):
        transfer.upload({"url": "out/x.mp4", "bucket": "client-bucket", "acl": "everyone"}, str(clip), "video/mp4")


def test_credentials_may_come_from_the_environment(settings, s3, tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "from-env")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "from-env-secret")
    without_keys = {k: v for k, v in settings.items() if "access_key" not in k}
    storage = S3Storage.from_settings({**without_keys, P + "cache_dir": str(tmp_path)})
    assert "X-Amz-Credential=from-env%2F" in storage.url("env/a.txt")
    assert storage.save("env/a.txt", io.BytesIO(b"env"), "text/plain") == 3
    assert storage.size("env/a.txt") == 3
