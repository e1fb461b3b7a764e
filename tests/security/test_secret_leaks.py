"""``secret://name`` resolves where connections and pipeline parameters are used, and the
value never reaches logs, errors, the catalog's load records, lineage, OpenLineage events
or the REST API: each of those outputs is grepped for it."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import lakeworks as lw
from lakeworks.errors import LakeworksError, NotFoundError
from lakeworks.server.app import create_app
from tests.conftest import free_port

TOKEN = "tok-8f3Jq2LxW9vN"  # the API's bearer token, kept as a secret


class Api(BaseHTTPRequestHandler):
    """Answers rows only to the bearer of TOKEN; a 500 echoing the URL otherwise."""

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self._send({"error": "unauthorized"}, 401)
        elif self.path.startswith("/boom"):
            self._send({"error": f"broken at {self.path}"}, 500)
        else:
            self._send({"items": [{"id": 1, "who": "a"}, {"id": 2, "who": "b"}]})

    def _send(self, body: object, status: int = 200) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Api)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def ws(ws: lw.Workspace) -> lw.Workspace:
    ws.secrets.set("api_token", TOKEN)
    return ws


def outputs(ws: lw.Workspace) -> str:
    """Every byte the platform wrote: the catalog (load records, lineage, pipeline runs,
    task logs), the OpenLineage event file, the tables' Delta logs, spill and scratch."""
    home = ws.platform.settings.home.resolve()
    return "\n".join(
        path.read_bytes().decode("latin-1") for path in sorted(home.rglob("*")) if path.is_file()
    )


def test_an_http_source_authenticates_with_a_secret(ws: lw.Workspace, api: str) -> None:
    result = ws.ingest(
        f"{api}/rows?key=secret://api_token",
        "people",
        http={"headers": {"Authorization": "Bearer secret://api_token"}, "records_path": "items"},
    )
    assert result.rows_written == 2
    recorded = outputs(ws)
    assert "secret://api_token" in recorded  # the reference is what is recorded ...
    assert TOKEN not in recorded  # ... never the value
    assert TOKEN not in repr(ws.loads("people"))


def test_a_failed_load_names_the_reference_not_the_value(
    ws: lw.Workspace, api: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(LakeworksError) as caught:
        ws.ingest(
            f"{api}/boom?key=secret://api_token",
            "people",
            http={"headers": {"Authorization": "Bearer secret://api_token"}},
        )
    error = caught.value
    shown = str(error) + repr(error.to_dict()) + repr(error.__cause__) + caplog.text
    assert "secret://api_token" in str(error) and TOKEN not in shown
    assert TOKEN not in outputs(ws)
    assert "failed" in [load.status for load in ws.loads("people")]


def test_an_unreachable_source_error_is_redacted(ws: lw.Workspace) -> None:
    dead = f"http://127.0.0.1:{free_port()}/x?key=secret://api_token"
    with pytest.raises(LakeworksError) as caught:
        ws.ingest(dead, "people")
    assert "secret://api_token" in str(caught.value)
    assert TOKEN not in str(caught.value) + repr(caught.value.fields)
    assert caught.value.__cause__ is None  # the transport's error holds the URL


def test_a_missing_secret_is_not_found_before_anything_runs(ws: lw.Workspace, api: str) -> None:
    with pytest.raises(NotFoundError, match="secret 'nope' does not exist"):
        ws.ingest(f"{api}/rows?key=secret://nope", "people")
    assert ws.loads("people") == []


def test_a_pipeline_parameter_resolves_and_its_value_stays_out_of_the_run(
    ws: lw.Workspace, tmp_path: Path
) -> None:
    source = tmp_path / "secret_pipeline.py"
    source.write_text(
        "from lakeworks.pipelines import Pipeline, Param\n"
        "p = Pipeline('uses_token', params={'token': Param(str, 'secret://api_token')})\n"
        "def call(token):\n"
        "    print('calling with', token)\n"
        "    assert token.startswith('tok-'), 'the value arrives'\n"
        "    raise RuntimeError(f'refused: {token}')\n"
        "p.add('call', call)\n"
    )
    ws.pipelines.register(source)
    run = ws.pipelines.run("uses_token")
    assert run.state == "failed"
    log = ws.pipelines.task_logs(run.id, "call")
    assert "calling with secret://api_token" in log
    assert TOKEN not in log + repr(ws.pipelines.run_info(run.id)) + outputs(ws)


def test_a_pipeline_naming_a_missing_secret_fails_saying_so(
    ws: lw.Workspace, tmp_path: Path
) -> None:
    source = tmp_path / "missing_pipeline.py"
    source.write_text(
        "from lakeworks.pipelines import Pipeline, Param\n"
        "p = Pipeline('no_secret', params={'token': Param(str, 'secret://absent')})\n"
        "p.add('call', lambda token: token)\n"
    )
    ws.pipelines.register(source)
    run = ws.pipelines.run("no_secret")
    assert run.state == "failed"
    assert "secret 'absent' does not exist" in repr(ws.pipelines.run_info(run.id))


def test_the_rest_api_never_answers_a_value(ws: lw.Workspace, api: str) -> None:
    ws.ingest(
        f"{api}/rows?key=secret://api_token",
        "people",
        http={"headers": {"Authorization": "Bearer secret://api_token"}, "records_path": "items"},
    )
    settings = ws.platform.settings.model_copy(update={"scheduler": False})
    with TestClient(create_app(settings)) as client:
        base = "/api/v1/workspaces/default"
        answers = [
            client.get(f"{base}/secrets"),
            client.get(f"{base}/tables/people/loads"),
            client.get(f"{base}/lineage/people"),
            client.get(f"{base}/tables/people/history"),
        ]
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
    assert all(TOKEN not in a.text for a in answers)
