"""Azure Blob Storage: a storage backend (``openshot_api.storage = azure``) and the transfer
behind the spec's Azure imports and export uploads (``{"url": ..., "container": ..., "public": ...}``)."""
from openshot_api import hookimpl

from .client import SETTINGS
from .storage import AzureStorage
from .transfer import AzureTransfer


@hookimpl
def openshot_api_storage_backends():
    return {AzureStorage.name: AzureStorage}


@hookimpl
def openshot_api_cloud_transfers():
    return [AzureTransfer]


@hookimpl
def openshot_api_settings():
    return list(SETTINGS)
