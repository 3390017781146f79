"""The tamper-evident redaction log: a hash chain over its rows.

Each row carries ``hash = SHA-256(previous hash + canonical row)``, the first row chaining from
:data:`GENESIS`. Changing, deleting, inserting or reordering any row breaks the chain from that row
on, even if whoever did it dropped the database triggers first; deleting rows from the end is
caught by comparing the head hash with one kept outside the system (``audit head``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

GENESIS = "0" * 64
HASH_FIELDS = ("prev_hash", "hash")


def canonical(row: dict) -> str:
    """The row's content as hashed: sorted keys, no whitespace, the hash fields left out."""
    content = {k: v for k, v in row.items() if k not in HASH_FIELDS}
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def chain_hash(prev_hash: str, row: dict) -> str:
    return hashlib.sha256((prev_hash + canonical(row)).encode("utf-8")).hexdigest()


@dataclass
class Verification:
    ok: bool
    rows: int
    head: str
    problem: str | None = None
    bad_row: int | None = None
    """Id of the first row that does not verify."""


def verify(rows: list[dict], expect: str | None = None) -> Verification:
    """Recompute the chain over rows in id order."""
    prev = GENESIS
    for position, row in enumerate(rows, start=1):
        problem = None
        if row["id"] != position:
            problem = f"row {row['id']} is at position {position}: rows were deleted, inserted or reordered"
        elif row["prev_hash"] != prev:
            problem = f"row {row['id']} does not follow the row before it"
        elif chain_hash(prev, row) != row["hash"]:
            problem = f"row {row['id']} was changed after it was written"
        if problem:
            return Verification(False, len(rows), prev, problem, row["id"])
        prev = row["hash"]
    if expect is not None and prev != expect:
        return Verification(
            False, len(rows), prev,
            f"head is {prev}, expected {expect}: rows were removed from or added to the end",
        )
    return Verification(True, len(rows), prev)
