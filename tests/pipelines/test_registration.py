"""Registering pipelines over REST: code comes only from the workspace's code folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from lakeworks.config import Settings
from lakeworks.server.app import create_app

API = "/api/v1/workspaces/sales"
GOOD = "from lakeworks.pipelines import Pipeline\np = Pipeline('{name}')\np.add('one', lambda: 1)\n"


def _marking(marker: Path) -> str:
    """Source that leaves ``marker`` behind when it is imported (the code ran)."""
    return f"import pathlib\npathlib.Path({str(marker)!r}).write_text('ran')\n" + GOOD.format(
        name="evil"
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        for ws in ("sales", "other"):
            assert client.post("/api/v1/workspaces", json={"name": ws}).status_code == 201
        yield client


def test_uploaded_code_lands_in_the_code_folder_and_runs(
    client: TestClient, settings: Settings
) -> None:
    done = client.post(
        f"{API}/pipelines", json={"source": "etl/daily.py", "code": GOOD.format(name="daily")}
    )
    assert done.status_code == 201, done.text
    stored = (settings.home / "code" / "sales" / "etl" / "daily.py").resolve()
    assert done.json()[0]["source"] == f"file:{stored}"
    assert stored.read_text() == GOOD.format(name="daily")
    assert client.post(f"{API}/pipelines/daily/runs", json={}).json()["state"] == "succeeded"
    # a file an operator placed in the folder registers by name alone
    (stored.parent / "placed.py").write_text(GOOD.format(name="placed"))
    placed = client.post(f"{API}/pipelines", json={"source": "etl/placed.py"})
    assert placed.status_code == 201 and placed.json()[0]["name"] == "placed"


def test_an_absolute_path_written_elsewhere_is_refused_unrun(
    client: TestClient, tmp_path: Path
) -> None:
    marker = tmp_path / "ran"
    planted = tmp_path / "spill" / "evil.py"  # e.g. written through a SQL COPY
    planted.parent.mkdir()
    planted.write_text(_marking(marker))
    answer = client.post(f"{API}/pipelines", json={"source": str(planted)})
    assert answer.status_code == 422, answer.text
    assert "code folder" in answer.json()["message"]
    assert answer.json()["details"]["found"] == str(planted)
    assert not marker.exists()
    assert client.get(f"{API}/pipelines").json() == []


def test_a_module_name_is_refused_unimported(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "ran"
    (tmp_path / "lw_planted_module.py").write_text(_marking(marker))
    monkeypatch.syspath_prepend(str(tmp_path))
    for source in ("lw_planted_module", "module:lw_planted_module", "file:/etc/passwd.py"):
        answer = client.post(f"{API}/pipelines", json={"source": source})
        assert answer.status_code == 422, (source, answer.text)
    assert not marker.exists()


@pytest.mark.parametrize(
    "source", ["../other/p.py", "etl/../../other/p.py", "~/p.py", "a\\..\\p.py", "p.txt"]
)
def test_paths_out_of_the_folder_are_refused(client: TestClient, source: str) -> None:
    other = client.post(
        "/api/v1/workspaces/other/pipelines",
        json={"source": "p.py", "code": GOOD.format(name="theirs")},
    )
    assert other.status_code == 201
    answer = client.post(f"{API}/pipelines", json={"source": source})
    assert answer.status_code == 422, answer.text
    upload = client.post(f"{API}/pipelines", json={"source": source, "code": GOOD})
    assert upload.status_code == 422
    assert client.get(f"{API}/pipelines").json() == []


def test_a_link_out_of_the_folder_is_refused(
    client: TestClient, settings: Settings, tmp_path: Path
) -> None:
    marker = tmp_path / "ran"
    outside = tmp_path / "outside.py"
    outside.write_text(_marking(marker))
    folder = settings.home / "code" / "sales"
    folder.mkdir(parents=True)
    (folder / "link.py").symlink_to(outside)
    answer = client.post(f"{API}/pipelines", json={"source": "link.py"})
    assert answer.status_code == 422 and "out of" in answer.json()["message"]
    assert not marker.exists()


def test_a_failed_upload_keeps_the_previous_file(client: TestClient, settings: Settings) -> None:
    first = client.post(f"{API}/pipelines", json={"source": "d.py", "code": GOOD.format(name="d")})
    assert first.status_code == 201
    bad = "from lakeworks.pipelines import Pipeline\np = Pipeline('d', schedule='61 * *')\n"
    refused = client.post(f"{API}/pipelines", json={"source": "d.py", "code": bad})
    assert refused.status_code == 422 and "61 * *" in refused.json()["message"]
    assert (settings.home / "code" / "sales" / "d.py").read_text() == GOOD.format(name="d")
    new = client.post(f"{API}/pipelines", json={"source": "new.py", "code": "raise ValueError"})
    assert new.status_code == 400
    assert not (settings.home / "code" / "sales" / "new.py").exists()
    assert client.post(f"{API}/pipelines/d/runs", json={}).json()["state"] == "succeeded"


def test_an_absent_file_names_the_folder(client: TestClient) -> None:
    answer = client.post(f"{API}/pipelines", json={"source": "absent.py"})
    assert answer.status_code == 404
    assert "code folder of workspace 'sales'" in answer.json()["message"]
    assert "upload it" in answer.json()["hint"]
