"""Sparse physical memory shared by every vCPU of a machine.

Pages are 4 KiB ``bytearray`` objects created on first write, so a 1 GiB
machine costs only what the guest touches. Stores take a fast path only for
pages in ``_fast_write``: anything that needs attention on a store (a page
not yet allocated, decoded code to invalidate, a reservation to break, a
shared copy-on-write page, a watchpoint) is kept out of that set and goes
through ``_slow_write``. One set membership test is all the hot path pays.

Each vCPU also keeps a data TLB (``DataTLB``): effective page -> the page's
``bytearray``, one map for loads and one for stores, so a load or store that
hits needs no translation and no call. Memory owns the rules that keep those
maps exact: a page enters the store map only while it is in ``_fast_write``
(``storable`` fills the entry and records it by physical page) and its
entries leave every store map when it leaves that set; every map is
emptied when a page's ``bytearray`` is replaced (copy-on-write, restore) or
watchpoints change. Translation changes are the vCPU's business
(``VCPU.flush_decoded`` and ``set_msr``).
"""

from __future__ import annotations

from collections.abc import Callable

PAGE_SHIFT = 12
PAGE_SIZE = 1 << PAGE_SHIFT
PAGE_MASK = PAGE_SIZE - 1
RESERVATION_SHIFT = 7  # 128-byte reservation granule

ZERO_PAGE = bytes(PAGE_SIZE)


class MemoryFault(Exception):
    """A physical access outside RAM. The vCPU turns it into a machine check."""

    def __init__(self, address: int, write: bool) -> None:
        super().__init__(f"physical address 0x{address:x} is outside RAM")
        self.address = address
        self.write = write


class DataTLB:
    """One vCPU's effective page -> host page maps (loads, stores) for plain RAM pages."""

    __slots__ = ("load", "store")

    def __init__(self) -> None:
        self.load: dict[int, bytearray] = {}
        self.store: dict[int, bytearray] = {}

    def clear(self) -> None:
        # In place: instruction closures hold the dicts themselves.
        self.load.clear()
        self.store.clear()


class PhysicalMemory:
    def __init__(self, size: int) -> None:
        self.size = size
        self.pages: dict[int, bytearray] = {}
        self._fast_write: set[int] = set()
        # page -> callbacks that drop decoded instructions from that page
        self._code: dict[int, list[Callable[[], None]]] = {}
        # granule -> owners holding a reservation there (the vCPU objects)
        self.reservations: dict[int, set[object]] = {}
        self._reserved_pages: dict[int, int] = {}
        # Copy-on-write for checkpoints: a page whose epoch is not the current
        # one is shared with a snapshot and is copied before its first store.
        self._epoch = 0
        self._page_epoch: dict[int, int] = {}
        # The pages copied since ``_copied_base`` (the last snapshot taken or restored): what
        # only that snapshot still holds, told to the next one (``MemorySnapshot.replaced``)
        # so that history counts it without comparing every page.
        # The base is a serial number, not the snapshot: a reference would keep every older
        # snapshot's pages alive through its successors.
        self._copied: set[int] = set()
        self._copied_base = -1
        self._serial = 0
        # Watchpoints: pages with a read watch make reads take the slow path
        # too; hits collect in ``watch_hits`` for the vCPU loop to act on
        # after the accessing instruction completes.
        self.watches: dict[object, tuple[int, int, str]] = {}  # id -> (start, end, kind)
        self.watching = False
        self.watch_exit = True  # a hit stops the accessing vCPU (False: only collect)
        self._read_watch_pages: set[int] = set()
        self._write_watch_pages: set[int] = set()
        # Cleared in place, never replaced: translated blocks hold the list.
        self.watch_hits: list[tuple[object, int, int, str, int | None, int | None]] = []
        self.tlbs: list[DataTLB] = []  # every vCPU's data TLB (see the module doc)
        # Physical page -> the (data TLB, effective page) store entries that may map it
        # (every fill goes through ``storable``, which records it): a page leaving the
        # fast path deletes exactly those. Scanning every store map for the page instead
        # cost 10% of the stock kernel's boot (each larx takes its page off the fast path,
        # and a lock's page is mapped again by the next store). A record outlives its
        # entry when a vCPU empties its maps alone; deleting checks the entry still maps
        # this page, and the records of a page are bounded by its effective aliases.
        self._store_mapped: dict[int, set[tuple[DataTLB, int]]] = {}
        # Pages holding translation tables some MMU walked (``watch_table``): off the fast
        # path until their next store, which is told to the observers (the MMUs: a flush
        # then drops only what was walked through a page stored to since).
        self._tables: set[int] = set()
        self.table_observers: list[Callable[[int], None]] = []

    # -- data TLBs -------------------------------------------------------------
    def new_tlb(self) -> DataTLB:
        tlb = DataTLB()
        self.tlbs.append(tlb)
        return tlb

    def loadable(self, pn: int) -> bytearray | None:
        """The page a load TLB may map for ``pn``: allocated and not read-watched."""
        if self.watching and pn in self._read_watch_pages:
            return None
        return self.pages.get(pn)

    def storable(self, pn: int, tlb: DataTLB, epn: int) -> bytearray | None:
        """Map effective page ``epn`` to physical page ``pn`` in ``tlb``'s store map when the
        page is on the fast path (recorded in ``_store_mapped``); the page, or None."""
        if pn in self._fast_write:
            page = self.pages[pn]
            tlb.store[epn] = page
            records = self._store_mapped.get(pn)
            if records is None:
                records = self._store_mapped[pn] = set()
            records.add((tlb, epn))
            return page
        return None

    def _drop_store_tlbs(self) -> None:
        for t in self.tlbs:
            t.store.clear()
        self._store_mapped.clear()

    def _drop_tlbs(self) -> None:
        for t in self.tlbs:
            t.clear()
        self._store_mapped.clear()

    def _leave_fast(self, pn: int) -> None:
        if pn in self._fast_write:
            self._fast_write.discard(pn)
            records = self._store_mapped.pop(pn, None)
            if not records:
                return  # in no store map
            # Only the entries that store into this page: a larx makes its page
            # leave the set, and a spinning lock must not empty every store map.
            page = self.pages.get(pn)
            for tlb, epn in records:
                store = tlb.store
                if store.get(epn) is page:
                    del store[epn]

    # -- reads ---------------------------------------------------------------
    def read(self, pa: int, size: int, order: str) -> int:
        off = pa & PAGE_MASK
        if self.watching and (pa >> PAGE_SHIFT) in self._read_watch_pages:
            self._check_watch(pa, size, "read", None)
        if off + size <= PAGE_SIZE:
            page = self.pages.get(pa >> PAGE_SHIFT)
            if page is not None:
                return int.from_bytes(page[off : off + size], order)  # type: ignore[arg-type]
        return int.from_bytes(self.read_bytes(pa, size), order)  # type: ignore[arg-type]

    def read_bytes(self, pa: int, length: int) -> bytes:
        if pa < 0 or pa + length > self.size:
            bad = pa if pa < 0 or pa >= self.size else self.size
            raise MemoryFault(bad, False)
        out = bytearray()
        while length > 0:
            off = pa & PAGE_MASK
            n = min(length, PAGE_SIZE - off)
            page = self.pages.get(pa >> PAGE_SHIFT)
            out += page[off : off + n] if page is not None else ZERO_PAGE[:n]
            pa += n
            length -= n
        return bytes(out)

    # -- writes --------------------------------------------------------------
    def write(self, pa: int, size: int, value: int, order: str) -> None:
        off = pa & PAGE_MASK
        pn = pa >> PAGE_SHIFT
        if pn in self._fast_write and off + size <= PAGE_SIZE:
            self.pages[pn][off : off + size] = value.to_bytes(size, order)  # type: ignore[arg-type]
            return
        self.write_bytes(pa, value.to_bytes(size, order), None)  # type: ignore[arg-type]

    def write_bytes(self, pa: int, data: bytes, writer: object | None) -> None:
        """Store ``data``; ``writer`` is the vCPU storing (None for the host)."""
        length = len(data)
        if pa < 0 or pa + length > self.size:
            bad = pa if pa < 0 or pa >= self.size else self.size
            raise MemoryFault(bad, True)
        pos = 0
        while pos < length:
            off = pa & PAGE_MASK
            n = min(length - pos, PAGE_SIZE - off)
            pn = pa >> PAGE_SHIFT
            if self.watching and pn in self._write_watch_pages:
                self._check_watch(pa, n, "write", data[pos : pos + n])
            page = self.pages.get(pn)
            if page is None:
                page = self.pages[pn] = bytearray(PAGE_SIZE)
                self._page_epoch[pn] = self._epoch
            elif self._page_epoch.get(pn) != self._epoch:
                page = self.pages[pn] = bytearray(page)
                self._page_epoch[pn] = self._epoch
                self._copied.add(pn)
                self._drop_tlbs()  # they may map the shared copy
            page[off : off + n] = data[pos : pos + n]
            self._after_store(pn, pa, n, writer)
            pa += n
            pos += n

    def _after_store(self, pn: int, pa: int, n: int, writer: object | None) -> None:
        if pn in self._tables:
            # Once per walk: the MMUs now count the page as written until their next flush,
            # and a walk through it watches it again. A page that stopped holding tables
            # (a process's, freed and reused) goes back on the fast path.
            self._tables.discard(pn)
            for written in self.table_observers:
                written(pn)
        callbacks = self._code.pop(pn, None)
        if callbacks:
            for drop in callbacks:
                drop()
        if self.reservations and pn in self._reserved_pages:
            first, last = pa >> RESERVATION_SHIFT, (pa + n - 1) >> RESERVATION_SHIFT
            for g in range(first, last + 1):
                owners = self.reservations.get(g)
                if owners:
                    for owner in list(owners):
                        if owner is not writer:
                            owner.lose_reservation()  # type: ignore[attr-defined]
        self._refresh(pn)

    def _refresh(self, pn: int) -> None:
        """Put a page back on the fast path when nothing watches it."""
        if (
            pn in self.pages
            and pn not in self._code
            and pn not in self._reserved_pages
            and self._page_epoch.get(pn) == self._epoch
            and pn not in self._write_watch_pages
            and pn not in self._tables
        ):
            self._fast_write.add(pn)
        else:
            self._leave_fast(pn)

    # -- watchpoints -------------------------------------------------------------
    def add_watch(self, wid: object, start: int, length: int, kind: str) -> None:
        """Watch [start, start+length) for "read", "write" or "access"."""
        self.watches[wid] = (start, start + length, kind)
        self._rebuild_watch_pages()

    def remove_watch(self, wid: object) -> None:
        self.watches.pop(wid, None)
        self._rebuild_watch_pages()

    def _rebuild_watch_pages(self) -> None:
        old = self._write_watch_pages
        self._read_watch_pages, self._write_watch_pages = set(), set()
        for start, end, kind in self.watches.values():
            pages = range(start >> PAGE_SHIFT, ((end - 1) >> PAGE_SHIFT) + 1)
            if kind in ("read", "access"):
                self._read_watch_pages.update(pages)
            if kind in ("write", "access"):
                self._write_watch_pages.update(pages)
        self.watching = bool(self.watches)
        self._drop_tlbs()
        for pn in old | self._write_watch_pages:
            self._refresh(pn)

    def _check_watch(self, pa: int, size: int, kind: str, new: bytes | None) -> None:
        for wid, (start, end, wkind) in self.watches.items():
            if pa < end and pa + size > start and (wkind == "access" or wkind == kind):
                old = (
                    int.from_bytes(self.read_bytes(pa, size), "big")
                    if pa + size <= self.size
                    else None
                )
                self.watch_hits.append(
                    (
                        wid,
                        pa,
                        size,
                        kind,
                        old,
                        int.from_bytes(new, "big") if new is not None else None,
                    )
                )

    # -- decoded code --------------------------------------------------------
    def watch_code(self, pa: int, drop: Callable[[], None]) -> None:
        """Call ``drop`` (once) when the page holding ``pa`` is next written."""
        pn = pa >> PAGE_SHIFT
        self._code.setdefault(pn, []).append(drop)
        self._leave_fast(pn)

    # -- translation tables --------------------------------------------------
    def watch_table(self, pn: int) -> None:
        """Tell ``table_observers`` of the next store to page ``pn`` (an MMU walked a table
        there)."""
        if pn not in self._tables:
            self._tables.add(pn)
            self._leave_fast(pn)

    # -- reservations --------------------------------------------------------
    def reserve(self, owner: object, pa: int) -> None:
        g = pa >> RESERVATION_SHIFT
        self.reservations.setdefault(g, set()).add(owner)
        pn = pa >> PAGE_SHIFT
        self._reserved_pages[pn] = self._reserved_pages.get(pn, 0) + 1
        self._leave_fast(pn)

    def unreserve(self, owner: object, pa: int) -> None:
        g = pa >> RESERVATION_SHIFT
        owners = self.reservations.get(g)
        if owners is None or owner not in owners:
            return
        owners.discard(owner)
        if not owners:
            del self.reservations[g]
        pn = pa >> PAGE_SHIFT
        left = self._reserved_pages.get(pn, 1) - 1
        if left:
            self._reserved_pages[pn] = left
        else:
            self._reserved_pages.pop(pn, None)
            self._refresh(pn)

    # -- checkpoints -------------------------------------------------------------
    def snapshot(self) -> MemorySnapshot:
        """Capture memory in O(pages touched): pages become shared, copied on their next store."""
        self._epoch += 1
        self._fast_write.clear()
        self._drop_store_tlbs()
        snap = MemorySnapshot(dict(self.pages), {g: set(o) for g, o in self.reservations.items()})
        self._serial += 1
        snap.serial = self._serial
        snap.replaced = (self._copied_base, self._copied)
        self._copied_base, self._copied = snap.serial, set()
        return snap

    def restore(self, snap: MemorySnapshot) -> None:
        """Return to ``snap``. Decoded code is dropped; reservation owners come back as saved."""
        self._epoch += 1
        self.pages = dict(snap.pages)
        self._page_epoch = {}
        self._copied_base, self._copied = snap.serial, set()
        self._fast_write.clear()
        self._drop_tlbs()
        code, self._code = self._code, {}
        for callbacks in code.values():
            for drop in callbacks:
                drop()
        tables, self._tables = self._tables, set()
        for pn in tables:  # every table may read differently now
            for written in self.table_observers:
                written(pn)
        self.reservations = {g: set(o) for g, o in snap.reservations.items()}
        self._reserved_pages = {}
        for g, owners in self.reservations.items():
            pn = (g << RESERVATION_SHIFT) >> PAGE_SHIFT
            self._reserved_pages[pn] = self._reserved_pages.get(pn, 0) + len(owners)


class MemorySnapshot:
    """Pages shared with the live memory (never written through) and reservations."""

    __slots__ = ("pages", "replaced", "reservations", "serial")

    def __init__(self, pages: dict[int, bytearray], reservations: dict[int, set[object]]) -> None:
        self.pages = pages
        self.reservations = reservations
        self.serial = 0  # its memory's count of snapshots when it was taken (0: not counted)
        # (base, pns): the serial of the snapshot taken or restored last before this one, and
        # the pages of that one copied on a store since (so not shared with this one).
        self.replaced: tuple[int, set[int]] = (-1, set())

    @property
    def page_count(self) -> int:
        return len(self.pages)
