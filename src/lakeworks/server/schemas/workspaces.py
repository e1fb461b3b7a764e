"""Bodies of the workspaces router."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from lakeworks.server.dependencies import name_rule
from lakeworks.server.schemas.base import RecordOut

DESCRIPTION_MAX = 4096


class WorkspaceCreate(BaseModel):
    name: name_rule("workspace", Field, "analytics")  # type: ignore[valid-type]
    description: str | None = Field(default=None, max_length=DESCRIPTION_MAX)


class WorkspaceOut(RecordOut):
    name: str
    description: str | None
    created_at: datetime
    created_by: str
