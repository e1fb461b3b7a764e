"""One Settings object: environment variables LAKEWORKS_*, an optional TOML file, defaults.

Precedence, highest first: arguments to ``Settings.load``, ``LAKEWORKS_*`` environment
variables, the config file (``LAKEWORKS_CONFIG`` or ``./lakeworks.toml``), defaults.
With nothing set, everything lives under ``./.lakeworks/``.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from lakeworks.errors import InvalidInputError

DEFAULT_CONFIG_FILE = "lakeworks.toml"
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1", "ip6-localhost"})


class Settings(BaseSettings):
    """Every setting lakeworks reads. Resolve once (``Settings.load()``) and pass it down."""

    model_config = SettingsConfigDict(env_prefix="LAKEWORKS_", extra="forbid", frozen=True)

    home: Path = Field(default=Path(".lakeworks"), description="folder for embedded state")
    metadata_url: str | None = Field(default=None, description="SQLAlchemy URL of the catalog")
    storage_url: str | None = Field(default=None, description="folder or s3://bucket/prefix")
    s3_endpoint_url: str | None = None
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = None
    s3_region: str = "us-east-1"
    s3_allow_http: bool = False
    workspace: str = "default"
    user: str | None = None
    host: str = "127.0.0.1"
    port: int = 8765
    duckdb_memory_limit: str | None = Field(
        default="50%",
        description="memory of each DuckDB database before it spills to scratch_dir: a size "
        "('4GB') or a share of RAM ('50%'); empty for DuckDB's own default (80%)",
    )
    statement_timeout: float = Field(
        default=300, ge=0, description="seconds a SQL statement may run; 0 means no limit"
    )
    duckdb_threads: int | None = None
    progress: bool = True
    online_url: str | None = Field(default=None, description="redis://... for online features")
    events_url: str | None = Field(
        default=None, description="redis://... for the event log; unset: <home>/events.db"
    )
    lineage_transport: str = Field(default="file", description="file, http, console or none")
    lineage_url: str | None = Field(default=None, description="OpenLineage URL or file path")
    executor: str = "local"
    scheduler: bool = Field(default=True, description="run the scheduler in the server")
    tracking_flush_interval: float = Field(
        default=0.1, gt=0, description="seconds between flushes of the SDK's run logger"
    )
    tracking_flush_size: int = Field(
        default=1000,
        ge=1,
        description="metrics, params and tags a run logger writes at most at once",
    )
    tracking_heartbeat_interval: float = Field(
        default=10, gt=0, description="seconds between heartbeats of a run open in the SDK"
    )
    tracking_heartbeat_timeout: float = Field(
        default=60, gt=0, description="seconds without a heartbeat before a RUNNING run is FAILED"
    )
    tracking_gc_grace: float = Field(
        default=3600, ge=0, description="seconds an unreferenced artifact object is kept by gc"
    )

    serving_max_rows: int = Field(
        default=10_000, ge=1, description="rows one prediction request may carry (else 413)"
    )
    serving_cache_size: int = Field(
        default=32, ge=1, description="loaded endpoint configurations kept in memory"
    )
    serving_batch_wait_ms: float = Field(
        default=0, ge=0, le=1000, description="micro-batching wait per prediction (0: off)"
    )
    serving_batch_max_rows: int = Field(
        default=256, ge=1, description="rows one micro-batched model call takes at most"
    )
    serving_on_loop: bool = Field(
        default=False,
        description="answer row requests on the server's event loop: one model call per "
        "slot at a time, requests arriving meanwhile share the next one (natural "
        "micro-batching, no thread hop per request); for replicas of fast models",
    )
    serving_version_ttl_ms: float = Field(
        default=1000,
        ge=0,
        description="how stale an endpoint's configuration version may be in a process that "
        "did not make the change (a replica): it is re-read from the catalog at most this "
        "often; 0: every request",
    )
    serving_max_request_bytes: int = Field(
        default=64 * 1024 * 1024,
        ge=1,
        description="bytes one prediction request may carry (else 413)",
    )
    serving_endpoints: str = Field(
        default="",
        description="endpoints a dedicated replica (`lakeworks serve`) answers, comma-separated "
        "workspace/endpoint or endpoint (in the default workspace); empty: all",
    )
    serving_score_batch_rows: int = Field(
        default=65_536, ge=1, description="rows per Arrow batch in batch scoring"
    )
    serving_health: bool = Field(
        default=True,
        description="judge endpoint health in the server: canary steps on schedule, "
        "automatic rollback",
    )
    serving_health_interval: float = Field(
        default=5,
        gt=0,
        description="seconds between flushes of live endpoint metrics to the catalog and "
        "between health rounds",
    )
    serving_metrics_retention: float = Field(
        default=86_400, gt=0, description="seconds of flushed endpoint metrics kept"
    )
    serving_sample_rows: int = Field(
        default=5000, ge=0, description="recent input rows kept per served model, for drift"
    )
    serving_trusted: bool = Field(
        default=False,
        description="serve models stored with pickle (the python format: loading runs code)",
    )
    serving_log: bool = Field(
        default=True, description="write every prediction to the workspace's _predictions table"
    )
    serving_log_buffer: int = Field(
        default=10_000, ge=1, description="requests the prediction log holds before it blocks"
    )
    serving_log_wait: float = Field(
        default=5.0,
        ge=0,
        description="seconds a request waits for room in a full prediction log buffer",
    )
    serving_log_flush_interval: float = Field(
        default=1.0, gt=0, description="seconds between the prediction log's table writes"
    )
    serving_log_spool: bool = Field(
        default=True,
        description="append each prediction log entry to a local spool under <home>/spool "
        "before answering, so a killed process loses none (the next start writes them)",
    )
    serving_log_fsync: float = Field(
        default=1.0,
        ge=0,
        description="seconds between fsyncs of the prediction log spool (what a power "
        "failure can lose); 0: fsync before every answer",
    )

    quota_cache_seconds: float = Field(
        default=5, gt=0, description="seconds a quota check may use a cached limit or use"
    )
    quota_url: str | None = Field(
        default=None,
        description="redis://... where every process counts rate quotas (requests per "
        "second) together; unset: the online store's or event log's Redis, else 'local' "
        "(each process counts alone, so N replicas admit N times the limit)",
    )
    usage_flush_seconds: float = Field(
        default=10, gt=0, description="seconds metered usage waits in memory before a write"
    )
    usage_flush_size: int = Field(
        default=1000, ge=1, description="usage groups waiting in memory that force a write"
    )
    usage_sample_seconds: float = Field(
        default=3600, ge=0, description="seconds between the server's storage samples (0: off)"
    )
    prices: dict[str, float] = Field(
        default_factory=dict,
        description="the price list of cost reports, by price name (defaults in "
        "security.costs.DEFAULT_PRICES)",
    )
    auth: bool | None = Field(
        default=None,
        description="require a credential on every request to the server; unset: required "
        "unless the server binds a loopback address",
    )
    auth_cache_seconds: float = Field(
        default=5,
        ge=0,
        description="seconds a resolved credential is reused before the catalog is read "
        "again (revocations made on another replica apply within this time)",
    )
    token: str | None = Field(
        default=None,
        description="an API token the SDK and CLI act with on the catalog they open "
        "(checked and audited as on the server); unset: the person at the machine",
    )
    oidc_issuer: str | None = Field(
        default=None, description="issuer (iss) whose OIDC bearer JWTs the server accepts"
    )
    oidc_audience: str | None = Field(default=None, description="the aud the JWTs must carry")
    oidc_jwks_url: str | None = Field(
        default=None, description="the issuer's JWKS: an https:// URL or a file path"
    )
    oidc_user_claim: str = Field(default="sub", description="the claim naming the user")
    oidc_groups_claim: str = Field(default="groups", description="the claim listing groups")

    # data protection (docs/data-protection.md) ---------------------------------------
    secrets_key: str | None = Field(
        default=None,
        description="Fernet key(s) that encrypt secrets, newest first, comma-separated; "
        "unset in embedded mode: a key file <home>/secrets.key is made on first use",
    )
    pii_hash_key: str | None = Field(
        default=None,
        description="HMAC key of keyed-hash masking and anonymise's pseudonyms; unset: "
        "derived from the secrets key",
    )
    audit_key: str | None = Field(
        default=None,
        description="HMAC key(s) of the audit chain, newest first, comma-separated (each at "
        "least 16 characters); unset: plain SHA-256 hashes anyone who can write the "
        "catalog could recompute",
    )
    s3_sse: str | None = Field(
        default=None, description="S3 server-side encryption of every write: AES256 or aws:kms"
    )
    s3_sse_kms_key_id: str | None = Field(
        default=None, description="KMS key id for s3_sse=aws:kms (unset: the bucket's AWS key)"
    )
    retention_interval: float = Field(
        default=3600, ge=0, description="seconds between retention runs in the server (0: off)"
    )

    @classmethod
    def load(cls, config_file: str | Path | None = None, **overrides: Any) -> Settings:
        """Read the config file and environment, then apply ``overrides``.

        Example:
            >>> Settings.load(home="/tmp/lw").home.name
            'lw'
        """
        path = Path(config_file or os.environ.get("LAKEWORKS_CONFIG", DEFAULT_CONFIG_FILE))
        file_values = _read_config_file(path) if path.exists() else {}
        env_names = {f"LAKEWORKS_{name.upper()}" for name in cls.model_fields}
        from_env = {k for k in env_names if k in os.environ}
        values = {k: v for k, v in file_values.items() if f"LAKEWORKS_{k.upper()}" not in from_env}
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @property
    def resolved_metadata_url(self) -> str:
        return self.metadata_url or f"sqlite:///{(self.home / 'metadata.db').resolve()}"

    @property
    def resolved_storage_url(self) -> str:
        return self.storage_url or str((self.home / "tables").resolve())

    @property
    def auth_required(self) -> bool:
        """Whether the server requires a credential: ``auth``, or when unset, whether it
        binds anything but a loopback address."""
        if self.auth is not None:
            return self.auth
        return self.host not in _LOOPBACK

    @property
    def scratch_dir(self) -> Path:
        return (self.home / "tmp").resolve()


def _read_config_file(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInputError(f"config file {path} is not valid TOML: {exc}") from exc
    section = data.get("lakeworks", data)
    unknown = set(section) - set(Settings.model_fields)
    if unknown:
        raise InvalidInputError(
            f"config file {path} has unknown settings: {sorted(unknown)}",
            hint=f"known settings: {sorted(Settings.model_fields)}",
        )
    return section
