"""Which servers a process serves: Discord puts a server on shard (guild_id >> 22) % shard_count."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ShardSlice:
    """The shards one process runs, out of `count` run by all the processes together."""

    count: int
    ids: tuple[int, ...]

    @classmethod
    def everything(cls) -> ShardSlice:
        """An unsharded process: one shard, every server."""
        return cls(1, (0,))

    def shard_of(self, guild_id: int) -> int:
        """The shard Discord sends this server's events on."""
        return (guild_id >> 22) % self.count

    def owns(self, guild_id: int) -> bool:
        """Whether this process serves the server."""
        return self.shard_of(guild_id) in self.ids

    @property
    def whole(self) -> bool:
        """Whether this process runs every shard (so it alone serves every server)."""
        return len(self.ids) == self.count
