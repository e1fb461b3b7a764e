"""Encryption in transit (``lakeworks server --ssl-certfile/--ssl-keyfile``, with a
certificate made in the test) and at rest on S3 (SSE-S3 and SSE-KMS headers on every
object lakeworks writes, read back from the moto S3 server)."""

from __future__ import annotations

import io
import ipaddress
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pyarrow as pa
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from lakeworks.config import Settings
from lakeworks.context import Context
from lakeworks.errors import InvalidInputError
from lakeworks.lake.storage import S3Storage
from lakeworks.platform import Platform
from tests.conftest import free_port
from tests.security.conftest import opened

START_TIMEOUT_S = 30


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost, and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "lakeworks-test")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def lakeworks(*args: str) -> list[str]:
    exe = Path(sys.executable).parent / "lakeworks"
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "lakeworks.cli.app"]
    return [*command, *args]


@pytest.fixture
def https_server(tmp_path: Path) -> Iterator[tuple[str, Path, Path]]:
    cert, key = self_signed(tmp_path)
    port, log_path = free_port(), tmp_path / "server.log"
    home = ["--home", str(tmp_path / "lw")]
    tls = ["--ssl-certfile", str(cert), "--ssl-keyfile", str(key)]
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            lakeworks(*home, "server", "--port", str(port), "--no-scheduler", *tls),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            url = f"https://127.0.0.1:{port}"
            _wait_healthy(url, cert, proc, log_path)
            yield url, cert, log_path
        finally:
            proc.terminate()
            proc.wait(15)


def _wait_healthy(url: str, cert: Path, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"lakeworks server exited with {proc.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/health", verify=_trusting(cert), timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"lakeworks server not healthy within {START_TIMEOUT_S} s:\n{log.read_text()}")


def _trusting(cert: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(cert))


@pytest.mark.slow
def test_the_server_speaks_https_with_the_given_certificate(
    https_server: tuple[str, Path, Path],
) -> None:
    url, cert, log = https_server
    with httpx.Client(base_url=url, verify=_trusting(cert), timeout=10) as client:
        assert client.get("/health").json()["status"] == "ok"
        assert client.post("/api/v1/workspaces", json={"name": "tls"}).status_code == 201
    with pytest.raises(httpx.ConnectError):  # an unknown certificate is refused by a client
        httpx.get(f"{url}/health", timeout=5)
    plain = url.replace("https://", "http://")
    with pytest.raises(httpx.TransportError):  # no plain HTTP on the TLS port
        httpx.get(f"{plain}/health", timeout=5)
    assert f"lakeworks on {url}" in log.read_text()


@pytest.mark.parametrize("which", ["cert only", "missing key file"])
def test_half_a_tls_configuration_is_refused(tmp_path: Path, which: str) -> None:
    cert, key = self_signed(tmp_path)
    tls = ["--ssl-certfile", str(cert)]
    if which == "missing key file":
        tls += ["--ssl-keyfile", str(tmp_path / "nope.pem")]
    done = subprocess.run(
        lakeworks("--home", str(tmp_path / "lw"), "server", "--port", str(free_port()), *tls),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    expected = "go together" if which == "cert only" else "--ssl-keyfile"
    assert expected in done.stderr and "lakeworks on" not in done.stdout


def _heads(settings: Settings, prefix: str) -> dict[str, dict]:
    import boto3

    s3 = boto3.client(
        "s3",
        endpoint_url=settings.s3_endpoint_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    bucket = settings.storage_url.removeprefix("s3://").split("/")[0]
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    return {o["Key"]: s3.head_object(Bucket=bucket, Key=o["Key"]) for o in listed}


@pytest.mark.s3
@pytest.mark.parametrize(
    ("sse", "key_id"), [("AES256", None), ("aws:kms", "arn:aws:kms:us-east-1:1:key/lw-test")]
)
def test_every_s3_write_asks_for_server_side_encryption(
    s3_settings: Settings, sse: str, key_id: str | None
) -> None:
    settings = s3_settings.model_copy(update={"s3_sse": sse, "s3_sse_kms_key_id": key_id})
    with opened(settings) as platform:
        platform.catalog.create_workspace("default", "tester")
        ctx = Context("default", "tester")
        platform.tables.create(ctx, "orders", pa.table({"id": [1, 2]}))
        platform.tables.write(ctx, "orders", pa.table({"id": [3]}), mode="append")
        run = platform.tracking.create_run(ctx, platform.tracking.create_experiment(ctx, "e").id)
        platform.tracking.log_artifact_stream(ctx, run.id, "model.bin", io.BytesIO(b"w" * 999))
    tables = _heads(settings, "lake/default/orders/")
    artifacts = _heads(settings, "lake/.artifacts/")
    assert any(k.endswith(".parquet") for k in tables) and any("_delta_log" in k for k in tables)
    assert len(artifacts) == 1
    for key, head in {**tables, **artifacts}.items():
        assert head.get("ServerSideEncryption") == sse, key
        if key_id:
            assert head.get("SSEKMSKeyId") == key_id, key


@pytest.mark.s3
def test_without_the_setting_nothing_is_asked(s3_settings: Settings) -> None:
    with opened(s3_settings) as platform:
        platform.catalog.create_workspace("default", "tester")
        platform.tables.create(Context("default", "tester"), "orders", pa.table({"id": [1]}))
    heads = _heads(s3_settings, "lake/default/orders/")
    assert heads and all("SSEKMSKeyId" not in h for h in heads.values())


@pytest.mark.parametrize(
    ("sse", "key_id", "message"),
    [
        ("AES", None, "the s3_sse setting 'AES' is not a server-side encryption"),
        ("AES256", "k1", "s3_sse_kms_key_id is set but s3_sse is not 'aws:kms'"),
    ],
)
def test_bad_encryption_settings_name_the_setting(
    sse: str, key_id: str | None, message: str
) -> None:
    with pytest.raises(InvalidInputError, match=message):
        S3Storage("bucket", sse=sse, sse_kms_key_id=key_id)


@pytest.mark.postgres
def test_postgres_tls_options_in_the_url_reach_the_driver(
    postgres_server: str, tmp_path: Path
) -> None:
    """``sslmode`` in LAKEWORKS_METADATA_URL is libpq's: the test server has no TLS, so
    ``require`` is refused by the driver saying so, and ``disable`` connects."""
    from lakeworks.errors import LakeworksError
    from lakeworks.meta import engine as meta_engine

    sep = "&" if "?" in postgres_server else "?"
    plain = meta_engine.make_engine(f"{postgres_server}{sep}sslmode=disable")
    try:
        with plain.connect() as con:
            assert con.exec_driver_sql("SHOW ssl").scalar() in {"off", "on"}
    finally:
        plain.dispose()
    settings = Settings.load(
        home=tmp_path / "lw", metadata_url=f"{postgres_server}{sep}sslmode=require"
    )
    with pytest.raises(LakeworksError, match="SSL"):
        Platform.open(settings)
