//! The points `serve` has simulated, by their settings.
//!
//! A request for a point under way waits for the same cell. Past a budget of
//! bytes of finished reports, the points finished first are let go, one at a
//! time, never the one just finished: a class that moves one slider back and
//! forth keeps its recent points (the cache used to start over whole). A
//! request already holding a point it let go keeps it until it is answered.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use tokio::sync::OnceCell;

/// One point's cell: empty while it is simulated.
pub type Cell<T> = Arc<OnceCell<T>>;

/// Cells by settings, with the finished ones' sizes in the order they finished.
pub struct PointCache<T> {
    cells: HashMap<Vec<String>, Cell<T>>,
    /// Finished points, oldest first: settings, cell, bytes.
    done: VecDeque<(Vec<String>, Cell<T>, usize)>,
    bytes: usize,
    budget: usize,
}

impl<T> PointCache<T> {
    /// An empty cache keeping about `budget` bytes of finished points.
    pub fn new(budget: usize) -> Self {
        PointCache {
            cells: HashMap::new(),
            done: VecDeque::new(),
            bytes: 0,
            budget,
        }
    }

    /// The cell of the point `key`: the one held, else a new empty one.
    pub fn cell(&mut self, key: &[String]) -> Cell<T> {
        self.cells.entry(key.to_vec()).or_default().clone()
    }

    /// Records that `cell`, the point `key`, holds `bytes` now; lets the
    /// oldest finished points go while the budget is passed.
    pub fn finished(&mut self, key: Vec<String>, cell: &Cell<T>, bytes: usize) {
        self.done.push_back((key, cell.clone(), bytes));
        self.bytes += bytes;
        while self.bytes > self.budget && self.done.len() > 1 {
            let Some((k, c, b)) = self.done.pop_front() else {
                break;
            };
            self.bytes -= b;
            // The same settings may have a newer cell by now: leave that one.
            if self.cells.get(&k).is_some_and(|held| Arc::ptr_eq(held, &c)) {
                self.cells.remove(&k);
            }
        }
    }

    /// Bytes of finished points held.
    #[cfg(test)]
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Points held, finished or under way.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.cells.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> Vec<String> {
        vec![s.to_string()]
    }

    /// Simulates the point: fills its cell and tells the cache.
    fn finish(c: &mut PointCache<u32>, k: &str, v: u32, bytes: usize) -> Cell<u32> {
        let cell = c.cell(&key(k));
        cell.set(v).unwrap();
        c.finished(key(k), &cell, bytes);
        cell
    }

    #[test]
    fn the_oldest_points_go_first_and_never_the_last_one() {
        let mut c = PointCache::new(100);
        finish(&mut c, "a", 1, 40);
        finish(&mut c, "b", 2, 40);
        assert_eq!((c.len(), c.bytes()), (2, 80));
        // Past the budget: "a" goes, "b" and "c" stay.
        let held_c = finish(&mut c, "c", 3, 40);
        assert_eq!((c.len(), c.bytes()), (2, 80));
        assert!(c.cell(&key("a")).get().is_none(), "a was let go");
        assert_eq!(c.cell(&key("b")).get(), Some(&2));
        assert!(Arc::ptr_eq(&c.cell(&key("c")), &held_c));
        // The one just finished stays even when it alone passes the budget.
        c.cell(&key("a")); // the empty cell of the lookup above, under way
        finish(&mut c, "d", 4, 500);
        assert_eq!(c.cell(&key("d")).get(), Some(&4));
        assert!(c.cell(&key("b")).get().is_none() && c.cell(&key("c")).get().is_none());
        assert_eq!(c.bytes(), 500);
    }

    #[test]
    fn a_point_let_go_and_simulated_again_is_not_dropped_by_its_old_entry() {
        let mut c = PointCache::new(100);
        finish(&mut c, "a", 1, 60);
        finish(&mut c, "b", 2, 60); // "a" goes
        let again = finish(&mut c, "a", 10, 30); // "a" anew
        finish(&mut c, "e", 5, 30); // "b" goes; the new "a" stays
        assert!(Arc::ptr_eq(&c.cell(&key("a")), &again));
        assert_eq!(c.cell(&key("a")).get(), Some(&10));
        assert!(c.cell(&key("b")).get().is_none());
    }
}
