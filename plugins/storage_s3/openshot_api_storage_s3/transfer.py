"""Imports from and export uploads to a client's S3 bucket, as the spec's json describes them:
``{"url": "path/in/bucket", "bucket": "B", "acl": "public-read"}``."""
import posixpath

from pyramid.settings import asbool

from openshot_api.fetch import CHUNK, LimitedWriter
from openshot_api.interfaces import BackendError, CloudTransfer

from .client import chunk_size, make_client, s3_errors, transfer_config

CANNED_ACLS = {"private", "public-read", "public-read-write", "authenticated-read", "aws-exec-read",
               "bucket-owner-read", "bucket-owner-full-control"}
SETTINGS_PREFIX = "openshot_api.storage.s3."


class S3Transfer(CloudTransfer):
    """Reads and writes any bucket the configured credentials reach."""

    name = "s3"

    def __init__(self, client, unsigned_client, chunk=8 * 1024 * 1024):
        self.client, self.unsigned_client = client, unsigned_client
        self.transfer_config = transfer_config(chunk)

    @classmethod
    def from_settings(cls, settings):
        """Use the S3 storage's connection settings (``openshot_api.storage.s3.region``,
        ``endpoint_url``, ``access_key_id``, ``secret_access_key`` ...); the bucket comes from
        each request. Nothing is required: credentials may come from the environment."""
        p = SETTINGS_PREFIX
        return cls(make_client(settings, p), make_client(settings, p, unsigned=True), chunk_size(settings, p))

    def accepts(self, spec):
        """True for a spec naming a ``bucket`` that is not marked ``"gcs": true``."""
        return isinstance(spec, dict) and bool(spec.get("bucket")) and not asbool(spec.get("gcs"))

    @staticmethod
    def _target(spec):
        bucket, key = str(spec.get("bucket") or ""), str(spec.get("url") or "").lstrip("/")
        if not key:
            raise BackendError("url (the path of the object in the S3 bucket) is required")
        return bucket, key

    def download(self, spec, dst, max_bytes):
        """Stream ``s3://bucket/url`` into ``dst``; return the key's base name."""
        bucket, key = self._target(spec)
        what = f"s3://{bucket}/{key}"
        with s3_errors(what, missing=BackendError):
            head = self.client.head_object(Bucket=bucket, Key=key)
            if head["ContentLength"] > max_bytes:
                raise BackendError(f"{what} is larger than the limit of {max_bytes} bytes")
            body = self.client.get_object(Bucket=bucket, Key=key, IfMatch=head["ETag"])["Body"]
            writer = LimitedWriter(dst, max_bytes, what)
            for chunk in body.iter_chunks(CHUNK):
                writer.write(chunk)
        return posixpath.basename(key)

    def upload(self, spec, src_path, content_type):
        """Upload ``src_path`` to ``s3://bucket/url`` with the spec's canned ``acl`` (when given).

        Returns ``{"url": <object URL without a signature>, "bucket", "key", "acl"}``."""
        bucket, key = self._target(spec)
        acl = spec.get("acl") or None
        if acl is not None and acl not in CANNED_ACLS:
            raise BackendError(f"acl must be one of {', '.join(sorted(CANNED_ACLS))}")
        extra = {"ContentType": content_type} if content_type else {}
        if acl:
            extra["ACL"] = acl
        with s3_errors(f"s3://{bucket}/{key}", missing=BackendError):
            self.client.upload_file(src_path, bucket, key, ExtraArgs=extra, Config=self.transfer_config)
        url = self.unsigned_client.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key})
        return {"url": url, "bucket": bucket, "key": key, "acl": acl}
