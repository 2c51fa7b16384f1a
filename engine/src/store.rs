//! Per-node versioned key-value data: the replication log and the data applied from it.
//!
//! Everything in a [`Log`] is durable: it survives a crash. A log may start from a snapshot (a
//! copy of the data as of `base_lsn`, as a new follower receives it) followed by entries.
//!
//! **Horizon.** A log keeps at most `LOG_KEEP + LOG_KEEP / 2` entries: when an append goes past
//! that, the oldest entries are folded into the base (the snapshot the log starts from) so that
//! [`LOG_KEEP`] remain. This is node-local and depends only on the entry count, so it is as
//! deterministic as the rest of the run. A follower that needs an entry its leader has folded
//! away gets a snapshot instead. The ids of the writes the base holds (for "does this node hold
//! write w", lost-write detection and truncation reports) are kept until
//! [`Log::forget_writes_before`] drops those below a cutoff: below it, this log no longer answers
//! for individual writes.

use crate::types::{OpId, Time};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

/// One replicated write in a leader's log.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Entry {
    /// Log sequence number: position in the log, from 1.
    pub lsn: u64,
    /// The epoch (term) of the leader that appended it.
    pub epoch: u64,
    pub key: String,
    pub value: String,
    /// The client operation that wrote it.
    pub write: OpId,
    /// True time at which the leader appended it (for replication lag in time).
    pub at: Time,
}

impl Entry {
    /// The value this entry leaves its key with.
    pub fn cell(&self) -> Cell {
        Cell {
            value: self.value.clone(),
            lsn: self.lsn,
            epoch: self.epoch,
            write: self.write,
        }
    }
}

/// The current value of a key on one node, with where it came from.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Cell {
    pub value: String,
    pub lsn: u64,
    pub epoch: u64,
    pub write: OpId,
}

/// How many entries a log keeps after compacting; it compacts when it holds half as many again.
pub const LOG_KEEP: usize = 1_000;

/// A node's durable log and the key-value data applied from it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Log {
    base_lsn: u64,
    base_epoch: u64,
    base_data: BTreeMap<String, Cell>,
    /// The writes the base holds, those below `writes_floor` forgotten.
    base_writes: BTreeSet<OpId>,
    /// Write ids below this are forgotten (see [`Log::forget_writes_before`]).
    writes_floor: OpId,
    /// Shared with the replication messages that carry them and with checkpoints (an entry
    /// never changes), so copying a log or shipping entries copies pointers.
    entries: Vec<Rc<Entry>>,
    /// Writes held in `entries`, by lsn, so "does this node hold write w" is a lookup.
    entry_writes: BTreeMap<OpId, u64>,
    data: BTreeMap<String, Cell>,
}

impl Log {
    pub fn last_lsn(&self) -> u64 {
        self.base_lsn + self.entries.len() as u64
    }

    /// The epoch of the snapshot entry the log starts from.
    pub fn base_epoch(&self) -> u64 {
        self.base_epoch
    }

    pub fn last_epoch(&self) -> u64 {
        self.entries.last().map_or(self.base_epoch, |e| e.epoch)
    }

    /// The lsn up to which this log is a snapshot (0 when it holds every entry from the start).
    pub fn base_lsn(&self) -> u64 {
        self.base_lsn
    }

    /// The epoch of the entry at `lsn`, if this log knows it (lsn 0 has epoch 0).
    pub fn epoch_at(&self, lsn: u64) -> Option<u64> {
        if lsn == self.base_lsn {
            return Some(self.base_epoch);
        }
        if lsn < self.base_lsn {
            return None;
        }
        self.entries
            .get((lsn - self.base_lsn - 1) as usize)
            .map(|e| e.epoch)
    }

    pub fn entry(&self, lsn: u64) -> Option<&Entry> {
        if lsn <= self.base_lsn {
            return None;
        }
        self.entries
            .get((lsn - self.base_lsn - 1) as usize)
            .map(|e| &**e)
    }

    /// Up to `max` entries starting at `from` (which must be above the snapshot).
    pub fn entries_from(&self, from: u64, max: usize) -> &[Rc<Entry>] {
        if from <= self.base_lsn {
            return &[];
        }
        let start = ((from - self.base_lsn - 1) as usize).min(self.entries.len());
        let end = (start + max).min(self.entries.len());
        &self.entries[start..end]
    }

    pub fn entries(&self) -> &[Rc<Entry>] {
        &self.entries
    }

    /// Appends the next entry and applies it, then compacts the log if it has grown past
    /// `LOG_KEEP + LOG_KEEP / 2` entries. The caller guarantees `e.lsn == last_lsn() + 1`.
    pub fn append(&mut self, e: Rc<Entry>) {
        debug_assert_eq!(e.lsn, self.last_lsn() + 1, "log entries must be contiguous");
        self.data.insert(e.key.clone(), e.cell());
        self.entry_writes.insert(e.write, e.lsn);
        self.entries.push(e);
        if self.entries.len() > LOG_KEEP + LOG_KEEP / 2 {
            self.compact(LOG_KEEP);
        }
    }

    /// Folds all but the newest `keep` entries into the base. The data does not change, nor does
    /// which writes the log holds; only entries older than the base can no longer be sent.
    pub fn compact(&mut self, keep: usize) {
        if self.entries.len() <= keep {
            return;
        }
        let fold = self.entries.len() - keep;
        for e in self.entries.drain(..fold) {
            self.base_data.insert(e.key.clone(), e.cell());
            self.entry_writes.remove(&e.write);
            if e.write >= self.writes_floor {
                self.base_writes.insert(e.write);
            }
            self.base_lsn = e.lsn;
            self.base_epoch = e.epoch;
        }
    }

    /// Forgets the ids of the writes below `cut` that the base holds (entries keep theirs until
    /// they are folded in); from then on [`Log::holds`] only answers for writes from `cut` on, and
    /// snapshots and truncation reports name only those. `cut` never goes back.
    pub fn forget_writes_before(&mut self, cut: OpId) {
        if cut <= self.writes_floor {
            return;
        }
        self.writes_floor = cut;
        self.base_writes = self.base_writes.split_off(&cut);
    }

    /// Removes every entry from `lsn` on and re-derives the data; returns the discarded writes
    /// (from the floor on).
    pub fn truncate_from(&mut self, lsn: u64) -> Vec<OpId> {
        if lsn <= self.base_lsn || lsn > self.last_lsn() {
            return Vec::new();
        }
        let keep = (lsn - self.base_lsn - 1) as usize;
        let dropped: Vec<OpId> = self.entries[keep..].iter().map(|e| e.write).collect();
        self.entries.truncate(keep);
        for w in &dropped {
            self.entry_writes.remove(w);
        }
        self.rebuild_data();
        let floor = self.writes_floor;
        dropped.into_iter().filter(|w| *w >= floor).collect()
    }

    /// Empties the log; returns the writes it held (from the floor on).
    pub fn clear(&mut self) -> Vec<OpId> {
        let floor = self.writes_floor;
        let all: Vec<OpId> = self
            .base_writes
            .iter()
            .chain(self.entry_writes.keys())
            .copied()
            .filter(|w| *w >= floor)
            .collect();
        *self = Log {
            writes_floor: floor,
            ..Log::default()
        };
        all
    }

    /// Replaces the whole log by a snapshot; returns the writes this node held and now does not
    /// (from the floor on: below it, neither side names its writes).
    pub fn install_snapshot(
        &mut self,
        lsn: u64,
        epoch: u64,
        data: BTreeMap<String, Cell>,
        mut writes: BTreeSet<OpId>,
    ) -> Vec<OpId> {
        let floor = self.writes_floor;
        let lost: Vec<OpId> = self
            .entry_writes
            .keys()
            .chain(self.base_writes.iter())
            .filter(|w| **w >= floor && !writes.contains(w))
            .copied()
            .collect();
        if floor > 0 {
            writes = writes.split_off(&floor);
        }
        *self = Log {
            base_lsn: lsn,
            base_epoch: epoch,
            data: data.clone(),
            base_data: data,
            base_writes: writes,
            writes_floor: floor,
            entries: Vec::new(),
            entry_writes: BTreeMap::new(),
        };
        lost
    }

    /// Everything a snapshot of this log carries: (lsn, epoch, data, writes held from the floor
    /// on).
    pub fn snapshot(&self) -> (u64, u64, BTreeMap<String, Cell>, BTreeSet<OpId>) {
        let mut writes = self.base_writes.clone();
        writes.extend(
            self.entry_writes
                .range(self.writes_floor..)
                .map(|(w, _)| *w),
        );
        (
            self.last_lsn(),
            self.last_epoch(),
            self.data.clone(),
            writes,
        )
    }

    fn rebuild_data(&mut self) {
        self.data = self.base_data.clone();
        for e in &self.entries {
            self.data.insert(e.key.clone(), e.cell());
        }
    }

    pub fn get(&self, key: &str) -> Option<&Cell> {
        self.data.get(key)
    }

    pub fn data(&self) -> &BTreeMap<String, Cell> {
        &self.data
    }

    /// Does this node's log hold the write of operation `w`? (Only meaningful for writes from the
    /// floor set by [`Log::forget_writes_before`] on.)
    pub fn holds(&self, w: OpId) -> bool {
        self.entry_writes.contains_key(&w) || self.base_writes.contains(&w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(lsn: u64, epoch: u64, key: &str, value: &str, write: OpId) -> Rc<Entry> {
        Rc::new(Entry {
            lsn,
            epoch,
            key: key.into(),
            value: value.into(),
            write,
            at: 0,
        })
    }

    #[test]
    fn append_truncate_and_snapshot() {
        let mut log = Log::default();
        log.append(e(1, 1, "x", "1", 0));
        log.append(e(2, 1, "x", "2", 1));
        log.append(e(3, 1, "y", "3", 2));
        assert_eq!(log.last_lsn(), 3);
        assert_eq!(log.get("x").unwrap().value, "2");
        assert_eq!(log.truncate_from(2), vec![1, 2]);
        assert_eq!(log.get("x").unwrap().value, "1");
        assert!(log.get("y").is_none());
        assert!(log.holds(0) && !log.holds(1));

        let (lsn, epoch, data, writes) = log.snapshot();
        let mut other = Log::default();
        other.append(e(1, 2, "z", "9", 7));
        assert_eq!(other.install_snapshot(lsn, epoch, data, writes), vec![7]);
        assert_eq!(other.last_lsn(), 1);
        assert_eq!(other.epoch_at(1), Some(1));
        assert!(other.holds(0));
        other.append(e(2, 3, "x", "5", 8));
        assert_eq!(other.entries_from(2, 10).len(), 1);
        assert_eq!(other.entries_from(1, 10).len(), 0);
    }

    #[test]
    fn compaction_keeps_the_newest_entries_and_everything_they_applied() {
        let mut log = Log::default();
        let mut full = Log::default();
        let n = (LOG_KEEP + LOG_KEEP / 2) as u64;
        for i in 1..=n {
            let entry = e(
                i,
                1 + i / 700,
                &format!("k{}", i % 7),
                &i.to_string(),
                i as OpId,
            );
            log.append(entry.clone());
            full.entries.push(entry);
        }
        assert_eq!(log.entries().len(), LOG_KEEP + LOG_KEEP / 2, "not yet");
        log.append(e(n + 1, 3, "k0", "last", n as OpId + 1));
        assert_eq!(log.entries().len(), LOG_KEEP);
        assert_eq!(log.base_lsn(), n + 1 - LOG_KEEP as u64);
        assert_eq!(log.base_epoch(), 1 + log.base_lsn() / 700);
        assert_eq!(log.last_lsn(), n + 1);
        assert_eq!(log.epoch_at(log.base_lsn()), Some(log.base_epoch()));
        assert_eq!(log.epoch_at(log.base_lsn() - 1), None);
        assert!(log.entries_from(log.base_lsn(), 10).is_empty());
        assert_eq!(
            log.entries_from(log.base_lsn() + 1, 10)[0].lsn,
            log.base_lsn() + 1
        );
        // The data is what applying every entry gives, and every write is still held.
        full.append(e(n + 1, 3, "k0", "last", n as OpId + 1));
        full.rebuild_data();
        assert_eq!(log.data(), full.data());
        assert!((1..=n as OpId + 1).all(|w| log.holds(w)));
        // Truncating above the base re-derives the data from the base.
        let dropped = log.truncate_from(n + 1);
        assert_eq!(dropped, vec![n as OpId + 1]);
        assert_eq!(log.get("k0").unwrap().value, (n - n % 7).to_string());
        assert!(
            log.truncate_from(log.base_lsn()).is_empty(),
            "not below the base"
        );
    }

    #[test]
    fn forgetting_write_ids_below_a_cut() {
        let mut log = Log::default();
        let n = 2 * LOG_KEEP as u64;
        for i in 1..=n {
            log.append(e(i, 1, "x", &i.to_string(), i as OpId));
        }
        let cut = 400;
        assert!(log.base_lsn() > cut as u64);
        log.forget_writes_before(cut);
        assert!(!log.holds(cut - 1) && log.holds(cut) && log.holds(n as OpId));
        let (lsn, epoch, data, writes) = log.snapshot();
        assert_eq!(writes.first(), Some(&cut));
        assert_eq!(writes.len(), n as usize - cut as usize + 1);
        // Ids forgotten never come back, through compaction or a snapshot.
        log.forget_writes_before(10); // never goes back
        for i in n + 1..=n + LOG_KEEP as u64 {
            log.append(e(i, 1, "x", &i.to_string(), i as OpId));
        }
        assert!(!log.holds(cut - 1));
        let mut follower = Log::default();
        follower.append(e(1, 1, "x", "1", 1));
        follower.append(e(2, 1, "x", "2", 5000));
        follower.forget_writes_before(cut);
        let full: BTreeSet<OpId> = (1..=n as OpId).collect();
        // Write 1 is below the follower's floor: it is not reported lost.
        assert_eq!(
            follower.install_snapshot(lsn, epoch, data, full),
            vec![5000]
        );
        assert!(!follower.holds(1) && follower.holds(cut));
        assert_eq!(follower.clear().first(), Some(&cut));
        follower.append(e(1, 2, "y", "1", 3));
        assert!(
            follower.snapshot().3.is_empty(),
            "the floor survives clearing"
        );
    }
}
