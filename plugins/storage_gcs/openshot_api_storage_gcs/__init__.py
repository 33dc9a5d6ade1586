"""Google Cloud Storage: a storage backend (``openshot_api.storage = gcs``) and the transfer
behind GCS file imports and export uploads (``{"url": ..., "bucket": ..., "gcs": true}``)."""
from openshot_api import hookimpl

from .client import SETTINGS
from .storage import GCSStorage
from .transfer import GCSTransfer


@hookimpl
def openshot_api_storage_backends():
    return {GCSStorage.name: GCSStorage}


@hookimpl
def openshot_api_cloud_transfers():
    return [GCSTransfer]


@hookimpl
def openshot_api_settings():
    return list(SETTINGS)
