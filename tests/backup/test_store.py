"""The backup store on its own: files, index under a lock, pruning, ID checks, start-up
reconciliation and the bounded audit log (no Discord needed)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from cogs.backup_restore.canonical import decode_snapshot, encode_snapshot
from cogs.backup_restore.model import (
    AUDIT_MAX,
    InvalidSnapshotId,
    PinnedSnapshot,
    SnapshotInfo,
    SnapshotNotFound,
    new_snapshot_id,
)
from cogs.backup_restore.store import BackupStore, describe
from zoryx.storage.atomic import AtomicStore

GUILD = 424242
DAY = 86_400.0
T0 = 1_800_000_000.0
BAD_IDS = {
    "parent": "../x",
    "dots": "..",
    "absolute": "/etc/passwd",
    "10 kB": "x" * 10_000,
    "id then parent": "20261202T194400Z-a1b2c3/../../x",
    "nul": "20261202T194400Z-a1b2c3\x00",
    "empty": "",
}


def document(guild_id: int = GUILD, label: str = "", roles: int = 1) -> dict[str, Any]:
    return {
        "format": 1,
        "guild_id": guild_id,
        "created_at": "2027-01-15T08:00:00+00:00",
        "created_by": {"id": 1, "name": "tester"},
        "label": label,
        "roles": [{"id": i, "name": f"role {i}"} for i in range(roles)],
        "categories": [],
        "channels": [{"id": 9, "name": "general"}],
        "members": {"captured": True, "note": "", "items": [{"id": 5, "roles": []}]},
        "messages": {},
    }


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "data" / "backups"


@pytest.fixture
def store(root: Path, tmp_path: Path) -> BackupStore:
    return BackupStore(AtomicStore(private_dirs=[tmp_path / "data"]), root)


async def add(
    store: BackupStore, created_at: float, *, label: str = "", pinned: bool = False
) -> SnapshotInfo:
    doc = document(label=label)
    payload, checksum = await encode_snapshot(doc)
    snapshot_id = await store.reserve_id(GUILD, created_at)
    info = describe(snapshot_id, doc, size=len(payload), checksum=checksum, created_at=created_at)
    await store.add(info, payload)
    if pinned:
        info = await store.update(GUILD, snapshot_id, pinned=True)
    return info


def tree(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


async def test_round_trip_file_index_and_private_mode(store: BackupStore, root: Path) -> None:
    info = await add(store, T0, label="before the raid")
    path = root / str(GUILD) / f"{info.id}.json"
    raw = path.read_bytes()
    assert decode_snapshot(raw, info.checksum)["label"] == "before the raid"
    assert await store.read_snapshot(GUILD, info.id) == raw
    assert await store.entries(GUILD) == [info]
    assert await store.find(GUILD, info.id) == info
    assert info.counts["roles"] == 1 and info.counts["members"] == 1 and info.size == len(raw)
    assert path.stat().st_mode & 0o077 == 0, "backups hold member lists: owner-only file"
    on_disk = json.loads((root / str(GUILD) / "index.json").read_text("utf-8"))
    assert [e["id"] for e in on_disk["snapshots"]] == [info.id]
    assert "cooldown_bypassed" not in on_disk["snapshots"][0]
    assert await store.guild_ids() == [GUILD]


async def test_fifty_concurrent_adds_lose_no_index_entry(store: BackupStore, root: Path) -> None:
    infos = await asyncio.gather(*(add(store, T0 + i) for i in range(50)))
    indexed = {e.id for e in await store.entries(GUILD)}
    assert indexed == {i.id for i in infos} and len(indexed) == 50
    on_disk = json.loads((root / str(GUILD) / "index.json").read_text("utf-8"))
    assert len(on_disk["snapshots"]) == 50
    assert len(list((root / str(GUILD)).glob("*Z-*.json"))) == 50


async def test_prune_keeps_pins_and_newest(store: BackupStore, root: Path) -> None:
    infos = [await add(store, T0 + i * 60, pinned=i in (0, 2)) for i in range(6)]
    removed = await store.prune(GUILD, max_count=3, retention_days=0, now=T0 + DAY)
    assert [r.id for r in removed] == [infos[1].id, infos[3].id, infos[4].id]
    left = [e.id for e in await store.entries(GUILD)]
    assert left == [infos[0].id, infos[2].id, infos[5].id]
    files = {p.stem for p in (root / str(GUILD)).glob("*Z-*.json")}
    assert files == set(left), "pruned files are deleted, kept ones stay"
    # Only pinned ones left past the limit: nothing more is removed.
    assert (
        await store.prune(
            GUILD, max_count=0, retention_days=0, now=T0 + DAY, keep=frozenset({infos[5].id})
        )
        == []
    )


async def test_retention_days_prune_old_unpinned_only(store: BackupStore) -> None:
    old_pinned = await add(store, T0 - 10 * DAY, pinned=True)
    old = await add(store, T0 - 3 * DAY)
    recent = await add(store, T0 - 0.5 * DAY)
    removed = await store.prune(GUILD, max_count=25, retention_days=2, now=T0)
    assert [r.id for r in removed] == [old.id]
    assert {e.id for e in await store.entries(GUILD)} == {old_pinned.id, recent.id}
    assert await store.prune(GUILD, max_count=25, retention_days=0, now=T0 + 99 * DAY) == []


async def test_pinned_snapshot_cannot_be_removed(store: BackupStore) -> None:
    info = await add(store, T0, pinned=True)
    with pytest.raises(PinnedSnapshot, match="pinned"):
        await store.remove(GUILD, info.id)
    await store.update(GUILD, info.id, pinned=False)
    await store.remove(GUILD, info.id)
    assert await store.entries(GUILD) == []
    with pytest.raises(SnapshotNotFound):
        await store.remove(GUILD, info.id)


@pytest.mark.parametrize("bad", list(BAD_IDS.values()), ids=list(BAD_IDS))
async def test_bad_ids_are_refused_before_any_path(
    store: BackupStore, tmp_path: Path, bad: str
) -> None:
    await add(store, T0)
    outside = tmp_path / "outside.json"
    outside.write_text("{}")
    before = tree(tmp_path)
    calls = [
        lambda: store.find(GUILD, bad),
        lambda: store.read_snapshot(GUILD, bad),
        lambda: store.remove(GUILD, bad),
        lambda: store.update(GUILD, bad, note="x"),
    ]
    for call in calls:
        with pytest.raises(InvalidSnapshotId) as caught:
            await call()
        assert len(str(caught.value)) < 120, "the message never echoes 10 kB back"
    with pytest.raises(InvalidSnapshotId):
        store.snapshot_path(GUILD, bad)
    assert tree(tmp_path) == before, "nothing was written or deleted"


async def test_reconcile_drops_missing_reindexes_verified_ignores_garbage(
    store: BackupStore, root: Path
) -> None:
    kept = await add(store, T0)
    lost = await add(store, T0 + 60)
    folder = root / str(GUILD)
    (folder / f"{lost.id}.json").unlink()  # the file went missing (deleted by hand)
    # A kill between a snapshot file write and its index entry: the file verifies.
    orphan_doc = document(label="orphan")
    payload, checksum = await encode_snapshot(orphan_doc)
    orphan_id = new_snapshot_id(T0 + 120)
    (folder / f"{orphan_id}.json").write_bytes(payload)
    garbage_id = new_snapshot_id(T0 + 180)
    (folder / f"{garbage_id}.json").write_bytes(payload[: len(payload) // 2])
    other_guild = new_snapshot_id(T0 + 240)  # a file of another guild copied here
    (folder / f"{other_guild}.json").write_bytes((await encode_snapshot(document(7)))[0])

    entries = await store.reconcile(GUILD)

    assert [e.id for e in entries] == [kept.id, orphan_id]
    reindexed = entries[1]
    assert reindexed.checksum == checksum and reindexed.label == "orphan"
    assert reindexed.size == len(payload) and not reindexed.pinned
    assert await store.entries(GUILD) == entries, "the repaired index is written"
    assert (folder / f"{garbage_id}.json").exists(), "an unverifiable file is left alone"


async def test_damaged_index_is_rebuilt_from_files(store: BackupStore, root: Path) -> None:
    first = await add(store, T0)
    (root / str(GUILD) / "index.json").write_text('{"snapshots": [', encoding="utf-8")
    store.store.clear_cache()
    entries = await store.reconcile(GUILD)
    assert [e.id for e in entries] == [first.id]
    assert json.loads((root / str(GUILD) / "index.json").read_text("utf-8"))["snapshots"]


async def test_audit_log_keeps_the_last_200(store: BackupStore, root: Path) -> None:
    for n in range(AUDIT_MAX + 5):
        await store.append_audit(GUILD, {"time": n, "actor": "t", "action": "a", "target": str(n)})
    records = await store.read_audit(GUILD)
    assert len(records) == AUDIT_MAX
    assert records[0]["time"] == 5 and records[-1]["time"] == AUDIT_MAX + 4
    on_disk = json.loads((root / str(GUILD) / "audit_log.json").read_text("utf-8"))
    assert len(on_disk["records"]) == AUDIT_MAX


async def test_guild_folders_only(store: BackupStore, root: Path) -> None:
    await add(store, T0)
    (root / "db").mkdir()  # database backups live beside guild folders
    (root / "0123").mkdir()
    assert await store.guild_ids() == [GUILD]


async def test_interrupted_delete_is_finished_not_undone(store: BackupStore, root: Path) -> None:
    """A kill after the index dropped the entry but before the file was deleted: the file
    (which verifies) is deleted at start-up instead of coming back."""
    kept = await add(store, T0)
    doomed = await add(store, T0 + 60)
    folder = root / str(GUILD)
    payload = (folder / f"{doomed.id}.json").read_bytes()
    await store.remove(GUILD, doomed.id)
    index = json.loads((folder / "index.json").read_text("utf-8"))
    assert index["deleted"] == [doomed.id], "the tombstone is written before the file goes"
    (folder / f"{doomed.id}.json").write_bytes(payload)  # as if the unlink never happened
    store.store.clear_cache()

    assert [e.id for e in await store.reconcile(GUILD)] == [kept.id]
    assert not (folder / f"{doomed.id}.json").exists()
    index = json.loads((folder / "index.json").read_text("utf-8"))
    assert index["deleted"] == [], "tombstones go once their file is gone"
