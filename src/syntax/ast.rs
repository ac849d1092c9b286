//! The abstract syntax tree of a rule file.
//!
//! It stays close to the surface syntax and keeps a [`Span`] on every node
//! that a diagnostic may point at. Names are not resolved here: `Title` in a
//! pattern may be a token class, a lexicon, a named pattern or a label, and
//! the check stage decides which. `Display` prints the tree as S-expressions,
//! which is what the AST snapshots show.

use crate::source::{FileId, Span};
use rust_decimal::Decimal;
use std::fmt;

/// A parsed rule file.
#[derive(Debug, Clone)]
pub struct RuleFile {
    /// The file it came from.
    pub file: FileId,
    /// Its items, in order.
    pub items: Vec<Item>,
}

/// A name with the place it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    /// The name.
    pub name: String,
    /// Where it is.
    pub span: Span,
}

/// A string literal, escapes resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct StrLit {
    /// The value.
    pub value: String,
    /// Where it is, quotes included.
    pub span: Span,
}

/// A top-level item.
#[derive(Debug, Clone)]
pub enum Item {
    /// `import "file.trawl"`: a file of this pack.
    Import(StrLit),
    /// `use news/dates as d { Month }`: another pack's names.
    Use(UseDecl),
    /// `lexicon Name = ...`
    Lexicon(LexiconDef),
    /// `pattern Name = ...`
    Pattern(PatternDef),
    /// `rule name { ... }`
    Rule(RuleDef),
}

/// `use PACK [as PREFIX] [{ Name [as Local], ... }]`
#[derive(Debug, Clone)]
pub struct UseDecl {
    /// The pack.
    pub target: UseTarget,
    /// The prefix its names take (`dates` in `dates::Month`); the pack's last name part when absent.
    pub alias: Option<Ident>,
    /// Names used without a prefix: the pack's name and the name here.
    pub names: Vec<(Ident, Ident)>,
    /// The whole declaration.
    pub span: Span,
}

/// Which pack a `use` names.
#[derive(Debug, Clone)]
pub enum UseTarget {
    /// A bundled pack by name: `news/dates`.
    Bundled(Ident),
    /// A pack on disk, relative to the using file's folder: `"../shared"`.
    Path(StrLit),
}

impl UseTarget {
    /// Where it is written.
    pub fn span(&self) -> Span {
        match self {
            UseTarget::Bundled(i) => i.span,
            UseTarget::Path(p) => p.span,
        }
    }
}

/// `lexicon Name = source with case ...`
#[derive(Debug, Clone)]
pub struct LexiconDef {
    /// Its name, which is also the label of its hits.
    pub name: Ident,
    /// Where the entries come from.
    pub source: LexiconSource,
    /// The case policy, if given.
    pub case: Option<(CasePolicy, Span)>,
    /// The whole item.
    pub span: Span,
}

/// Where a lexicon's entries come from.
#[derive(Debug, Clone)]
pub enum LexiconSource {
    /// `file "path"`: one entry per line, optional TAB-separated `key=value` features.
    File(StrLit),
    /// `["a", "b" {key: "v"}]`
    List(Vec<LexEntry>),
    /// `from Label.field forms [full, last]`: built per document from annotations found so far.
    Derived {
        /// The label whose annotations feed it.
        label: Ident,
        /// The field of those annotations to take (the whole span when absent).
        field: Option<Ident>,
        /// Which surface forms to derive (`full`, `first`, `last`, `acronym`).
        forms: Vec<Ident>,
    },
}

/// One inline lexicon entry.
#[derive(Debug, Clone)]
pub struct LexEntry {
    /// The entry's text.
    pub text: StrLit,
    /// Its features.
    pub features: Vec<(Ident, Literal)>,
}

/// A constant: a string, an exact decimal number or a truth value.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// A string.
    Str(String),
    /// A number (`42`, `0.01`).
    Num(Decimal),
    /// `true` or `false`.
    Bool(bool),
}

/// How a lexicon treats letter case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CasePolicy {
    /// Entries match only with their own case (the default).
    Exact,
    /// Entries match in any case; with `above N`, only entries longer than N characters do.
    Ignore {
        /// Entries of at most this many characters keep exact case.
        above: Option<u32>,
    },
}

/// `pattern Name = ...`
#[derive(Debug, Clone)]
pub struct PatternDef {
    /// Its name.
    pub name: Ident,
    /// Its body.
    pub body: Pattern,
    /// The whole item.
    pub span: Span,
}

/// `rule name { clauses }`
#[derive(Debug, Clone)]
pub struct RuleDef {
    /// Its name.
    pub name: Ident,
    /// Its clauses, in order.
    pub clauses: Vec<Clause>,
    /// The whole rule.
    pub span: Span,
}

/// A clause of a rule.
#[derive(Debug, Clone)]
pub enum Clause {
    /// `match pattern`
    Match(Pattern, Span),
    /// `where condition`
    Where(Expr, Span),
    /// `emit Label at capture { fields }`
    Emit(Emit),
    /// `veto Label`
    Veto(Ident, Span),
    /// `priority N`
    Priority(i64, Span),
    /// `scope sentence|paragraph|document`
    Scope(Scope, Span),
    /// `keep all`
    KeepAll(Span),
    /// `example`, `counterexample`, `todo example`
    Example(Example),
}

/// An `emit` clause.
#[derive(Debug, Clone)]
pub struct Emit {
    /// The label created.
    pub label: Ident,
    /// The capture the annotation covers (the whole match when absent).
    pub at: Option<Ident>,
    /// Its fields.
    pub fields: Vec<Field>,
    /// The whole clause.
    pub span: Span,
}

/// `name: value`, or just `name` for `name: name`.
#[derive(Debug, Clone)]
pub struct Field {
    /// Field name.
    pub name: Ident,
    /// Its value; `None` means the capture of the same name.
    pub value: Option<Expr>,
}

/// How far a match may reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// Within one sentence (the default).
    Sentence,
    /// Within one paragraph.
    Paragraph,
    /// Anywhere in the document.
    Document,
}

/// An executable example.
#[derive(Debug, Clone)]
pub struct Example {
    /// `counterexample` (the rule must emit nothing) rather than `example`.
    pub counter: bool,
    /// A known gap: reported, never failing.
    pub todo: bool,
    /// The example text.
    pub text: StrLit,
    /// What the rule must emit there.
    pub expects: Vec<Expect>,
    /// The whole clause.
    pub span: Span,
}

/// `Label "span text" { field: "value" }` in an example.
#[derive(Debug, Clone)]
pub struct Expect {
    /// Expected label.
    pub label: Ident,
    /// Expected span text (the whole example when absent).
    pub text: Option<StrLit>,
    /// Expected fields.
    pub fields: Vec<(Ident, ExpectValue)>,
}

/// An expected field value.
#[derive(Debug, Clone, PartialEq)]
pub enum ExpectValue {
    /// A string (a span's text or a string value).
    Str(String),
    /// A number.
    Num(Decimal),
    /// `true` or `false`.
    Bool(bool),
    /// A list.
    List(Vec<ExpectValue>),
}

/// A token pattern.
#[derive(Debug, Clone)]
pub enum Pattern {
    /// `a | b`
    Alt(Vec<Pattern>, Span),
    /// `a b`
    Seq(Vec<Pattern>, Span),
    /// `name:p`
    Capture(Ident, Box<Pattern>, Span),
    /// `p?`, `p*`, `p+`, `p{m,n}`, lazy with a trailing `?`
    Repeat {
        /// What repeats.
        inner: Box<Pattern>,
        /// Fewest repetitions.
        min: u32,
        /// Most repetitions (`None`: unbounded, within the scope).
        max: Option<u32>,
        /// Prefer fewer repetitions.
        lazy: bool,
        /// The whole element.
        span: Span,
    },
    /// `...` or `...{m,n}`: any tokens, lazily.
    Gap {
        /// Fewest tokens.
        min: u32,
        /// Most tokens.
        max: Option<u32>,
        /// Where.
        span: Span,
    },
    /// `before(p)`, `after(p)`, `not before(p)`, `not after(p)`
    Context {
        /// `not`
        negated: bool,
        /// `after` rather than `before`
        after: bool,
        /// The context pattern.
        inner: Box<Pattern>,
        /// Where.
        span: Span,
    },
    /// `^` (start of scope) or `$` (end of scope)
    Anchor {
        /// `^` rather than `$`
        start: bool,
        /// Where.
        span: Span,
    },
    /// `"text"` or `"text"i`: the token sequence the text tokenizes to.
    Literal {
        /// The text.
        text: String,
        /// `i` flag.
        ignore_case: bool,
        /// Where.
        span: Span,
    },
    /// One token passing a test: `/re/`, `[...]`, `!x`.
    Token(TokenTest, Span),
    /// A name: token class, lexicon, named pattern or label, with constraints.
    Ref {
        /// The name.
        name: Ident,
        /// `Name(field = "v", other)`
        constraints: Vec<Constraint>,
        /// Where.
        span: Span,
    },
}

impl Pattern {
    /// Where the pattern is written.
    pub fn span(&self) -> Span {
        match self {
            Pattern::Alt(_, s) | Pattern::Seq(_, s) | Pattern::Capture(_, _, s) | Pattern::Token(_, s) => *s,
            Pattern::Repeat { span, .. }
            | Pattern::Gap { span, .. }
            | Pattern::Context { span, .. }
            | Pattern::Anchor { span, .. }
            | Pattern::Literal { span, .. }
            | Pattern::Ref { span, .. } => *span,
        }
    }
}

/// `field = "value"`, `field != 3`, or just `field` (present).
#[derive(Debug, Clone)]
pub struct Constraint {
    /// The field or feature.
    pub field: Ident,
    /// Comparison, if any.
    pub test: Option<(CmpOp, Literal)>,
    /// Where.
    pub span: Span,
}

/// A test on one token.
#[derive(Debug, Clone)]
pub enum TokenTest {
    /// `a | b`
    Or(Vec<TokenTest>),
    /// `a & b`
    And(Vec<TokenTest>),
    /// `!a`
    Not(Box<TokenTest>),
    /// The token is exactly this (one-token) literal.
    Literal {
        /// The text.
        text: String,
        /// `i` flag.
        ignore_case: bool,
        /// Where.
        span: Span,
    },
    /// The token's text matches a regex.
    Regex {
        /// Regex source.
        source: String,
        /// `i` flag.
        ignore_case: bool,
        /// Where.
        span: Span,
    },
    /// A token class, or "covered by an annotation of this label".
    Name(Ident),
    /// `len > 2`, `shape = "Xxxx"`, `lower = "x"`
    Compare {
        /// The property.
        property: Ident,
        /// The operator.
        op: CmpOp,
        /// The constant.
        value: Literal,
    },
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `=` or `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl CmpOp {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

/// An expression in `where` or a field.
#[derive(Debug, Clone)]
pub enum Expr {
    /// `a or b`
    Or(Vec<Expr>, Span),
    /// `a and b`
    And(Vec<Expr>, Span),
    /// `not a`
    Not(Box<Expr>, Span),
    /// `a < b`
    Compare(Box<Expr>, CmpOp, Box<Expr>, Span),
    /// `f(a, name: b)`
    Call(Ident, Vec<(Option<Ident>, Expr)>, Span),
    /// `[a, b]`
    List(Vec<Expr>, Span),
    /// A constant.
    Literal(Literal, Span),
    /// `capture` or `capture.field`
    Path(Vec<Ident>, Span),
    /// `a + b`, `a ++ b`, `a ?? b`, ...
    Binary(Box<Expr>, BinOp, Box<Expr>, Span),
    /// `-a`
    Neg(Box<Expr>, Span),
    /// `if c then a else b`
    If(Box<[Expr; 3]>, Span),
}

/// A binary operator on values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `++`: text joined.
    Concat,
    /// `??`: the first present.
    Coalesce,
}

impl BinOp {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Concat => "++",
            BinOp::Coalesce => "??",
        }
    }
}

impl Expr {
    /// Where the expression is written.
    pub fn span(&self) -> Span {
        match self {
            Expr::Or(_, s)
            | Expr::And(_, s)
            | Expr::Not(_, s)
            | Expr::Compare(_, _, _, s)
            | Expr::Call(_, _, s)
            | Expr::List(_, s)
            | Expr::Literal(_, s)
            | Expr::Path(_, s)
            | Expr::Binary(_, _, _, s)
            | Expr::Neg(_, s)
            | Expr::If(_, s) => *s,
        }
    }
}

// ------------------------------------------------------------- printing

impl fmt::Display for RuleFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for item in &self.items {
            writeln!(f, "{item}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Str(s) => write!(f, "{s:?}"),
            Literal::Num(n) => write!(f, "{n}"),
            Literal::Bool(b) => write!(f, "{b}"),
        }
    }
}

impl fmt::Display for Item {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Item::Import(p) => write!(f, "(import {:?})", p.value),
            Item::Use(u) => {
                match &u.target {
                    UseTarget::Bundled(n) => write!(f, "(use {}", n.name)?,
                    UseTarget::Path(p) => write!(f, "(use {:?}", p.value)?,
                }
                if let Some(a) = &u.alias {
                    write!(f, " (as {})", a.name)?;
                }
                for (n, local) in &u.names {
                    write!(f, " {}", n.name)?;
                    if local.name != n.name {
                        write!(f, "={}", local.name)?;
                    }
                }
                write!(f, ")")
            }
            Item::Lexicon(l) => {
                write!(f, "(lexicon {} ", l.name.name)?;
                match &l.source {
                    LexiconSource::File(p) => write!(f, "(file {:?})", p.value)?,
                    LexiconSource::List(entries) => {
                        write!(f, "(list")?;
                        for e in entries {
                            write!(f, " {:?}", e.text.value)?;
                            for (k, v) in &e.features {
                                write!(f, " ({} {v})", k.name)?;
                            }
                        }
                        write!(f, ")")?;
                    }
                    LexiconSource::Derived { label, field, forms } => {
                        write!(f, "(from {}", label.name)?;
                        if let Some(field) = field {
                            write!(f, ".{}", field.name)?;
                        }
                        for form in forms {
                            write!(f, " {}", form.name)?;
                        }
                        write!(f, ")")?;
                    }
                }
                match l.case {
                    Some((CasePolicy::Exact, _)) => write!(f, " (case exact)")?,
                    Some((CasePolicy::Ignore { above: None }, _)) => write!(f, " (case ignore)")?,
                    Some((CasePolicy::Ignore { above: Some(n) }, _)) => write!(f, " (case ignore above {n})")?,
                    None => {}
                }
                write!(f, ")")
            }
            Item::Pattern(p) => write!(f, "(pattern {} {})", p.name.name, p.body),
            Item::Rule(r) => {
                write!(f, "(rule {}", r.name.name)?;
                for c in &r.clauses {
                    write!(f, "\n  {c}")?;
                }
                write!(f, ")")
            }
        }
    }
}

impl fmt::Display for Clause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Clause::Match(p, _) => write!(f, "(match {p})"),
            Clause::Where(e, _) => write!(f, "(where {e})"),
            Clause::Emit(e) => {
                write!(f, "(emit {}", e.label.name)?;
                if let Some(at) = &e.at {
                    write!(f, " (at {})", at.name)?;
                }
                for field in &e.fields {
                    match &field.value {
                        Some(v) => write!(f, " ({} {v})", field.name.name)?,
                        None => write!(f, " ({})", field.name.name)?,
                    }
                }
                write!(f, ")")
            }
            Clause::Veto(l, _) => write!(f, "(veto {})", l.name),
            Clause::Priority(p, _) => write!(f, "(priority {p})"),
            Clause::Scope(s, _) => write!(f, "(scope {})", s.as_str()),
            Clause::KeepAll(_) => write!(f, "(keep all)"),
            Clause::Example(e) => {
                let kind = if e.counter { "counterexample" } else { "example" };
                let todo = if e.todo { "todo " } else { "" };
                write!(f, "({todo}{kind} {:?}", e.text.value)?;
                for x in &e.expects {
                    write!(f, " ({}", x.label.name)?;
                    if let Some(t) = &x.text {
                        write!(f, " {:?}", t.value)?;
                    }
                    for (k, v) in &x.fields {
                        write!(f, " ({} {v})", k.name)?;
                    }
                    write!(f, ")")?;
                }
                write!(f, ")")
            }
        }
    }
}

impl fmt::Display for ExpectValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExpectValue::Str(s) => write!(f, "{s:?}"),
            ExpectValue::Num(n) => write!(f, "{n}"),
            ExpectValue::Bool(b) => write!(f, "{b}"),
            ExpectValue::List(items) => {
                write!(f, "[")?;
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        write!(f, " ")?;
                    }
                    write!(f, "{v}")?;
                }
                write!(f, "]")
            }
        }
    }
}

impl Scope {
    /// The keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Sentence => "sentence",
            Scope::Paragraph => "paragraph",
            Scope::Document => "document",
        }
    }
}

fn fmt_bounds(f: &mut fmt::Formatter<'_>, min: u32, max: Option<u32>) -> fmt::Result {
    match max {
        Some(max) => write!(f, "{{{min},{max}}}"),
        None => write!(f, "{{{min},}}"),
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pattern::Alt(items, _) => {
                write!(f, "(alt")?;
                for i in items {
                    write!(f, " {i}")?;
                }
                write!(f, ")")
            }
            Pattern::Seq(items, _) => {
                write!(f, "(seq")?;
                for i in items {
                    write!(f, " {i}")?;
                }
                write!(f, ")")
            }
            Pattern::Capture(name, inner, _) => write!(f, "(capture {} {inner})", name.name),
            Pattern::Repeat { inner, min, max, lazy, .. } => {
                write!(f, "(repeat ")?;
                fmt_bounds(f, *min, *max)?;
                write!(f, "{} {inner})", if *lazy { " lazy" } else { "" })
            }
            Pattern::Gap { min, max, .. } => {
                write!(f, "(gap ")?;
                fmt_bounds(f, *min, *max)?;
                write!(f, ")")
            }
            Pattern::Context { negated, after, inner, .. } => {
                let not = if *negated { "not " } else { "" };
                let side = if *after { "after" } else { "before" };
                write!(f, "({not}{side} {inner})")
            }
            Pattern::Anchor { start, .. } => write!(f, "{}", if *start { "^" } else { "$" }),
            Pattern::Literal { text, ignore_case, .. } => write!(f, "{text:?}{}", if *ignore_case { "i" } else { "" }),
            Pattern::Token(t, _) => write!(f, "[{t}]"),
            Pattern::Ref { name, constraints, .. } => {
                if constraints.is_empty() {
                    return write!(f, "{}", name.name);
                }
                write!(f, "({}", name.name)?;
                for c in constraints {
                    match &c.test {
                        Some((op, v)) => write!(f, " ({} {} {v})", c.field.name, op.as_str())?,
                        None => write!(f, " ({})", c.field.name)?,
                    }
                }
                write!(f, ")")
            }
        }
    }
}

impl fmt::Display for TokenTest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenTest::Or(items) | TokenTest::And(items) => {
                let op = if matches!(self, TokenTest::Or(_)) { "or" } else { "and" };
                write!(f, "({op}")?;
                for i in items {
                    write!(f, " {i}")?;
                }
                write!(f, ")")
            }
            TokenTest::Not(inner) => write!(f, "(not {inner})"),
            TokenTest::Literal { text, ignore_case, .. } => {
                write!(f, "{text:?}{}", if *ignore_case { "i" } else { "" })
            }
            TokenTest::Regex { source, ignore_case, .. } => {
                write!(f, "/{source}/{}", if *ignore_case { "i" } else { "" })
            }
            TokenTest::Name(n) => write!(f, "{}", n.name),
            TokenTest::Compare { property, op, value } => write!(f, "({} {} {value})", property.name, op.as_str()),
        }
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Or(items, _) | Expr::And(items, _) => {
                let op = if matches!(self, Expr::Or(..)) { "or" } else { "and" };
                write!(f, "({op}")?;
                for i in items {
                    write!(f, " {i}")?;
                }
                write!(f, ")")
            }
            Expr::Not(e, _) => write!(f, "(not {e})"),
            Expr::Compare(a, op, b, _) => write!(f, "({} {a} {b})", op.as_str()),
            Expr::Call(name, args, _) => {
                write!(f, "({}", name.name)?;
                for (n, a) in args {
                    match n {
                        Some(n) => write!(f, " {}:{a}", n.name)?,
                        None => write!(f, " {a}")?,
                    }
                }
                write!(f, ")")
            }
            Expr::List(items, _) => {
                write!(f, "[")?;
                for (i, e) in items.iter().enumerate() {
                    if i > 0 {
                        write!(f, " ")?;
                    }
                    write!(f, "{e}")?;
                }
                write!(f, "]")
            }
            Expr::Literal(l, _) => write!(f, "{l}"),
            Expr::Binary(a, op, b, _) => write!(f, "({} {a} {b})", op.as_str()),
            Expr::Neg(a, _) => write!(f, "(- {a})"),
            Expr::If(parts, _) => write!(f, "(if {} {} {})", parts[0], parts[1], parts[2]),
            Expr::Path(parts, _) => {
                let names: Vec<&str> = parts.iter().map(|p| p.name.as_str()).collect();
                write!(f, "{}", names.join("."))
            }
        }
    }
}
