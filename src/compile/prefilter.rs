//! The literal prefilter: a checked [`RuleSet`] in, a [`Prefilter`] out when
//! every match of every rule is made of lexicon entries and literal tokens.
//!
//! Such a rule set (a gazetteer, a phrase list) can only match where one of its
//! entries occurs, so a document need not be tokenized whole: each entry gets
//! a *needle*, the longest run of ASCII letters and digits in one of its token
//! keys. The tokenizer never splits such a run, so where an entry occurs, its
//! needle is a whole run of the text too: one pass over the raw bytes looks
//! every run up in a hash table of the needles (ASCII case ignored). Around
//! each run that is a needle, a window reaching as many whitespace-separated
//! chunks to each side as the entry has tokens before and after the needle is
//! tokenized; windows that overlap or nearly touch are merged. The rules then
//! run on those tokens only, and find exactly what they would on the whole
//! document, because:
//!
//! - a window starts and ends at whitespace, where the tokenizer starts afresh
//!   (only a sentence boundary *at* the window's edge depends on the text
//!   before it, and no match crosses a window's edge);
//! - every match contains the needle of its entry, whose window holds it;
//! - matches that overlap share a token, so their windows are merged, and
//!   conflict resolution only ever compares overlapping annotations.
//!
//! Normalization could turn a non-ASCII character into ASCII letters (`ﬁ`,
//! the Kelvin sign, full-width forms) or join an ASCII letter with a
//! combining mark; a document holding such a character is tokenized whole
//! (so is one whose windows cover most of it: see [`crate::exec::document`]),
//! and rule sets with more than [`MAX_NEEDLES`] needles get no prefilter.

use crate::check::hir::{LexiconId, Pat, RuleSet, Step, Test};
use rustc_hash::{FxHashMap, FxHashSet};

/// More needles than this are not worth looking for: in natural text their
/// windows cover most of a document, and the tables outgrow the cache.
const MAX_NEEDLES: usize = 4096;

/// Windows closer than this many bytes are merged into one.
const MERGE_GAP: usize = 32;

/// How many tokens an entry has before and after its needle's token.
type Reach = (u32, u32);

/// Needles of a rule set whose matches are all lexicon entries and literals.
#[derive(Debug)]
pub struct Prefilter {
    /// The needles, lower-cased, each with how many tokens an entry holding it has
    /// before and after the needle's token.
    needles: Vec<(Box<[u8]>, Reach)>,
    /// Open-addressing table, by [`run_hash`]: a tag from the hash's high bits (never 0,
    /// which marks an empty slot) and the needle's index.
    slots: Vec<(u32, u32)>,
    /// One bit per hash value modulo its length, set for the needles' hashes: a small
    /// table that stays in cache and turns most runs away before the slots.
    seen: Vec<u64>,
}

/// Calls `f` with the byte range of every maximal run of ASCII letters and
/// digits in `text`, in order, 64 bytes at a time; `None` (stopping early)
/// at a character whose key could hold ASCII letters or digits.
fn ascii_runs(text: &str, mut f: impl FnMut(usize, usize)) -> Option<()> {
    let bytes = text.as_bytes();
    let (mut open, mut run_start) = (0u64, 0usize);
    for (b, block) in bytes.chunks(64).enumerate() {
        let base = b * 64;
        let (mut alnum, mut high) = (0u64, 0u64);
        for (w, word) in block.chunks(8).enumerate() {
            let (a, h) = classify(word);
            alnum |= (a as u64) << (8 * w);
            high |= (h as u64) << (8 * w);
        }
        // Non-ASCII characters, at their first byte.
        while high != 0 {
            let k = high.trailing_zeros() as usize;
            high &= high - 1;
            if bytes[base + k] >= 0xC0 {
                let c = text[base + k..].chars().next().expect("a character starts here");
                if crate::text::may_become_ascii(c) {
                    return None;
                }
            }
        }
        // Where a run starts or ends.
        let mut changes = alnum ^ ((alnum << 1) | open);
        while changes != 0 {
            let k = changes.trailing_zeros() as usize;
            changes &= changes - 1;
            if alnum & (1 << k) != 0 {
                run_start = base + k;
            } else {
                f(run_start, base + k);
            }
        }
        open = alnum >> 63;
        if block.len() < 64 && (alnum >> (block.len() - 1)) & 1 != 0 {
            open = 1;
        }
    }
    if open != 0 {
        f(run_start, bytes.len());
    }
    Some(())
}

/// Of up to eight bytes: which are ASCII letters or digits, and which are not ASCII (bit `k` for byte `k`).
#[inline]
fn classify(word: &[u8]) -> (u8, u8) {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const GATHER: u64 = 0x0102_0408_1020_4080;
    let mut w = [0u8; 8];
    w[..word.len()].copy_from_slice(word);
    let w = u64::from_le_bytes(w);
    let x = w & !HIGH;
    // Per byte x < 0x80: x + c < 0x100, so no carry crosses bytes; the high bit says x + c >= 0x80.
    let lower = x | 0x2020_2020_2020_2020;
    let letter = (lower + 0x1f1f_1f1f_1f1f_1f1f) & !(lower + 0x0505_0505_0505_0505) & HIGH;
    let digit = (x + 0x5050_5050_5050_5050) & !(x + 0x4646_4646_4646_4646) & HIGH;
    let alnum = (letter | digit) & !w & HIGH;
    let gather = |m: u64| ((m >> 7).wrapping_mul(GATHER) >> 56) as u8;
    let len_mask = if word.len() == 8 { 0xff } else { (1u8 << word.len()) - 1 };
    (gather(alnum) & len_mask, gather(w & HIGH) & len_mask)
}

/// A sequence of tokens a match is made of: literal keys, and lexicons (any of their entries).
#[derive(Clone, Debug)]
enum Atom {
    Key(String),
    Lexicon(LexiconId),
}

impl Prefilter {
    /// The prefilter for `set`, or why there is none.
    pub fn plan(set: &RuleSet) -> Result<Prefilter, String> {
        if set.order.iter().any(|s| matches!(s, Step::Derive(_))) {
            return Err("the rules derive lexicons from the document".into());
        }
        let mut sequences: Vec<Vec<Atom>> = Vec::new();
        for r in &set.rules {
            let mut alts = vec![vec![]];
            if !atoms(&r.pattern, set, &mut alts) {
                return Err(format!("rule `{}` matches more than lexicon entries and literals", r.name));
            }
            sequences.extend(alts);
        }
        // Longest token count of each lexicon's entries, for the atoms around a needle.
        let widest = |a: &Atom| match a {
            Atom::Key(_) => 1,
            Atom::Lexicon(l) => {
                set.lexicons[l.0 as usize].entries.iter().map(|e| e.keys.len() as u32).max().unwrap_or(0)
            }
        };
        let mut reach: FxHashMap<String, (u32, u32)> = FxHashMap::default();
        let mut add = |needle: String, before: u32, after: u32| {
            let r = reach.entry(needle).or_insert((0, 0));
            *r = (r.0.max(before), r.1.max(after));
        };
        let mut lexicons_done: FxHashSet<(u32, u32, u32)> = FxHashSet::default();
        for seq in &sequences {
            if seq.is_empty() {
                return Err("a rule can match no tokens".into());
            }
            let widths: Vec<u32> = seq.iter().map(widest).collect();
            // A literal with a needle is the cheapest choice; otherwise the first lexicon.
            let key_needle = seq.iter().enumerate().filter_map(|(i, a)| match a {
                Atom::Key(k) => needle_of(std::slice::from_ref(k)).map(|(n, _)| (i, n)),
                Atom::Lexicon(_) => None,
            });
            if let Some((i, n)) = key_needle.max_by_key(|(_, n)| n.len()) {
                add(n, widths[..i].iter().sum(), widths[i + 1..].iter().sum());
                continue;
            }
            let Some(i) = seq.iter().position(|a| matches!(a, Atom::Lexicon(_))) else {
                return Err("a literal has no ASCII letter or digit to look for".into());
            };
            let Atom::Lexicon(l) = seq[i] else { unreachable!() };
            let (outer_before, outer_after) = (widths[..i].iter().sum::<u32>(), widths[i + 1..].iter().sum::<u32>());
            if !lexicons_done.insert((l.0, outer_before, outer_after)) {
                continue;
            }
            let lex = &set.lexicons[l.0 as usize];
            for e in &lex.entries {
                let Some((n, at)) = needle_of(&e.keys) else {
                    return Err(format!(
                        "lexicon `{}` has an entry with no ASCII letter or digit to look for: `{}`",
                        lex.name, e.text
                    ));
                };
                add(n, outer_before + at as u32, outer_after + (e.keys.len() - 1 - at) as u32);
            }
        }
        if reach.len() > MAX_NEEDLES {
            return Err(format!(
                "{} needles: more than {MAX_NEEDLES} distinct words would find windows almost everywhere",
                reach.len()
            ));
        }
        let mut needles: Vec<(String, (u32, u32))> = reach.into_iter().collect();
        needles.sort_unstable();
        // A quarter full, so that a run that is no needle mostly meets an empty slot at once.
        let mut slots = vec![(0u32, 0u32); (needles.len() * 4).next_power_of_two().max(16)];
        let mask = slots.len() - 1;
        for (i, (n, _)) in needles.iter().enumerate() {
            let h = run_hash(n.as_bytes());
            let mut at = h as usize & mask;
            while slots[at].0 != 0 {
                at = (at + 1) & mask;
            }
            slots[at] = (tag(h), i as u32);
        }
        let mut seen = vec![0u64; (needles.len() / 2).next_power_of_two().clamp(64, 1 << 16)];
        for (n, _) in &needles {
            let bit = seen_bit(run_hash(n.as_bytes()), seen.len());
            seen[bit / 64] |= 1 << (bit % 64);
        }
        let needles = needles.into_iter().map(|(n, r)| (n.into_bytes().into_boxed_slice(), r)).collect();
        Ok(Prefilter { needles, slots, seen })
    }

    /// The needle index of a run of ASCII letters and digits, if it is one (ASCII case ignored).
    #[inline]
    fn lookup(&self, run: &[u8]) -> Option<usize> {
        let h = run_hash(run);
        let bit = seen_bit(h, self.seen.len());
        if self.seen[bit / 64] & (1 << (bit % 64)) == 0 {
            return None;
        }
        let (mask, t) = (self.slots.len() - 1, tag(h));
        let mut at = h as usize & mask;
        loop {
            let (slot_tag, i) = self.slots[at];
            if slot_tag == 0 {
                return None;
            }
            if slot_tag == t {
                let needle = &self.needles[i as usize].0;
                if needle.len() == run.len() && needle.iter().zip(run).all(|(&n, &b)| n == b | 0x20) {
                    return Some(i as usize);
                }
            }
            at = (at + 1) & mask;
        }
    }

    /// How many needles it looks for.
    pub fn needles(&self) -> usize {
        self.needles.len()
    }

    /// The needles, sorted, each with the most tokens an entry has before and after its token.
    pub fn needle_reach(&self) -> impl Iterator<Item = (&str, (u32, u32))> {
        self.needles.iter().map(|(n, r)| (std::str::from_utf8(n).expect("ASCII"), *r))
    }

    /// The most tokens an entry has before and after its needle's token.
    pub fn widest_reach(&self) -> (u32, u32) {
        self.needles.iter().fold((0, 0), |(b, a), (_, (x, y))| (b.max(*x), a.max(*y)))
    }

    /// The byte ranges of `text` to tokenize, sorted and apart, each starting and
    /// ending at whitespace or the text's ends. `None` when the text has a
    /// character that normalization could make into ASCII letters or digits (then
    /// the whole text must be tokenized).
    pub fn windows(&self, text: &str, out: &mut Vec<(usize, usize)>) -> Option<()> {
        out.clear();
        let bytes = text.as_bytes();
        ascii_runs(text, |p, q| {
            if let Some(n) = self.lookup(&bytes[p..q]) {
                let (before, after) = self.needles[n].1;
                out.push((chunks_back(bytes, p, before), chunks_forward(bytes, q, after)));
            }
        })?;
        // Runs come in order, but a wider reach can take a later window's start further back.
        if out.windows(2).any(|w| w[1].0 < w[0].0) {
            out.sort_unstable();
        }
        let mut merged = 0;
        for i in 0..out.len() {
            let (start, end) = out[i];
            // Windows a few bytes apart are cheaper to tokenize as one.
            if merged > 0 && start <= out[merged - 1].1 + MERGE_GAP {
                out[merged - 1].1 = out[merged - 1].1.max(end);
            } else {
                out[merged] = (start, end);
                merged += 1;
            }
        }
        out.truncate(merged);
        Some(())
    }
}

/// The hash of a run of ASCII letters and digits, case ignored (`| 0x20` lower-cases
/// them), eight bytes at a time.
#[inline]
fn run_hash(run: &[u8]) -> u64 {
    const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
    let mut h = run.len() as u64;
    let mut chunks = run.chunks_exact(8);
    for c in &mut chunks {
        let w = u64::from_le_bytes(c.try_into().expect("eight bytes")) | 0x2020_2020_2020_2020;
        h = (h.rotate_left(5) ^ w).wrapping_mul(K);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut w = 0u64;
        for (k, &b) in rest.iter().enumerate() {
            w |= ((b | 0x20) as u64) << (8 * k);
        }
        h = (h.rotate_left(5) ^ w).wrapping_mul(K);
    }
    h ^ (h >> 32)
}

/// The bit of a hash in a [`Prefilter::seen`] table of `words` words (a power of two).
#[inline]
fn seen_bit(h: u64, words: usize) -> usize {
    (h >> 20) as usize & (words * 64 - 1)
}

/// The slot tag of a hash: never 0.
#[inline]
fn tag(h: u64) -> u32 {
    (h >> 40) as u32 | 1
}

fn is_space(b: u8) -> bool {
    b == b' ' || (b'\t'..=b'\r').contains(&b)
}

/// The start of the chunk holding byte `at - 1` (the chunk `at` lies in or ends), then `n` chunks further back.
fn chunks_back(bytes: &[u8], mut at: usize, n: u32) -> usize {
    for k in 0..=n {
        if k > 0 {
            while at > 0 && is_space(bytes[at - 1]) {
                at -= 1;
            }
        }
        while at > 0 && !is_space(bytes[at - 1]) {
            at -= 1;
        }
    }
    at
}

/// The end of the chunk holding byte `at`, then `n` chunks further on.
fn chunks_forward(bytes: &[u8], mut at: usize, n: u32) -> usize {
    for k in 0..=n {
        if k > 0 {
            while at < bytes.len() && is_space(bytes[at]) {
                at += 1;
            }
        }
        while at < bytes.len() && !is_space(bytes[at]) {
            at += 1;
        }
    }
    at
}

/// The longest run of ASCII letters and digits in the keys, lower-cased, and the key it is in.
///
/// The one place the tokenizer splits such a run is a negation clitic: `don't` is `do` `n't`,
/// so the text's run is `don`. A key before `n't` is looked for with its `n`, and the `n` of
/// `n't` is no needle of its own.
fn needle_of<K: AsRef<str>>(keys: &[K]) -> Option<(String, usize)> {
    let clitic = |k: &str| k.len() >= 2 && k.as_bytes()[0].eq_ignore_ascii_case(&b'n') && k[1..].starts_with('\'');
    let mut best: Option<(String, usize)> = None;
    for (i, k) in keys.iter().enumerate() {
        let k = k.as_ref();
        let k = if keys.get(i + 1).is_some_and(|next| clitic(next.as_ref())) { format!("{k}n") } else { k.to_string() };
        let k = if clitic(&k) { &k[2..] } else { &k[..] };
        for run in k.split(|c: char| !c.is_ascii_alphanumeric()) {
            if run.len() > best.as_ref().map_or(0, |(b, _)| b.len()) {
                best = Some((run.to_string(), i));
            }
        }
    }
    best.map(|(run, i)| (run.to_ascii_lowercase(), i))
}

/// Expands `p` into the token sequences it can match, appended to every
/// sequence in `alts`; `false` when a match can hold anything other than
/// literals and static lexicon entries.
fn atoms(p: &Pat, set: &RuleSet, alts: &mut Vec<Vec<Atom>>) -> bool {
    const MAX_ALTERNATIVES: usize = 4096;
    match p {
        Pat::Seq(items) => items.iter().all(|i| atoms(i, set, alts)),
        Pat::Capture(_, inner) => atoms(inner, set, alts),
        Pat::Alt(options) => {
            let mut all = Vec::new();
            for o in options {
                let mut branch = alts.clone();
                if !atoms(o, set, &mut branch) {
                    return false;
                }
                all.extend(branch);
                if all.len() > MAX_ALTERNATIVES {
                    return false;
                }
            }
            *alts = all;
            true
        }
        Pat::Token(Test::Key { key, .. }) => {
            alts.iter_mut().for_each(|a| a.push(Atom::Key(key.clone())));
            true
        }
        Pat::Annot { label, .. } => {
            let Some(lex) = set.labels[label.0 as usize].lexicon else { return false };
            if set.lexicons[lex.0 as usize].derived.is_some() {
                return false;
            }
            alts.iter_mut().for_each(|a| a.push(Atom::Lexicon(lex)));
            true
        }
        _ => false,
    }
}
