"""The outbox holds health data only as long as it must, readable by its owner only."""

from __future__ import annotations

import stat

from actions import outbox

CHECKIN = {"idempotency_key": "k-1", "pain": 7, "note": "flare after the wedding"}


def test_the_outbox_file_is_readable_by_its_owner_only(tmp_path) -> None:
    path = tmp_path / "outbox.db"
    outbox.put(CHECKIN, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_removed_check_in_leaves_no_trace_in_the_file_or_its_wal(tmp_path) -> None:
    path = tmp_path / "outbox.db"
    outbox.put(CHECKIN, path)
    outbox._remove(CHECKIN, path)
    assert outbox.pending(path) == []
    for file in tmp_path.iterdir():
        assert b"flare after the wedding" not in file.read_bytes(), file.name
