//! Stable sorting through one shared, non-generic routine.
//!
//! The standard library's sorts are generic: every element type (and every key closure) gets
//! its own copy of the whole algorithm, a few KB of WebAssembly each, and the page has about
//! twenty of them. These functions sort the indices `0..n` with a single merge sort that
//! compares through `dyn FnMut`, then move the elements into that order, so each call site
//! costs only the small permutation loop. The result is exactly that of a stable sort (equal
//! elements keep their order), so it is also what `sort_unstable` gives for types whose equal
//! values are indistinguishable (integers, tuples of them).

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

/// Like `<[T]>::sort_by` (stable).
pub fn sort_by<T>(v: &mut [T], mut cmp: impl FnMut(&T, &T) -> Ordering) {
    if v.len() <= SMALL {
        // Short slices (most call sites) are sorted in place, without allocating: an insertion
        // sort that moves an element left only past strictly greater ones, so it is stable.
        for i in 1..v.len() {
            let mut j = i;
            while j > 0 && cmp(&v[j - 1], &v[j]) == Ordering::Greater {
                v.swap(j - 1, j);
                j -= 1;
            }
        }
        return;
    }
    let mut order = order(v.len(), &mut |a, b| cmp(&v[a], &v[b]));
    permute(v, &mut order);
}

/// Up to this length, [`sort_by`] uses an insertion sort in place.
const SMALL: usize = 16;

/// Like `<[T]>::sort_by_key` (stable).
pub fn sort_by_key<T, K: Ord>(v: &mut [T], mut key: impl FnMut(&T) -> K) {
    sort_by(v, |a, b| key(a).cmp(&key(b)));
}

/// Like `<[T]>::sort` (stable); the same result as `sort_unstable` for plain values.
pub fn sort<T: Ord>(v: &mut [T]) {
    sort_by(v, T::cmp);
}

/// Like `items.into_iter().collect::<BTreeSet<T>>()` (or `BTreeSet::from`), which first sort
/// the items with the standard library's sort (a copy of it per type); this inserts them one
/// by one instead. Same set.
pub fn set<T: Ord>(items: impl IntoIterator<Item = T>) -> BTreeSet<T> {
    let mut s = BTreeSet::new();
    s.extend(items);
    s
}

/// Like `items.into_iter().collect::<BTreeMap<K, V>>()`, by insertion (see [`set`]): for a
/// repeated key the last value wins, as with `collect`.
pub fn map<K: Ord, V>(items: impl IntoIterator<Item = (K, V)>) -> BTreeMap<K, V> {
    let mut m = BTreeMap::new();
    m.extend(items);
    m
}

/// The indices `0..n` in stably sorted order: a bottom-up merge sort, after a check that
/// leaves input already in order (the common case for schedules) at one pass.
#[inline(never)]
fn order(n: usize, cmp: &mut dyn FnMut(usize, usize) -> Ordering) -> Vec<usize> {
    let mut a: Vec<usize> = (0..n).collect();
    if (1..n).all(|i| cmp(i - 1, i) != Ordering::Greater) {
        return a;
    }
    let mut b = vec![0; n];
    let mut width = 1;
    while width < n {
        let mut lo = 0;
        while lo < n {
            let mid = (lo + width).min(n);
            let hi = (lo + 2 * width).min(n);
            let (mut l, mut r) = (lo, mid);
            for slot in &mut b[lo..hi] {
                // Take from the left run unless the right one is strictly smaller: stable.
                if l < mid && (r >= hi || cmp(a[r], a[l]) != Ordering::Less) {
                    *slot = a[l];
                    l += 1;
                } else {
                    *slot = a[r];
                    r += 1;
                }
            }
            lo = hi;
        }
        std::mem::swap(&mut a, &mut b);
        width *= 2;
    }
    a
}

/// Rearranges `v` so that `v[k]` becomes the old `v[order[k]]`, by following each cycle of
/// the permutation with swaps (`order` is used up as the record of what is done).
fn permute<T>(v: &mut [T], order: &mut [usize]) {
    const DONE: usize = usize::MAX;
    for start in 0..v.len() {
        let mut at = start;
        while order[at] != DONE {
            let from = order[at];
            order[at] = DONE;
            if from == start {
                break;
            }
            v.swap(at, from);
            at = from;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator: the tests need no dependency.
    fn numbers(seed: u64, n: usize, range: u64) -> Vec<u64> {
        let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x % range
            })
            .collect()
    }

    #[test]
    fn matches_the_standard_stable_sort() {
        for seed in 0..200u64 {
            for n in [0, 1, 2, 3, 5, 8, 13, 31, 64, 100, 257] {
                let range = 1 + seed % 17;
                // Pairs (key, original position): equal keys must keep their order.
                let mut ours: Vec<(u64, usize)> = numbers(seed, n, range)
                    .into_iter()
                    .enumerate()
                    .map(|(i, k)| (k, i))
                    .collect();
                let mut std = ours.clone();
                sort_by_key(&mut ours, |p| p.0);
                std.sort_by_key(|p| p.0);
                assert_eq!(ours, std, "seed {seed}, n {n}");
                let mut plain = numbers(seed, n, range);
                let mut expected = plain.clone();
                sort(&mut plain);
                expected.sort_unstable();
                assert_eq!(plain, expected);
            }
        }
    }

    #[test]
    fn sorted_and_reversed_input() {
        let mut v: Vec<u32> = (0..1000).collect();
        sort(&mut v);
        assert!(v.windows(2).all(|w| w[0] <= w[1]));
        v.reverse();
        sort_by(&mut v, |a, b| b.cmp(a));
        assert_eq!(v, (0..1000).rev().collect::<Vec<_>>());
        sort(&mut v);
        assert_eq!(v, (0..1000).collect::<Vec<_>>());
    }
}
