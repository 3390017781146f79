import sqlite3

import pytest

from pipeline import audit
from pipeline.store import Store


def _rows(n=4):
    rows, prev = [], audit.GENESIS
    for i in range(1, n + 1):
        row = {"id": i, "interview_id": "a", "kind": "redaction", "replacement": f"[PERSON_{i}]",
               "score": 0.85, "prev_hash": prev}
        row["hash"] = prev = audit.chain_hash(prev, row)
        rows.append(row)
    return rows


def test_intact_chain_verifies_and_head_is_last_hash():
    rows = _rows()
    result = audit.verify(rows)
    assert result.ok and result.rows == 4 and result.head == rows[-1]["hash"]
    assert audit.verify(rows, expect=rows[-1]["hash"]).ok
    assert audit.verify([]).ok and audit.verify([]).head == audit.GENESIS


def test_canonical_form_ignores_key_order_and_hash_fields():
    a = {"id": 1, "b": 2, "prev_hash": "x", "hash": "y"}
    assert audit.canonical(a) == audit.canonical({"b": 2, "id": 1}) == '{"b":2,"id":1}'


@pytest.mark.parametrize(
    "tamper, bad_row, problem",
    [
        (lambda r: r[1].update(replacement="[PERSON_9]"), 2, "changed"),
        (lambda r: r[2].update(score=0.99), 3, "changed"),
        (lambda r: r.pop(1), 3, "deleted, inserted or reordered"),
        (lambda r: r.insert(2, dict(r[2])), 3, "deleted, inserted or reordered"),
        (lambda r: r[2].update(prev_hash=r[0]["hash"]), 3, "does not follow"),
        (lambda r: r.__setitem__(slice(1, 3), [r[2], r[1]]), 3, "deleted, inserted or reordered"),
    ],
)
def test_every_kind_of_tampering_is_caught(tamper, bad_row, problem):
    rows = _rows()
    tamper(rows)
    result = audit.verify(rows)
    assert not result.ok and problem in result.problem
    assert result.bad_row == bad_row


def test_renumbered_rows_after_deletion_are_caught():
    rows = _rows()
    del rows[1]
    for i, row in enumerate(rows, start=1):
        row["id"] = i
    result = audit.verify(rows)
    assert not result.ok and result.bad_row == 2


def test_truncation_is_caught_against_a_kept_head():
    rows = _rows()
    head = rows[-1]["hash"]
    assert audit.verify(rows[:-1]).ok
    result = audit.verify(rows[:-1], expect=head)
    assert not result.ok and "expected" in result.problem


def test_store_triggers_refuse_update_and_delete(tmp_path):
    store = Store(tmp_path / "store.db")
    store.add_recording(sha256="ab" * 32, interview_id="abababababab", path="a.wav", size=1,
                        mtime_ns=1, metadata={}, respondent_id=None, sidecar_sha256=None,
                        audio={}, error=None)
    with store.db.atomic():
        store._append_log([{"interview_id": "abababababab", "kind": "redaction", "pass": 1,
                            "replacement": "[PERSON_1]", "created": "t"}])
    assert audit.verify(store.log_rows()).ok
    for sql in ("update redaction_log set replacement = 'x'", "delete from redaction_log"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            store.db.execute(sql)
    # someone who drops the triggers first is still caught by the chain
    store.db.execute("drop trigger redaction_log_no_update")
    store.db.execute("update redaction_log set replacement = 'x'")
    assert not audit.verify(store.log_rows()).ok
