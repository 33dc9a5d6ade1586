"""AzureStorage and AzureTransfer against Azurite, the Azure Storage emulator (npm package
``azurite``), started on a free local port."""
import io
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import requests
from azure.storage.blob import BlobServiceClient

from openshot_api.interfaces import BackendError, ConfigurationError
from openshot_api.plugins import collect, make_plugin_manager
from openshot_api.testing import CloudStorageContract, free_port, missing_service, payload, running_process
from openshot_api_storage_azure import AzureStorage, AzureTransfer

P = "openshot_api.storage.azure."
# Azurite's built-in development account (published with the emulator, not a secret).
ACCOUNT = "devstoreaccount1"
ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
REPO_ROOT = Path(__file__).resolve().parents[3]


def azurite_blob():
    """The azurite-blob command installed by ``npm install`` at the repository root, or on PATH."""
    local = REPO_ROOT / "node_modules" / ".bin" / "azurite-blob"
    return str(local) if local.exists() else (shutil.which("azurite-blob") or "azurite-blob")


@pytest.fixture(scope="module")
def blob_endpoint(tmp_path_factory):
    """Azurite's blob service, in memory, for the tests of this module."""
    port = free_port()
    argv = [azurite_blob(), "--blobHost", "127.0.0.1", "--blobPort", str(port), "--inMemoryPersistence",
            "--disableTelemetry", "--skipApiVersionCheck", "--silent"]
    started = time.monotonic()
    with running_process(argv, port, "Azurite (npm install at the repository root)",
                         cwd=str(tmp_path_factory.mktemp("azurite"))):
        print(f"Azurite up in {time.monotonic() - started:.2f} s")
        yield f"http://127.0.0.1:{port}/{ACCOUNT}"


@pytest.fixture(scope="module")
def connection_string(blob_endpoint):
    return (f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={ACCOUNT_KEY};"
            f"BlobEndpoint={blob_endpoint};")


@pytest.fixture(scope="module")
def service(connection_string):
    """A plain SDK client, to look at the account from outside the plugin."""
    service = BlobServiceClient.from_connection_string(connection_string)
    service.create_container("media")
    service.create_container("client-private")
    return service


@pytest.fixture
def storage(connection_string, service, tmp_path):
    return AzureStorage.from_settings({P + "connection_string": connection_string, P + "container": "media",
                                       P + "prefix": "site", P + "chunk_mb": "5",
                                       P + "cache_dir": str(tmp_path / "cache")})


class TestAzureStorage(CloudStorageContract):
    def test_blobs_live_under_the_configured_prefix_with_their_content_type(self, storage, service, folder):
        self.save(storage, folder + "a.mp4", b"abc", "video/mp4")
        properties = service.get_blob_client("media", "site/" + folder + "a.mp4").get_blob_properties()
        assert (properties.size, properties.content_settings.content_type) == (3, "video/mp4")

    def test_a_large_upload_is_sent_as_blocks(self, storage, service, folder):
        self.save(storage, folder + "big.bin", payload(11 * 1024 * 1024, "blocks"))
        blocks, _ = service.get_blob_client("media", "site/" + folder + "big.bin").get_block_list()
        assert [b.size for b in blocks] == [5 * 1024 * 1024, 5 * 1024 * 1024, 1024 * 1024]

    def test_the_url_is_a_read_only_sas_that_a_blob_without_it_refuses(self, storage, folder):
        self.save(storage, folder + "a.txt", b"secret")
        url = storage.url(folder + "a.txt")
        assert "sig=" in url and "sp=r" in url
        assert requests.get(url, timeout=10).content == b"secret"
        assert requests.get(url.split("?")[0], timeout=10).status_code in (403, 404)
        assert requests.put(url, data=b"x", headers={"x-ms-blob-type": "BlockBlob"}, timeout=10).status_code == 403

    def test_account_name_and_key_settings_work_like_a_connection_string(self, blob_endpoint, service, tmp_path, folder):
        storage = AzureStorage.from_settings({P + "account_name": ACCOUNT, P + "account_key": ACCOUNT_KEY,
                                              P + "blob_endpoint": blob_endpoint, P + "container": "media",
                                              P + "cache_dir": str(tmp_path)})
        self.save(storage, folder + "k.txt", b"by key")
        self.assert_holds(storage, folder + "k.txt", b"by key")

    def test_heartbeat_is_false_for_a_missing_container(self, connection_string, tmp_path):
        other = AzureStorage.from_settings({P + "connection_string": connection_string, P + "container": "nothing",
                                            P + "cache_dir": str(tmp_path)})
        assert other.heartbeat() is False
        with pytest.raises(BackendError, match="does not exist"):
            other.save("a.txt", io.BytesIO(b"x"))


def test_settings_name_the_missing_key():
    with pytest.raises(ConfigurationError, match=r"openshot_api\.storage\.azure\.container"):
        AzureStorage.from_settings({})
    with pytest.raises(ConfigurationError, match=r"openshot_api\.storage\.azure\.connection_string or"):
        AzureStorage.from_settings({P + "container": "c"})
    with pytest.raises(ConfigurationError, match=r"openshot_api\.storage\.azure\.account_key"):
        AzureStorage.from_settings({P + "container": "c", P + "account_name": "a"})
    with pytest.raises(ConfigurationError, match=r"openshot_api\.storage\.azure\.connection_string or"):
        AzureTransfer.from_settings({})


def test_the_plugin_registers_the_storage_and_the_transfer():
    pm = make_plugin_manager()
    assert collect(pm.hook.openshot_api_storage_backends())["azure"] is AzureStorage
    assert collect(pm.hook.openshot_api_cloud_transfers())["azure"] is AzureTransfer


@pytest.fixture
def transfer(connection_string, service):
    return AzureTransfer.from_settings({P + "connection_string": connection_string})


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """A real 1 s 320x240 MP4 made by ffmpeg."""
    if shutil.which("ffmpeg") is None:
        missing_service("ffmpeg")
    path = tmp_path_factory.mktemp("media") / "clip.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=10",
                    "-t", "1", "-pix_fmt", "yuv420p", str(path)], check=True)
    return path


def test_the_transfer_accepts_azure_specs_only(transfer):
    assert transfer.accepts({"url": "a/b.mp4", "container": "C", "public": "blob"})
    assert not transfer.accepts({"url": "a/b.mp4", "bucket": "B"})
    assert not transfer.accepts({"url": "http://example.com/a.mp4"})


def test_an_import_streams_the_blob_and_is_named_after_it(transfer, service, clip):
    with open(clip, "rb") as src:
        service.get_blob_client("client-private", "in/My Clip.mp4").upload_blob(src)
    out = io.BytesIO()
    name = transfer.download({"url": "in/My Clip.mp4", "container": "client-private"}, out, max_bytes=10 ** 7)
    assert (name, out.getvalue()) == ("My Clip.mp4", clip.read_bytes())


def test_an_import_larger_than_the_limit_is_refused(transfer, service, clip):
    with open(clip, "rb") as src:
        service.get_blob_client("client-private", "in/limit.mp4").upload_blob(src, overwrite=True)
    out = io.BytesIO()
    with pytest.raises(BackendError, match="larger than the limit of 100 bytes"):
        transfer.download({"url": "in/limit.mp4", "container": "client-private"}, out, max_bytes=100)
    assert out.getvalue() == b""


def test_an_import_of_a_missing_blob_or_container_is_a_clear_error(transfer):
    with pytest.raises(BackendError, match="azure://client-private/none.mp4 was not found"):
        transfer.download({"url": "none.mp4", "container": "client-private"}, io.BytesIO(), 10 ** 6)
    with pytest.raises(BackendError, match="container of azure://no-such/a.mp4 does not exist"):
        transfer.download({"url": "a.mp4", "container": "no-such"}, io.BytesIO(), 10 ** 6)


def test_an_export_upload_with_public_blob_creates_a_public_container(transfer, service, clip):
    result = transfer.upload({"url": "out/render 1.mp4", "container": "exports-public", "public": "blob"},
                             str(clip), "video/mp4")
    assert (result["container"], result["blob"], result["public"]) == ("exports-public", "out/render 1.mp4", "blob")
    properties = service.get_blob_client("exports-public", "out/render 1.mp4").get_blob_properties()
    assert (properties.content_settings.content_type, properties.size) == ("video/mp4", clip.stat().st_size)
    response = requests.get(result["url"], timeout=10)  # anonymous
    assert response.status_code == 200 and response.content == clip.read_bytes()


def test_an_export_upload_without_public_stays_private(transfer, clip):
    result = transfer.upload({"url": "out/private.mp4", "container": "exports-private"}, str(clip), "video/mp4")
    assert result["public"] is None
    assert requests.get(result["url"], timeout=10).status_code in (403, 404)


def test_an_upload_into_an_existing_private_container_reports_that_it_is_private(transfer, clip):
    result = transfer.upload({"url": "x.mp4", "container": "client-private", "public": "blob"}, str(clip), "video/mp4")
    assert result["public"] is None


def test_an_export_upload_without_a_content_type_is_stored(transfer, service, clip):
    transfer.upload({"url": "out/untyped", "container": "exports-private"}, str(clip), None)
    blob = service.get_blob_client("exports-private", "out/untyped")
    assert blob.get_blob_properties().size == clip.stat().st_size


def test_an_export_upload_with_an_unknown_public_level_is_refused(transfer, clip):
    with pytest.raises(BackendError, match="public must be"):
        transfer.upload({"url": "x.mp4", "container": "c", "public": "everyone"}, str(clip), "video/mp4")
