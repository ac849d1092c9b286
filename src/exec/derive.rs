//! Derived lexicons (name propagation): the names found so far in, hits of
//! their forms wherever they occur in the document out.
//!
//! A derived lexicon's forms are kept in a [`Known`] trie for the whole text: a long text read
//! in pieces adds each piece's names to it, so a name costs its insertion once, not once per
//! later piece.

use super::{Annotation, FieldName, LabelState, Origin, Scratch, Value};
use crate::check::hir::{Form, LabelId, LexiconId};
use crate::compile::Program;
use crate::text::{flag, normalize, Document, TokenKind};
use rustc_hash::FxHashMap;

/// Marks a derived key stored normalized (not a range of the text).
const NORMALIZED: u32 = 1 << 31;

/// The forms of one derived lexicon found so far in a text: a trie over their tokens' keys.
#[derive(Default)]
pub(super) struct Known {
    /// Token key → its id in `children`.
    keys: FxHashMap<Box<str>, u32>,
    /// (node, key id) → child node; node 0 is the root.
    children: FxHashMap<(u32, u32), u32>,
    /// Per node: the form ending there, as an index into `sources`.
    ends: Vec<Option<u32>>,
    /// Per form: the text of the name it was first taken from.
    sources: Vec<String>,
    /// The first bytes of the forms' first keys: most tokens are ruled out without hashing.
    first_byte: [u64; 4],
}

impl Known {
    /// Adds a form (its tokens' keys) taken from the name `source` (called only when the
    /// form is new); returns whether it was new.
    fn insert<'k>(&mut self, form: impl IntoIterator<Item = &'k str>, source: impl FnOnce() -> String) -> bool {
        if self.ends.is_empty() {
            self.ends.push(None);
        }
        let mut node = 0;
        for (n, k) in form.into_iter().enumerate() {
            if n == 0 {
                let Some(&b) = k.as_bytes().first() else { return false };
                self.first_byte[b as usize / 64] |= 1 << (b % 64);
            }
            let next_key = self.keys.len() as u32;
            let id = match self.keys.get(k) {
                Some(&id) => id,
                None => *self.keys.entry(k.into()).or_insert(next_key),
            };
            let next = self.ends.len() as u32;
            node = *self.children.entry((node, id)).or_insert(next);
            if node == next {
                self.ends.push(None);
            }
        }
        if node == 0 || self.ends[node as usize].is_some() {
            return false;
        }
        self.ends[node as usize] = Some(self.sources.len() as u32);
        self.sources.push(source());
        true
    }

    /// Whether a form's first key starts with the byte `b`.
    fn starts_with_byte(&self, b: u8) -> bool {
        self.first_byte[b as usize / 64] & (1 << (b % 64)) != 0
    }

    /// The forms that `keys` starts with, as (form, length in tokens), shortest first;
    /// returns the steps walked.
    fn walk<'k>(&self, keys: impl Iterator<Item = &'k str>, out: &mut Vec<(u32, u32)>) -> u64 {
        let mut node = 0;
        let mut steps = 1;
        for (n, k) in keys.enumerate() {
            let Some(&id) = self.keys.get(k) else { return steps };
            match self.children.get(&(node, id)) {
                Some(&next) => node = next,
                None => return steps,
            }
            steps += 1;
            if let Some(f) = self.ends[node as usize] {
                out.push((f, n as u32 + 1));
            }
        }
        steps
    }
}

/// Builds a derived lexicon's hits: the forms of the names found so far, wherever they occur.
pub(super) fn derive(
    prog: &Program,
    doc: &Document,
    lex: LexiconId,
    s: &mut Scratch,
    anns: &mut Vec<Annotation>,
    labels: &mut [LabelState],
) {
    let def = &prog.set.lexicons[lex.0 as usize];
    let d = def.derived.as_ref().expect("derived");
    // Every token's normalized key, computed once per document and shared by the derived lexicons.
    if s.derive_keys.len() != doc.tokens.len() {
        s.derive_keys.clear();
        s.derive_keys_text.clear();
        for i in 0..doc.tokens.len() {
            let text = doc.token_text(i);
            // A plain token is its own key: a range of the text; others are normalized into
            // `derive_keys_text` (the top bit of the start says which).
            let t = &doc.tokens[i];
            if t.has(flag::PLAIN) {
                s.derive_keys.push((t.start, t.end));
            } else {
                let from = s.derive_keys_text.len() as u32;
                normalize(text, &mut s.derive_keys_text);
                s.derive_keys.push((from | NORMALIZED, s.derive_keys_text.len() as u32));
            }
        }
    }
    let (ranges, normalized) = (&s.derive_keys, &s.derive_keys_text);
    let key = |i: usize| -> &str {
        let (a, b) = ranges[i];
        if a & NORMALIZED != 0 {
            &normalized[(a & !NORMALIZED) as usize..b as usize]
        } else {
            &doc.text[a as usize..b as usize]
        }
    };
    // The forms of earlier pieces of the text, to which this piece's are added.
    let known = s.carry.entry(lex.0).or_default();
    let mut words: Vec<u32> = Vec::new();
    let mut added = 0u64;
    let src = &labels[d.label.0 as usize];
    for &id in &src.kept {
        let a = &anns[id as usize];
        let (fs, fe) = match &d.field {
            None => (a.start, a.end),
            Some(f) => match a.fields.iter().find(|(k, _)| **k == **f) {
                Some((_, Value::Span(x, y))) => (*x, *y),
                _ => continue,
            },
        };
        words.clear();
        words.extend((fs..fe).filter(|&i| doc.tokens[i as usize].kind == TokenKind::Word));
        let text =
            || doc.text[doc.tokens[fs as usize].start as usize..doc.tokens[fe as usize - 1].end as usize].to_string();
        for form in &d.forms {
            let new = match form {
                Form::Full => known.insert((fs..fe).map(|i| key(i as usize)), text),
                Form::First | Form::Last => {
                    if words.len() < 2 {
                        continue;
                    }
                    let w = if *form == Form::First { words[0] } else { words[words.len() - 1] };
                    let t = &doc.tokens[w as usize];
                    if !t.has(flag::CAP) || t.char_end - t.char_start < 2 {
                        continue;
                    }
                    known.insert([key(w as usize)], text)
                }
                Form::Acronym => {
                    let caps: String = words
                        .iter()
                        .filter(|&&w| doc.tokens[w as usize].has(flag::CAP))
                        .filter_map(|&w| doc.token_text(w as usize).chars().next())
                        .collect();
                    if caps.chars().count() < 2 {
                        continue;
                    }
                    known.insert([caps.as_str()], text)
                }
            };
            added += u64::from(new);
        }
    }
    s.vm.steps += src.kept.len() as u64 + added;
    if !known.sources.is_empty() {
        s.vm.steps += find_forms(doc, lex, def.label, known, &key, &s.unit_sentence, anns, labels);
    }
}

/// Annotates every occurrence of a known form within a sentence (`sentences`: each token's)
/// with the derived lexicon's label; returns the steps taken.
#[allow(clippy::too_many_arguments)]
fn find_forms<'k>(
    doc: &Document,
    lex: LexiconId,
    label: LabelId,
    known: &Known,
    key: &impl Fn(usize) -> &'k str,
    sentences: &[u32],
    anns: &mut Vec<Annotation>,
    labels: &mut [LabelState],
) -> u64 {
    let ntokens = doc.tokens.len();
    let field: FieldName = "source".into();
    let mut found: Vec<(u32, u32)> = Vec::new();
    let mut steps = 0;
    for i in 0..ntokens {
        if !key(i).as_bytes().first().is_some_and(|&b| known.starts_with_byte(b)) {
            continue;
        }
        found.clear();
        // One walk from each token, as long as the longest form that matches there (a list of
        // forms per first token would make repeated first names cost every form each time).
        steps += known.walk((i..ntokens).map(key), &mut found);
        // Forms are distinct, so each span has one form.
        for &(form, len) in &found {
            let end = i + len as usize;
            if sentences[i] != sentences[end - 1] {
                continue;
            }
            labels[label.0 as usize].candidates.push(anns.len() as u32);
            labels[label.0 as usize].dirty = true;
            anns.push(Annotation {
                label,
                start: i as u32,
                end: end as u32,
                origin: Origin::Derived { lexicon: lex },
                fields: vec![(field.clone(), Value::Str(known.sources[form as usize].clone()))],
                priority: 0,
                keep_all: true,
                vetoed: false,
            });
        }
    }
    steps
}
