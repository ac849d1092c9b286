//! Derived lexicons (name propagation): the names found so far in, hits of
//! their forms wherever they occur in the document out.

use super::{Annotation, FieldName, LabelState, Origin, Scratch, Value};
use crate::check::hir::{Form, LabelId, LexiconId};
use crate::compile::Program;
use crate::text::{flag, normalize, Document, TokenKind};
use rustc_hash::{FxHashMap, FxHashSet};

/// Marks a derived key stored normalized (not a range of the text).
const NORMALIZED: u32 = 1 << 31;

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
    // The forms of earlier pieces of the text first, then this piece's. A form is looked up by
    // its keys written into one buffer (`known`), so a name seen before costs no allocation.
    let mut forms: Vec<(Vec<String>, String)> = s.carry.remove(&lex.0).unwrap_or_default();
    let mut known: FxHashSet<Box<[u8]>> = FxHashSet::default();
    let mut buf: Vec<u8> = Vec::new();
    let encode = |keys: &mut dyn Iterator<Item = &str>, buf: &mut Vec<u8>| {
        buf.clear();
        for k in keys {
            buf.extend_from_slice(&(k.len() as u32).to_le_bytes());
            buf.extend_from_slice(k.as_bytes());
        }
    };
    for (f, _) in &forms {
        encode(&mut f.iter().map(String::as_str), &mut buf);
        known.insert(buf.as_slice().into());
    }
    let (mut words, mut keys): (Vec<u32>, Vec<&str>) = (Vec::new(), Vec::new());
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
        let mut consider = |f: &[&str]| {
            encode(&mut f.iter().copied(), &mut buf);
            if !known.contains(buf.as_slice()) {
                known.insert(buf.as_slice().into());
                forms.push((f.iter().map(|k| k.to_string()).collect(), text()));
            }
        };
        for form in &d.forms {
            match form {
                Form::Full => {
                    keys.clear();
                    keys.extend((fs..fe).map(|i| key(i as usize)));
                    consider(&keys);
                }
                Form::First | Form::Last => {
                    if words.len() < 2 {
                        continue;
                    }
                    let w = if *form == Form::First { words[0] } else { words[words.len() - 1] };
                    let t = &doc.tokens[w as usize];
                    if !t.has(flag::CAP) || t.char_end - t.char_start < 2 {
                        continue;
                    }
                    consider(&[key(w as usize)]);
                }
                Form::Acronym => {
                    let caps: String = words
                        .iter()
                        .filter(|&&w| doc.tokens[w as usize].has(flag::CAP))
                        .filter_map(|&w| doc.token_text(w as usize).chars().next())
                        .collect();
                    if caps.chars().count() >= 2 {
                        consider(&[&caps]);
                    }
                }
            }
        }
    }
    s.vm.steps += (src.kept.len() + forms.len()) as u64;
    if !forms.is_empty() {
        s.vm.steps += find_forms(doc, lex, def.label, &forms, &key, &s.unit_sentence, anns, labels);
    }
    s.carry.insert(lex.0, forms);
}

/// Annotates every occurrence of a form within a sentence (`sentences`: each token's) with the
/// derived lexicon's label; returns the steps taken.
#[allow(clippy::too_many_arguments)]
fn find_forms<'k>(
    doc: &Document,
    lex: LexiconId,
    label: LabelId,
    forms: &[(Vec<String>, String)],
    key: &impl Fn(usize) -> &'k str,
    sentences: &[u32],
    anns: &mut Vec<Annotation>,
    labels: &mut [LabelState],
) -> u64 {
    let ntokens = doc.tokens.len();
    // A trie over the forms' tokens: from each token, one walk as long as the longest form
    // that matches there (a list of forms per first token would make repeated first names
    // cost every form at every occurrence).
    let mut trie = Trie::default();
    // The first bytes forms start with: most tokens are ruled out without hashing their key.
    let mut first_byte = [false; 256];
    for (i, (k, _)) in forms.iter().enumerate() {
        trie.insert(k, i);
        if let Some(&b) = k[0].as_bytes().first() {
            first_byte[b as usize] = true;
        }
    }
    let field: FieldName = "source".into();
    let mut found: Vec<usize> = Vec::new();
    let mut steps = 0;
    for i in 0..ntokens {
        if !key(i).as_bytes().first().is_some_and(|&b| first_byte[b as usize]) {
            continue;
        }
        found.clear();
        steps += trie.walk((i..ntokens).map(key), &mut found);
        // Forms are distinct, so each span has one form.
        for &fi in &found {
            let (k, source) = &forms[fi];
            let end = i + k.len();
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
                fields: vec![(field.clone(), Value::Str(source.clone()))],
                priority: 0,
                keep_all: true,
                vetoed: false,
            });
        }
    }
    steps
}

/// Token sequences by node: children keyed by (node, token key), the forms ending at a node.
#[derive(Default)]
struct Trie<'f> {
    children: FxHashMap<(u32, &'f str), u32>,
    /// Per node (0 is the root): the form ending there.
    ends: Vec<Option<usize>>,
}

impl<'f> Trie<'f> {
    fn insert(&mut self, form: &'f [String], index: usize) {
        if self.ends.is_empty() {
            self.ends.push(None);
        }
        let mut node = 0;
        for k in form {
            let next = self.ends.len() as u32;
            node = *self.children.entry((node, k.as_str())).or_insert(next);
            if node == next {
                self.ends.push(None);
            }
        }
        self.ends[node as usize].get_or_insert(index);
    }

    /// The forms that `keys` starts with, shortest first; returns the steps walked.
    fn walk<'k>(&self, keys: impl Iterator<Item = &'k str>, out: &mut Vec<usize>) -> u64 {
        let mut node = 0;
        let mut steps = 1;
        for k in keys {
            match self.children.get(&(node, k)) {
                Some(&n) => node = n,
                None => return steps,
            }
            steps += 1;
            if let Some(f) = self.ends[node as usize] {
                out.push(f);
            }
        }
        steps
    }
}
