//! Putting short lists in order without the standard library's sort: each element type sorted by
//! `slice::sort_by_key` added 3–4 KB of code to the wasm (a quicksort, a merge, a small-sort each), for
//! lists of a few hundred items at most.

/// Sorts `items` by `key`, stably (equal keys keep their order): an insertion sort, whose time is the
/// number of pairs out of order, so it is for short or nearly sorted lists only.
pub fn sort_short_by_key<T, K: PartialOrd>(items: &mut [T], key: impl Fn(&T) -> K) {
    for i in 1..items.len() {
        let mut j = i;
        while j > 0 && key(&items[j - 1]) > key(&items[j]) {
            items.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// Two lists each in order by `key`, as one in order: at equal keys, `first`'s items come first.
pub fn merge_by_key<T, K: PartialOrd>(
    first: impl IntoIterator<Item = T>,
    second: impl IntoIterator<Item = T>,
    key: impl Fn(&T) -> K,
) -> impl Iterator<Item = T> {
    let (mut first, mut second) = (first.into_iter().peekable(), second.into_iter().peekable());
    std::iter::from_fn(move || match (first.peek(), second.peek()) {
        (Some(a), Some(b)) if key(b) < key(a) => second.next(),
        (Some(_), _) => first.next(),
        (None, _) => second.next(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_list_is_sorted_stably_and_two_sorted_lists_merge_in_order() {
        let mut moves = [(5, 'a'), (1, 'b'), (5, 'c'), (0, 'd'), (1, 'e')];
        sort_short_by_key(&mut moves, |m| m.0);
        assert_eq!(moves, [(0, 'd'), (1, 'b'), (1, 'e'), (5, 'a'), (5, 'c')]);
        let merged: Vec<(u32, char)> =
            merge_by_key([(1, 'f'), (4, 'f'), (4, 'g')], [(0, 's'), (4, 's'), (9, 's')], |m| m.0).collect();
        assert_eq!(merged, [(0, 's'), (1, 'f'), (4, 'f'), (4, 'g'), (4, 's'), (9, 's')]);
        let mut none: [u8; 0] = [];
        sort_short_by_key(&mut none, |&b| b);
        assert_eq!(merge_by_key(Vec::<u8>::new(), vec![], |&b| b).count(), 0);
    }
}
