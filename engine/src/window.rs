//! A window on a sequence that only grows at the end: the newest items, indexed by their
//! absolute position; the oldest can be forgotten. The client history and the anomalies are kept
//! this way, so that a run left playing for hours holds a bounded part of them.

use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Window<T> {
    /// The position of `items[0]`.
    start: u32,
    items: Vec<T>,
}

impl<T> Default for Window<T> {
    fn default() -> Self {
        Window::new()
    }
}

impl<T> Window<T> {
    pub const fn new() -> Self {
        Window {
            start: 0,
            items: Vec::new(),
        }
    }
    /// A window whose items start at position `start`.
    pub fn starting_at(start: u32, items: Vec<T>) -> Self {
        Window { start, items }
    }
    /// The position of the oldest item kept (0 until something is forgotten).
    pub fn start(&self) -> u32 {
        self.start
    }
    /// The position the next item will get: how many items there ever were.
    pub fn end(&self) -> u32 {
        self.start + self.items.len() as u32
    }
    /// The items kept, oldest first.
    pub fn items(&self) -> &[T] {
        &self.items
    }
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.items.iter()
    }
    pub fn iter_mut(&mut self) -> std::slice::IterMut<'_, T> {
        self.items.iter_mut()
    }
    /// How many items are kept.
    pub fn len(&self) -> usize {
        self.items.len()
    }
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
    pub fn last(&self) -> Option<&T> {
        self.items.last()
    }
    /// The item at position `i`, unless it was forgotten or is not there yet.
    pub fn get(&self, i: u32) -> Option<&T> {
        self.items.get(i.checked_sub(self.start)? as usize)
    }
    pub fn get_mut(&mut self, i: u32) -> Option<&mut T> {
        self.items.get_mut(i.checked_sub(self.start)? as usize)
    }
    /// Appends the item at position [`Self::end`].
    pub fn push(&mut self, item: T) {
        self.items.push(item);
    }
    /// Forgets the items before position `i`.
    pub fn forget_before(&mut self, i: u32) {
        let n = (i.saturating_sub(self.start) as usize).min(self.items.len());
        self.items.drain(..n);
        self.start += n as u32;
    }
    /// Keeps only the items before position `end`.
    pub fn truncate(&mut self, end: u32) {
        self.items.truncate(end.saturating_sub(self.start) as usize);
    }
}

impl<T: Clone> Window<T> {
    /// A copy of positions `start..end`, which this window must hold (unless it is empty).
    pub fn range(&self, start: u32, end: u32) -> Window<T> {
        let items = match end - start {
            0 => Vec::new(),
            _ => self.items[(start - self.start) as usize..(end - self.start) as usize].to_vec(),
        };
        Window { start, items }
    }
}

impl<T> std::ops::Index<u32> for Window<T> {
    type Output = T;
    fn index(&self, i: u32) -> &T {
        self.get(i).expect("an item the window keeps")
    }
}

impl<T> std::ops::IndexMut<u32> for Window<T> {
    fn index_mut(&mut self, i: u32) -> &mut T {
        self.get_mut(i).expect("an item the window keeps")
    }
}

impl<'a, T> IntoIterator for &'a Window<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

/// Serialized as the array of the items kept.
impl<T: Serialize> Serialize for Window<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.items.serialize(s)
    }
}

#[cfg(test)]
mod tests {
    use super::Window;

    #[test]
    fn positions_survive_forgetting() {
        let mut w = Window::default();
        for i in 0..10u32 {
            w.push(i * 10);
        }
        w.forget_before(4);
        assert_eq!((w.start(), w.end(), w.len()), (4, 10, 6));
        assert_eq!(w.get(3), None);
        assert_eq!(w[4], 40);
        assert_eq!(w.get(10), None);
        let r = w.range(5, 8);
        assert_eq!((r.start(), r.items()), (5, &[50, 60, 70][..]));
        w.truncate(7);
        assert_eq!(w.end(), 7);
        w.forget_before(100);
        assert!(w.is_empty());
        assert_eq!(w.start(), 7);
    }
}
