//! Time series over a run, for charts: replication lag per node (sampled as the run goes),
//! staleness of reads, availability.
//!
//! Memory stays bounded: the lag sampler keeps at most [`MAX_POINTS`] samples; when it would
//! keep more, it drops every other sample and samples half as often (so a long run has fewer,
//! evenly spaced points, and the same run always has the same points). Series computed from the
//! history are bucketed to at most [`MAX_POINTS`] points (staleness keeps each bucket's worst read).

use crate::client::{History, OpResult};
use crate::types::{OpId, Time, MS};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// The most points a series holds.
pub const MAX_POINTS: usize = 512;
/// How often replication lag is sampled at first (virtual time).
pub const SAMPLE_EVERY: Time = 100 * MS;

/// A named series of (virtual time in µs, value) points, in time order.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Series {
    pub name: String,
    /// What the values measure ("entries", "ms", "share").
    pub unit: &'static str,
    /// In JSON, `[{"t_us": …, "value": …}, …]`: every time carries its unit in its name.
    #[serde(serialize_with = "points_with_units")]
    pub points: Vec<(Time, f64)>,
}

fn points_with_units<S: serde::Serializer>(
    points: &[(Time, f64)],
    s: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    #[derive(Serialize)]
    struct Point {
        t_us: Time,
        value: f64,
    }
    let mut seq = s.serialize_seq(Some(points.len()))?;
    for &(t_us, value) in points {
        seq.serialize_element(&Point { t_us, value })?;
    }
    seq.end()
}

/// One node's replication lag at a moment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Lag {
    /// Single-leader: log entries behind the current leader. Otherwise: writes accepted anywhere
    /// in the cluster that this node has not applied.
    pub entries: u64,
    /// Single-leader: how long the oldest entry it lacks has existed (0 when up to date).
    #[serde(rename = "age_us")]
    pub age: Time,
}

/// Replication lag of every node, sampled at fixed moments of virtual time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LagSampler {
    every: Time,
    next: Time,
    samples: Vec<(Time, Vec<Lag>)>,
}

impl Default for LagSampler {
    fn default() -> Self {
        LagSampler {
            every: SAMPLE_EVERY,
            next: 0,
            samples: Vec::new(),
        }
    }
}

impl LagSampler {
    /// Is a sample due before an event at time `t`?
    pub fn due(&self, t: Time) -> bool {
        t >= self.next
    }

    /// Records `lags`, the state before an event at time `t`, at every sample moment up to `t`
    /// (the first and the last of them: nothing changed in between).
    pub fn record(&mut self, t: Time, lags: Vec<Lag>) {
        let last = t / self.every * self.every;
        self.samples.push((self.next, lags.clone()));
        if last > self.next {
            self.samples.push((last, lags));
        }
        self.next = last + self.every;
        if self.samples.len() > MAX_POINTS {
            let mut i = 0;
            self.samples.retain(|_| {
                i += 1;
                i % 2 == 1
            });
            self.every *= 2;
            self.next = self.next.div_ceil(self.every) * self.every;
        }
    }

    pub fn samples(&self) -> &[(Time, Vec<Lag>)] {
        &self.samples
    }

    /// One series per node: entries behind, and (when `with_age`) the age of the lag in ms.
    pub fn series(&self, with_age: bool) -> Vec<Series> {
        let nodes = self.samples.iter().map(|(_, l)| l.len()).max().unwrap_or(0);
        let mut out = Vec::new();
        for n in 0..nodes {
            let pick = |f: &dyn Fn(&Lag) -> f64| -> Vec<(Time, f64)> {
                self.samples
                    .iter()
                    .filter_map(|(t, l)| l.get(n).map(|x| (*t, f(x))))
                    .collect()
            };
            out.push(Series {
                name: format!("lag n{n}"),
                unit: "entries",
                points: pick(&|l| l.entries as f64),
            });
            if with_age {
                out.push(Series {
                    name: format!("lag-ms n{n}"),
                    unit: "ms",
                    points: pick(&|l| l.age as f64 / MS as f64),
                });
            }
        }
        out
    }
}

/// For each successful read, in history order: (its id, its invoke time, how long before the
/// read began a value newer than the one it returned had been acknowledged, 0 when none had).
/// Writes in `lost` do not count. This is the measuring step of [`super::read_staleness`], which
/// gives the staleness every panel shows (0 for a read that is not a stale read).
pub fn staleness(history: &History, lost: &BTreeSet<OpId>) -> Vec<(OpId, Time, Time)> {
    // Per key, acknowledged writes sorted by version with the suffix minimum of their
    // completion times: the earliest acknowledgement of anything newer than a version.
    type Sorted = Vec<(u64, Time)>;
    type ByVersion = Vec<((u64, u64), Time)>;
    let mut by_log: BTreeMap<&str, ByVersion> = BTreeMap::new();
    let mut by_dot: BTreeMap<&str, BTreeMap<u16, Sorted>> = BTreeMap::new();
    for o in history {
        if let (OpResult::Written { lsn, epoch, dot }, Some(c)) = (&o.result, o.complete) {
            if lost.contains(&o.id) {
                continue;
            }
            match dot {
                Some((n, k)) => by_dot
                    .entry(o.kind.key())
                    .or_default()
                    .entry(*n)
                    .or_default()
                    .push((*k, c)),
                None => by_log
                    .entry(o.kind.key())
                    .or_default()
                    .push(((*epoch, *lsn), c)),
            }
        }
    }
    fn suffix_min<V: Ord + Copy>(list: &mut [(V, Time)]) {
        crate::sort::sort(list);
        let mut m = Time::MAX;
        for x in list.iter_mut().rev() {
            m = m.min(x.1);
            x.1 = m;
        }
    }
    by_log.values_mut().for_each(|l| suffix_min(l));
    by_dot
        .values_mut()
        .flat_map(|m| m.values_mut())
        .for_each(|l| suffix_min(l));
    history
        .iter()
        .filter_map(|o| {
            let OpResult::Read { lsn, epoch, vv, .. } = &o.result else {
                return None;
            };
            let key = o.kind.key();
            let first_newer = match vv {
                Some(vv) => by_dot
                    .get(key)
                    .into_iter()
                    .flatten()
                    .filter_map(|(n, l)| {
                        let i = l.partition_point(|(k, _)| *k <= vv.get(*n));
                        l.get(i).map(|x| x.1)
                    })
                    .min(),
                None => by_log.get(key).and_then(|l| {
                    let i = l.partition_point(|(v, _)| *v <= (*epoch, *lsn));
                    l.get(i).map(|x| x.1)
                }),
            };
            let age = first_newer
                .filter(|&c| c < o.invoke)
                .map_or(0, |c| o.invoke - c);
            Some((o.id, o.invoke, age))
        })
        .collect()
}

/// The width of buckets that cut `[0, end]` into at most [`MAX_POINTS`], a multiple of
/// [`SAMPLE_EVERY`].
fn bucket_width(end: Time) -> Time {
    let n = (end / SAMPLE_EVERY) as usize / MAX_POINTS + 1;
    SAMPLE_EVERY * n as Time
}

/// Staleness over time: per bucket of read invoke times, the worst read's staleness in ms
/// (from [`super::read_staleness`]).
pub fn staleness_series(stale: &[(OpId, Time, Time)], end: Time) -> Series {
    let w = bucket_width(end);
    let mut buckets: BTreeMap<Time, Time> = BTreeMap::new();
    for &(_, t, age) in stale {
        let b = buckets.entry(t / w * w).or_default();
        *b = (*b).max(age);
    }
    Series {
        name: "staleness".into(),
        unit: "ms",
        points: buckets
            .into_iter()
            .map(|(t, a)| (t, a as f64 / MS as f64))
            .collect(),
    }
}

/// Availability over time: per bucket of completion times, the share of finished operations
/// that succeeded (buckets where nothing finished are left out).
pub fn availability_series(history: &History, end: Time) -> Series {
    let w = bucket_width(end);
    let mut buckets: BTreeMap<Time, (u32, u32)> = BTreeMap::new();
    for o in history {
        let Some(c) = o.complete else { continue };
        let b = buckets.entry(c / w * w).or_default();
        b.1 += 1;
        if matches!(o.result, OpResult::Written { .. } | OpResult::Read { .. }) {
            b.0 += 1;
        }
    }
    Series {
        name: "availability".into(),
        unit: "share",
        points: buckets
            .into_iter()
            .map(|(t, (ok, all))| (t, ok as f64 / all as f64))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sampler_stays_bounded_and_evenly_spaced() {
        let mut s = LagSampler::default();
        let mut t = 0;
        while t < 1_000 * 1_000 * MS {
            if s.due(t) {
                s.record(t, vec![Lag::default(); 3]);
            }
            t += 7 * MS;
        }
        assert!(s.samples().len() <= MAX_POINTS);
        assert!(s.samples().len() > MAX_POINTS / 4);
        let gaps: BTreeSet<Time> = s.samples().windows(2).map(|p| p[1].0 - p[0].0).collect();
        assert_eq!(gaps.len(), 1, "{gaps:?}");
    }

    #[test]
    fn a_quiet_stretch_gives_two_points() {
        let mut s = LagSampler::default();
        s.record(0, vec![Lag::default()]);
        assert!(!s.due(50 * MS));
        assert!(s.due(1_050 * MS));
        s.record(1_050 * MS, vec![Lag::default()]);
        let times: Vec<Time> = s.samples().iter().map(|x| x.0).collect();
        assert_eq!(times, vec![0, 100 * MS, 1000 * MS]);
    }
}
