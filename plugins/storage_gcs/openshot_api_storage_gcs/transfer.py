"""Imports from and export uploads to a client's Google Cloud Storage bucket, as the json
describes them: ``{"url": "path/in/bucket", "bucket": "B", "gcs": true}`` (an optional ``acl``
is a predefined ACL such as ``publicRead`` or ``public-read``)."""
import posixpath

from google.cloud.storage.acl import ObjectACL
from pyramid.settings import asbool

from openshot_api.interfaces import BackendError, CloudTransfer
from openshot_api.fetch import LimitedWriter

from .client import chunk_size, gcs_errors, make_client

SETTINGS_PREFIX = "openshot_api.storage.gcs."


class GCSTransfer(CloudTransfer):
    """Reads and writes any bucket the configured credentials reach."""

    name = "gcs"

    def __init__(self, client, chunk=8 * 1024 * 1024):
        self.client, self.chunk = client, chunk

    @classmethod
    def from_settings(cls, settings):
        """Use the GCS storage's connection settings (``openshot_api.storage.gcs.project``,
        ``credentials_file``, ``emulator_host``); the bucket comes from each request. Raises
        ConfigurationError when no credentials can be found."""
        return cls(make_client(settings, SETTINGS_PREFIX), chunk_size(settings, SETTINGS_PREFIX))

    def accepts(self, spec):
        """True for a spec naming a ``bucket`` and marked ``"gcs": true``."""
        return isinstance(spec, dict) and bool(spec.get("bucket")) and asbool(spec.get("gcs"))

    def _target(self, spec):
        bucket, name = str(spec.get("bucket") or ""), str(spec.get("url") or "").lstrip("/")
        if not name:
            raise BackendError("url (the path of the object in the GCS bucket) is required")
        return self.client.bucket(bucket), name, f"gs://{bucket}/{name}"

    def download(self, spec, dst, max_bytes):
        """Stream ``gs://bucket/url`` into ``dst``; return the object's base name."""
        bucket, name, what = self._target(spec)
        with gcs_errors(what, missing=BackendError):
            blob = bucket.get_blob(name)
            if blob is None:
                raise BackendError(f"{what} was not found")
            if blob.size > max_bytes:
                raise BackendError(f"{what} is larger than the limit of {max_bytes} bytes")
            # A handle built here: its URL is escaped by the client, not copied from the server.
            pinned = bucket.blob(name, generation=blob.generation)
            pinned.download_to_file(LimitedWriter(dst, max_bytes, what))
        return posixpath.basename(name)

    def upload(self, spec, src_path, content_type):
        """Upload ``src_path`` to ``gs://bucket/url`` with the spec's predefined ``acl`` (when given).

        Returns ``{"url": <the object's public URL>, "bucket", "key", "acl"}``."""
        bucket, name, what = self._target(spec)
        try:
            acl = ObjectACL.validate_predefined(spec.get("acl") or None)
        except ValueError:
            names = sorted(ObjectACL.PREDEFINED_JSON_ACLS | set(ObjectACL.PREDEFINED_XML_ACLS))
            raise BackendError(f"acl must be one of {', '.join(names)}") from None
        blob = bucket.blob(name, chunk_size=self.chunk)
        with gcs_errors(what, missing=BackendError):
            blob.upload_from_filename(src_path, content_type=content_type, predefined_acl=acl)
        return {"url": blob.public_url, "bucket": bucket.name, "key": name, "acl": acl}
