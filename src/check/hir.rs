//! The checked rule set: names resolved to ids, lexicons loaded, the cascade
//! ordered. Still close to the source (patterns are trees); the compile stage
//! turns it into instructions.

use crate::source::{SourceMap, Span};
use crate::syntax::ast::{BinOp, CasePolicy, CmpOp, Example, Literal, Scope};

/// Index of a label (lexicon name or emitted label).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LabelId(pub u32);
/// Index of a lexicon.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LexiconId(pub u32);
/// Index of a rule, in load order (the order that breaks conflict ties).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RuleId(pub u32);

/// A checked rule set.
#[derive(Debug, Clone)]
pub struct RuleSet {
    /// Every file read.
    pub sources: SourceMap,
    /// Every label, lexicon names first.
    pub labels: Vec<Label>,
    /// Every lexicon.
    pub lexicons: Vec<Lexicon>,
    /// Every rule, in load order.
    pub rules: Vec<Rule>,
    /// The cascade: the order steps run in.
    pub order: Vec<Step>,
    /// The packs the rules come from.
    pub packs: Vec<super::load::Pack>,
}

/// One step of the cascade.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Run a rule.
    Rule(RuleId),
    /// Build a per-document lexicon from the annotations found so far.
    Derive(LexiconId),
}

/// A label: what annotations are called.
#[derive(Debug, Clone)]
pub struct Label {
    /// Its name.
    pub name: String,
    /// The lexicon whose hits it names, if any.
    pub lexicon: Option<LexiconId>,
    /// Fields (or lexicon features) its annotations may carry, sorted.
    pub fields: Vec<String>,
    /// Whether its annotations go to the output (rule labels not starting with `_`).
    pub output: bool,
}

/// A lexicon.
#[derive(Debug, Clone)]
pub struct Lexicon {
    /// Its name.
    pub name: String,
    /// The label of its hits.
    pub label: LabelId,
    /// Case policy.
    pub case: CasePolicy,
    /// Its entries (empty for a derived lexicon).
    pub entries: Vec<LexEntry>,
    /// For `from Label.field forms [...]`.
    pub derived: Option<Derived>,
    /// The definition.
    pub span: Span,
    /// Its name where defined.
    pub name_span: Span,
}

/// Where a derived lexicon comes from.
#[derive(Debug, Clone)]
pub struct Derived {
    /// The source label.
    pub label: LabelId,
    /// The field of its annotations (whole span when `None`).
    pub field: Option<String>,
    /// Forms to derive.
    pub forms: Vec<Form>,
}

/// A surface form derived from a found name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// The whole text.
    Full,
    /// Its first word.
    First,
    /// Its last word.
    Last,
    /// The initials of its capitalized words (`RAA` for `Reciprocal Access Agreement`).
    Acronym,
}

/// One lexicon entry.
#[derive(Debug, Clone)]
pub struct LexEntry {
    /// The entry as written.
    pub text: Box<str>,
    /// Its normalized token keys (case kept); empty in a compiled program, whose automata hold them.
    pub keys: Box<[Box<str>]>,
    /// Its features.
    pub features: Box<[(Box<str>, Literal)]>,
    /// Where it is written (a line of a lexicon file, or an inline string).
    pub span: Span,
}

/// A checked rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Its name (unique in its pack).
    pub name: String,
    /// Its pack.
    pub pack: super::load::PackId,
    /// The rule's span (its first line is the provenance line).
    pub span: Span,
    /// Its pattern.
    pub pattern: Pat,
    /// Capture names; a capture's index is its id.
    pub captures: Vec<String>,
    /// For each capture, the labels of the one annotation it holds, when every binding holds
    /// exactly one annotation reference (`x:Title`, `x:(Title | Office)`).
    pub capture_labels: Vec<Option<Vec<LabelId>>>,
    /// For each capture, whether one match can bind it more than once (inside `*`, `+` or
    /// `{m,n}`, or written twice): its value is then the list of every binding, in order.
    pub lists: Vec<bool>,
    /// Named groups of token regexes: captures of a part of one token.
    pub groups: Vec<Group>,
    /// `where` conditions, all must hold.
    pub conditions: Vec<Expr>,
    /// `emit` clauses.
    pub emits: Vec<Emit>,
    /// `veto` labels.
    pub vetoes: Vec<LabelId>,
    /// Conflict priority (default 0).
    pub priority: i64,
    /// Match scope.
    pub scope: Scope,
    /// `keep all`.
    pub keep_all: bool,
    /// Labels the pattern reads.
    pub reads: Vec<LabelId>,
    /// Examples, unchecked (the rule-test runner uses them).
    pub examples: Vec<Example>,
}

/// A named group of a token regex (`/(?<amount>\d+)(?<scale>bn|m)/`): it captures a part of
/// the token the regex matched.
#[derive(Debug, Clone)]
pub struct Group {
    /// The group's name, used like a capture's.
    pub name: String,
    /// The hidden capture of the token the regex matched (named `#` and the regex).
    pub token: usize,
    /// The regex, as written.
    pub regex: String,
    /// Case-insensitive (`/.../i`).
    pub fold: bool,
}

/// A checked emit.
#[derive(Debug, Clone)]
pub struct Emit {
    /// The label.
    pub label: LabelId,
    /// Capture the annotation covers (the whole match when `None`).
    pub at: Option<usize>,
    /// Fields, in the order written (the names shared with the annotations made).
    pub fields: Vec<(FieldName, Expr)>,
}

/// The name of a field: shared by a rule and every annotation it makes.
pub type FieldName = std::sync::Arc<str>;

/// A field constraint on an annotation reference: the field, and a comparison
/// with a constant (or, without one, "the field is present").
pub type Constraint = (String, Option<(CmpOp, Literal)>);

/// A checked pattern.
#[derive(Debug, Clone)]
pub enum Pat {
    /// In order.
    Seq(Vec<Pat>),
    /// First that matches, in order of preference.
    Alt(Vec<Pat>),
    /// Repetition.
    Repeat {
        /// What repeats.
        inner: Box<Pat>,
        /// Fewest.
        min: u32,
        /// Most.
        max: Option<u32>,
        /// Prefer fewer.
        lazy: bool,
    },
    /// A capture by index.
    Capture(usize, Box<Pat>),
    /// Zero-width context.
    Context {
        /// Must not match.
        negated: bool,
        /// After the position rather than before.
        after: bool,
        /// What must (not) stand there.
        inner: Box<Pat>,
    },
    /// Start (`true`) or end of the scope.
    Anchor(bool),
    /// One token passing a test.
    Token(Test),
    /// One annotation of a label, starting here.
    Annot {
        /// The label.
        label: LabelId,
        /// Field constraints.
        constraints: Vec<Constraint>,
    },
}

/// A test on one token.
#[derive(Debug, Clone, PartialEq)]
pub enum Test {
    /// Any token.
    Any,
    /// A built-in class.
    Class(Class),
    /// The token's normalized key equals this (lower-cased when `fold`).
    Key {
        /// The key.
        key: String,
        /// Compare lower-cased.
        fold: bool,
    },
    /// The token's text matches the regex.
    Regex {
        /// Source.
        source: String,
        /// Case-insensitive.
        fold: bool,
    },
    /// The token is inside an annotation of this label.
    Covered(LabelId),
    /// Length in characters compared with a number.
    Len(CmpOp, i64),
    /// A string property compared with a string.
    Prop(Property, CmpOp, String),
    /// Negation.
    Not(Box<Test>),
    /// All of them.
    And(Vec<Test>),
    /// Any of them.
    Or(Vec<Test>),
}

/// String properties of a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Property {
    /// Original text.
    Text,
    /// Lower-cased normalized text.
    Lower,
    /// Shape.
    Shape,
    /// Kind name.
    Kind,
}

/// Built-in token classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// First letter upper case.
    Cap,
    /// All letters upper case.
    Upper,
    /// All letters lower case.
    Lower,
    /// A number.
    Num,
    /// Contains a letter.
    Word,
    /// Punctuation.
    Punct,
    /// A symbol.
    Symbol,
    /// One capital letter, with or without a period.
    Initial,
    /// Title case: upper-case first letter, no other upper-case letter.
    Title,
    /// No whitespace before it: the `-` of `Jean-Louis`, the `'s` of `France's`.
    Glued,
}

impl Class {
    /// Looks a class up by any of its names.
    pub fn from_name(name: &str) -> Option<Class> {
        Some(match name {
            "cap" | "capitalized" => Class::Cap,
            "upper" => Class::Upper,
            "lower" => Class::Lower,
            "num" | "number" => Class::Num,
            "word" => Class::Word,
            "punct" | "punctuation" => Class::Punct,
            "symbol" => Class::Symbol,
            "initial" => Class::Initial,
            "title" => Class::Title,
            "glued" => Class::Glued,
            _ => return None,
        })
    }

    /// Every name a class goes by (for suggestions).
    pub const NAMES: &'static [&'static str] = &[
        "cap",
        "capitalized",
        "upper",
        "lower",
        "num",
        "number",
        "word",
        "punct",
        "punctuation",
        "symbol",
        "initial",
        "title",
        "glued",
        "any",
        "_",
    ];

    /// The short name.
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Cap => "cap",
            Class::Upper => "upper",
            Class::Lower => "lower",
            Class::Num => "num",
            Class::Word => "word",
            Class::Punct => "punct",
            Class::Symbol => "symbol",
            Class::Initial => "initial",
            Class::Title => "title",
            Class::Glued => "glued",
        }
    }
}

/// A checked expression.
#[derive(Debug, Clone)]
pub enum Expr {
    /// A constant.
    Const(Literal),
    /// A capture's span (the list of its spans for a list capture).
    Capture(usize),
    /// A named group of a token regex: index into [`Rule::groups`].
    Group(usize),
    /// A field of the annotation a capture wraps.
    Field(usize, String),
    /// A list.
    List(Vec<Expr>),
    /// A function call.
    Call(Func, Vec<Expr>),
    /// `date(year: .., month: .., day: ..)`: arguments in that order, any absent.
    Date(Box<[Option<Expr>; 3]>),
    /// Comparison.
    Compare(Box<Expr>, CmpOp, Box<Expr>),
    /// Arithmetic, `++` and `??`.
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `-a`
    Neg(Box<Expr>),
    /// `if c then a else b`
    If(Box<[Expr; 3]>),
    /// All true.
    And(Vec<Expr>),
    /// Any true.
    Or(Vec<Expr>),
    /// Negation.
    Not(Box<Expr>),
}

/// Built-in functions (`date` is [`Expr::Date`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Func {
    /// The text.
    Text,
    /// The text, lower-cased.
    Lower,
    /// The text, upper-cased.
    Upper,
    /// The text without surrounding white space.
    Trim,
    /// `replace(x, from, to)`: every occurrence of `from` replaced.
    Replace,
    /// An integer from digits or number words.
    Int,
    /// An exact decimal number from digits or number words.
    Num,
    /// Length in characters.
    Len,
    /// `round(x)`, `round(x, places)`: rounded half away from zero.
    Round,
    /// The first present argument.
    Coalesce,
    /// `join(list)`, `join(list, separator)`: the texts joined (by a space).
    Join,
    /// How many values: the items of a list, 1 for one value, 0 for none.
    Count,
    /// The first item of a list (a value that is not a list is its own first item).
    First,
    /// The last item of a list.
    Last,
    /// `anchor()`: the document's anchor date.
    Anchor,
    /// `shift(d, n, unit)`: a calendar value moved by `n` days, weeks, months, quarters, halves
    /// or years, at its own grain.
    Shift,
    /// `period(d, unit)`: the week, month, quarter, half or year containing a value.
    Period,
    /// `weekday(d, wd, dir)`: the weekday `wd` after (`1`, `next`), before (`-1`, `last`) or in
    /// the week of (`0`, `this`) a day.
    Weekday,
    /// `nth_weekday(m, n, wd)`: the n-th (`-1`/`last`: the last) weekday of a month.
    NthWeekday,
    /// `day_in(m, d)`: day `d` of a month (`-1`: its last day).
    DayIn,
    /// `easter(year)`: Easter Sunday.
    Easter,
}

impl Func {
    /// Looks a function up by name.
    pub fn from_name(name: &str) -> Option<Func> {
        Func::ALL.iter().find(|(n, ..)| *n == name).map(|&(_, f, ..)| f)
    }

    /// Every function: name, function, fewest and most arguments (`None`: any number).
    pub const ALL: &'static [(&'static str, Func, usize, Option<usize>)] = &[
        ("text", Func::Text, 1, Some(1)),
        ("lower", Func::Lower, 1, Some(1)),
        ("upper", Func::Upper, 1, Some(1)),
        ("trim", Func::Trim, 1, Some(1)),
        ("replace", Func::Replace, 3, Some(3)),
        ("int", Func::Int, 1, Some(1)),
        ("num", Func::Num, 1, Some(1)),
        ("len", Func::Len, 1, Some(1)),
        ("round", Func::Round, 1, Some(2)),
        ("coalesce", Func::Coalesce, 1, None),
        ("join", Func::Join, 1, Some(2)),
        ("count", Func::Count, 1, Some(1)),
        ("first", Func::First, 1, Some(1)),
        ("last", Func::Last, 1, Some(1)),
        ("anchor", Func::Anchor, 0, Some(0)),
        ("shift", Func::Shift, 3, Some(3)),
        ("period", Func::Period, 2, Some(2)),
        ("weekday", Func::Weekday, 3, Some(3)),
        ("nth_weekday", Func::NthWeekday, 3, Some(3)),
        ("day_in", Func::DayIn, 2, Some(2)),
        ("easter", Func::Easter, 1, Some(1)),
    ];

    /// Function names, `date` included (for suggestions).
    pub fn names() -> impl Iterator<Item = &'static str> {
        Func::ALL.iter().map(|(n, ..)| *n).chain(["date"])
    }
}
