"""Checking the audit log's hash chain: which record was changed, deleted or inserted.

Records are numbered 1, 2, 3 ... without gaps, each hash covers its own number, fields and
the previous hash, and the head row names the last number and hash. So:

- a record whose fields no longer give its hash was **changed**;
- a record whose hash is right but whose link to the one before is not follows a record
  that was changed and re-hashed (or replaced by an inserted one);
- a missing number is a **deleted** record, and a head beyond the last record means the
  last ones were deleted;
- records beyond the head were **inserted** after it.

With audit keys (``audit_keys.py``) a record's hash is right when one of the keys, or no
key, gives it. Where a key marker names a key not configured here, the records after it
cannot be checked: that is one problem, naming the key. Verified with a key, a chain
must hold keyed records, and none hashed without a key after the first keyed one: records
rewritten by someone without the key can only carry plain hashes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lakeworks.security.audit_keys import MARKER, UNKEYED, AuditKeys, describe

if TYPE_CHECKING:
    from lakeworks.security.audit import AuditRecord


def walk(
    records: list[AuditRecord], head_seq: int, head_hash: str, keys: AuditKeys | None = None
) -> list[str]:
    """The problems of a chain, in order, each naming a record by its number."""
    from lakeworks.security.audit import GENESIS, payload

    keys = keys or AuditKeys([])
    problems: list[str] = []
    expected, prev_hash = 1, GENESIS
    chain_key, unknown, first_keyed = UNKEYED, set(), None
    for record in records:
        if record.seq > expected:
            problems.append(_deleted(expected, record.seq - 1))
        elif record.seq > head_seq:
            problems.append(f"record {record.seq} was inserted (the head ends at {head_seq})")
        opened = keys.opener(payload(record.__dict__), record.hash)
        if record.action == MARKER:
            chain_key = describe(record.details)[0]
        if opened is None and not keys.knows(chain_key):
            if chain_key not in unknown:  # the records under it cannot be checked here
                problems.append(_unknown_key(record.seq, chain_key))
                unknown.add(chain_key)
        elif opened is None:
            problems.append(f"record {record.seq} was changed (its fields do not give its hash)")
        elif record.prev_hash != prev_hash and record.seq == expected:
            problems.append(
                f"record {record.seq - 1} was changed or replaced (record {record.seq} "
                "links to a different hash)"
            )
        if opened not in (None, UNKEYED) and first_keyed is None:
            first_keyed = record.seq
        elif opened == UNKEYED and keys.keyed and first_keyed is not None:
            problems.append(
                f"record {record.seq} is hashed without the audit key after record "
                f"{first_keyed} was hashed with it: the chain from it on may have been "
                "recomputed by someone without the key"
            )
        expected, prev_hash = record.seq + 1, record.hash
    last = records[-1].seq if records else 0
    if head_seq > last:
        problems.append(_deleted(last + 1, head_seq))
    elif records and last == head_seq and records[-1].hash != head_hash:
        problems.append(f"record {last} was changed (the head holds a different hash)")
    if keys.keyed and records and first_keyed is None:
        problems.append(
            "no record is hashed with the audit key: the chain may have been recomputed "
            "without it (a process with the key marks the chain at its first record)"
        )
    return problems


def _unknown_key(seq: int, kid: str) -> str:
    return (
        f"records from {seq} on are hashed with audit key {kid}, which is not configured "
        "here: set LAKEWORKS_AUDIT_KEY with that key (old keys after the newest) to verify them"
    )


def _deleted(first: int, last: int) -> str:
    if first == last:
        return f"record {first} was deleted"
    return f"records {first} to {last} were deleted"
