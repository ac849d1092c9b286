//! Execute: a [`Program`] and a [`Document`] in, annotations out.
//!
//! Per document: every token is looked up in the program's vocabulary once;
//! the lexicon automata find every entry; then the cascade runs step by step.
//! A rule searches the tokens of each scope unit (sentence, paragraph or
//! document), only from positions where its first element can match, and
//! finds matches left to right, without overlap, preferring at each start what
//! the pattern prefers (alternatives in order, greedy or lazy repetition),
//! with a bounded backtracker or a Pike VM (see `vm`): a rule of m
//! instructions costs O(m × tokens) on a unit, whatever its pattern, `where`,
//! contexts and number of matches (`docs/LANGUAGE.md` §8 says where the bound
//! is enforced). Every step is counted ([`Scratch::steps`]); over the
//! document's [`Limits`], extraction returns [`Exceeded`] and nothing else.
//! Before a rule reads a label, that label's conflicts are resolved (see the
//! `resolve` module); vetoes mark candidates with one count of matched tokens.
//! All mutable state lives in a [`Scratch`], one per thread.
//!
//! A long text goes through [`extract_text`]: cut into [`pieces`] that end at
//! paragraphs, each tokenized and extracted alone (a piece's tokens and
//! annotations are all that is held), the names of derived lexicons carried
//! from piece to piece; memory is then bounded by the piece size, not the text.

mod derive;
mod eval;
pub mod explain;
mod number;
mod resolve;
pub mod time;
mod value;
mod vm;

pub use number::{parse_int, parse_number};
pub use value::{month_number, normalize_date, Date, Value};

pub use crate::check::hir::FieldName;
use crate::check::hir::{LabelId, LexiconId, RuleId, Step};
use crate::compile::{CompiledRule, LexHit, Program, Second};
use crate::syntax::ast::Scope;
use crate::text::{flag, fold_case, normalize, Document, LineBreaks};
use derive::derive;
pub(crate) use eval::{constraints_hold, test_id};
use eval::{eval, Bound};
use resolve::resolve;
use rustc_hash::FxHashMap;
use vm::Vm;

/// Options of one extraction.
#[derive(Debug, Clone)]
pub struct Options {
    /// The date relative and year-less dates are resolved against.
    pub anchor: Option<Date>,
    /// The work one document may cost.
    pub limits: Limits,
    /// What a single line break inside a paragraph is (`--line-breaks`).
    pub line_breaks: LineBreaks,
    /// A text longer than this many bytes is extracted in pieces of about this size (see
    /// [`pieces`] and [`extract_text`]; `--piece-bytes`).
    pub piece_bytes: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options { anchor: None, limits: Limits::default(), line_breaks: LineBreaks::Auto, piece_bytes: PIECE_BYTES }
    }
}

/// The default size of a piece of a long text (256 KiB): a document is held in memory a piece
/// at a time (tokens, keys, annotations: about 25 bytes per byte of text), so this bounds
/// extraction's memory whatever the document's size.
pub const PIECE_BYTES: usize = 256 << 10;

/// The work one document may cost: the last line of defence behind linear
/// matching (`docs/LANGUAGE.md` §8). Over a limit, [`extract`] stops and
/// returns [`Exceeded`]; nothing partial is returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Matching steps ([`Scratch::steps`]) per document; `None`: a default that grows with the
    /// text, [`Limits::DEFAULT_STEPS_BASE`] plus [`Limits::DEFAULT_STEPS_PER_TOKEN`] per token.
    pub max_steps: Option<u64>,
    /// Annotations (records, lexicon hits and internal ones) per document.
    pub max_annotations: u64,
    /// Wall-clock time per document, checked between rules and units (a safety net:
    /// unlike the step limit, where it stops depends on the machine).
    pub timeout: Option<std::time::Duration>,
}

impl Limits {
    /// Steps every document may take, whatever its size.
    pub const DEFAULT_STEPS_BASE: u64 = 50_000_000;
    /// Further steps per token of the document.
    pub const DEFAULT_STEPS_PER_TOKEN: u64 = 2_000;
    /// Annotations a document may have by default (about 1 GiB of them).
    pub const DEFAULT_MAX_ANNOTATIONS: u64 = 10_000_000;

    /// The step limit for a document of `tokens` tokens.
    pub fn steps_for(&self, tokens: usize) -> u64 {
        self.max_steps.unwrap_or_else(|| {
            Limits::DEFAULT_STEPS_BASE.saturating_add(Limits::DEFAULT_STEPS_PER_TOKEN.saturating_mul(tokens as u64))
        })
    }
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { max_steps: None, max_annotations: Limits::DEFAULT_MAX_ANNOTATIONS, timeout: None }
    }
}

/// Why an extraction stopped before its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exceeded {
    /// More matching steps than allowed.
    Steps(u64),
    /// More annotations than allowed.
    Annotations(u64),
    /// More time than allowed.
    Time(std::time::Duration),
}

impl Exceeded {
    /// The error record's kind: `timeout` for steps and time, `too_large` for annotations.
    pub fn kind(&self) -> &'static str {
        crate::output::ErrorKind::from(self).as_str()
    }
}

impl std::fmt::Display for Exceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Exceeded::Steps(n) => write!(f, "extraction took more than {n} matching steps (--max-steps)"),
            Exceeded::Annotations(n) => write!(f, "extraction made more than {n} annotations"),
            Exceeded::Time(t) => write!(f, "extraction took longer than {} s (--timeout)", t.as_secs_f64()),
        }
    }
}

impl std::error::Error for Exceeded {}

/// Where an annotation came from.
#[derive(Debug, Clone, PartialEq)]
pub enum Origin {
    /// An entry of a static lexicon.
    Lexicon(LexHit),
    /// A form of a name found in the document (its field `source` holds the name's text).
    Derived {
        /// The derived lexicon.
        lexicon: LexiconId,
    },
    /// A rule's match.
    Rule {
        /// The rule.
        rule: RuleId,
        /// Token span of the whole match.
        matched: (u32, u32),
        /// What each capture bound (a span, a part of a token, or a list of them), by the
        /// index of its name; hidden captures are left out.
        captures: Vec<(u32, Value)>,
    },
}

/// An annotation over tokens `[start, end)`.
#[derive(Debug, Clone)]
pub struct Annotation {
    /// Its label.
    pub label: LabelId,
    /// First token.
    pub start: u32,
    /// One past the last token.
    pub end: u32,
    /// Provenance.
    pub origin: Origin,
    /// Fields, in the order the rule gives them; `Null` values are left out.
    pub fields: Vec<(FieldName, Value)>,
    priority: i64,
    keep_all: bool,
    vetoed: bool,
}

/// Per-label bookkeeping.
#[derive(Debug, Default, Clone)]
pub(crate) struct LabelState {
    /// Every annotation made, by id.
    candidates: Vec<u32>,
    /// After resolution: kept ids sorted by (start, longest first).
    kept: Vec<u32>,
    /// Kept ids sorted by (end, longest first).
    kept_by_end: Vec<u32>,
    /// A bit per token: inside a kept annotation (only for labels used by `[Label]` tests).
    covered: Vec<u64>,
    dirty: bool,
    /// The first `ordered` candidates, in the order conflicts are resolved by (see `resolve`).
    order: Vec<resolve::OrderKey>,
    ordered: usize,
}

impl LabelState {
    /// Empty, keeping the allocations.
    fn reset(&mut self) {
        self.candidates.clear();
        self.kept.clear();
        self.kept_by_end.clear();
        self.covered.clear();
        self.dirty = false;
        self.order.clear();
        self.ordered = 0;
    }
}

/// Mutable state for extracting from documents: keep one per thread and reuse it.
#[derive(Default)]
pub struct Scratch {
    keys: TokenKeys,
    unit_sentence: Vec<u32>,
    unit_paragraph: Vec<u32>,
    key: String,
    /// (vocabulary id, token) pairs, sorted: where each exact key occurs.
    postings_exact: Vec<(u32, u32)>,
    /// The same for folded keys.
    postings_fold: Vec<(u32, u32)>,
    /// Bits by vocabulary id, two per id (exact, folded): the indexed keys that occur in the document.
    present: Vec<u64>,
    /// Per start test: the tokens that pass it (computed once per document).
    start_tests: FxHashMap<u32, Vec<u32>>,
    /// (rule, token) where a rule's literal prefix occurs, sorted.
    rule_starts: Vec<(u32, u32)>,
    candidates: Vec<u32>,
    vm: Vm,
    memo: vm::Memo,
    /// Time spent per step of the cascade, when profiling.
    profile: Option<Profile>,
    /// The capitalized tokens of the document, in order.
    capitalized: Vec<u32>,
    /// Normalized token keys for derived lexicons: ranges into `derive_keys_text` (filled once per document).
    derive_keys: Vec<(u32, u32)>,
    derive_keys_text: String,
    /// Byte ranges of the text to tokenize, from the prefilter.
    windows: Vec<(usize, usize)>,
    grouping: Grouping,
    /// Per label, reused from document to document.
    labels: Vec<LabelState>,
    /// Bits by rule: the literal prefix automaton found a start of it.
    has_starts: Vec<u64>,
    /// When the document's time runs out (`Limits::timeout`).
    deadline: Option<std::time::Instant>,
    /// Values that could not be computed: overflow, division by zero.
    faults: std::cell::Cell<u64>,
    /// Per derived lexicon: the forms found so far in the text (its pieces before this one,
    /// then this one's), with the names they come from (see [`extract_text`]).
    carry: FxHashMap<u32, derive::Known>,
    /// The annotations and tokens of the last piece, for the next one.
    spare_annotations: Vec<Annotation>,
    spare_tokens: Vec<crate::text::Token>,
}

/// A counting sort of `(key, value)` pairs by key, for pairs whose values come
/// in increasing order for each key: linear in the pairs, where comparison
/// sorting was the largest cost of preparing a document for many rules.
#[derive(Default)]
struct Grouping {
    /// Per key: how many pairs, then where its pairs go; all zero between sorts.
    counts: Vec<u32>,
    /// The keys seen in this sort.
    keys: Vec<u32>,
    out: Vec<(u32, u32)>,
}

impl Grouping {
    /// Sorts `pairs` (keys below `keys`) by key, then value.
    fn sort(&mut self, pairs: &mut Vec<(u32, u32)>, keys: usize) {
        if pairs.len() < 64 {
            pairs.sort_unstable();
            return;
        }
        if self.counts.len() < keys {
            self.counts.resize(keys, 0);
        }
        self.keys.clear();
        for &(k, _) in pairs.iter() {
            let c = &mut self.counts[k as usize];
            if *c == 0 {
                self.keys.push(k);
            }
            *c += 1;
        }
        self.keys.sort_unstable();
        let mut at = 0;
        for &k in &self.keys {
            let c = self.counts[k as usize];
            self.counts[k as usize] = at;
            at += c;
        }
        self.out.clear();
        self.out.resize(pairs.len(), (0, 0));
        for &(k, v) in pairs.iter() {
            let slot = &mut self.counts[k as usize];
            self.out[*slot as usize] = (k, v);
            *slot += 1;
        }
        for &k in &self.keys {
            self.counts[k as usize] = 0;
        }
        std::mem::swap(pairs, &mut self.out);
        debug_assert!(pairs.windows(2).all(|w| w[0] <= w[1]), "values out of order within a key");
    }
}

/// Where extraction spends its time: per rule, per derived lexicon, and in
/// the static lexicons, summed over the documents a [`Scratch`] extracted from.
#[derive(Debug, Default, Clone)]
pub struct Profile {
    /// Finding the static lexicons' entries (one automaton pass per document).
    pub lexicons: std::time::Duration,
    /// Per rule (indexed by [`RuleId`]): resolving the labels it reads, then running it.
    pub rules: Vec<std::time::Duration>,
    /// Building derived lexicons.
    pub derived: std::time::Duration,
}

/// Per token of a document: its vocabulary ids and the static lexicons covering it.
#[derive(Default)]
pub(crate) struct TokenKeys {
    /// Vocabulary id of the exact key (`u32::MAX` when not in the vocabulary).
    pub exact: Vec<u32>,
    /// Vocabulary id of the folded key.
    pub fold: Vec<u32>,
    /// Bits of the static lexicons covering the token ([`Program::lexicon_bits`]).
    pub lexicons: Vec<u64>,
}

impl TokenKeys {
    /// Whether token `i` has key `id` (folded when `fold`).
    #[inline]
    pub fn is(&self, i: usize, id: u32, fold: bool) -> bool {
        (if fold { self.fold[i] } else { self.exact[i] }) == id
    }
}

impl Scratch {
    /// An empty scratch space.
    pub fn new() -> Scratch {
        Scratch::default()
    }

    /// Where key `id` (folded when `fold`) occurs in the document, as sorted `(id, token)` pairs;
    /// only keys some rule starts with or needs are indexed.
    fn postings(&self, id: u32, fold: bool) -> &[(u32, u32)] {
        let p = if fold { &self.postings_fold } else { &self.postings_exact };
        let from = p.partition_point(|&(k, _)| k < id);
        let len = p[from..].partition_point(|&(k, _)| k == id);
        &p[from..from + len]
    }

    /// Whether rule searches may use the bounded backtracker (the default) or only the Pike VM.
    /// Both find the same matches; this is here so that tests can check that they do.
    pub fn set_backtracking(&mut self, allowed: bool) {
        self.vm.pike_only = !allowed;
    }

    /// Starts measuring where extraction spends its time (see [`Scratch::profile`]).
    pub fn enable_profile(&mut self) {
        self.profile = Some(Profile::default());
    }

    /// The matching steps of the last extraction: (instruction, position) pairs visited, threads
    /// stepped, context passes, derived-lexicon and conflict-resolution work. Deterministic for
    /// the same rules and text, so tests can check growth without a clock.
    pub fn steps(&self) -> u64 {
        self.vm.steps
    }

    /// The values of the last extraction that had none because of an overflow or a division
    /// by zero (the field is left out, the condition is false).
    pub fn faults(&self) -> u64 {
        self.faults.get()
    }

    /// The time measured since [`Scratch::enable_profile`].
    pub fn profile(&self) -> Option<&Profile> {
        self.profile.as_ref()
    }
}

/// The result of extracting from one document.
#[derive(Debug)]
pub struct Extraction {
    /// Every annotation made (lexicon hits and vetoed or dropped ones included).
    pub annotations: Vec<Annotation>,
    /// Ids of the annotations that go to the output, in output order.
    pub output: Vec<u32>,
    /// Ids of every annotation made by a rule and kept after conflict
    /// resolution, internal labels included, in output order.
    pub kept: Vec<u32>,
    /// Every match of a veto rule: the rule, the vetoed label, and the tokens matched.
    pub vetoes: Vec<(RuleId, LabelId, u32, u32)>,
}

/// The read-only view a rule run needs.
pub(crate) struct Cx<'a> {
    pub prog: &'a Program,
    pub doc: &'a Document<'a>,
    pub keys: &'a TokenKeys,
    pub anns: &'a [Annotation],
    pub labels: &'a [LabelState],
    /// Counts values lost to overflow or division by zero.
    pub faults: &'a std::cell::Cell<u64>,
}

/// Tokenizes a text for `prog`: whole, or, when the program has a
/// [`Prefilter`](crate::compile::Prefilter), only the windows where its needles
/// occur (extraction then gives the same annotations with fewer tokens).
pub fn document<'t>(prog: &Program, text: &'t str, scratch: &mut Scratch) -> Document<'t> {
    document_with(prog, text, LineBreaks::Auto, scratch)
}

/// [`document`], with single line breaks read as `breaks` says.
pub fn document_with<'t>(prog: &Program, text: &'t str, breaks: LineBreaks, scratch: &mut Scratch) -> Document<'t> {
    if prefilter_windows(prog, text, scratch) {
        return Document::from_windows(text, &scratch.windows, breaks);
    }
    Document::with_line_breaks(text, breaks)
}

/// Whether `text` is to be tokenized only in the prefilter's windows, which are then in
/// `scratch.windows`: the program has a prefilter and the windows cover at most half the text
/// (when they cover most of it, one pass over all of it is cheaper).
fn prefilter_windows(prog: &Program, text: &str, scratch: &mut Scratch) -> bool {
    prog.prefilter.as_ref().is_ok_and(|p| {
        p.windows(text, &mut scratch.windows).is_some()
            && scratch.windows.iter().map(|(a, b)| b - a).sum::<usize>() <= text.len() / 2
    })
}

/// Extracts annotations from a document, within `opts.limits`, in one piece whatever its size
/// (see [`extract_text`] for a text that may be long).
pub fn extract(prog: &Program, doc: &Document, opts: &Options, scratch: &mut Scratch) -> Result<Extraction, Exceeded> {
    scratch.carry.clear();
    scratch.deadline = opts.limits.timeout.map(|t| std::time::Instant::now() + t);
    let budget = opts.limits.steps_for(doc.tokens.len());
    extract_piece(prog, doc, opts, scratch, budget, opts.limits.max_annotations)
}

/// Byte ranges `[start, end)` that cut a text into pieces, in order, covering it: the text
/// itself when it is at most `size` bytes long; else pieces of at least `size` bytes, each
/// ending where a paragraph ends (a blank line), or, when no paragraph ends within the next
/// `size` bytes, at a line break, then at a space, and, in a text without any, at the first
/// character after `2 × size` bytes. A piece starts at the first byte after the cut.
pub fn pieces(text: &str, size: usize) -> Vec<(usize, usize)> {
    let size = size.max(1);
    let mut out = Vec::new();
    let mut at = 0;
    while text.len() - at > size {
        let Some(cut) = cut_after(text, at + size, size) else { break };
        out.push((at, cut));
        at = cut;
    }
    if at < text.len() || out.is_empty() {
        out.push((at, text.len()));
    }
    out
}

/// Where a piece that may end from byte `from` on ends: see [`pieces`]. `None`: at the text's end.
fn cut_after(text: &str, from: usize, size: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let window = &bytes[from..(from + size).min(bytes.len())];
    let is_space = |b: u8| b == b' ' || (b'\t'..=b'\r').contains(&b);
    // The end of the whitespace run from `i` on (a piece starts at a token).
    let past_space = |mut i: usize| {
        while i < bytes.len() && is_space(bytes[i]) {
            i += 1;
        }
        i
    };
    let blank_line = window
        .iter()
        .enumerate()
        .position(|(i, &b)| b == b'\n' && window[i + 1..].iter().take_while(|&&c| is_space(c)).any(|&c| c == b'\n'));
    let cut = blank_line
        .or_else(|| window.iter().position(|&b| b == b'\n'))
        .or_else(|| window.iter().position(|&b| is_space(b)))
        .map(|i| past_space(from + i));
    let cut = cut.or_else(|| (from + size..bytes.len()).find(|&i| text.is_char_boundary(i)))?;
    (cut < bytes.len()).then_some(cut)
}

/// Extracts from a whole text: in one piece when it is at most `opts.piece_bytes` long, else
/// piece by piece ([`pieces`]), so that memory is bounded by the piece, not the text. `each`
/// gets every piece's byte range, document and extraction, in order (offsets are the whole
/// text's) and stops the extraction by returning `false`.
///
/// Sentences and paragraphs are the same as in one piece when the pieces end at paragraphs;
/// a `scope document` rule sees one piece at a time; a derived lexicon knows the names of the
/// pieces before, not those after. Limits are the document's: steps and annotations are summed
/// over the pieces (the default step limit is that of each piece's tokens), the time runs from
/// the start. Over a limit, the error is returned after the pieces before it were given to `each`.
pub fn extract_text(
    prog: &Program,
    text: &str,
    opts: &Options,
    scratch: &mut Scratch,
    mut each: impl FnMut((usize, usize), &Document, &Extraction) -> bool,
) -> Result<(), Exceeded> {
    let limits = &opts.limits;
    scratch.carry.clear();
    scratch.deadline = limits.timeout.map(|t| std::time::Instant::now() + t);
    let (mut steps, mut made, mut faults, mut chars) = (0u64, 0u64, 0u64, 0u32);
    let mut result = Ok(());
    for (a, b) in pieces(text, opts.piece_bytes) {
        let doc = if (a, b) == (0, text.len()) {
            document_with(prog, text, opts.line_breaks, scratch)
        } else {
            let tokens = std::mem::take(&mut scratch.spare_tokens);
            piece_document(prog, text, (a, b), chars, opts.line_breaks, tokens, scratch)
        };
        chars += crate::text::count_chars(&text.as_bytes()[a..b]);
        let budget = match limits.max_steps {
            Some(m) => m.saturating_sub(steps),
            None => limits.steps_for(doc.tokens.len()),
        };
        let res = extract_piece(prog, &doc, opts, scratch, budget, limits.max_annotations.saturating_sub(made));
        steps += scratch.vm.steps;
        faults += scratch.faults.get();
        match res {
            Ok(ex) => {
                made += ex.annotations.len() as u64;
                if !each((a, b), &doc, &ex) {
                    break;
                }
                // The next piece reuses the large vectors: a piece's memory is allocated once.
                scratch.spare_annotations = ex.annotations;
                scratch.spare_tokens = doc.tokens;
            }
            Err(e) => {
                result = Err(match e {
                    Exceeded::Steps(n) => Exceeded::Steps(limits.max_steps.unwrap_or(n)),
                    Exceeded::Annotations(_) => Exceeded::Annotations(limits.max_annotations),
                    time => time,
                });
                break;
            }
        }
    }
    scratch.vm.steps = steps;
    scratch.faults.set(faults);
    result
}

/// The document of the piece `[a, b)` of a text (`chars` characters before it), tokenized
/// like [`document_with`]: its offsets are the whole text's.
fn piece_document<'t>(
    prog: &Program,
    text: &'t str,
    (a, b): (usize, usize),
    chars: u32,
    breaks: LineBreaks,
    tokens: Vec<crate::text::Token>,
    scratch: &mut Scratch,
) -> Document<'t> {
    if prefilter_windows(prog, &text[a..b], scratch) {
        scratch.windows.iter_mut().for_each(|w| *w = (w.0 + a, w.1 + a));
        return Document::tokenize_windows(text, &scratch.windows, breaks, (a, chars), tokens);
    }
    Document::tokenize_windows(text, &[(a, b)], breaks, (a, chars), tokens)
}

/// [`extract`] of one piece of a text, with the steps and annotations it may still take; the
/// names of the pieces before are in `scratch.carry`.
fn extract_piece(
    prog: &Program,
    doc: &Document,
    opts: &Options,
    scratch: &mut Scratch,
    budget: u64,
    max_annotations: u64,
) -> Result<Extraction, Exceeded> {
    let n = doc.tokens.len();
    let limits = &Limits { max_annotations, ..opts.limits };
    scratch.vm.steps = 0;
    scratch.faults.set(0);
    scratch.vm.limit = vm::Budget(budget);
    prepare(prog, doc, scratch);
    scratch.vm.steps += n as u64;
    // The annotation vector of the piece before, when there was one (see `extract_text`).
    let mut anns: Vec<Annotation> = std::mem::take(&mut scratch.spare_annotations);
    anns.clear();
    let mut vetoes = Vec::new();
    // Label states are reused across documents (a rule set may have a thousand labels).
    let mut labels = std::mem::take(&mut scratch.labels);
    labels.resize_with(prog.set.labels.len(), LabelState::default);
    labels.iter_mut().for_each(LabelState::reset);
    let clock = scratch.profile.is_some().then(std::time::Instant::now);
    // Static lexicons.
    {
        let mut add = |s: u32, e: u32, hit: LexHit| {
            if unit_of(scratch, Scope::Sentence, s) != unit_of(scratch, Scope::Sentence, e - 1)
                && !only_line_breaks_between(doc, scratch, s, e)
            {
                return;
            }
            let label = prog.set.lexicons[hit.lexicon.0 as usize].label;
            labels[label.0 as usize].candidates.push(anns.len() as u32);
            labels[label.0 as usize].dirty = true;
            anns.push(Annotation {
                label,
                start: s,
                end: e,
                origin: Origin::Lexicon(hit),
                fields: vec![],
                priority: 0,
                keep_all: true,
                vetoed: false,
            });
        };
        prog.exact.find(&scratch.keys.exact, &mut add);
        prog.fold.find(&scratch.keys.fold, &mut add);
    }
    let covering = &mut scratch.keys.lexicons;
    covering.clear();
    covering.resize(n, 0);
    for a in &anns {
        if let Some(b) = prog.lexicon_bits[a.label.0 as usize] {
            covering[a.start as usize..a.end as usize].iter_mut().for_each(|m| *m |= 1 << b);
        }
    }
    if let (Some(p), Some(t)) = (scratch.profile.as_mut(), clock) {
        p.lexicons += t.elapsed();
    }
    for step in &prog.set.order {
        if let Err(e) = within(limits, scratch, anns.len()) {
            scratch.labels = labels;
            return Err(e);
        }
        let clock = scratch.profile.is_some().then(std::time::Instant::now);
        match *step {
            Step::Rule(r) => {
                let gate = prog.gates[r.0 as usize];
                if gate.prefix && !has_bit(&scratch.has_starts, r.0) {
                    continue;
                }
                // A literal every match contains is missing from the document: nothing to do.
                if gate.needs != u32::MAX && !has_bit(&scratch.present, gate.needs)
                    || !has_needed_keys(&prog.rules[r.0 as usize], scratch)
                {
                    continue;
                }
                let rule = &prog.set.rules[r.0 as usize];
                for l in &rule.reads {
                    scratch.vm.steps += resolve(prog, doc, &mut anns, &mut labels[l.0 as usize], *l, n);
                }
                run_rule(prog, doc, opts, r, scratch, &mut anns, &mut labels, &mut vetoes);
                if let (Some(p), Some(t)) = (scratch.profile.as_mut(), clock) {
                    if p.rules.len() < prog.set.rules.len() {
                        p.rules.resize(prog.set.rules.len(), std::time::Duration::ZERO);
                    }
                    p.rules[r.0 as usize] += t.elapsed();
                }
            }
            Step::Derive(lex) => {
                let d = prog.set.lexicons[lex.0 as usize].derived.as_ref().expect("derived");
                scratch.vm.steps += resolve(prog, doc, &mut anns, &mut labels[d.label.0 as usize], d.label, n);
                derive(prog, doc, lex, scratch, &mut anns, &mut labels);
                if let (Some(p), Some(t)) = (scratch.profile.as_mut(), clock) {
                    p.derived += t.elapsed();
                }
            }
        }
    }
    if let Err(e) = within(limits, scratch, anns.len()) {
        scratch.labels = labels;
        return Err(e);
    }
    let mut output = Vec::new();
    let mut kept = Vec::new();
    for (i, l) in prog.set.labels.iter().enumerate() {
        if l.lexicon.is_some() || labels[i].candidates.is_empty() {
            continue;
        }
        scratch.vm.steps += resolve(prog, doc, &mut anns, &mut labels[i], LabelId(i as u32), n);
        kept.extend(labels[i].kept.iter().copied());
        if l.output {
            output.extend(labels[i].kept.iter().copied());
        }
    }
    let key = |id: &u32| {
        let a = &anns[*id as usize];
        let rule = match a.origin {
            Origin::Rule { rule, .. } => rule.0,
            _ => u32::MAX,
        };
        (
            doc.tokens[a.start as usize].start,
            doc.tokens[a.end as usize - 1].end,
            prog.set.labels[a.label.0 as usize].name.as_str(),
            rule,
            *id,
        )
    };
    output.sort_by(|a, b| key(a).cmp(&key(b)));
    kept.sort_by(|a, b| key(a).cmp(&key(b)));
    scratch.labels = labels;
    Ok(Extraction { annotations: anns, output, kept, vetoes })
}

/// Whether the document's work is still within its limits.
fn within(limits: &Limits, s: &Scratch, annotations: usize) -> Result<(), Exceeded> {
    if s.vm.exhausted() {
        return Err(Exceeded::Steps(s.vm.limit.0));
    }
    if annotations as u64 > limits.max_annotations {
        return Err(Exceeded::Annotations(limits.max_annotations));
    }
    match (limits.timeout, s.deadline) {
        (Some(t), Some(d)) if std::time::Instant::now() > d => Err(Exceeded::Time(t)),
        _ => Ok(()),
    }
}

fn prepare(prog: &Program, doc: &Document, s: &mut Scratch) {
    let n = doc.tokens.len();
    s.keys.exact.clear();
    s.keys.fold.clear();
    s.postings_exact.clear();
    s.postings_fold.clear();
    s.present.clear();
    s.present.resize((2 * prog.vocab.len()).div_ceil(64), 0);
    for (i, t) in doc.tokens.iter().enumerate() {
        let text = doc.token_text(i);
        let exact = if t.has(flag::PLAIN) {
            prog.vocab.get(text).copied()
        } else {
            s.key.clear();
            normalize(text, &mut s.key);
            prog.vocab.get(s.key.as_str()).copied()
        };
        let folded = if t.has(flag::PLAIN) && !text.bytes().any(|b| b.is_ascii_uppercase()) {
            exact
        } else {
            s.key.clear();
            fold_case(text, &mut s.key);
            prog.vocab.get(s.key.as_str()).copied()
        };
        let e = exact.unwrap_or(u32::MAX);
        let f = folded.unwrap_or(u32::MAX);
        s.keys.exact.push(e);
        s.keys.fold.push(f);
        // Only keys that start some rule are worth indexing.
        if e != u32::MAX && prog.start_keys[e as usize] & 1 != 0 {
            s.postings_exact.push((e, i as u32));
            set_bit(&mut s.present, 2 * e);
        }
        if f != u32::MAX && prog.start_keys[f as usize] & 2 != 0 {
            s.postings_fold.push((f, i as u32));
            set_bit(&mut s.present, 2 * f + 1);
        }
    }
    let vocab = prog.vocab.len();
    s.grouping.sort(&mut s.postings_exact, vocab);
    s.grouping.sort(&mut s.postings_fold, vocab);
    s.rule_starts.clear();
    let starts = &mut s.rule_starts;
    // Each rule's prefix is in one automaton and has one length: its starts come in order.
    prog.prefix_exact.find(&s.keys.exact, |start, _, rule| starts.push((rule, start)));
    prog.prefix_fold.find(&s.keys.fold, |start, _, rule| starts.push((rule, start)));
    s.grouping.sort(&mut s.rule_starts, prog.rules.len());
    s.has_starts.clear();
    s.has_starts.resize(prog.rules.len().div_ceil(64), 0);
    for &(rule, _) in &s.rule_starts {
        set_bit(&mut s.has_starts, rule);
    }
    s.start_tests.clear();
    s.unit_sentence.clear();
    s.unit_sentence.resize(n, 0);
    for (k, &(a, b)) in doc.sentences.iter().enumerate() {
        s.unit_sentence[a as usize..b as usize].fill(k as u32);
    }
    s.unit_paragraph.clear();
    s.unit_paragraph.resize(n, 0);
    for (k, &(a, b)) in doc.paragraphs.iter().enumerate() {
        s.unit_paragraph[a as usize..b as usize].fill(k as u32);
    }
    s.memo.clear();
    s.derive_keys.clear();
    s.capitalized.clear();
    s.capitalized.extend((0..n as u32).filter(|&i| doc.tokens[i as usize].has(crate::text::flag::CAP)));
}

/// Marks the candidates of the vetoed labels that overlap a match of rule `r`: with a count of
/// matched tokens before each token, a candidate overlaps a match when the count grows across it.
/// O(tokens up to the last match + candidates).
fn veto(
    r: RuleId,
    vetoed: &[LabelId],
    matches: &[Vec<u32>],
    anns: &mut [Annotation],
    labels: &mut [LabelState],
    log: &mut Vec<(RuleId, LabelId, u32, u32)>,
    steps: &mut u64,
) {
    for m in matches {
        log.extend(vetoed.iter().map(|&v| (r, v, m[0], m[1])));
    }
    let Some(last) = matches.last() else { return };
    // before[t]: matched tokens before token t (matches do not overlap).
    let width = last[1] as usize + 1;
    let mut before = vec![0u32; width];
    for m in matches {
        for t in m[0] as usize..m[1] as usize {
            before[t + 1] = 1;
        }
    }
    for t in 1..width {
        before[t] += before[t - 1];
    }
    *steps += width as u64;
    let count = |t: u32| before[(t as usize).min(width - 1)];
    for v in vetoed {
        let st = &mut labels[v.0 as usize];
        *steps += st.candidates.len() as u64;
        for &id in &st.candidates {
            let a = &mut anns[id as usize];
            if !a.vetoed && count(a.end) > count(a.start) {
                a.vetoed = true;
                st.dirty = true;
            }
        }
    }
}

/// Whether an annotation of label `l` that survived conflict resolution starts at token `p`.
/// Whether the first element of rule `cr` can match at token `p`: one of its first keys, tests
/// or labels is there.
fn starts_at(cr: &CompiledRule, cx: &Cx, p: u32) -> bool {
    cr.start.keys.iter().any(|&(id, fold)| cx.keys.is(p as usize, id, fold))
        || cr.start.tests.iter().any(|&t| eval::test_id(cx, t, p as usize))
        || cr.start.labels.iter().any(|&l| annotation_starts_at(cx.labels, cx.anns, l, p))
}

fn annotation_starts_at(labels: &[LabelState], anns: &[Annotation], l: LabelId, p: u32) -> bool {
    let kept = &labels[l.0 as usize].kept;
    let i = kept.partition_point(|&id| anns[id as usize].start < p);
    kept.get(i).is_some_and(|&id| anns[id as usize].start == p)
}

/// Whether every literal key the rule's matches contain occurs in the document, and one of
/// each set of keys of which they contain one.
fn has_needed_keys(cr: &CompiledRule, s: &Scratch) -> bool {
    let present = |&(id, fold): &(u32, bool)| has_bit(&s.present, 2 * id + fold as u32);
    cr.needs_keys.iter().all(present) && cr.needs_any.iter().all(|any| any.iter().any(present))
}

/// Whether bit `i` of a bitset is set.
#[inline]
fn has_bit(bits: &[u64], i: u32) -> bool {
    bits[i as usize / 64] & (1 << (i % 64)) != 0
}

/// Sets bit `i` of a bitset.
#[inline]
fn set_bit(bits: &mut [u64], i: u32) {
    bits[i as usize / 64] |= 1 << (i % 64);
}

/// A literal or an annotation a rule needs at a bounded distance from its start, when its
/// occurrences (times the width of that distance) are far fewer than the rule's start candidates
/// would be: where it occurs, and the distance range.
fn rare_anchor(
    cr: &CompiledRule,
    s: &Scratch,
    labels: &[LabelState],
    anns: &[Annotation],
    n: u32,
) -> Option<(Vec<u32>, u32, u32)> {
    if cr.anchors.is_empty() && cr.label_anchors.is_empty() {
        return None;
    }
    let postings = |id: u32, fold: bool| s.postings(id, fold);
    // What the usual path would look at: every occurrence of a start key or label, and every
    // token for a start test (its passing tokens are computed over the whole document).
    let mut usual: usize = cr.start.keys.iter().map(|&(id, fold)| postings(id, fold).len()).sum();
    if !cr.start.tests.is_empty() {
        usual += n as usize;
    }
    usual += cr.start.labels.iter().map(|l| labels[l.0 as usize].kept.len()).sum::<usize>();
    let cost = |count: usize, lo: u32, hi: u32| count * (hi - lo + 1) as usize;
    let key =
        cr.anchors.iter().map(|&(id, fold, lo, hi)| (cost(postings(id, fold).len(), lo, hi), Ok((id, fold)), lo, hi));
    let label =
        cr.label_anchors.iter().map(|&(l, lo, hi)| (cost(labels[l.0 as usize].kept.len(), lo, hi), Err(l), lo, hi));
    let (c, which, lo, hi) = key.chain(label).min_by_key(|x| x.0)?;
    if c * 4 >= usual {
        return None;
    }
    let at = match which {
        Ok((id, fold)) => postings(id, fold).iter().map(|&(_, q)| q).collect(),
        Err(l) => {
            let mut v: Vec<u32> = labels[l.0 as usize].kept.iter().map(|&id| anns[id as usize].start).collect();
            v.sort_unstable();
            v
        }
    };
    Some((at, lo, hi))
}

/// Whether the sentences tokens `s..e` span are parted only by line breaks inside one paragraph
/// (lines kept apart, as in "Chief Financial\nOfficer"; a stop would be a token of the entry): a lexicon entry may
/// cross those, as a literal in a `scope paragraph` rule does. Sentence-scoped rules still
/// see no annotation that leaves their sentence.
fn only_line_breaks_between(doc: &Document, s: &Scratch, start: u32, end: u32) -> bool {
    if unit_of(s, Scope::Paragraph, start) != unit_of(s, Scope::Paragraph, end - 1) {
        return false;
    }
    (start..end - 1).all(|k| {
        if s.unit_sentence[k as usize] == s.unit_sentence[k as usize + 1] {
            return true;
        }
        let (a, b) = (&doc.tokens[k as usize], &doc.tokens[k as usize + 1]);
        doc.text[a.end as usize..b.start as usize].contains('\n')
    })
}

fn unit_of(s: &Scratch, scope: Scope, tok: u32) -> u32 {
    match scope {
        Scope::Sentence => s.unit_sentence[tok as usize],
        Scope::Paragraph => s.unit_paragraph[tok as usize],
        Scope::Document => 0,
    }
}

fn unit_bounds(doc: &Document, scope: Scope, unit: u32) -> (u32, u32) {
    match scope {
        Scope::Sentence => doc.sentences[unit as usize],
        Scope::Paragraph => doc.paragraphs[unit as usize],
        Scope::Document => (0, doc.tokens.len() as u32),
    }
}

#[allow(clippy::too_many_arguments)]
fn run_rule(
    prog: &Program,
    doc: &Document,
    opts: &Options,
    r: RuleId,
    s: &mut Scratch,
    anns: &mut Vec<Annotation>,
    labels: &mut [LabelState],
    vetoes: &mut Vec<(RuleId, LabelId, u32, u32)>,
) {
    let rule = &prog.set.rules[r.0 as usize];
    let cr = &prog.rules[r.0 as usize];
    let n = doc.tokens.len() as u32;
    if n == 0 {
        return;
    }
    s.memo.clear();
    // Candidate start positions.
    let mut cands = std::mem::take(&mut s.candidates);
    cands.clear();
    {
        let cx = Cx { prog, doc, keys: &s.keys, anns, labels, faults: &s.faults };
        if cr.prefix {
            let rs = &s.rule_starts;
            let from = rs.partition_point(|&(r, _)| r < cr.rule.0);
            cands.extend(rs[from..].iter().take_while(|&&(r, _)| r == cr.rule.0).map(|&(_, p)| p));
        } else if cr.at_scope_start {
            // A rule that begins with `^`: only the first token of each unit can start it.
            let whole = [(0, n)];
            let units: &[(u32, u32)] = match rule.scope {
                Scope::Sentence => &doc.sentences,
                Scope::Paragraph => &doc.paragraphs,
                Scope::Document => &whole,
            };
            cands.extend(units.iter().map(|u| u.0).filter(|&p| p < n && (cr.start.any || starts_at(cr, &cx, p))));
        } else if cr.start.any {
            cands.extend(0..n);
        } else if let Some((at, lo, hi)) = rare_anchor(cr, s, labels, anns, n) {
            // A literal or annotation the rule needs at a known distance from its start is rarer
            // than its first element: try only the starts that distance before its occurrences.
            let starts_here = |p: u32| starts_at(cr, &cx, p);
            for q in at {
                if q < lo {
                    continue;
                }
                for p in q.saturating_sub(hi)..=q - lo {
                    if starts_here(p) {
                        cands.push(p);
                    }
                }
            }
            cands.sort_unstable();
            cands.dedup();
        } else {
            for &(id, fold) in &cr.start.keys {
                cands.extend(s.postings(id, fold).iter().map(|&(_, pos)| pos));
            }
            for &t in &cr.start.tests {
                // Rules often share a first test: each is evaluated once per token and document.
                let capitalized = &s.capitalized;
                let pass = s.start_tests.entry(t).or_insert_with(|| eval::passing(&cx, t, n, capitalized));
                cands.extend_from_slice(pass);
            }
            for l in &cr.start.labels {
                for &id in &labels[l.0 as usize].kept {
                    cands.push(anns[id as usize].start);
                }
            }
            // Several sources can give the same start; one sorted source needs no sort.
            let sources = cr.start.keys.len() + cr.start.tests.len() + cr.start.labels.len();
            if sources > 1 {
                cands.sort_unstable();
            }
            cands.dedup();
            if let Some((first, then)) = cr.second {
                // A cheap look at what follows the first element, before any VM run.
                let follows = |q: u32| {
                    q < n
                        && match then {
                            Second::Test(t) => eval::test_id(&cx, t, q as usize),
                            Second::Label(l) => annotation_starts_at(labels, anns, l, q),
                        }
                };
                cands.retain(|&p| match first {
                    None => follows(p + 1),
                    Some(l) => {
                        let kept = &labels[l.0 as usize].kept;
                        let i = kept.partition_point(|&id| anns[id as usize].start < p);
                        kept[i..]
                            .iter()
                            .take_while(|&&id| anns[id as usize].start == p)
                            .any(|&id| follows(anns[id as usize].end))
                    }
                });
            }
        }
    }
    // A start is only worth a VM run where everything the rule needs follows it in its unit.
    // Candidates are sorted, so one cursor per needed label or key walks forward through its
    // occurrences: O(candidates + occurrences), not a binary search per candidate.
    if !cr.needs_labels.is_empty() || !cr.needs_keys.is_empty() {
        let mut label_at = vec![0usize; cr.needs_labels.len()];
        let keys: Vec<&[(u32, u32)]> = cr.needs_keys.iter().map(|&(id, fold)| s.postings(id, fold)).collect();
        let mut key_at = vec![0usize; keys.len()];
        cands.retain(|&p| {
            let end = unit_bounds(doc, rule.scope, unit_of(s, rule.scope, p)).1;
            cr.needs_labels.iter().zip(label_at.iter_mut()).all(|(l, at)| {
                let kept = &labels[l.0 as usize].kept;
                // Sorted by start: the first at or after `p` decides.
                while kept.get(*at).is_some_and(|&id| anns[id as usize].start < p) {
                    *at += 1;
                }
                kept.get(*at).is_some_and(|&id| anns[id as usize].start < end)
            }) && keys.iter().zip(key_at.iter_mut()).all(|(occ, at)| {
                while occ.get(*at).is_some_and(|&(_, q)| q < p) {
                    *at += 1;
                }
                occ.get(*at).is_some_and(|&(_, q)| q < end)
            })
        });
    }
    let mut matches: Vec<Vec<u32>> = Vec::new();
    let mut ci = 0;
    let mut units = 0u32;
    while ci < cands.len() {
        units = units.wrapping_add(1);
        if s.vm.exhausted() || (units % 1024 == 0 && s.deadline.is_some_and(|d| std::time::Instant::now() > d)) {
            // `extract` reports which limit it was; what this rule found so far is never used.
            break;
        }
        let unit = unit_of(s, rule.scope, cands[ci]);
        let bounds = unit_bounds(doc, rule.scope, unit);
        let end_ci = ci + cands[ci..].partition_point(|&c| c < bounds.1);
        let cx = Cx { prog, doc, keys: &s.keys, anns, labels, faults: &s.faults };
        // The rule's `where`, checked inside the search: a rejected match is a dead end.
        let nslots = cr.slots as usize;
        let mut guard = |m: &[u32]| {
            let b = Bound { rule: r, slots: &m[..nslots], events: &m[nslots..] };
            rule.conditions.iter().all(|c| eval(&cx, c, &b, opts).truthy())
        };
        let slots = (nslots, cr.log_head);
        s.vm.search_all(&cx, &cr.insts, slots, bounds, &cands[ci..end_ci], &mut s.memo, &mut guard, &mut matches);
        ci = end_ci;
    }
    s.candidates = cands;
    matches.retain(|m| m[1] > m[0]);
    if !rule.vetoes.is_empty() {
        veto(r, &rule.vetoes, &matches, anns, labels, vetoes, &mut s.vm.steps);
    }
    let nslots = cr.slots as usize;
    for m in matches {
        let b = Bound { rule: r, slots: &m[..nslots], events: &m[nslots..] };
        let slots = b.slots;
        let (ms, me) = (slots[0], slots[1]);
        let captures: Vec<(u32, Value)> = {
            let cx = Cx { prog, doc, keys: &s.keys, anns, labels, faults: &s.faults };
            eval::captures(&cx, &b)
        };
        let mut captures = Some(captures);
        for (k, e) in rule.emits.iter().enumerate() {
            let (start, end) = match e.at {
                None => (ms, me),
                Some(c) => match b.span(c) {
                    Some(span) => span,
                    None => continue,
                },
            };
            let fields: Vec<(FieldName, Value)> = {
                let cx = Cx { prog, doc, keys: &s.keys, anns, labels, faults: &s.faults };
                e.fields
                    .iter()
                    .map(|(k, x)| (k.clone(), eval(&cx, x, &b, opts)))
                    .filter(|(_, v)| *v != Value::Null)
                    .collect()
            };
            let st = &mut labels[e.label.0 as usize];
            st.candidates.push(anns.len() as u32);
            st.dirty = true;
            anns.push(Annotation {
                label: e.label,
                start,
                end,
                // The last emit takes the captures, the others a copy.
                origin: Origin::Rule {
                    rule: r,
                    matched: (ms, me),
                    captures: if k + 1 == rule.emits.len() {
                        captures.take().unwrap_or_default()
                    } else {
                        captures.clone().unwrap_or_default()
                    },
                },
                fields,
                priority: rule.priority,
                keep_all: rule.keep_all,
                vetoed: false,
            });
        }
    }
}
