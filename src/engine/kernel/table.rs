//! Rows by id (messages, deliveries, queue entries, a subscriber's obligations) of which only the recent
//! ones and the few still needed are kept: a long run's memory follows what is live, not how long it ran.
//!
//! Ids grow by one with each row pushed. Rows from `base` on are kept densely, in a `Vec`; rows below it
//! have been *folded*: dropped, unless the engine said they were still needed (a message still owed, a
//! delivery an anomaly points at), which then wait aside, sorted by id (few, and each fold adds ids above
//! the earlier ones). Reading a dropped row through `get` answers `None`; through `[]` it is an engine
//! bug, like reading past the end of a `Vec`.
//!
//! The shipped wasm carries a copy of this code per row type, so it is kept plain: `Vec`s of `Copy` rows
//! and loops, no `BTreeMap` (docs/measurements.md has what each choice weighed).
use std::marker::PhantomData;
use std::ops::{Index, IndexMut};

/// A row's id: a number that grows by one per row pushed, wrapped in a type per table so that a message's
/// id cannot index the deliveries.
pub trait RowId: Copy {
    fn from_raw(raw: u32) -> Self;
    fn raw(self) -> u32;
}

impl RowId for u32 {
    fn from_raw(raw: u32) -> Self {
        raw
    }
    fn raw(self) -> u32 {
        self
    }
}

#[derive(Clone, Debug)]
pub struct Table<K, T> {
    /// The id of `dense[0]`; every id below it is folded.
    base: u32,
    dense: Vec<T>,
    /// Folded rows kept because they are still needed, by id, sorted.
    kept: Vec<(u32, T)>,
    id: PhantomData<K>,
}

impl<K, T> Default for Table<K, T> {
    fn default() -> Self {
        Table { base: 0, dense: Vec::new(), kept: Vec::new(), id: PhantomData }
    }
}

impl<K: RowId, T> Table<K, T> {
    /// A table whose id 0 is `placeholder` (ids shown to users start at 1).
    pub fn with_first(placeholder: T) -> Self {
        Table { base: 0, dense: vec![placeholder], kept: Vec::new(), id: PhantomData }
    }

    /// The id the next pushed row gets (rows are never removed from the id space, so this counts every
    /// row ever pushed, folded or not).
    pub fn len(&self) -> usize {
        self.base as usize + self.dense.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The first id kept densely: rows below it are folded (dropped, or kept aside).
    pub fn base(&self) -> K {
        K::from_raw(self.base)
    }

    /// The id the next pushed row gets.
    pub fn next_id(&self) -> K {
        K::from_raw(self.len() as u32)
    }

    /// How many rows are kept (dense and folded-but-kept): what the table costs.
    pub fn rows_kept(&self) -> usize {
        self.dense.len() + self.kept.len()
    }

    /// Pushes a row; returns its id.
    pub fn push(&mut self, row: T) -> K {
        self.dense.push(row);
        K::from_raw((self.len() - 1) as u32)
    }

    // An id below `base` wraps around to a huge index, so one bounds check tells a dense row from the
    // rest: the hot path costs a subtraction more than a `Vec`'s.

    #[inline]
    pub fn get(&self, id: K) -> Option<&T> {
        let id = id.raw();
        match self.dense.get(id.wrapping_sub(self.base) as usize) {
            Some(row) => Some(row),
            None => kept(&self.kept, id),
        }
    }

    #[inline]
    pub fn get_mut(&mut self, id: K) -> Option<&mut T> {
        let id = id.raw();
        match self.dense.get_mut(id.wrapping_sub(self.base) as usize) {
            Some(row) => Some(row),
            None => kept_mut(&mut self.kept, id),
        }
    }

    /// The kept rows with their ids, in id order.
    pub fn iter(&self) -> impl Iterator<Item = (K, &T)> {
        let base = self.base;
        self.kept
            .iter()
            .map(|(id, row)| (K::from_raw(*id), row))
            .chain(self.dense.iter().enumerate().map(move |(i, row)| (K::from_raw(base + i as u32), row)))
    }

    /// The dense rows (ids `base()..len()`), for loops on the hot path.
    pub fn recent(&self) -> &[T] {
        &self.dense
    }

    /// The id of the first dense row `at_or_past` says yes to (`len()` if none): where to fold a table
    /// numbered in its own order up to, when its rows belong to messages.
    pub fn first_recent_id(&self, at_or_past: impl Fn(&T) -> bool) -> K {
        K::from_raw(self.base + self.dense.iter().position(at_or_past).unwrap_or(self.dense.len()) as u32)
    }

    pub fn capacity(&self) -> usize {
        self.dense.capacity()
    }

    /// The bytes the table holds, capacity included (the same on every machine: `Vec` grows by a rule).
    pub fn bytes(&self) -> u64 {
        (self.dense.capacity() * std::mem::size_of::<T>() + self.kept.capacity() * std::mem::size_of::<(u32, T)>())
            as u64
    }

    /// The bytes a table about to outgrow its capacity within `rows` more rows will allocate for its
    /// next one (a `Vec` doubles: old and new are both held while it copies), or 0.
    pub fn growth_bytes_within(&self, rows: usize) -> u64 {
        if self.dense.len() + rows <= self.dense.capacity() {
            return 0;
        }
        (self.dense.capacity().max(rows) * 2 * std::mem::size_of::<T>()) as u64
    }

    /// Best effort, as `Vec::try_reserve_exact`.
    pub fn try_reserve_exact(&mut self, additional: usize) -> bool {
        self.dense.try_reserve_exact(additional).is_ok()
    }
}

impl<K: RowId, T: Copy> Table<K, T> {
    /// Folds every row below `new_base`: a row is kept aside if `keep(id, row)` says so, and dropped
    /// otherwise. Rows already kept aside are asked again, so a row kept once can be dropped later. A
    /// `new_base` at or below the current one only asks the kept rows again.
    pub fn fold_below(&mut self, new_base: K, keep: impl Fn(K, &T) -> bool) {
        let mut kept = 0;
        for i in 0..self.kept.len() {
            let (id, row) = self.kept[i];
            if keep(K::from_raw(id), &row) {
                self.kept[kept] = (id, row);
                kept += 1;
            }
        }
        self.kept.truncate(kept);
        let new_base = new_base.raw().min(self.len() as u32);
        if new_base <= self.base {
            return;
        }
        // Asked in place and only the few kept copied: most rows are simply dropped, and the rest moves
        // down with one `memmove`.
        let folded = (new_base - self.base) as usize;
        for (i, row) in self.dense[..folded].iter().enumerate() {
            let id = self.base + i as u32;
            if keep(K::from_raw(id), row) {
                self.kept.push((id, *row));
            }
        }
        let len = self.dense.len();
        self.dense.copy_within(folded.., 0);
        self.dense.truncate(len - folded);
        self.base = new_base;
    }

    /// Makes row `id` exist (filling any gap with `fill`) and returns it; for tables grown lazily, by
    /// message id. `None` for a folded id that was not kept.
    pub fn grow_to(&mut self, id: K, fill: T) -> Option<&mut T> {
        if let Some(i) = id.raw().checked_sub(self.base) {
            if self.dense.len() <= i as usize {
                self.dense.resize(i as usize + 1, fill);
            }
        }
        self.get_mut(id)
    }
}

/// A set of ids, as bits from its smallest id to its largest: asked once per row folded, so a test costs a
/// shift (no sort, no tree: their code would weigh on the shipped wasm).
#[derive(Clone, Debug)]
pub struct IdSet<K> {
    lo: u32,
    words: Vec<u64>,
    id: PhantomData<K>,
}

impl<K: RowId> IdSet<K> {
    pub fn of(ids: &[K]) -> IdSet<K> {
        let raw = || ids.iter().map(|id| id.raw());
        let (Some(lo), Some(hi)) = (raw().min(), raw().max()) else {
            return IdSet { lo: 0, words: Vec::new(), id: PhantomData };
        };
        let mut words = vec![0u64; ((hi - lo) / 64 + 1) as usize];
        for id in raw() {
            let i = id - lo;
            words[(i / 64) as usize] |= 1 << (i % 64);
        }
        IdSet { lo, words, id: PhantomData }
    }

    pub fn contains(&self, id: K) -> bool {
        let Some(i) = id.raw().checked_sub(self.lo) else { return false };
        self.words.get((i / 64) as usize).is_some_and(|w| w & (1 << (i % 64)) != 0)
    }
}

impl<K: RowId, T> Index<K> for Table<K, T> {
    type Output = T;
    #[inline]
    fn index(&self, id: K) -> &T {
        let id = id.raw();
        match self.dense.get(id.wrapping_sub(self.base) as usize) {
            Some(row) => row,
            None => kept(&self.kept, id).unwrap_or_else(|| folded(id)),
        }
    }
}

impl<K: RowId, T> IndexMut<K> for Table<K, T> {
    #[inline]
    fn index_mut(&mut self, id: K) -> &mut T {
        let id = id.raw();
        match self.dense.get_mut(id.wrapping_sub(self.base) as usize) {
            Some(row) => row,
            None => kept_mut(&mut self.kept, id).unwrap_or_else(|| folded(id)),
        }
    }
}

// Out of line: `get` and `[]` are inlined wherever a row is read, and the search for a kept row is rare.
#[cold]
#[inline(never)]
fn kept<T>(rows: &[(u32, T)], id: u32) -> Option<&T> {
    rows.binary_search_by_key(&id, |(k, _)| *k).ok().map(|i| &rows[i].1)
}

#[cold]
#[inline(never)]
fn kept_mut<T>(rows: &mut [(u32, T)], id: u32) -> Option<&mut T> {
    rows.binary_search_by_key(&id, |(k, _)| *k).ok().map(|i| &mut rows[i].1)
}

#[cold]
#[inline(never)]
fn folded(id: u32) -> ! {
    panic!("row {id} is past the end or was folded away while still in use")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(rows: u32) -> Table<u32, u32> {
        let mut t = Table::default();
        for i in 0..rows {
            assert_eq!(t.push(i * 10), i);
        }
        t
    }

    #[test]
    fn folding_keeps_ids_and_only_the_rows_asked_for() {
        let mut t = table(10);
        t.fold_below(6, |id, _| id == 2 || id == 4);
        assert_eq!((t.base(), t.len(), t.rows_kept()), (6, 10, 6));
        assert_eq!(t.get(2), Some(&20));
        assert_eq!(t[4], 40);
        assert_eq!(t.get(3), None);
        assert_eq!(t.get(5), None);
        assert_eq!(t[7], 70);
        assert_eq!(t.push(100), 10);
        assert_eq!(t.iter().map(|(id, _)| id).collect::<Vec<_>>(), vec![2, 4, 6, 7, 8, 9, 10]);
        assert_eq!(t.recent(), &[60, 70, 80, 90, 100]);
        t[2] += 1;
        assert_eq!(t.get(2), Some(&21));
    }

    #[test]
    fn kept_rows_are_asked_again_and_a_base_never_moves_back_or_past_the_end() {
        let mut t = table(10);
        t.fold_below(5, |id, _| id == 1 || id == 3);
        t.fold_below(3, |id, _| id == 3);
        assert_eq!((t.base(), t.get(1), t.get(3)), (5, None, Some(&30)));
        t.fold_below(50, |_, _| false);
        assert_eq!((t.base(), t.len(), t.rows_kept()), (10, 10, 0));
        assert_eq!(t.push(7), 10);
        assert_eq!(t[10], 7);
    }

    #[test]
    fn an_id_set_holds_exactly_its_ids() {
        let set = IdSet::of(&[70u32, 3, 200, 3]);
        let members: Vec<u32> = (0..300).filter(|&id| set.contains(id)).collect();
        assert_eq!(members, vec![3, 70, 200]);
        assert!(!IdSet::<u32>::of(&[]).contains(0));
        assert!(IdSet::of(&[u32::MAX]).contains(u32::MAX));
    }

    #[test]
    fn lazily_grown_rows_fill_gaps_and_refuse_folded_ids() {
        let mut t: Table<u32, u8> = Table::default();
        *t.grow_to(3, 0).expect("grown") = 9;
        assert_eq!(t.recent(), &[0, 0, 0, 9]);
        t.fold_below(2, |_, _| false);
        assert!(t.grow_to(1, 0).is_none());
        assert_eq!(t.grow_to(5, 0).copied(), Some(0));
        assert_eq!(t.len(), 6);
    }

    #[test]
    #[should_panic(expected = "folded away")]
    fn reading_a_dropped_row_by_index_is_a_loud_bug() {
        let mut t = table(4);
        t.fold_below(2, |_, _| false);
        let _ = t[1];
    }
}
