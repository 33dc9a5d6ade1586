"""Imports from and export uploads to a client's Azure container, as the spec's json describes
them: ``{"url": "path/in/container", "container": "C", "public": "blob"}``."""
import posixpath

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError
from azure.storage.blob import ContentSettings

from openshot_api.fetch import LimitedWriter
from openshot_api.interfaces import BackendError, CloudTransfer

from .client import azure_errors, make_service

PUBLIC_ACCESS = ("blob", "container")
SETTINGS_PREFIX = "openshot_api.storage.azure."


class AzureTransfer(CloudTransfer):
    """Reads and writes any container of the configured storage account."""

    name = "azure"

    def __init__(self, service):
        self.service = service

    @classmethod
    def from_settings(cls, settings):
        """Use the Azure storage's account settings (``openshot_api.storage.azure.connection_string``
        or ``account_name`` + ``account_key``, ``blob_endpoint``); the container comes from each
        request. Raises ConfigurationError when no account is configured."""
        return cls(make_service(settings, SETTINGS_PREFIX))

    def accepts(self, spec):
        """True for a spec naming a ``container``."""
        return isinstance(spec, dict) and bool(spec.get("container"))

    def _blob(self, spec):
        container, name = str(spec.get("container") or ""), str(spec.get("url") or "").lstrip("/")
        if not name:
            raise BackendError("url (the path of the blob in the Azure container) is required")
        return self.service.get_blob_client(container, name), f"azure://{container}/{name}"

    def download(self, spec, dst, max_bytes):
        """Stream the blob into ``dst`` one chunk at a time; return its base name."""
        blob, what = self._blob(spec)
        with azure_errors(what, missing=BackendError):
            properties = blob.get_blob_properties()
            if properties.size > max_bytes:
                raise BackendError(f"{what} is larger than the limit of {max_bytes} bytes")
            downloader = blob.download_blob(etag=properties.etag, match_condition=MatchConditions.IfNotModified)
            downloader.readinto(LimitedWriter(dst, max_bytes, what))
        return posixpath.basename(blob.blob_name)

    def upload(self, spec, src_path, content_type):
        """Upload ``src_path`` to the container (created when missing, with the spec's
        ``public`` access level: ``blob`` or ``container``; an existing container keeps its own).

        Returns ``{"url": <blob URL without a SAS>, "container", "blob", "public": <the
        container's actual public access level or None>}``."""
        public = spec.get("public") or None
        if public is not None and public not in PUBLIC_ACCESS:
            raise BackendError("public must be \"blob\" or \"container\"")
        blob, what = self._blob(spec)
        container = self.service.get_container_client(blob.container_name)
        with azure_errors(what, missing=BackendError):
            try:
                container.create_container(public_access=public)
            except ResourceExistsError:
                pass
            with open(src_path, "rb") as src:
                blob.upload_blob(src, overwrite=True, max_concurrency=2,
                                 content_settings=ContentSettings(content_type=content_type))
            access = container.get_container_access_policy().get("public_access")
        return {"url": blob.url.split("?", 1)[0], "container": blob.container_name,
                "blob": blob.blob_name, "public": access}
