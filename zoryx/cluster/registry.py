"""Fleet membership in Redis: who is in, checked and changed atomically by Lua scripts.

Keys under the fleet namespace ``ns``:

* ``ns:members`` sorted set: cluster name -> expiry (Redis server time, ms). A cluster
  that misses heartbeats for ``timeout`` seconds expires and is pruned by the next script.
* ``ns:claims`` hash: name -> ``{"instance", "ids", "count", "pid", "host"}``, what the
  name and shard checks read.
* ``ns:records`` hash: name -> the cluster's latest signed report (see :mod:`.members`).
* ``ns:proof`` a salted HMAC of the fleet secret: a cluster that cannot verify it holds
  another secret and is refused while any cluster that set it is alive.

Registration checks the proof, the name, the shard count and shard overlap and then
claims, all in one script, so two clusters racing for a name cannot both win.

Admission rule for the secret: a cluster is admitted only when it can verify the fleet's
proof with its own ``SHARD_IPC_SECRET`` (or when no cluster of the fleet is alive, in
which case its proof becomes the fleet's: that is how a secret is rotated). A cluster
with another secret is refused with reason ``"secret"``; and even without this check it
could never take part, because every message it signs fails the others' signature check
(counted as ``bad_signature``) and it cannot verify theirs.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
from typing import Any

from redis.asyncio import Redis

from .errors import ClusterRefused
from .settings import ClusterSettings

__all__ = ["Registry", "make_proof", "proof_matches"]

log = logging.getLogger("zoryx.cluster")

_LIB = """
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function decode(text)
  local ok, value = pcall(cjson.decode, text)
  if ok and type(value) == 'table' then return value end
  return nil
end
local function forget(name)
  redis.call('ZREM', KEYS[1], name)
  redis.call('HDEL', KEYS[2], name)
  redis.call('HDEL', KEYS[3], name)
end
local function prune(now)
  local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, 1000)
  for _, name in ipairs(gone) do forget(name) end
end
"""

# KEYS: members, claims, records, proof
# ARGV: name, instance, ttl_ms, claim, seen_proof, proof_valid, new_proof, takeover, max
_REGISTER = (
    _LIB
    + """
local now = now_ms()
prune(now)
local current = redis.call('GET', KEYS[4])
if (current or '') ~= ARGV[5] then return {'retry'} end
local live = redis.call('ZCARD', KEYS[1])
if current and ARGV[6] ~= '1' and live > 0 then return {'secret', tostring(live)} end
local mine = cjson.decode(ARGV[4])
local want = {}
for _, id in ipairs(mine.ids) do want[id] = true end
local held = nil
local others = 0
local all = redis.call('HGETALL', KEYS[2])
for i = 1, #all, 2 do
  local name, claim = all[i], decode(all[i + 1])
  if claim == nil or not redis.call('ZSCORE', KEYS[1], name) then
    forget(name)
  elseif name == ARGV[1] then
    held = claim
    if claim.instance ~= ARGV[2] and claim.instance ~= ARGV[8] then
      return {'name', all[i + 1]}
    end
  else
    others = others + 1
    if claim.count ~= mine.count then return {'shard_count', name, tostring(claim.count)} end
    for _, id in ipairs(claim.ids or {}) do
      if want[id] then return {'overlap', name, tostring(id)} end
    end
  end
end
if held == nil and others >= tonumber(ARGV[9]) then return {'full', tostring(others)} end
if held ~= nil and held.instance ~= ARGV[2] then redis.call('HDEL', KEYS[3], ARGV[1]) end
if not current or ARGV[6] ~= '1' then redis.call('SET', KEYS[4], ARGV[7]) end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[4])
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
return {'ok'}
"""
)

# KEYS: members, claims, records; ARGV: name, instance, ttl_ms
_HEARTBEAT = (
    _LIB
    + """
local now = now_ms()
prune(now)
local claim = decode(redis.call('HGET', KEYS[2], ARGV[1]) or '')
if claim == nil or claim.instance ~= ARGV[2] then return 'gone' end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
return 'ok'
"""
)

# KEYS: members, claims, records; ARGV: name, instance, record
_RECORD = (
    _LIB
    + """
local claim = decode(redis.call('HGET', KEYS[2], ARGV[1]) or '')
if claim == nil or claim.instance ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
return 1
"""
)

# KEYS: members, claims, records; ARGV: name, instance
_LEAVE = (
    _LIB
    + """
local claim = decode(redis.call('HGET', KEYS[2], ARGV[1]) or '')
if claim == nil or claim.instance ~= ARGV[2] then return 0 end
forget(ARGV[1])
return 1
"""
)

_PROOF_LABEL = b"zoryx-fleet-proof:"
_RETRIES = 5


def make_proof(secret: str, namespace: str) -> str:
    """A fresh salted proof that its maker holds ``secret`` (reveals nothing usable)."""
    salt = secrets.token_hex(16)
    return json.dumps({"salt": salt, "mac": _proof_mac(secret, namespace, salt)})


def proof_matches(secret: str, namespace: str, proof: str) -> bool:
    """True when ``proof`` was made with ``secret`` (constant-time compare)."""
    try:
        data = json.loads(proof)
        salt, mac = data["salt"], data["mac"]
    except (ValueError, TypeError, KeyError):
        return False
    if not (isinstance(salt, str) and isinstance(mac, str)):
        return False
    return hmac.compare_digest(mac.encode(), _proof_mac(secret, namespace, salt).encode())


def _proof_mac(secret: str, namespace: str, salt: str) -> str:
    message = _PROOF_LABEL + namespace.encode() + b":" + salt.encode()
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def _pid_gone(pid: int) -> bool:
    """True when no process ``pid`` runs on this machine."""
    if pid <= 0 or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


class Registry:
    """This cluster's registration in the fleet (one per bus)."""

    def __init__(self, settings: ClusterSettings, *, instance: str, host: str) -> None:
        self.settings = settings
        self.instance = instance
        self.host = host
        ns = settings.namespace
        self.members_key = f"{ns}:members"
        self.claims_key = f"{ns}:claims"
        self.records_key = f"{ns}:records"
        self.proof_key = f"{ns}:proof"
        self._ttl_ms = str(int(settings.timeout * 1000))

    @property
    def _keys(self) -> list[str]:
        return [self.members_key, self.claims_key, self.records_key]

    def _claim(self) -> str:
        s = self.settings
        return json.dumps(
            {
                "instance": self.instance,
                "ids": list(s.claimed_shards),
                "count": s.shard_count or 0,
                "pid": os.getpid(),
                "host": self.host,
            }
        )

    async def register(self, client: Redis) -> None:
        """Join the fleet or raise :class:`ClusterRefused` saying why not."""
        s = self.settings
        takeover = ""
        for _ in range(_RETRIES):
            seen = await client.get(self.proof_key)
            seen_text = "" if seen is None else _text(seen)
            valid = bool(seen_text) and proof_matches(s.secret, s.namespace, seen_text)
            args = [
                s.name,
                self.instance,
                self._ttl_ms,
                self._claim(),
                seen_text,
                "1" if valid else "0",
                make_proof(s.secret, s.namespace),
                takeover,
                str(s.max_members),
            ]
            keys = [*self._keys, self.proof_key]
            answer = [_text(part) for part in await client.eval(_REGISTER, 4, *keys, *args)]
            if answer[0] == "ok":
                return
            if answer[0] == "retry":
                continue
            if answer[0] == "name" and not takeover:
                holder = self._stale_local_holder(answer[1])
                if holder is not None:
                    log.info(
                        "cluster name %r was held by pid %s on this machine, which has "
                        "exited; taking it over",
                        s.name,
                        json.loads(answer[1]).get("pid"),
                    )
                    takeover = holder
                    continue
            raise self._refusal(answer)
        raise ClusterRefused("busy", "the fleet registry kept changing; try again")

    def _stale_local_holder(self, claim_text: str) -> str | None:
        """The instance holding our name when it was a process of this machine that is
        gone (a crashed or killed cluster being restarted), else None."""
        try:
            claim = json.loads(claim_text)
            instance, pid, host = claim["instance"], claim["pid"], claim["host"]
        except (ValueError, TypeError, KeyError):
            return None
        if host != self.host or not isinstance(pid, int) or not isinstance(instance, str):
            return None
        return instance if _pid_gone(pid) else None

    def _refusal(self, answer: list[str]) -> ClusterRefused:
        s = self.settings
        reason = answer[0]
        expiry = f"{s.timeout:g} s"
        if reason == "secret":
            return ClusterRefused(
                reason,
                f"cluster {s.name!r} was not admitted: its SHARD_IPC_SECRET is not the one "
                f"the {answer[1]} running cluster(s) on this Redis use. Use the same secret "
                f"on every cluster (after changing it everywhere, the old registrations "
                f"expire within {expiry})",
            )
        if reason == "name":
            try:
                claim = json.loads(answer[1])
                where = f" (pid {int(claim['pid'])} on {str(claim['host'])[:255]})"
            except (ValueError, TypeError, KeyError):
                where = ""
            return ClusterRefused(
                reason,
                f"cluster name {s.name!r} is already taken by a running cluster{where}; "
                f"set another SHARD_CLUSTER_NAME. If that cluster is gone, its name frees "
                f"itself within {expiry}",
            )
        if reason == "overlap":
            return ClusterRefused(
                reason,
                f"cluster {s.name!r} was refused: shard {answer[2]} is already run by "
                f"cluster {answer[1]!r}; give each cluster its own SHARD_IDS",
            )
        if reason == "shard_count":
            return ClusterRefused(
                reason,
                f"cluster {s.name!r} was refused: SHARD_COUNT {s.shard_count} differs from "
                f"{answer[2]} used by cluster {answer[1]!r}; every cluster needs the same "
                "SHARD_COUNT",
            )
        return ClusterRefused(
            "full", f"cluster {s.name!r} was refused: the fleet already has {answer[1]} clusters"
        )

    async def heartbeat(self, client: Redis) -> bool:
        """Extend the registration; False when it is gone (expired, or Redis restarted)."""
        answer = await client.eval(
            _HEARTBEAT, 3, *self._keys, self.settings.name, self.instance, self._ttl_ms
        )
        return _text(answer) == "ok"

    async def write_record(self, client: Redis, record: bytes) -> bool:
        """Store this cluster's signed report; False when no longer registered."""
        stored = await client.eval(
            _RECORD, 3, *self._keys, self.settings.name, self.instance, record
        )
        return bool(stored)

    async def leave(self, client: Redis) -> bool:
        """Remove the registration (only if it is still this instance's)."""
        return bool(await client.eval(_LEAVE, 3, *self._keys, self.settings.name, self.instance))

    async def records(self, client: Redis) -> dict[str, bytes]:
        """The stored report of every registered cluster, by name (at most ``max_members``)."""
        names = await client.zrange(self.members_key, 0, self.settings.max_members - 1)
        wanted = [_text(n) for n in names]
        if not wanted:
            return {}
        values = await client.hmget(self.records_key, wanted)
        return {n: v for n, v in zip(wanted, values, strict=True) if isinstance(v, bytes)}
