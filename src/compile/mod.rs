//! Compile: a checked [`RuleSet`] in, an immutable [`Program`] out.
//!
//! Each rule's pattern becomes a flat list of VM instructions (a Thompson
//! NFA over tokens, run by a Pike VM in `exec`), token tests are deduplicated
//! into one table, every literal and lexicon token is interned into one
//! vocabulary so that a token test is an integer comparison, static lexicons
//! become token-level Aho-Corasick automata, and each rule gets the set of
//! tests and labels that can start a match, so it is only tried where it can
//! start. The program is `Send + Sync`; per-thread state lives in
//! [`crate::exec::Scratch`].

mod automaton;
mod prefilter;
mod program;
mod regex_prefilter;

pub use automaton::TokenAutomaton;
pub use prefilter::Prefilter;
pub use program::*;

use crate::check::hir::{self, LabelId, Pat, RuleSet, Test};
use crate::diag::Diagnostic;
use crate::syntax::ast::CasePolicy;
use regex::Regex;
use rustc_hash::FxHashMap;

/// Patterns larger than this (after expanding counted repetitions) are refused.
pub const MAX_RULE_INSTS: usize = 100_000;

/// Rule sets larger than this, all rules and contexts together, are refused (a program's
/// size bounds the matching work per token and the memory of its searches).
pub const MAX_PROGRAM_INSTS: usize = 10_000_000;

/// Compiles a user regex with the limits that keep it cheap: 1 KiB of
/// source, 1 MiB of compiled program, nesting of 64.
pub fn build_regex(source: &str, fold: bool) -> Result<Regex, String> {
    if source.len() > 1024 {
        return Err("longer than 1024 bytes".into());
    }
    regex::RegexBuilder::new(source)
        .case_insensitive(fold)
        .size_limit(1 << 20)
        .dfa_size_limit(2 << 20)
        .nest_limit(64)
        .build()
        .map_err(|e| match e {
            regex::Error::Syntax(s) => {
                s.lines().last().unwrap_or("syntax error").trim_start_matches("error: ").to_string()
            }
            regex::Error::CompiledTooBig(n) => format!("compiles to more than {n} bytes"),
            other => other.to_string(),
        })
}

/// Compiles a checked rule set.
pub fn compile(mut set: RuleSet) -> Result<Program, Vec<Diagnostic>> {
    let mut c = Compiler { annot_slot: NO_SLOT, ..Compiler::default() };
    let mut diags = vec![];
    // Vocabulary: every lexicon key, exact and folded as the case policy needs.
    let mut exact_entries = automaton::Builder::default();
    let mut fold_entries = automaton::Builder::default();
    let mut folded = String::new();
    for (li, lex) in set.lexicons.iter().enumerate() {
        for (ei, e) in lex.entries.iter().enumerate() {
            let fold = match lex.case {
                CasePolicy::Exact => false,
                CasePolicy::Ignore { above: None } => true,
                CasePolicy::Ignore { above: Some(n) } => e.text.chars().count() > n as usize,
            };
            let ids = e.keys.iter().map(|k| {
                if fold {
                    folded.clear();
                    crate::text::fold_case(k, &mut folded);
                    c.intern(&folded)
                } else {
                    c.intern(k)
                }
            });
            let target = if fold { &mut fold_entries } else { &mut exact_entries };
            target.add(ids, LexHit { lexicon: hir::LexiconId(li as u32), entry: ei as u32 });
        }
    }
    let mut rules = Vec::with_capacity(set.rules.len());
    for (ri, r) in set.rules.iter().enumerate() {
        let mut insts = vec![Inst::Save(0)];
        let context_insts = c.context_insts;
        let mut slots = 2 + 3 * r.captures.len() as u32;
        c.lists = r.lists.clone();
        c.log_head = slots;
        if r.lists.iter().any(|&l| l) {
            slots += 1;
        }
        c.pat(&r.pattern, &mut insts, false);
        insts.push(Inst::Save(1));
        insts.push(Inst::Match);
        // Its contexts count too (a pattern cut off at the limit would change meaning).
        if insts.len() + (c.context_insts - context_insts) > MAX_RULE_INSTS {
            let head = crate::check::head_of(&set.sources, r.span);
            diags.push(
                Diagnostic::error(
                    head,
                    format!(
                        "rule `{}` is too large: more than {MAX_RULE_INSTS} instructions after expanding repetitions (contexts included)",
                        r.name
                    ),
                )
                .hint("use smaller counts in `{m,n}`, or `*`/`+`, which stay within the scope anyway"),
            );
        }
        let start = c.first_set(&r.pattern);
        // What the token after a one-element start must pass (a cheap filter before the VM).
        let second = first_two(&r.pattern).and_then(|(a, b)| {
            let first = match a {
                Pat::Annot { label, .. } => Some(*label),
                _ => None,
            };
            let then = match b {
                Pat::Token(t) => Second::Test(c.test_id(t)),
                Pat::Annot { label, .. } => Second::Label(*label),
                _ => return None,
            };
            Some((first, then))
        });
        let (mut needs_labels, needs_keys) = required(&r.pattern);
        needs_labels.sort_unstable();
        needs_labels.dedup();
        let mut needs_keys: Vec<(u32, bool)> = needs_keys.iter().map(|(k, f)| (c.intern(k), *f)).collect();
        needs_keys.sort_unstable();
        needs_keys.dedup();
        // A set with a key every match contains says nothing more.
        let mut needs_any: Vec<Box<[(u32, bool)]>> = required_any(&r.pattern)
            .into_iter()
            .map(|keys| keys.iter().map(|(k, f)| (c.intern(k), *f)).collect::<Box<[_]>>())
            .filter(|any| !any.iter().any(|k| needs_keys.contains(k)))
            .collect();
        needs_any.sort_unstable();
        needs_any.dedup();
        let (mut anchors, mut label_anchors) = (Vec::new(), Vec::new());
        anchored(&r.pattern, &mut (0, Some(0)), &mut anchors, &mut label_anchors);
        let anchors = anchors
            .into_iter()
            .filter(|(_, _, lo, _)| *lo > 0)
            .map(|(k, f, lo, hi)| (c.intern(&k), f, lo, hi))
            .collect();
        label_anchors.retain(|(_, lo, _)| *lo > 0);
        rules.push(CompiledRule {
            rule: hir::RuleId(ri as u32),
            insts,
            slots,
            log_head: (slots > c.log_head).then_some(c.log_head),
            groups: r
                .groups
                .iter()
                .map(|g| {
                    let re = build_regex(&g.regex, g.fold).expect("checked");
                    let index = re.capture_names().position(|n| n == Some(g.name.as_str())).expect("named group");
                    (re, index)
                })
                .collect(),
            start,
            prefix: false,
            at_scope_start: begins_at_scope_start(&r.pattern),
            second,
            needs_labels,
            needs_keys,
            needs_any,
            anchors,
            label_anchors,
        });
    }
    let total = rules.iter().map(|r: &CompiledRule| r.insts.len()).sum::<usize>() + c.context_insts;
    if total > MAX_PROGRAM_INSTS {
        diags.push(
            Diagnostic::error_nowhere(format!(
                "the rule set is too large: {total} instructions after expanding repetitions (at most {MAX_PROGRAM_INSTS})"
            ))
            .hint("split it into rule sets run separately, or use smaller counts in `{m,n}`"),
        );
    }
    if !diags.is_empty() {
        return Err(diags);
    }
    let exact = exact_entries.build();
    let fold = fold_entries.build();
    // Rules that begin with two or more literal tokens are found by one
    // automaton pass over the document instead of one scan each.
    let (mut prefix_exact, mut prefix_fold) = (vec![], vec![]);
    for (ri, r) in set.rules.iter().enumerate() {
        let mut prefix = vec![];
        literal_prefix(&r.pattern, &mut prefix);
        if prefix.len() >= 2 {
            let fold = prefix[0].1;
            let ids: Vec<u32> = prefix.iter().map(|(k, _)| c.intern(k)).collect();
            (if fold { &mut prefix_fold } else { &mut prefix_exact }).push((ids, ri as u32));
            rules[ri].prefix = true;
        }
    }
    let prefix_exact = TokenAutomaton::new(&prefix_exact);
    let prefix_fold = TokenAutomaton::new(&prefix_fold);
    let regexes = c.regex_sources.iter().map(|(s, f)| build_regex(s, *f).expect("checked")).collect();
    let regex_first = c.regex_sources.iter().map(|(s, f)| regex_prefilter::first_bytes(s, *f)).collect();
    let uses_covered = c.covered;
    let mut start_keys = vec![0u8; c.vocab.len()];
    for r in &rules {
        let starts = if r.prefix { &[][..] } else { &r.start.keys[..] };
        for &(id, fold) in starts.iter().chain(&r.needs_keys).chain(r.needs_any.iter().flat_map(|any| any.iter())) {
            start_keys[id as usize] |= if fold { 2 } else { 1 };
        }
    }
    // Static lexicons that token tests look at get a bit each (the first 64), so that a
    // conjunction of `[Lexicon]` and `[!Lexicon]` items is decided by two mask operations.
    let mut lexicon_bits: Vec<Option<u8>> = vec![None; set.labels.len()];
    let mut next_bit = 0u8;
    for &l in &uses_covered {
        let is_static = set.labels[l.0 as usize].lexicon.is_some_and(|x| set.lexicons[x.0 as usize].derived.is_none());
        if is_static && next_bit < 64 && lexicon_bits[l.0 as usize].is_none() {
            lexicon_bits[l.0 as usize] = Some(next_bit);
            next_bit += 1;
        }
    }
    let test_masks = c.tests.iter().map(|t| test_mask(t, &lexicon_bits)).collect();
    let prefilter = Prefilter::plan(&set);
    // The automata hold the entries' keys now: a gazetteer's keys are a string each.
    for lex in &mut set.lexicons {
        lex.entries.iter_mut().for_each(|e| e.keys = Box::default());
    }
    let gates = rules
        .iter()
        .map(|r| RuleGate {
            prefix: r.prefix,
            needs: r.needs_keys.first().map_or(u32::MAX, |&(id, fold)| 2 * id + fold as u32),
        })
        .collect();
    let locations = set.rules.iter().map(|r| set.sources.location(r.span).into()).collect();
    Ok(Program {
        gates,
        locations,
        prefilter,
        lexicon_bits,
        test_masks,
        regex_first,
        start_keys,
        prefix_exact,
        prefix_fold,
        set,
        vocab: c.vocab,
        tests: c.tests,
        regexes,
        contexts: c.contexts,
        rules,
        exact,
        fold,
        uses_covered,
        constraints: c.constraints,
    })
}

/// What the first element a program consumes can be: the token tests and labels reachable from
/// its start without consuming anything; `None` when a match may consume nothing first (it can
/// reach `Match`, an assertion or a nested context before its first element).
fn first_steps(insts: &[Inst]) -> Option<FirstSteps> {
    let mut first = FirstSteps::default();
    let mut seen = vec![false; insts.len()];
    let mut stack = vec![0u32];
    while let Some(pc) = stack.pop() {
        if std::mem::replace(&mut seen[pc as usize], true) {
            continue;
        }
        match insts[pc as usize] {
            Inst::Token(t) => first.tests.push(t),
            Inst::Annot { label, .. } => first.labels.push(label),
            Inst::Split(a, b) => stack.extend([b, a]),
            Inst::Jmp(a) => stack.push(a),
            Inst::Save(_) | Inst::Log { .. } => stack.push(pc + 1),
            Inst::AssertStart | Inst::AssertEnd | Inst::Context { .. } | Inst::Match => return None,
        }
    }
    first.tests.sort_unstable();
    first.tests.dedup();
    first.labels.sort_unstable();
    first.labels.dedup();
    Some(first)
}

/// A test on a token's text alone (class, length, property): compiled without the vocabulary.
pub(crate) fn text_test(t: &Test) -> Option<CTest> {
    Some(match t {
        Test::Class(c) => CTest::Class(*c),
        Test::Len(op, n) => CTest::Len(*op, *n),
        Test::Prop(p, op, s) => {
            let mut key = String::new();
            match p {
                hir::Property::Lower => crate::text::fold_case(s, &mut key),
                _ => key.push_str(s),
            }
            CTest::Prop(*p, *op, key)
        }
        _ => return None,
    })
}

/// A conjunction with at least two static-lexicon coverage items, split into masks and the rest.
fn test_mask(t: &CTest, bits: &[Option<u8>]) -> Option<TestMask> {
    let CTest::And(items) = t else { return None };
    let (mut all, mut none, mut rest, mut folded) = (0u64, 0u64, Vec::new(), 0);
    for item in items {
        let (negated, inner) = match item {
            CTest::Not(inner) => (true, &**inner),
            other => (false, other),
        };
        match inner {
            CTest::Covered(l) if bits[l.0 as usize].is_some() => {
                let bit = 1u64 << bits[l.0 as usize].expect("checked");
                *(if negated { &mut none } else { &mut all }) |= bit;
                folded += 1;
            }
            _ => rest.push(item.clone()),
        }
    }
    (folded >= 2).then_some(TestMask { all, none, rest })
}

/// The first two elements of a pattern, when both are plain (no repetition):
/// a single-token test or an annotation reference each. Captures and
/// zero-width assertions are looked through.
fn first_two(p: &Pat) -> Option<(&Pat, &Pat)> {
    fn flat<'p>(p: &'p Pat, out: &mut Vec<&'p Pat>) {
        match p {
            Pat::Seq(items) => items.iter().for_each(|i| flat(i, out)),
            Pat::Capture(_, inner) => flat(inner, out),
            Pat::Context { .. } | Pat::Anchor(_) => {}
            other => out.push(other),
        }
    }
    let mut items = vec![];
    flat(p, &mut items);
    let plain = |p: &Pat| matches!(p, Pat::Token(_) | Pat::Annot { .. });
    match items.as_slice() {
        [a, b, ..] if plain(a) && plain(b) => Some((a, b)),
        _ => None,
    }
}

/// Whether every match of `p` begins with `^` (contexts before it test, they do not move).
fn begins_at_scope_start(p: &Pat) -> bool {
    match p {
        Pat::Anchor(start) => *start,
        Pat::Seq(items) => items.iter().find(|i| !matches!(i, Pat::Context { .. })).is_some_and(begins_at_scope_start),
        Pat::Alt(items) => !items.is_empty() && items.iter().all(begins_at_scope_start),
        Pat::Capture(_, inner) => begins_at_scope_start(inner),
        _ => false,
    }
}

/// What every match of a pattern must contain: labels of annotations and
/// literal keys (`(key, fold)`). Context (`before`/`after`) is not part of a match.
fn required(p: &Pat) -> (Vec<LabelId>, Vec<(String, bool)>) {
    match p {
        Pat::Seq(items) => {
            let (mut l, mut k) = (vec![], vec![]);
            for i in items {
                let (a, b) = required(i);
                l.extend(a);
                k.extend(b);
            }
            (l, k)
        }
        Pat::Alt(items) => {
            let mut sets = items.iter().map(required);
            let Some((mut l, mut k)) = sets.next() else { return (vec![], vec![]) };
            for (a, b) in sets {
                l.retain(|x| a.contains(x));
                k.retain(|x| b.contains(x));
            }
            (l, k)
        }
        Pat::Repeat { inner, min, .. } if *min >= 1 => required(inner),
        Pat::Capture(_, inner) => required(inner),
        Pat::Annot { label, .. } => (vec![*label], vec![]),
        Pat::Token(Test::Key { key, fold }) => (vec![], vec![(key.clone(), *fold)]),
        _ => (vec![], vec![]),
    }
}

/// The most keys in one of [`required_any`]'s sets: more would cost more to check per document
/// than the rule is likely to save.
const MAX_ANY_KEYS: usize = 16;

/// Sets of two or more literal keys of which every match of `p` contains at least one each
/// (a single key every match contains is [`required`]'s): one per alternation whose every
/// alternative needs a key, the union of one key or set from each.
fn required_any(p: &Pat) -> Vec<Vec<(String, bool)>> {
    match p {
        Pat::Seq(items) => items.iter().flat_map(required_any).collect(),
        Pat::Alt(items) => {
            let mut any = Vec::new();
            for item in items {
                let one = required(item).1.into_iter().next().map(|k| vec![k]);
                match one.or_else(|| required_any(item).into_iter().min_by_key(Vec::len)) {
                    Some(keys) => any.extend(keys),
                    None => return vec![],
                }
            }
            any.sort_unstable();
            any.dedup();
            if (2..=MAX_ANY_KEYS).contains(&any.len()) {
                vec![any]
            } else {
                vec![]
            }
        }
        Pat::Repeat { inner, min, .. } if *min >= 1 => required_any(inner),
        Pat::Capture(_, inner) => required_any(inner),
        _ => vec![],
    }
}

/// Fewest and most tokens a pattern can match (`None`: no bound).
fn width(p: &Pat) -> (u32, Option<u32>) {
    match p {
        Pat::Seq(items) => items
            .iter()
            .map(width)
            .fold((0, Some(0)), |(a, b), (c, d)| (a.saturating_add(c), b.zip(d).map(|(x, y)| x.saturating_add(y)))),
        Pat::Alt(items) => {
            let ws: Vec<_> = items.iter().map(width).collect();
            let lo = ws.iter().map(|w| w.0).min().unwrap_or(0);
            let hi = ws.iter().try_fold(0u32, |m, w| w.1.map(|x| m.max(x)));
            (lo, hi)
        }
        Pat::Repeat { inner, min, max, .. } => {
            let (lo, hi) = width(inner);
            (lo.saturating_mul(*min), hi.zip(*max).map(|(h, m)| h.saturating_mul(m)))
        }
        Pat::Capture(_, inner) => width(inner),
        Pat::Context { .. } | Pat::Anchor(_) => (0, Some(0)),
        Pat::Token(_) => (1, Some(1)),
        // An annotation covers one token or more.
        Pat::Annot { .. } => (1, None),
    }
}

/// Literal keys and annotation labels of the pattern's top-level sequence with their offsets from
/// the match start, while those offsets are bounded. `at` is the offset range reached so far.
fn anchored(
    p: &Pat,
    at: &mut (u32, Option<u32>),
    keys: &mut Vec<(String, bool, u32, u32)>,
    labels: &mut Vec<(LabelId, u32, u32)>,
) {
    match p {
        Pat::Seq(items) => items.iter().for_each(|i| anchored(i, at, keys, labels)),
        Pat::Capture(_, inner) => anchored(inner, at, keys, labels),
        Pat::Token(Test::Key { key, fold }) => {
            if let Some(hi) = at.1 {
                keys.push((key.clone(), *fold, at.0, hi));
            }
            *at = (at.0 + 1, at.1.map(|h| h + 1));
        }
        Pat::Annot { label, .. } => {
            if let Some(hi) = at.1 {
                labels.push((*label, at.0, hi));
            }
            *at = (at.0 + 1, None);
        }
        other => {
            let (lo, hi) = width(other);
            *at = (at.0.saturating_add(lo), at.1.zip(hi).map(|(a, b)| a.saturating_add(b)));
        }
    }
}

/// The leading literal tokens of a pattern (all matched with the same case
/// policy), skipping captures and zero-width assertions; stops at anything else.
fn literal_prefix(p: &Pat, out: &mut Vec<(String, bool)>) -> bool {
    match p {
        Pat::Seq(items) => items.iter().all(|i| literal_prefix(i, out)),
        Pat::Capture(_, inner) => literal_prefix(inner, out),
        Pat::Context { .. } | Pat::Anchor(_) => true,
        Pat::Token(Test::Key { key, fold }) if out.first().is_none_or(|(_, f)| f == fold) => {
            out.push((key.clone(), *fold));
            true
        }
        _ => false,
    }
}

/// The tests of a pattern that is one token passing any of them (alternatives of single-token
/// tests), if it is.
fn single_token_tests(p: &Pat) -> Option<Vec<Test>> {
    match p {
        Pat::Token(t) => Some(vec![t.clone()]),
        Pat::Capture(_, inner) => single_token_tests(inner),
        Pat::Seq(items) if items.len() == 1 => single_token_tests(&items[0]),
        Pat::Alt(options) => {
            let mut all = vec![];
            for o in options {
                all.extend(single_token_tests(o)?);
            }
            Some(all)
        }
        _ => None,
    }
}

#[derive(Default)]
struct Compiler {
    vocab: FxHashMap<Box<str>, u32>,
    tests: Vec<CTest>,
    test_ids: FxHashMap<String, u32>,
    regex_sources: Vec<(String, bool)>,
    contexts: Vec<ContextProg>,
    /// Contexts by pattern and direction, so that each is compiled once.
    context_ids: FxHashMap<String, u32>,
    /// Instructions of all contexts (mirrors included).
    context_insts: usize,
    constraints: Vec<Vec<hir::Constraint>>,
    covered: Vec<LabelId>,
    /// The rule being compiled: which captures are lists, and the slot their log starts in.
    lists: Vec<bool>,
    log_head: u32,
    /// The slot an annotation reference records its id in: set inside a capture of one
    /// annotation, [`NO_SLOT`] elsewhere.
    annot_slot: u32,
}

/// Whether a pattern is one annotation reference, or an alternation of them.
fn one_annotation(p: &Pat) -> bool {
    match p {
        Pat::Annot { .. } => true,
        Pat::Alt(items) => items.iter().all(one_annotation),
        _ => false,
    }
}

impl Compiler {
    fn intern(&mut self, key: &str) -> u32 {
        if let Some(&id) = self.vocab.get(key) {
            return id;
        }
        let n = self.vocab.len() as u32;
        *self.vocab.entry(key.into()).or_insert(n)
    }

    fn ctest(&mut self, t: &Test) -> CTest {
        match t {
            Test::Any => CTest::Any,
            Test::Class(c) => CTest::Class(*c),
            Test::Key { key, fold } => CTest::Key { id: self.intern(key), fold: *fold },
            Test::Regex { source, fold } => {
                let i = match self.regex_sources.iter().position(|(s, f)| s == source && f == fold) {
                    Some(i) => i,
                    None => {
                        self.regex_sources.push((source.clone(), *fold));
                        self.regex_sources.len() - 1
                    }
                };
                CTest::Regex(i as u32)
            }
            Test::Covered(l) => {
                if !self.covered.contains(l) {
                    self.covered.push(*l);
                }
                CTest::Covered(*l)
            }
            Test::Len(..) | Test::Prop(..) => text_test(t).expect("a text test"),
            Test::Not(inner) => CTest::Not(Box::new(self.ctest(inner))),
            Test::And(items) => CTest::And(items.iter().map(|i| self.ctest(i)).collect()),
            Test::Or(items) => CTest::Or(items.iter().map(|i| self.ctest(i)).collect()),
        }
    }

    fn test_id(&mut self, t: &Test) -> u32 {
        let ct = self.ctest(t);
        let key = format!("{ct:?}");
        if let Some(&id) = self.test_ids.get(&key) {
            return id;
        }
        let id = self.tests.len() as u32;
        self.tests.push(ct);
        self.test_ids.insert(key, id);
        id
    }

    fn pat(&mut self, p: &Pat, out: &mut Vec<Inst>, reverse: bool) {
        if out.len() > MAX_RULE_INSTS {
            return;
        }
        match p {
            Pat::Seq(items) => {
                if reverse {
                    for i in items.iter().rev() {
                        self.pat(i, out, reverse);
                    }
                } else {
                    for i in items {
                        self.pat(i, out, reverse);
                    }
                }
            }
            Pat::Alt(items) => {
                let mut jumps = vec![];
                for (k, item) in items.iter().enumerate() {
                    if k + 1 < items.len() {
                        let split = out.len();
                        out.push(Inst::Split(0, 0));
                        self.pat(item, out, reverse);
                        jumps.push(out.len());
                        out.push(Inst::Jmp(0));
                        let next = out.len() as u32;
                        out[split] = Inst::Split(split as u32 + 1, next);
                    } else {
                        self.pat(item, out, reverse);
                    }
                }
                let end = out.len() as u32;
                for j in jumps {
                    out[j] = Inst::Jmp(end);
                }
            }
            Pat::Repeat { inner, min, max, lazy } => {
                for _ in 0..*min {
                    self.pat(inner, out, reverse);
                    if out.len() > MAX_RULE_INSTS {
                        return;
                    }
                }
                match max {
                    None => {
                        let split = out.len();
                        out.push(Inst::Split(0, 0));
                        self.pat(inner, out, reverse);
                        out.push(Inst::Jmp(split as u32));
                        let exit = out.len() as u32;
                        let body = split as u32 + 1;
                        out[split] = if *lazy { Inst::Split(exit, body) } else { Inst::Split(body, exit) };
                    }
                    Some(max) => {
                        let mut splits = vec![];
                        for _ in *min..*max {
                            splits.push(out.len());
                            out.push(Inst::Split(0, 0));
                            self.pat(inner, out, reverse);
                            if out.len() > MAX_RULE_INSTS {
                                return;
                            }
                        }
                        let exit = out.len() as u32;
                        for s in splits {
                            let body = s as u32 + 1;
                            out[s] = if *lazy { Inst::Split(exit, body) } else { Inst::Split(body, exit) };
                        }
                    }
                }
            }
            Pat::Capture(i, inner) => {
                let base = 2 + 3 * *i as u32;
                out.push(Inst::Save(base));
                // A capture of one annotation (`x:Title`, `x:(Title | Office)`) records its id.
                let outer = self.annot_slot;
                self.annot_slot = if one_annotation(inner) { base + 2 } else { NO_SLOT };
                self.pat(inner, out, reverse);
                self.annot_slot = outer;
                out.push(Inst::Save(base + 1));
                if self.lists.get(*i).copied().unwrap_or(false) {
                    out.push(Inst::Log { cap: *i as u32, head: self.log_head });
                }
            }
            Pat::Context { negated, after, inner } => {
                // A context in a counted repetition is compiled once, not once per copy.
                let key = format!("{after}{inner:?}");
                let id = match self.context_ids.get(&key) {
                    Some(&id) => id,
                    None => {
                        let id = self.context(inner, *after);
                        self.context_ids.insert(key, id);
                        id
                    }
                };
                out.push(Inst::Context { ctx: id, negated: *negated });
            }
            Pat::Anchor(start) => out.push(if *start { Inst::AssertStart } else { Inst::AssertEnd }),
            Pat::Token(t) => {
                let id = self.test_id(t);
                out.push(Inst::Token(id));
            }
            Pat::Annot { label, constraints } => {
                let cons = self.cons(constraints);
                out.push(Inst::Annot { label: *label, cons, slot: self.annot_slot });
            }
        }
    }

    /// Compiles a context's pattern (and, without a length bound, its mirror).
    fn context(&mut self, inner: &Pat, after: bool) -> u32 {
        let mut insts = vec![];
        self.pat(inner, &mut insts, !after);
        insts.push(Inst::Match);
        let one_token = single_token_tests(inner).map(|mut tests| {
            if tests.len() == 1 {
                self.test_id(&tests.remove(0))
            } else {
                self.test_id(&Test::Or(tests))
            }
        });
        let mirror = (one_token.is_none() && width(inner).1.is_none()).then(|| {
            let mut m = vec![];
            self.pat(inner, &mut m, after);
            m.push(Inst::Match);
            m
        });
        self.context_insts += insts.len() + mirror.as_ref().map_or(0, Vec::len);
        let id = self.contexts.len() as u32;
        let first = first_steps(&insts);
        self.contexts.push(ContextProg { insts, reverse: !after, one_token, mirror, first });
        id
    }

    fn cons(&mut self, c: &[hir::Constraint]) -> u32 {
        if c.is_empty() {
            return NO_SLOT;
        }
        self.constraints.push(c.to_vec());
        self.constraints.len() as u32 - 1
    }

    /// What can start a match: tests on the first token and labels of annotations starting there.
    fn first_set(&mut self, p: &Pat) -> StartSet {
        let mut s = StartSet::default();
        self.first(p, &mut s);
        s.keys.sort_unstable();
        s.keys.dedup();
        s.tests.sort_unstable();
        s.tests.dedup();
        s.labels.sort_unstable();
        s.labels.dedup();
        s
    }

    /// Adds the first set of `p` to `s`; returns whether `p` is nullable.
    fn first(&mut self, p: &Pat, s: &mut StartSet) -> bool {
        match p {
            Pat::Seq(items) => {
                for i in items {
                    if !self.first(i, s) {
                        return false;
                    }
                }
                true
            }
            Pat::Alt(items) => {
                let mut any = false;
                for i in items {
                    any |= self.first(i, s);
                }
                any
            }
            Pat::Repeat { inner, min, .. } => self.first(inner, s) || *min == 0,
            Pat::Capture(_, inner) => self.first(inner, s),
            Pat::Context { .. } | Pat::Anchor(_) => true,
            Pat::Token(Test::Any) => {
                s.any = true;
                false
            }
            Pat::Token(Test::Key { key, fold }) => {
                let id = self.intern(key);
                s.keys.push((id, *fold));
                false
            }
            Pat::Token(t) => {
                let id = self.test_id(t);
                s.tests.push(id);
                false
            }
            Pat::Annot { label, .. } => {
                s.labels.push(*label);
                false
            }
        }
    }
}
