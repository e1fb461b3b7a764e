"""Tables on S3-compatible object storage (AWS S3, MinIO, moto, ...).

Server-side encryption (``s3_sse``: ``AES256`` or ``aws:kms`` with ``s3_sse_kms_key_id``)
is asked for on every object lakeworks writes: table files and Delta logs through
deltalake's storage options, artifact objects through ``put`` (boto3, since pyarrow's S3
filesystem cannot send the encryption headers).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse

import pyarrow.fs as pafs

from lakeworks.config import Settings
from lakeworks.errors import InvalidInputError, MissingDependencyError, UnavailableError
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
        sse: str | None = None,
        sse_kms_key_id: str | None = None,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.endpoint_url = endpoint_url
        self.access_key_id = access_key_id
        self.secret_access_key = secret_access_key
        self.region = region
        self.allow_http = allow_http or bool(endpoint_url and endpoint_url.startswith("http://"))
        self.sse, self.sse_kms_key_id = _checked_sse(sse, sse_kms_key_id)

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
            sse=settings.s3_sse,
            sse_kms_key_id=settings.s3_sse_kms_key_id,
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
        if self.sse:
            opts["aws_server_side_encryption"] = self.sse
        if self.sse_kms_key_id:
            opts["aws_sse_kms_key_id"] = self.sse_kms_key_id
        return opts

    def encryption(self) -> dict[str, str]:
        """The server-side encryption arguments of a boto3 put (empty: none asked)."""
        args = {"ServerSideEncryption": self.sse} if self.sse else {}
        if self.sse_kms_key_id:
            args["SSEKMSKeyId"] = self.sse_kms_key_id
        return args

    def uploader(self) -> Callable[[Path, str], None] | None:
        """A function that puts a local file at ``bucket/key`` with the encryption
        settings, or None when none is asked (pyarrow's filesystem then writes)."""
        if not self.sse:
            return None
        try:
            import boto3
        except ModuleNotFoundError:
            raise MissingDependencyError("boto3", extra="s3") from None
        client = boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
            region_name=self.region,
        )
        extra = self.encryption()

        def upload(local: Path, path: str) -> None:
            bucket, _, key = path.partition("/")
            client.upload_file(str(local), bucket, key, ExtraArgs=extra)

        return upload

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


SSE_MODES = ("AES256", "aws:kms")


def _checked_sse(sse: str | None, key_id: str | None) -> tuple[str | None, str | None]:
    if sse is not None and sse not in SSE_MODES:
        raise InvalidInputError(
            f"the s3_sse setting {sse!r} is not a server-side encryption S3 knows",
            hint=f"set LAKEWORKS_S3_SSE to one of {list(SSE_MODES)}, or unset it",
            setting="s3_sse",
            expected=", ".join(SSE_MODES),
            found=sse,
        )
    if key_id and sse != "aws:kms":
        raise InvalidInputError(
            "s3_sse_kms_key_id is set but s3_sse is not 'aws:kms'",
            hint="set LAKEWORKS_S3_SSE=aws:kms to encrypt with that KMS key",
            setting="s3_sse_kms_key_id",
        )
    return sse or None, key_id or None
