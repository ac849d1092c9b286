//! A token-level Aho-Corasick automaton.
//!
//! Lexicon entries are sequences of vocabulary ids (one per token), so the
//! automaton's alphabet is token ids, not bytes: one pass over a document's
//! token ids finds every occurrence of every entry, overlapping ones included,
//! in time linear in the number of tokens plus hits. Transitions live in one
//! hash map keyed by `(state, token id)`; each state's own hits are a range of
//! one array, and a state's other hits are those of the states its output link
//! leads to (the nearest state with hits along the failure links), so a
//! gazetteer of 100,000 entries costs a few words a state, not a list each.

use rustc_hash::FxHashMap;
use std::collections::VecDeque;

/// The automaton. State 0 is the root.
#[derive(Debug)]
pub struct TokenAutomaton<T = super::LexHit> {
    next: FxHashMap<(u32, u32), u32>,
    fail: Vec<u32>,
    /// Per state: where its own hits start in `hits` (one more entry: the end).
    hits_at: Vec<u32>,
    /// Hits ending at a state, by state, with their length in tokens.
    hits: Vec<(T, u32)>,
    /// Per state: the next state along the failure links that has hits of its own (0: none).
    output_link: Vec<u32>,
    /// Transitions from the root, by token id (0: none): most tokens fail there.
    root: Vec<u32>,
    entries: usize,
}

/// Entries added one at a time, then [`Builder::build`].
pub struct Builder<T> {
    next: FxHashMap<(u32, u32), u32>,
    states: u32,
    /// (state, hit, length) in the order added.
    hits: Vec<(u32, T, u32)>,
}

impl<T: Copy> Default for Builder<T> {
    fn default() -> Self {
        Builder { next: FxHashMap::default(), states: 1, hits: Vec::new() }
    }
}

impl<T: Copy> Builder<T> {
    /// Adds an entry: its token ids (at least one) and its hit.
    pub fn add(&mut self, ids: impl IntoIterator<Item = u32>, hit: T) {
        let (mut s, mut len) = (0u32, 0u32);
        for id in ids {
            let fresh = self.states;
            s = *self.next.entry((s, id)).or_insert(fresh);
            if s == fresh {
                self.states += 1;
            }
            len += 1;
        }
        debug_assert!(len > 0, "an entry has tokens");
        self.hits.push((s, hit, len));
    }

    /// The automaton: failure links breadth first, hits by state.
    pub fn build(self) -> TokenAutomaton<T> {
        let Builder { next, states, mut hits } = self;
        let n = states as usize;
        let entries = hits.len();
        let mut root = vec![];
        // Children of each state, sorted by token id, as ranges of one array.
        let mut edges: Vec<(u32, u32, u32)> = next.iter().map(|(&(s, id), &t)| (s, id, t)).collect();
        edges.sort_unstable();
        let mut edges_at = vec![0u32; n + 1];
        for &(s, id, t) in &edges {
            edges_at[s as usize + 1] += 1;
            if s == 0 {
                if root.len() <= id as usize {
                    root.resize(id as usize + 1, 0);
                }
                root[id as usize] = t;
            }
        }
        for i in 0..n {
            edges_at[i + 1] += edges_at[i];
        }
        // Own hits by state, in the order added.
        hits.sort_by_key(|&(s, _, _)| s);
        let mut hits_at = vec![0u32; n + 1];
        for &(s, _, _) in &hits {
            hits_at[s as usize + 1] += 1;
        }
        for i in 0..n {
            hits_at[i + 1] += hits_at[i];
        }
        let has_hits = |s: u32| hits_at[s as usize] < hits_at[s as usize + 1];
        let mut fail = vec![0u32; n];
        let mut output_link = vec![0u32; n];
        let children = |s: u32| &edges[edges_at[s as usize] as usize..edges_at[s as usize + 1] as usize];
        let mut queue: VecDeque<u32> = children(0).iter().map(|&(_, _, t)| t).collect();
        while let Some(s) = queue.pop_front() {
            for &(_, id, t) in children(s) {
                let mut f = fail[s as usize];
                let target = loop {
                    if let Some(&x) = next.get(&(f, id)) {
                        break x;
                    }
                    if f == 0 {
                        break 0;
                    }
                    f = fail[f as usize];
                };
                fail[t as usize] = target;
                output_link[t as usize] = if has_hits(target) { target } else { output_link[target as usize] };
                queue.push_back(t);
            }
        }
        let hits = hits.into_iter().map(|(_, h, len)| (h, len)).collect();
        TokenAutomaton { next, fail, hits_at, hits, output_link, root, entries }
    }
}

impl<T: Copy> TokenAutomaton<T> {
    /// Builds the automaton over `(token ids, hit)` pairs.
    pub fn new(entries: &[(Vec<u32>, T)]) -> TokenAutomaton<T> {
        let mut b = Builder::default();
        for (ids, hit) in entries {
            b.add(ids.iter().copied(), *hit);
        }
        b.build()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries
    }

    /// Whether it has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries == 0
    }

    /// Number of states.
    pub fn states(&self) -> usize {
        self.fail.len()
    }

    /// Calls `hit(start, end, hit)` for every entry occurrence in `ids`
    /// (`u32::MAX` marks a token that is in no entry).
    pub fn find(&self, ids: &[u32], mut hit: impl FnMut(u32, u32, T)) {
        if self.entries == 0 {
            return;
        }
        let mut s = 0u32;
        for (pos, &id) in ids.iter().enumerate() {
            if id == u32::MAX {
                s = 0;
                continue;
            }
            loop {
                if s == 0 {
                    s = self.root.get(id as usize).copied().unwrap_or(0);
                    break;
                }
                if let Some(&t) = self.next.get(&(s, id)) {
                    s = t;
                    break;
                }
                s = self.fail[s as usize];
            }
            // This state's hits, then those along its output links: longest first.
            let end = pos as u32 + 1;
            let mut at = s;
            while at != 0 {
                let own = &self.hits[self.hits_at[at as usize] as usize..self.hits_at[at as usize + 1] as usize];
                for &(h, len) in own {
                    hit(end - len, end, h);
                }
                at = self.output_link[at as usize];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::hir::LexiconId;
    use crate::compile::LexHit;

    #[test]
    fn finds_overlapping_entries() {
        let h = |e| LexHit { lexicon: LexiconId(0), entry: e };
        let a: TokenAutomaton = TokenAutomaton::new(&[(vec![1, 2], h(0)), (vec![2], h(1)), (vec![2, 3, 4], h(2))]);
        let mut found = vec![];
        a.find(&[1, 2, 3, 4, u32::MAX, 2], |s, e, x| found.push((s, e, x.entry)));
        assert_eq!(found, vec![(0, 2, 0), (1, 2, 1), (1, 4, 2), (5, 6, 1)]);
    }
}
