"""Amazon S3: a storage backend (``openshot_api.storage = s3``) and the transfer behind the
spec's S3 file imports and export uploads (``{"url": ..., "bucket": ..., "acl": ...}``)."""
from openshot_api import hookimpl

from .client import SETTINGS
from .storage import S3Storage
from .transfer import S3Transfer


@hookimpl
def openshot_api_storage_backends():
    return {S3Storage.name: S3Storage}


@hookimpl
def openshot_api_cloud_transfers():
    return [S3Transfer]


@hookimpl
def openshot_api_settings():
    return list(SETTINGS)
