"""Checking the audit log's hash chain: which record was changed, deleted or inserted.

Records are numbered 1, 2, 3 ... without gaps, each hash covers its own number, fields and
the previous hash, and the head row names the last number and hash. So:

- a record whose fields no longer give its hash was **changed**;
- a record whose hash is right but whose link to the one before is not follows a record
  that was changed and re-hashed (or replaced by an inserted one);
- a missing number is a **deleted** record, and a head beyond the last record means the
  last ones were deleted;
- records beyond the head were **inserted** after it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lakeworks.security.audit import AuditRecord


def walk(records: list[AuditRecord], head_seq: int, head_hash: str) -> list[str]:
    """The problems of a chain, in order, each naming a record by its number."""
    from lakeworks.security.audit import GENESIS, digest

    problems: list[str] = []
    expected, prev_hash = 1, GENESIS
    for record in records:
        if record.seq > expected:
            problems.append(_deleted(expected, record.seq - 1))
        elif record.seq > head_seq:
            problems.append(f"record {record.seq} was inserted (the head ends at {head_seq})")
        if digest(record.__dict__) != record.hash:
            problems.append(f"record {record.seq} was changed (its fields do not give its hash)")
        elif record.prev_hash != prev_hash and record.seq == expected:
            problems.append(
                f"record {record.seq - 1} was changed or replaced (record {record.seq} "
                "links to a different hash)"
            )
        expected, prev_hash = record.seq + 1, record.hash
    last = records[-1].seq if records else 0
    if head_seq > last:
        problems.append(_deleted(last + 1, head_seq))
    elif records and last == head_seq and records[-1].hash != head_hash:
        problems.append(f"record {last} was changed (the head holds a different hash)")
    return problems


def _deleted(first: int, last: int) -> str:
    if first == last:
        return f"record {first} was deleted"
    return f"records {first} to {last} were deleted"
