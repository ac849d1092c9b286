//! A token-level Aho-Corasick automaton.
//!
//! Lexicon entries are sequences of vocabulary ids (one per token), so the
//! automaton's alphabet is token ids, not bytes: one pass over a document's
//! token ids finds every occurrence of every entry, overlapping ones included,
//! in time linear in the number of tokens plus hits. Transitions live in one
//! hash map keyed by `(state, token id)`; outputs are merged along failure
//! links at build time.

use rustc_hash::FxHashMap;
use std::collections::VecDeque;

/// The automaton. State 0 is the root.
#[derive(Debug)]
pub struct TokenAutomaton<T = super::LexHit> {
    next: FxHashMap<(u32, u32), u32>,
    fail: Vec<u32>,
    /// Per state: hits ending here, with their length in tokens.
    out: Vec<Vec<(T, u32)>>,
    /// Transitions from the root, by token id (0: none): most tokens fail there.
    root: Vec<u32>,
    entries: usize,
}

impl<T: Copy> TokenAutomaton<T> {
    /// Builds the automaton over `(token ids, hit)` pairs.
    pub fn new(entries: &[(Vec<u32>, T)]) -> TokenAutomaton<T> {
        let mut a = TokenAutomaton {
            next: FxHashMap::default(),
            fail: vec![0],
            out: vec![vec![]],
            root: vec![],
            entries: entries.len(),
        };
        for (ids, hit) in entries {
            let mut s = 0u32;
            for &id in ids {
                s = match a.next.get(&(s, id)) {
                    Some(&t) => t,
                    None => {
                        let t = a.fail.len() as u32;
                        a.fail.push(0);
                        a.out.push(vec![]);
                        a.next.insert((s, id), t);
                        t
                    }
                };
            }
            a.out[s as usize].push((*hit, ids.len() as u32));
        }
        for (&(s, id), &t) in &a.next {
            if s == 0 {
                if a.root.len() <= id as usize {
                    a.root.resize(id as usize + 1, 0);
                }
                a.root[id as usize] = t;
            }
        }
        // Breadth-first failure links.
        let mut children: Vec<Vec<(u32, u32)>> = vec![vec![]; a.fail.len()];
        for (&(s, id), &t) in &a.next {
            children[s as usize].push((id, t));
        }
        for c in &mut children {
            c.sort_unstable();
        }
        let mut queue: VecDeque<u32> = children[0].iter().map(|&(_, t)| t).collect();
        while let Some(s) = queue.pop_front() {
            for &(id, t) in &children[s as usize] {
                let mut f = a.fail[s as usize];
                let target = loop {
                    if let Some(&n) = a.next.get(&(f, id)) {
                        break n;
                    }
                    if f == 0 {
                        break 0;
                    }
                    f = a.fail[f as usize];
                };
                a.fail[t as usize] = target;
                let inherited = a.out[target as usize].clone();
                a.out[t as usize].extend(inherited);
                queue.push_back(t);
            }
        }
        a
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
            for &(h, len) in &self.out[s as usize] {
                let end = pos as u32 + 1;
                hit(end - len, end, h);
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
