"""A bounded, thread-safe map of values that are good for a while: the store behind the services' few-second
cache of facts and the page cache. No background work: entries past their age are simply not answered, and
are swept when the map is full."""

from __future__ import annotations

import threading
from typing import Callable, Generic, Hashable, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class TtlStore(Generic[K, V]):
    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._items: dict[K, tuple[float, V]] = {}

    def fresh(self, key: K, now: float, max_age: float) -> V | None:
        """The value stored under ``key`` less than ``max_age`` seconds before ``now``, else None."""
        hit = self._items.get(key)  # a dict read needs no lock
        if hit is not None and now - hit[0] < max_age:
            return hit[1]
        return None

    def put(self, key: K, value: V, now: float, max_age: float) -> None:
        with self._lock:
            if len(self._items) >= self.max_entries:  # bounded: drop what has expired, or else everything
                for k in [k for k, (t, _) in self._items.items() if now - t >= max_age]:
                    del self._items[k]
                if len(self._items) >= self.max_entries:
                    self._items.clear()
            self._items[key] = (now, value)

    def pop(self, key: K) -> None:
        """Forget the entry stored under ``key``, if any."""
        with self._lock:
            self._items.pop(key, None)

    def discard(self, which: Callable[[K], bool]) -> None:
        """Forget every entry whose key ``which`` picks."""
        with self._lock:
            for k in [k for k in self._items if which(k)]:
                del self._items[k]

    def __len__(self) -> int:
        return len(self._items)
