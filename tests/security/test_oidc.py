"""OIDC bearer JWTs: verified against a JWKS made in the test (a file, and a local HTTP
server), the user and groups taken from the claims; bad tokens are 401."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient

from lakeworks.config import Settings
from lakeworks.context import Context, Principal
from lakeworks.platform import Platform
from lakeworks.server.app import create_app

ISSUER = "https://id.example.test"
AUDIENCE = "lakeworks"
TABLES = "/api/v1/workspaces/sales/tables"


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _jwks(key: rsa.RSAPrivateKey) -> dict:
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return {"keys": [{**public, "kid": "k1", "use": "sig", "alg": "RS256"}]}


def _token(key: rsa.RSAPrivateKey, **claims: object) -> str:
    body = {"iss": ISSUER, "aud": AUDIENCE, "sub": "ana@example.test", "exp": time.time() + 60}
    body.update(claims)
    return jwt.encode(body, key, algorithm="RS256", headers={"kid": "k1"})


@pytest.fixture
def jwks_server(key: rsa.RSAPrivateKey) -> Iterator[str]:
    """The JWKS over HTTP from a server on 127.0.0.1 (no network)."""
    payload = json.dumps(_jwks(key)).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass

    httpd = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}/jwks.json"
    httpd.shutdown()


def _client(home: Path, jwks_url: str) -> TestClient:
    settings = Settings.load(
        home=home,
        auth=True,
        scheduler=False,
        progress=False,
        oidc_issuer=ISSUER,
        oidc_audience=AUDIENCE,
        oidc_jwks_url=jwks_url,
        oidc_user_claim="sub",
    )
    platform = Platform.open(settings)
    platform.catalog.create_workspace("sales", "root")
    root = Context("sales", "root", Principal("root", admin=True, via="local"))
    platform.identities.grant(root, "analysts", "viewer", kind="group")
    platform.close()
    return TestClient(create_app(settings), raise_server_exceptions=False)


@pytest.fixture(params=["file", "http"])
def client(request, tmp_path: Path, key) -> Iterator[TestClient]:
    if request.param == "file":
        jwks = tmp_path / "jwks.json"
        jwks.write_text(json.dumps(_jwks(key)))
        url = str(jwks)
    else:
        url = request.getfixturevalue("jwks_server")
    with _client(tmp_path / "lw", url) as client:
        yield client


def _get(client: TestClient, token: str, url: str = TABLES):
    return client.get(url, headers={"Authorization": f"Bearer {token}"})


def test_a_valid_jwt_names_the_user_and_groups(client: TestClient, key) -> None:
    token = _token(key, groups=["analysts", "hikers"])
    me = _get(client, token, "/api/v1/me").json()
    assert me == {
        "user": "ana@example.test",
        "admin": False,
        "via": "oidc",
        "groups": ["analysts", "hikers"],
        "roles": {"sales": "viewer"},
    }
    assert _get(client, token).status_code == 200
    write = client.post(
        f"{TABLES}/t/rows",
        json={"rows": [{"a": 1}], "mode": "create"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert write.status_code == 403  # a viewer, through the group


def test_without_the_group_there_is_no_role(client: TestClient, key) -> None:
    assert _get(client, _token(key, groups=["hikers"])).status_code == 403


@pytest.mark.parametrize(
    ("claims", "fragment"),
    [
        ({"exp": time.time() - 10}, "expired"),
        ({"iss": "https://evil.test"}, "not valid"),
        ({"aud": "someone-else"}, "not valid"),
        ({"sub": None}, "not valid"),
    ],
)
def test_a_bad_jwt_is_401(client: TestClient, key, claims: dict, fragment: str) -> None:
    answer = _get(client, _token(key, groups=["analysts"], **claims))
    assert answer.status_code == 401 and fragment in answer.json()["message"]


def test_a_jwt_signed_by_another_key_is_401(client: TestClient) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    answer = _get(client, _token(other, groups=["analysts"]))
    assert answer.status_code == 401 and "not valid" in answer.json()["message"]


def test_an_hs256_jwt_keyed_with_the_public_key_is_401(client: TestClient, key) -> None:
    public = jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()).encode()
    forged = jwt.encode(
        {"iss": ISSUER, "aud": AUDIENCE, "sub": "admin", "exp": time.time() + 60},
        public[:32],
        algorithm="HS256",
        headers={"kid": "k1"},
    )
    assert _get(client, forged).status_code == 401


def test_a_jwt_without_the_user_claim_is_401(client: TestClient, key) -> None:
    body = {"iss": ISSUER, "aud": AUDIENCE, "exp": time.time() + 60, "groups": ["analysts"]}
    token = jwt.encode(body, key, algorithm="RS256", headers={"kid": "k1"})
    answer = _get(client, token)
    assert answer.status_code == 401 and "no 'sub' claim" in answer.json()["message"]
