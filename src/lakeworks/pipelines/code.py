"""A workspace's code folder: the only place REST registration takes pipeline code from.

Each workspace has ``<home>/code/<workspace>/``. Code gets there by an upload through the
API (``{"source": "daily.py", "code": "..."}``) or by an operator copying files in. A name
given over REST is a path relative to that folder; an absolute path, ``..``, a link out of
the folder or a module name is refused, so a caller can never make the server import a
file written elsewhere (a spill folder, another workspace's code) or an installed module.

Example:
    >>> from pathlib import Path
    >>> folder = Path("/srv/lw/code/sales")
    >>> str(inside(folder, "etl/daily.py"))
    '/srv/lw/code/sales/etl/daily.py'
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path, PurePosixPath

from lakeworks.context import check_name
from lakeworks.errors import InvalidInputError, NotFoundError

_PART = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
MAX_CODE_BYTES = 1_000_000


def folder(home: Path, workspace: str) -> Path:
    """The code folder of ``workspace`` (not created)."""
    return (Path(home) / "code" / check_name("workspace", workspace)).resolve()


def inside(root: Path, name: str) -> Path:
    """``name`` (a relative ``.py`` path) as a file inside ``root``; refuses anything else."""
    parts = PurePosixPath(name).parts
    if (
        not name.endswith(".py")
        or name.startswith(("/", "\\"))
        or "\\" in name
        or not parts
        or not all(_PART.match(p) and p not in (".", "..") for p in parts)
    ):
        raise InvalidInputError(
            f"pipeline source {name!r} is not a file of the workspace's code folder",
            hint="give a relative path ending in .py (letters, digits, '_', '-', '.'), "
            "e.g. 'daily.py'; over the API code is uploaded or taken from the workspace's "
            "code folder, never from another path or an installed module",
            expected="relative .py path",
            found=name,
        )
    path = root.joinpath(*parts)
    if not path.resolve().is_relative_to(root):  # a link pointing out of the folder
        raise InvalidInputError(
            f"pipeline source {name!r} leads out of the workspace's code folder",
            hint="remove the link; keep pipeline files inside the code folder",
            found=name,
        )
    return path


def existing(root: Path, name: str, workspace: str) -> Path:
    """The file ``name`` of the code folder, which must exist."""
    path = inside(root, name)
    if not path.is_file():
        raise NotFoundError(
            f"no file {name!r} in the code folder of workspace {workspace!r}",
            hint='upload it with {"source": "' + name + '", "code": "<the Python source>"}'
            f" or copy it to {root}",
            workspace=workspace,
            source=name,
        )
    return path


def save(path: Path, code: str) -> bytes | None:
    """Write ``code`` to ``path`` atomically; returns what the file held before (None if
    it did not exist), so a failed registration can put it back with ``restore``."""
    data = code.encode()
    if len(data) > MAX_CODE_BYTES:
        raise InvalidInputError(
            f"pipeline source {path.name!r} is {len(data)} bytes, over {MAX_CODE_BYTES}",
            hint="split the pipeline into smaller files",
        )
    before = path.read_bytes() if path.is_file() else None
    _write(path, data)
    return before


def restore(path: Path, before: bytes | None) -> None:
    """Undo ``save``: the previous content back, or no file when there was none."""
    if before is None:
        path.unlink(missing_ok=True)
    else:
        _write(path, before)


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".upload-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
