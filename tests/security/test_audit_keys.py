"""The keyed audit chain: HMAC-SHA256 under ``audit_key``; a chain recomputed without the
key fails verify, an unkeyed chain upgraded in place keeps verifying from its change
point, and a rotated key leaves the old records verifiable under the old key."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import delete, select, update

from lakeworks.config import Settings
from lakeworks.context import Context
from lakeworks.errors import InvalidInputError
from lakeworks.meta.catalog import Catalog
from lakeworks.meta.security_models import AuditHeadRow, AuditRow
from lakeworks.platform import Platform
from lakeworks.security.audit import GENESIS, AuditLog, digest, payload
from lakeworks.security.audit_keys import MARKER, UNKEYED, AuditKeys, audit_keys, key_id

CTX = Context("sales", "auditor")
OLD, NEW = b"the old audit key of 32 bytes ..", b"the new audit key of 32 bytes .."


def write(log: AuditLog, count: int, start: int = 1) -> None:
    for i in range(start, start + count):
        log.record(user="ana", action="tables.write", workspace="sales", object=f"t{i}")


def recompute_unkeyed(
    catalog: Catalog, first: int, last: int | None = None, **change: object
) -> None:
    """What someone with write access to the catalog and no key can do: change record
    ``first`` and recompute plain hashes from it to ``last`` (None: to the head)."""
    with catalog.session() as session:
        if change:
            session.execute(update(AuditRow).where(AuditRow.seq == first).values(**change))
        rows = session.scalars(select(AuditRow).order_by(AuditRow.seq)).all()
        prev = GENESIS if first == 1 else rows[first - 2].hash
        for row in rows[first - 1 : last]:
            values = {c.name: getattr(row, c.name) for c in AuditRow.__table__.columns}
            row.prev_hash = prev
            row.hash = prev = digest(dict(values, prev_hash=prev))
        if last is None:
            session.get(AuditHeadRow, 1).hash = prev


def test_a_keyed_chain_starts_with_a_marker_and_verifies(catalog: Catalog) -> None:
    log = AuditLog(catalog, AuditKeys([NEW]))
    write(log, 3)
    records = log.list(CTX, all_workspaces=True)
    assert [r.action for r in records] == [MARKER, *["tables.write"] * 3]
    assert records[0].details == {"key": key_id(NEW), "previous": None}
    assert records[1].hash != digest(records[1].__dict__)  # an HMAC, not a plain hash
    assert log.verify(CTX).ok
    assert key_id(NEW) not in NEW.decode() and len(key_id(NEW)) == 16


def test_a_chain_recomputed_without_the_key_fails_verify(catalog: Catalog) -> None:
    log = AuditLog(catalog, AuditKeys([NEW]))
    write(log, 4)
    recompute_unkeyed(catalog, 3, object="other")  # links and head consistent again
    assert AuditLog(catalog).verify(CTX).problems[0].startswith("records from 1 on are hashed")
    problems = log.verify(CTX).problems
    assert problems == [
        f"record {seq} is hashed without the audit key after record 1 was hashed with it: "
        "the chain from it on may have been recomputed by someone without the key"
        for seq in (3, 4, 5)
    ]


def test_a_whole_chain_recomputed_without_the_key_fails_verify(catalog: Catalog) -> None:
    log = AuditLog(catalog, AuditKeys([NEW]))
    write(log, 3)
    with catalog.session() as session:  # the marker goes too, numbers closed up
        session.execute(delete(AuditRow).where(AuditRow.seq == 1))
        session.execute(update(AuditRow).values(seq=AuditRow.seq - 1))
        session.get(AuditHeadRow, 1).seq = 3
    recompute_unkeyed(catalog, 1)
    assert AuditLog(catalog).verify(CTX).ok  # unkeyed it looks intact
    problems = log.verify(CTX).problems
    assert len(problems) == 1 and problems[0].startswith("no record is hashed with the audit key")


def test_an_upgraded_unkeyed_chain_keeps_verifying_from_its_change_point(
    catalog: Catalog,
) -> None:
    write(AuditLog(catalog), 3)  # before the setting
    keyed = AuditLog(catalog, AuditKeys([NEW]))
    write(keyed, 2, start=4)
    records = keyed.list(CTX, all_workspaces=True)
    assert records[3].action == MARKER and records[3].seq == 4
    assert records[3].details == {"key": key_id(NEW), "previous": UNKEYED}
    assert keyed.verify(CTX).ok
    assert AuditLog(catalog).verify(CTX).problems == [
        f"records from 4 on are hashed with audit key {key_id(NEW)}, which is not configured "
        "here: set LAKEWORKS_AUDIT_KEY with that key (old keys after the newest) to verify them"
    ]
    recompute_unkeyed(catalog, 2, 3, object="other")  # the old records, rewritten
    assert keyed.verify(CTX).problems == [
        "record 3 was changed or replaced (record 4 links to a different hash)"
    ]  # the keyed marker anchors the records before it
    recompute_unkeyed(catalog, 2, object="other")  # and everything after, to the head
    assert keyed.verify(CTX).problems[0].startswith("no record is hashed with the audit key")


def test_a_rotated_key_keeps_the_old_records_verifiable(catalog: Catalog) -> None:
    write(AuditLog(catalog, AuditKeys([OLD])), 2)
    rotated = AuditLog(catalog, AuditKeys([NEW, OLD]))
    write(rotated, 2, start=3)
    markers = [r for r in rotated.list(CTX, all_workspaces=True) if r.action == MARKER]
    assert [(m.seq, m.details) for m in markers] == [
        (1, {"key": key_id(OLD), "previous": None}),
        (4, {"key": key_id(NEW), "previous": key_id(OLD)}),
    ]
    assert rotated.verify(CTX).ok
    problems = AuditLog(catalog, AuditKeys([NEW])).verify(CTX).problems  # old key dropped
    assert problems == [
        f"records from 1 on are hashed with audit key {key_id(OLD)}, which is not configured "
        "here: set LAKEWORKS_AUDIT_KEY with that key (old keys after the newest) to verify them"
    ]
    write(rotated, 1, start=5)  # this process marked the chain once
    assert len([r for r in rotated.list(CTX, all_workspaces=True) if r.action == MARKER]) == 2


def test_a_changed_keyed_record_is_named(catalog: Catalog) -> None:
    log = AuditLog(catalog, AuditKeys([NEW]))
    write(log, 3)
    with catalog.session() as session:
        session.execute(update(AuditRow).where(AuditRow.seq == 3).values(user="mallory"))
    assert log.verify(CTX).problems == ["record 3 was changed (its fields do not give its hash)"]


def test_the_setting_keys_the_platforms_log_and_refuses_a_short_key(tmp_path: Path) -> None:
    home = tmp_path / "lw"
    with pytest.raises(InvalidInputError, match="key 2 is 5 characters long") as excinfo:
        audit_keys(Settings.load(home=home, audit_key=f"{NEW.decode()},short"))
    assert excinfo.value.fields["setting"] == "audit_key"
    assert not audit_keys(Settings.load(home=home)).keyed
    platform = Platform.open(Settings.load(home=home, progress=False, audit_key=NEW.decode()))
    try:
        record = platform.audit.record(user="ana", action="tables.drop", workspace="sales")
        assert record.seq == 2  # after the marker
        keys = AuditKeys([NEW])
        assert keys.opener(payload(record.__dict__), record.hash) == key_id(NEW)
        assert record.hash != hashlib.sha256(payload(record.__dict__)).hexdigest()
        assert platform.audit.verify(Context("sales", "ana")).ok
    finally:
        platform.close()
