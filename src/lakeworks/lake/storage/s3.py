"""Tables on S3-compatible object storage (AWS S3, MinIO, moto, ...)."""

from __future__ import annotations

from urllib.parse import urlparse

import pyarrow.fs as pafs

from lakeworks.config import Settings
from lakeworks.errors import UnavailableError
from lakeworks.lake.storage.base import Storage, StorageCapabilities


class S3Storage(Storage):
    capabilities = StorageCapabilities(native_scan=False)

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        region: str = "us-east-1",
        allow_http: bool = False,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.endpoint_url = endpoint_url
        self.access_key_id = access_key_id
        self.secret_access_key = secret_access_key
        self.region = region
        self.allow_http = allow_http or bool(endpoint_url and endpoint_url.startswith("http://"))

    @classmethod
    def from_settings(cls, url: str, settings: Settings) -> S3Storage:
        parsed = urlparse(url)
        return cls(
            parsed.netloc,
            parsed.path,
            endpoint_url=settings.s3_endpoint_url,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=settings.s3_secret_access_key,
            region=settings.s3_region,
            allow_http=settings.s3_allow_http,
        )

    @property
    def root(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}".rstrip("/")

    def table_uri(self, workspace: str, name: str) -> str:
        return f"{self.root}/{workspace}/{name}"

    def options(self) -> dict[str, str]:
        opts = {"AWS_REGION": self.region, "conditional_put": "etag"}
        if self.endpoint_url:
            opts["AWS_ENDPOINT_URL"] = self.endpoint_url
        if self.access_key_id:
            opts["AWS_ACCESS_KEY_ID"] = self.access_key_id
        if self.secret_access_key:
            opts["AWS_SECRET_ACCESS_KEY"] = self.secret_access_key
        if self.allow_http:
            opts["AWS_ALLOW_HTTP"] = "true"
        return opts

    def filesystem(self) -> pafs.FileSystem:
        kwargs = {
            "region": self.region,
            "access_key": self.access_key_id,
            "secret_key": self.secret_access_key,
            "connect_timeout": 5,
            "request_timeout": 30,
        }
        if self.endpoint_url:
            parsed = urlparse(self.endpoint_url)
            kwargs["endpoint_override"] = parsed.netloc
            kwargs["scheme"] = parsed.scheme or "https"
        retry = pafs.AwsStandardS3RetryStrategy(max_attempts=2)
        return pafs.S3FileSystem(retry_strategy=retry, **kwargs)

    def fs_path(self, uri: str) -> str:
        return uri.removeprefix("s3://")

    def check(self) -> None:
        try:
            info = self.filesystem().get_file_info(self.bucket)
        except OSError as exc:
            raise UnavailableError(
                f"cannot reach S3 bucket {self.bucket!r} at {self.endpoint_url or 'AWS'}: {exc}",
                hint="check LAKEWORKS_S3_ENDPOINT_URL, the keys, and that the server is up",
            ) from exc
        if info.type == pafs.FileType.NotFound:
            raise UnavailableError(
                f"S3 bucket {self.bucket!r} does not exist", hint="create the bucket first"
            )
