//! The compiled program and its listing.

use super::{Prefilter, TokenAutomaton};
use crate::check::hir::{Class, Constraint, LabelId, LexiconId, Property, RuleId, RuleSet, Step};
use crate::syntax::ast::{CasePolicy, CmpOp};
use regex::Regex;
use rustc_hash::FxHashMap;
use std::fmt;

/// Marks an absent slot or constraint table.
pub const NO_SLOT: u32 = u32::MAX;

/// A compiled, immutable rule set. Share it across threads; give each thread
/// its own [`crate::exec::Scratch`].
#[derive(Debug)]
pub struct Program {
    /// The checked rule set it came from (names, fields, provenance).
    pub set: RuleSet,
    /// Every literal and lexicon token key, interned.
    pub vocab: FxHashMap<Box<str>, u32>,
    /// Token tests, deduplicated.
    pub tests: Vec<CTest>,
    /// Regexes used by tests.
    pub regexes: Vec<Regex>,
    /// Per regex, the bytes a match can begin with (see `regex_prefilter`), if known.
    pub regex_first: Vec<Option<Box<[bool; 256]>>>,
    /// Context sub-programs (`before`/`after`).
    pub contexts: Vec<ContextProg>,
    /// Compiled rules, indexed by [`RuleId`].
    pub rules: Vec<CompiledRule>,
    /// Entries matched with their case.
    pub exact: TokenAutomaton,
    /// Entries matched case-insensitively.
    pub fold: TokenAutomaton,
    /// Labels that `[Label]` token tests look at.
    pub uses_covered: Vec<LabelId>,
    /// Per vocabulary id: bit 0, some rule can start with this exact key or needs it; bit 1, the
    /// same for this folded key.
    pub start_keys: Vec<u8>,
    /// Literal prefixes (exact keys) of rules with `prefix`, to the rule index.
    pub prefix_exact: TokenAutomaton<u32>,
    /// Literal prefixes (folded keys) of rules with `prefix`, to the rule index.
    pub prefix_fold: TokenAutomaton<u32>,
    /// Field constraints on annotation references.
    pub constraints: Vec<Vec<Constraint>>,
    /// Per label: its bit in the per-token mask of static lexicon coverage, if it has one.
    pub lexicon_bits: Vec<Option<u8>>,
    /// Per test: the same test with its static-lexicon coverage items folded into masks, when
    /// that leaves fewer items to evaluate one by one.
    pub test_masks: Vec<Option<TestMask>>,
    /// Needles that find every place a match can be, when all rules match only
    /// lexicon entries and literals (else why not): see [`Prefilter`].
    pub prefilter: Result<Prefilter, String>,
    /// Per rule, what the cascade checks before touching the rule (compact, so
    /// that a thousand rules that cannot match a document cost a scan of this).
    pub gates: Vec<RuleGate>,
    /// Per rule (by [`RuleId`]): where it is defined, `file:line`, as records say it in `source`.
    pub locations: Vec<Box<str>>,
}

/// The cheapest reasons a rule cannot match a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleGate {
    /// Starts are found by the literal prefix automaton: none found, no match.
    pub prefix: bool,
    /// A key every match contains, as its bit in the per-document key presence
    /// bitset (`2 * id + fold`), or `u32::MAX`.
    pub needs: u32,
}

/// A conjunction split into masks over the static lexicons covering a token and the items left.
#[derive(Debug, Clone, PartialEq)]
pub struct TestMask {
    /// Bits of lexicons that must cover the token.
    pub all: u64,
    /// Bits of lexicons that must not cover it.
    pub none: u64,
    /// The other items of the conjunction, in their order.
    pub rest: Vec<CTest>,
}

/// A lexicon hit: which entry of which lexicon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LexHit {
    /// The lexicon.
    pub lexicon: LexiconId,
    /// Index of the entry in it.
    pub entry: u32,
}

/// A compiled token test.
#[derive(Debug, Clone, PartialEq)]
pub enum CTest {
    /// Any token.
    Any,
    /// A class.
    Class(Class),
    /// Vocabulary id of the token's key (folded when `fold`).
    Key {
        /// The id.
        id: u32,
        /// Compare the folded key.
        fold: bool,
    },
    /// Index into [`Program::regexes`].
    Regex(u32),
    /// Inside an annotation of the label.
    Covered(LabelId),
    /// Character length.
    Len(CmpOp, i64),
    /// String property.
    Prop(Property, CmpOp, String),
    /// Negation.
    Not(Box<CTest>),
    /// All.
    And(Vec<CTest>),
    /// Any.
    Or(Vec<CTest>),
}

/// A VM instruction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inst {
    /// Consume one token passing test N.
    Token(u32),
    /// Consume one annotation of the label starting here (constraints table `cons`), recording its id in `slot`.
    Annot {
        /// The label.
        label: LabelId,
        /// Constraint table, or [`NO_SLOT`].
        cons: u32,
        /// Slot for the annotation id, or [`NO_SLOT`].
        slot: u32,
    },
    /// Continue at both; the first is preferred.
    Split(u32, u32),
    /// Continue at.
    Jmp(u32),
    /// Record the position in a slot.
    Save(u32),
    /// Append the binding of capture `cap` (its three slots) to the list logged from slot `head`.
    Log {
        /// The capture.
        cap: u32,
        /// The slot holding the log's last node.
        head: u32,
    },
    /// Only at the start of the scope.
    AssertStart,
    /// Only at the end of the scope.
    AssertEnd,
    /// A context sub-program must (not) match here.
    Context {
        /// Index into [`Program::contexts`].
        ctx: u32,
        /// `not before`/`not after`.
        negated: bool,
    },
    /// A match.
    Match,
}

/// The first elements a program can consume: a token passing one of `tests`, or an
/// annotation of one of `labels`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FirstSteps {
    /// Token tests.
    pub tests: Vec<u32>,
    /// Labels of annotation references.
    pub labels: Vec<LabelId>,
}

/// A `before(...)`/`after(...)` sub-program, anchored at the position it is asked about.
#[derive(Debug, Clone)]
pub struct ContextProg {
    /// Its instructions, ending in `Match`.
    pub insts: Vec<Inst>,
    /// Runs right to left (for `before`).
    pub reverse: bool,
    /// When the context is one token passing any of some tests: that test (an `Or` of them),
    /// decided without running the sub-program.
    pub one_token: Option<u32>,
    /// For a context whose match has no length bound: the same pattern compiled in the
    /// other direction, which answers the context for every position of a unit in one pass.
    pub mirror: Option<Vec<Inst>>,
    /// What its first element can be, when it must consume one: a position where none of them
    /// is fails the context without running it.
    pub first: Option<FirstSteps>,
}

/// What can start a rule's match.
#[derive(Debug, Clone, Default)]
pub struct StartSet {
    /// Any token can.
    pub any: bool,
    /// Vocabulary ids (exact or folded) of first tokens.
    pub keys: Vec<(u32, bool)>,
    /// Other first-token tests.
    pub tests: Vec<u32>,
    /// Labels whose annotations can start a match.
    pub labels: Vec<LabelId>,
}

/// One compiled rule.
#[derive(Debug, Clone)]
pub struct CompiledRule {
    /// The rule.
    pub rule: RuleId,
    /// Its instructions: `Save(0) pattern Save(1) Match`.
    pub insts: Vec<Inst>,
    /// Slots per thread: match start and end, then start, end and annotation id per capture,
    /// then, when the rule has list captures, the head of their log.
    pub slots: u32,
    /// The slot list captures are logged from (see [`Inst::Log`]).
    pub log_head: Option<u32>,
    /// Per named group of a token regex ([`crate::check::hir::Rule::groups`]): the regex, and
    /// the group's index in it.
    pub groups: Vec<(Regex, usize)>,
    /// What can start it.
    pub start: StartSet,
    /// It starts with two or more literal tokens: its candidates come from the prefix automata.
    pub prefix: bool,
    /// Every match starts at the start of its scope unit (the pattern begins with `^`): only
    /// the first token of a sentence, paragraph or document is a candidate.
    pub at_scope_start: bool,
    /// When its first element is one token (`None`) or one annotation of a
    /// label: that label, and what must follow the first element.
    pub second: Option<(Option<LabelId>, Second)>,
    /// Labels every match contains: a start is only tried where one of each
    /// follows it in the same scope unit.
    pub needs_labels: Vec<LabelId>,
    /// Literal keys every match contains, likewise.
    pub needs_keys: Vec<(u32, bool)>,
    /// Sets of literal keys of which every match contains at least one each (`("Post" |
    /// "Times")`): the rule is not run on a document without any key of one of them.
    pub needs_any: Vec<Box<[(u32, bool)]>>,
    /// Literal keys every match contains at a bounded distance from its start, after the first
    /// token: `(key, fold, fewest, most)` tokens from the start. A rare one gives the candidates.
    pub anchors: Vec<(u32, bool, u32, u32)>,
    /// Labels of annotations every match contains at a bounded distance from its start, after
    /// the first element: `(label, fewest, most)`.
    pub label_anchors: Vec<(LabelId, u32, u32)>,
}

/// What must follow a rule's first element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Second {
    /// A token passing this test.
    Test(u32),
    /// An annotation of this label, starting there.
    Label(LabelId),
}

impl Program {
    /// Where rule `r` is defined: `file:line`.
    pub fn location(&self, r: RuleId) -> &str {
        &self.locations[r.0 as usize]
    }

    fn label(&self, l: LabelId) -> &str {
        &self.set.labels[l.0 as usize].name
    }

    fn fmt_test(&self, t: &CTest, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match t {
            CTest::Any => write!(f, "any"),
            CTest::Class(c) => write!(f, "{}", c.as_str()),
            CTest::Key { id, fold } => {
                let key = self.vocab.iter().find(|(_, v)| **v == *id).map_or("?", |(k, _)| &**k);
                write!(f, "{key:?}{}", if *fold { "i" } else { "" })
            }
            CTest::Regex(i) => write!(f, "/{}/", self.regexes[*i as usize].as_str()),
            CTest::Covered(l) => write!(f, "in {}", self.label(*l)),
            CTest::Len(op, n) => write!(f, "len {} {n}", op.as_str()),
            CTest::Prop(p, op, s) => write!(f, "{p:?} {} {s:?}", op.as_str()),
            CTest::Not(inner) => {
                write!(f, "!")?;
                self.fmt_test(inner, f)
            }
            CTest::And(items) | CTest::Or(items) => {
                let op = if matches!(t, CTest::And(_)) { " & " } else { " | " };
                write!(f, "(")?;
                for (i, x) in items.iter().enumerate() {
                    if i > 0 {
                        write!(f, "{op}")?;
                    }
                    self.fmt_test(x, f)?;
                }
                write!(f, ")")
            }
        }
    }

    fn test_string(&self, t: &CTest) -> String {
        struct Shown<'a>(&'a Program, &'a CTest);
        impl fmt::Display for Shown<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt_test(self.1, f)
            }
        }
        Shown(self, t).to_string()
    }

    fn fmt_insts(&self, insts: &[Inst], indent: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (pc, inst) in insts.iter().enumerate() {
            write!(f, "{indent}{pc:04} ")?;
            match inst {
                Inst::Token(t) => {
                    write!(f, "token ")?;
                    self.fmt_test(&self.tests[*t as usize], f)?;
                }
                Inst::Annot { label, cons, slot } => {
                    write!(f, "annot {}", self.label(*label))?;
                    if *cons != NO_SLOT {
                        for (k, v) in &self.constraints[*cons as usize] {
                            match v {
                                Some((op, lit)) => write!(f, " ({k} {} {lit})", op.as_str())?,
                                None => write!(f, " ({k})")?,
                            }
                        }
                    }
                    if *slot != NO_SLOT {
                        write!(f, " -> slot {slot}")?;
                    }
                }
                Inst::Split(a, b) => write!(f, "split {a:04}, {b:04}")?,
                Inst::Jmp(a) => write!(f, "jmp {a:04}")?,
                Inst::Save(s) => write!(f, "save {s}")?,
                Inst::Log { cap, head } => write!(f, "log {cap} in {head}")?,
                Inst::AssertStart => write!(f, "assert scope-start")?,
                Inst::AssertEnd => write!(f, "assert scope-end")?,
                Inst::Context { ctx, negated } => {
                    let c = &self.contexts[*ctx as usize];
                    let side = if c.reverse { "before" } else { "after" };
                    writeln!(f, "{}{side} (context {ctx})", if *negated { "not " } else { "" })?;
                    self.fmt_insts(&c.insts, &format!("{indent}     | "), f)?;
                    continue;
                }
                Inst::Match => write!(f, "match")?,
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

/// The listing: labels, lexicons, cascade order, then each rule's instructions.
impl fmt::Display for Program {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "labels:")?;
        for l in &self.set.labels {
            let kind = if l.lexicon.is_some() {
                "lexicon"
            } else if l.output {
                "output"
            } else {
                "internal"
            };
            write!(f, "  {} ({kind})", l.name)?;
            if !l.fields.is_empty() {
                write!(f, " fields: {}", l.fields.join(", "))?;
            }
            writeln!(f)?;
        }
        writeln!(f, "lexicons:")?;
        for lex in &self.set.lexicons {
            match &lex.derived {
                Some(d) => {
                    let forms: Vec<String> = d.forms.iter().map(|x| format!("{x:?}").to_lowercase()).collect();
                    let field = d.field.as_ref().map_or(String::new(), |x| format!(".{x}"));
                    writeln!(
                        f,
                        "  {} derived from {}{field} forms [{}]",
                        lex.name,
                        self.label(d.label),
                        forms.join(", ")
                    )?
                }
                None => {
                    let case = match lex.case {
                        CasePolicy::Exact => "exact".to_string(),
                        CasePolicy::Ignore { above: None } => "ignore".to_string(),
                        CasePolicy::Ignore { above: Some(n) } => format!("ignore above {n}"),
                    };
                    writeln!(f, "  {} {} entries, case {case}", lex.name, lex.entries.len())?
                }
            }
        }
        writeln!(
            f,
            "automata: exact {} entries / {} states, folded {} entries / {} states",
            self.exact.len(),
            self.exact.states(),
            self.fold.len(),
            self.fold.states()
        )?;
        match &self.prefilter {
            Ok(p) => {
                let (before, after) = p.widest_reach();
                writeln!(f, "prefilter: {} needles; windows reach {before} tokens before, {after} after", p.needles())?;
                if p.needles() <= 16 {
                    let list: Vec<String> = p.needle_reach().map(|(n, (b, a))| format!("{n} -{b}+{a}")).collect();
                    writeln!(f, "  needles: {}", list.join(", "))?;
                }
            }
            Err(why) => writeln!(f, "prefilter: none ({why})")?,
        }
        writeln!(f, "cascade:")?;
        for (i, s) in self.set.order.iter().enumerate() {
            match s {
                Step::Rule(r) => writeln!(f, "  {i}. rule {}", self.set.rules[r.0 as usize].name)?,
                Step::Derive(l) => writeln!(f, "  {i}. derive lexicon {}", self.set.lexicons[l.0 as usize].name)?,
            }
        }
        for cr in &self.rules {
            let r = &self.set.rules[cr.rule.0 as usize];
            writeln!(
                f,
                "\nrule {} ({}) scope {} priority {}{}",
                r.name,
                self.set.sources.location(r.span),
                r.scope.as_str(),
                r.priority,
                if r.keep_all { " keep all" } else { "" }
            )?;
            if !r.captures.is_empty() {
                let caps: Vec<String> =
                    r.captures.iter().enumerate().map(|(i, c)| format!("{c}={}", 2 + 3 * i)).collect();
                writeln!(f, "  captures: {}", caps.join(" "))?;
            }
            let mut starts: Vec<String> = vec![];
            if cr.start.any {
                starts.push("any token".into());
            }
            for (id, fold) in &cr.start.keys {
                starts.push(self.test_string(&CTest::Key { id: *id, fold: *fold }));
            }
            for t in &cr.start.tests {
                starts.push(self.test_string(&self.tests[*t as usize]));
            }
            for l in &cr.start.labels {
                starts.push(self.label(*l).to_string());
            }
            let via = if cr.prefix {
                " (literal prefix automaton)"
            } else if cr.at_scope_start {
                " (first token of its scope only)"
            } else {
                ""
            };
            writeln!(f, "  starts at: {}{via}", starts.join(", "))?;
            if let (false, Some((_, then))) = (cr.prefix, cr.second) {
                let then = match then {
                    Second::Test(t) => self.test_string(&self.tests[t as usize]),
                    Second::Label(l) => self.label(l).to_string(),
                };
                writeln!(f, "  then: {then}")?;
            }
            let mut needs: Vec<String> = cr.needs_labels.iter().map(|l| self.label(*l).to_string()).collect();
            needs.extend(cr.needs_keys.iter().map(|&(id, fold)| self.test_string(&CTest::Key { id, fold })));
            needs.extend(cr.needs_any.iter().map(|any| {
                let keys: Vec<String> =
                    any.iter().map(|&(id, fold)| self.test_string(&CTest::Key { id, fold })).collect();
                format!("one of ({})", keys.join(" | "))
            }));
            if !needs.is_empty() {
                writeln!(f, "  needs: {}", needs.join(", "))?;
            }
            self.fmt_insts(&cr.insts, "  ", f)?;
        }
        Ok(())
    }
}
