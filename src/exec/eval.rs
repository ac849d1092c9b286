//! Evaluation: token tests, annotation constraints, and the expressions of
//! `where` conditions and fields.

use super::{normalize_date, parse_int, parse_number, time, Annotation, Cx, Options, Origin, Value};
use crate::check::hir::{Expr, Func, RuleId};
use crate::compile::{CTest, NO_SLOT};
use crate::syntax::ast::{BinOp, CmpOp, Literal};
use crate::text::{flag, fold_case, shape, Document, TokenKind};
use rust_decimal::{Decimal, RoundingStrategy};

fn compare<T: PartialOrd + ?Sized>(op: CmpOp, a: &T, b: &T) -> bool {
    match op {
        CmpOp::Eq => a == b,
        CmpOp::Ne => a != b,
        CmpOp::Lt => a < b,
        CmpOp::Le => a <= b,
        CmpOp::Gt => a > b,
        CmpOp::Ge => a >= b,
    }
}

fn cmp_num(op: CmpOp, a: i64, b: i64) -> bool {
    compare(op, &a, &b)
}

fn cmp_str(op: CmpOp, a: &str, b: &str) -> bool {
    compare(op, a, b)
}

/// Evaluates a token test at token `i`.
pub(crate) fn test(cx: &Cx, t: &CTest, i: usize) -> bool {
    // The common tests stay small and inline; the rest are out of line.
    match t {
        CTest::Any => true,
        CTest::Class(c) => class(&cx.doc.tokens[i], *c),
        CTest::Key { id, fold } => cx.keys.is(i, *id, *fold),
        CTest::Covered(l) => covered(cx, *l, i),
        CTest::Not(inner) => !test(cx, inner, i),
        CTest::And(items) => all_pass(cx, items, i),
        CTest::Or(items) => items.iter().any(|x| test(cx, x, i)),
        CTest::Regex(r) => {
            // Most tokens fail on their first byte, without calling the regex.
            let t = &cx.doc.tokens[i];
            let b0 = cx.doc.text.as_bytes()[t.start as usize];
            if cx.prog.regex_first[*r as usize].as_ref().is_some_and(|first| !first[b0 as usize]) {
                return false;
            }
            regex_match(cx, *r, i)
        }
        _ => test_text(cx, t, i),
    }
}

/// Test number `t` of the program at token `i`: a conjunction over static lexicons is decided
/// by the token's lexicon mask first, a literal inline.
#[inline(always)]
pub(crate) fn test_id(cx: &Cx, t: u32, i: usize) -> bool {
    if let Some(m) = &cx.prog.test_masks[t as usize] {
        let mask = cx.keys.lexicons[i];
        return mask & m.all == m.all && mask & m.none == 0 && all_pass(cx, &m.rest, i);
    }
    match &cx.prog.tests[t as usize] {
        // The commonest test on hot paths (what must follow a rule's first token), without a call.
        CTest::Key { id, fold } => cx.keys.is(i, *id, *fold),
        other => test(cx, other, i),
    }
}

/// The tokens (of `n`) that pass a test, in order: the whole-document
/// evaluation of a rule's first test, with tight loops for the common kinds.
pub(crate) fn passing(cx: &Cx, id: u32, n: u32, capitalized: &[u32]) -> Vec<u32> {
    let toks = &cx.doc.tokens;
    let t = &cx.prog.tests[id as usize];
    // Most name tests require `cap`: only the capitalized tokens are looked at.
    if matches!(t, CTest::And(items) if items.iter().any(|x| matches!(x, CTest::Class(crate::check::hir::Class::Cap))))
    {
        return capitalized.iter().copied().filter(|&i| test_id(cx, id, i as usize)).collect();
    }
    match t {
        CTest::Class(c) => (0..n).filter(|&i| class(&toks[i as usize], *c)).collect(),
        CTest::Regex(r) => match &cx.prog.regex_first[*r as usize] {
            Some(first) => {
                let bytes = cx.doc.text.as_bytes();
                (0..n)
                    .filter(|&i| {
                        first[bytes[toks[i as usize].start as usize] as usize] && regex_match(cx, *r, i as usize)
                    })
                    .collect()
            }
            None => (0..n).filter(|&i| regex_match(cx, *r, i as usize)).collect(),
        },
        _ => (0..n).filter(|&i| test_id(cx, id, i as usize)).collect(),
    }
}

/// A conjunction at token `i`. Its items are mostly classes, lengths and
/// (negated) label coverage: those are decided here, without a call per item.
#[inline(always)]
fn all_pass(cx: &Cx, items: &[CTest], i: usize) -> bool {
    let tok = &cx.doc.tokens[i];
    items.iter().all(|x| match x {
        CTest::Class(c) => class(tok, *c),
        CTest::Covered(l) => covered(cx, *l, i),
        CTest::Len(op, n) => cmp_num(*op, (tok.char_end - tok.char_start) as i64, *n),
        CTest::Not(inner) => match &**inner {
            CTest::Covered(l) => !covered(cx, *l, i),
            CTest::Class(c) => !class(tok, *c),
            other => !test(cx, other, i),
        },
        other => test(cx, other, i),
    })
}

#[inline]
fn covered(cx: &Cx, l: crate::check::hir::LabelId, i: usize) -> bool {
    cx.labels[l.0 as usize].covered.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0)
}

#[inline(never)]
fn regex_match(cx: &Cx, r: u32, i: usize) -> bool {
    cx.prog.regexes[r as usize].is_match(cx.doc.token_text(i))
}

#[inline]
fn class(tok: &crate::text::Token, c: crate::check::hir::Class) -> bool {
    use crate::check::hir::Class::*;
    match c {
        Cap => tok.has(flag::CAP),
        Upper => tok.has(flag::UPPER),
        Lower => tok.has(flag::LOWER),
        Num => tok.kind == TokenKind::Number,
        Word => tok.kind == TokenKind::Word,
        Punct => tok.kind == TokenKind::Punct,
        Symbol => tok.kind == TokenKind::Symbol,
        Initial => tok.has(flag::INITIAL),
        Title => tok.has(flag::TITLE),
        Glued => !tok.has(flag::SPACE_BEFORE),
    }
}

/// Tests that look at the token's text: regexes, lengths, properties.
#[inline(never)]
fn test_text(cx: &Cx, t: &CTest, i: usize) -> bool {
    let tok = &cx.doc.tokens[i];
    match t {
        CTest::Len(op, n) => cmp_num(*op, (tok.char_end - tok.char_start) as i64, *n),
        CTest::Prop(p, op, s) => {
            use crate::check::hir::Property;
            let text = cx.doc.token_text(i);
            let eq = match p {
                Property::Text => text == s,
                Property::Lower => {
                    let mut k = String::new();
                    fold_case(text, &mut k);
                    k == *s
                }
                Property::Shape => shape(text) == *s,
                Property::Kind => tok.kind.as_str() == s,
            };
            if *op == CmpOp::Ne {
                !eq
            } else {
                eq
            }
        }
        other => test(cx, other, i),
    }
}

/// Whether an annotation passes a constraint table.
pub(crate) fn constraints_hold(cx: &Cx, ann: u32, table: u32) -> bool {
    if table == NO_SLOT {
        return true;
    }
    let a = &cx.anns[ann as usize];
    cx.prog.constraints[table as usize].iter().all(|(field, test)| constraint_holds(cx, a, field, test))
}

/// Whether one field constraint holds on an annotation: the field is present, or compares so.
pub(crate) fn constraint_holds(cx: &Cx, a: &Annotation, field: &str, test: &Option<(CmpOp, Literal)>) -> bool {
    let v = field_value(cx, a, field);
    match test {
        None => v != Value::Null,
        Some((op, lit)) => match (lit, &v) {
            (_, Value::Null) => *op == CmpOp::Ne,
            (Literal::Num(n), other) => number_of(cx, other).is_some_and(|x| compare(*op, &x, n)),
            (Literal::Str(s), other) => cmp_str(*op, &text_of(cx, other), s),
            (Literal::Bool(b), other) => compare(*op, &other.truthy(), b),
        },
    }
}

/// A field (or lexicon feature) of an annotation.
pub(crate) fn field_value(cx: &Cx, a: &Annotation, field: &str) -> Value {
    match &a.origin {
        Origin::Lexicon(hit) => {
            let e = &cx.prog.set.lexicons[hit.lexicon.0 as usize].entries[hit.entry as usize];
            match e.features.iter().find(|(k, _)| **k == *field) {
                Some((_, l)) => constant(l),
                None => Value::Null,
            }
        }
        _ => a.fields.iter().find(|(k, _)| **k == *field).map_or(Value::Null, |(_, v)| v.clone()),
    }
}

fn constant(l: &Literal) -> Value {
    match l {
        Literal::Str(s) => Value::Str(s.clone()),
        Literal::Num(n) => Value::Num(*n),
        Literal::Bool(b) => Value::Bool(*b),
    }
}

fn span_text<'a>(doc: &Document<'a>, s: u32, e: u32) -> &'a str {
    &doc.text[doc.tokens[s as usize].start as usize..doc.tokens[e as usize - 1].end as usize]
}

/// The text of a value.
pub(crate) fn text_of(cx: &Cx, v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::Bool(b) => b.to_string(),
        Value::Num(n) => n.normalize().to_string(),
        Value::Str(s) => s.clone(),
        Value::Span(s, e) => span_text(cx.doc, *s, *e).to_string(),
        Value::Part(s, e) => cx.doc.text[*s as usize..*e as usize].to_string(),
        Value::List(items) => items.iter().map(|i| text_of(cx, i)).collect::<Vec<_>>().join(" "),
    }
}

/// The number a value is or says.
fn number_of(cx: &Cx, v: &Value) -> Option<Decimal> {
    match v {
        Value::Num(n) => Some(*n),
        Value::Null | Value::Bool(_) | Value::List(_) => None,
        other => parse_number(&text_of(cx, other)),
    }
}

/// A match's bindings, as the search left them.
pub(crate) struct Bound<'m> {
    /// The rule.
    pub rule: RuleId,
    /// Its slots: the match's start and end, then start, end and annotation per capture.
    pub slots: &'m [u32],
    /// Every binding of the list captures, in order: (capture, start, end, annotation) each.
    pub events: &'m [u32],
}

impl Bound<'_> {
    /// Token spans and annotation ids a capture bound, in order.
    fn bindings(&self, cx: &Cx, i: usize) -> Vec<(u32, u32, u32)> {
        if cx.prog.set.rules[self.rule.0 as usize].lists[i] {
            self.events
                .chunks_exact(4)
                .filter(|e| e[0] as usize == i && e[2] > e[1] && e[1] != NO_SLOT)
                .map(|e| (e[1], e[2], e[3]))
                .collect()
        } else {
            self.span(i).map(|(a, b)| (a, b, self.slots[4 + 3 * i])).into_iter().collect()
        }
    }

    /// The token span a capture bound once holds (its last binding, for a list capture).
    pub(crate) fn span(&self, i: usize) -> Option<(u32, u32)> {
        let (a, b) = (self.slots[2 + 3 * i], self.slots[3 + 3 * i]);
        (a != NO_SLOT && b != NO_SLOT && b > a).then_some((a, b))
    }

    fn is_list(&self, cx: &Cx, i: usize) -> bool {
        cx.prog.set.rules[self.rule.0 as usize].lists[i]
    }
}

/// One value, or a list of them for a list capture (none: absent).
fn one_or_list(list: bool, mut items: Vec<Value>) -> Value {
    if items.is_empty() {
        Value::Null
    } else if list {
        Value::List(items)
    } else {
        items.swap_remove(0)
    }
}

/// The part of a token a regex's named group matched, as bytes of the document.
fn group_part(cx: &Cx, rule: RuleId, g: usize, tok: u32) -> Option<Value> {
    let (re, index) = &cx.prog.rules[rule.0 as usize].groups[g];
    let t = &cx.doc.tokens[tok as usize];
    let text = &cx.doc.text[t.start as usize..t.end as usize];
    let m = re.captures(text)?.get(*index)?;
    Some(Value::Part(t.start + m.start() as u32, t.start + m.end() as u32))
}

/// Applies a function of one value to each item of a list.
fn each(v: Value, f: &mut dyn FnMut(Value) -> Value) -> Value {
    match v {
        Value::List(items) => Value::List(items.into_iter().map(&mut *f).filter(|v| *v != Value::Null).collect()),
        other => f(other),
    }
}

/// What each capture of a match bound, for the record's `captures`: spans, parts of tokens
/// (named groups) and lists of them, by the index of the capture's name; the hidden captures
/// of regexes with named groups are left out, their groups follow the captures.
pub(crate) fn captures(cx: &Cx, b: &Bound) -> Vec<(u32, Value)> {
    let rule = &cx.prog.set.rules[b.rule.0 as usize];
    let mut out = Vec::with_capacity(rule.captures.len());
    let opts = Options::default();
    for (i, name) in rule.captures.iter().enumerate() {
        if !name.starts_with('#') {
            let v = eval(cx, &Expr::Capture(i), b, &opts);
            if v != Value::Null {
                out.push((i as u32, v));
            }
        }
    }
    for g in 0..rule.groups.len() {
        let v = eval(cx, &Expr::Group(g), b, &opts);
        if v != Value::Null {
            out.push(((rule.captures.len() + g) as u32, v));
        }
    }
    out
}

/// The calendar functions (`src/exec/time.rs`), on values that are all present.
fn calendar(cx: &Cx, f: Func, v: &[Value]) -> Option<time::Period> {
    let period = |v: &Value| time::Period::parse(&text_of(cx, v));
    let int = |v: &Value| -> Option<i64> {
        let t = text_of(cx, v);
        match t.trim().to_lowercase().as_str() {
            "last" | "past" | "previous" => Some(-1),
            "next" | "coming" | "following" => Some(1),
            "this" | "current" => Some(0),
            _ => number_of(cx, v).filter(|n| n.fract().is_zero()).and_then(|n| i64::try_from(n).ok()),
        }
    };
    let wd = |v: &Value| time::weekday_of(&text_of(cx, v));
    match f {
        Func::Shift => time::shift(period(&v[0])?, int(&v[1])?, &text_of(cx, &v[2])),
        Func::Period => time::containing(period(&v[0])?, &text_of(cx, &v[1])),
        Func::Weekday => time::near_weekday(period(&v[0])?, wd(&v[1])?, int(&v[2])?),
        Func::NthWeekday => time::nth_weekday(period(&v[0])?, int(&v[1])?, wd(&v[2])?),
        Func::DayIn => time::day_in(period(&v[0])?, int(&v[1])?),
        Func::Easter => time::easter(int(&v[0])?),
        _ => None,
    }
}

pub(super) fn eval(cx: &Cx, e: &Expr, b: &Bound, opts: &Options) -> Value {
    match e {
        Expr::Const(l) => constant(l),
        // One binding: read the slots, no list built.
        Expr::Capture(i) if !b.is_list(cx, *i) => b.span(*i).map_or(Value::Null, |(s, e)| Value::Span(s, e)),
        Expr::Capture(i) => {
            let spans = b.bindings(cx, *i).into_iter().map(|(s, e, _)| Value::Span(s, e)).collect();
            one_or_list(true, spans)
        }
        Expr::Group(g) => {
            let group = &cx.prog.set.rules[b.rule.0 as usize].groups[*g];
            let parts =
                b.bindings(cx, group.token).into_iter().filter_map(|(s, _, _)| group_part(cx, b.rule, *g, s)).collect();
            one_or_list(b.is_list(cx, group.token), parts)
        }
        Expr::Field(i, f) if !b.is_list(cx, *i) => {
            let id = b.slots[4 + 3 * i];
            if id == NO_SLOT {
                return Value::Null;
            }
            field_value(cx, &cx.anns[id as usize], f)
        }
        Expr::Field(i, f) => {
            let values = b
                .bindings(cx, *i)
                .into_iter()
                .filter(|&(_, _, id)| id != NO_SLOT)
                .map(|(_, _, id)| field_value(cx, &cx.anns[id as usize], f))
                .filter(|v| *v != Value::Null)
                .collect();
            one_or_list(b.is_list(cx, *i), values)
        }
        Expr::List(items) => {
            Value::List(items.iter().map(|x| eval(cx, x, b, opts)).filter(|v| *v != Value::Null).collect())
        }
        Expr::Call(f, args) => call(cx, *f, args, b, opts),
        Expr::Date(parts) => {
            let vals: Vec<Value> =
                parts.iter().map(|p| p.as_ref().map_or(Value::Null, |x| eval(cx, x, b, opts))).collect();
            normalize_date(&vals[0], &vals[1], &vals[2], opts.anchor, &|v| text_of(cx, v))
                .map_or(Value::Null, Value::Str)
        }
        Expr::Compare(x, op, y) => {
            let (x, y) = (eval(cx, x, b, opts), eval(cx, y, b, opts));
            // An absent value equals nothing and is ordered with nothing (as in constraints).
            if x == Value::Null || y == Value::Null {
                return Value::Bool(*op == CmpOp::Ne);
            }
            let numeric = matches!(x, Value::Num(_)) || matches!(y, Value::Num(_));
            Value::Bool(match (numeric, number_of(cx, &x), number_of(cx, &y)) {
                (true, Some(p), Some(q)) => compare(*op, &p, &q),
                _ => cmp_str(*op, &text_of(cx, &x), &text_of(cx, &y)),
            })
        }
        Expr::Binary(op, x, y) => binary(cx, *op, x, y, b, opts),
        Expr::Neg(x) => match eval(cx, x, b, opts) {
            Value::Null => Value::Null,
            v => number_of(cx, &v).map_or(Value::Null, |n| Value::Num(-n)),
        },
        Expr::If(parts) => {
            let [c, x, y] = parts.as_ref();
            if eval(cx, c, b, opts).truthy() {
                eval(cx, x, b, opts)
            } else {
                eval(cx, y, b, opts)
            }
        }
        Expr::And(items) => Value::Bool(items.iter().all(|x| eval(cx, x, b, opts).truthy())),
        Expr::Or(items) => Value::Bool(items.iter().any(|x| eval(cx, x, b, opts).truthy())),
        Expr::Not(x) => Value::Bool(!eval(cx, x, b, opts).truthy()),
    }
}

fn binary(cx: &Cx, op: BinOp, x: &Expr, y: &Expr, b: &Bound, opts: &Options) -> Value {
    let v = eval(cx, x, b, opts);
    if op == BinOp::Coalesce {
        return if v == Value::Null { eval(cx, y, b, opts) } else { v };
    }
    let w = eval(cx, y, b, opts);
    if v == Value::Null || w == Value::Null {
        return Value::Null;
    }
    if op == BinOp::Concat {
        return Value::Str(text_of(cx, &v) + &text_of(cx, &w));
    }
    let (Some(p), Some(q)) = (number_of(cx, &v), number_of(cx, &w)) else {
        return Value::Null;
    };
    let r = match op {
        BinOp::Add => p.checked_add(q),
        BinOp::Sub => p.checked_sub(q),
        BinOp::Mul => p.checked_mul(q),
        _ => p.checked_div(q),
    };
    match r {
        Some(n) => Value::Num(n.normalize()),
        None => {
            // Overflow or division by zero: no value, and counted (`--stats`).
            cx.faults.set(cx.faults.get() + 1);
            Value::Null
        }
    }
}

fn call(cx: &Cx, f: Func, args: &[Expr], b: &Bound, opts: &Options) -> Value {
    if f == Func::Coalesce {
        return args.iter().map(|a| eval(cx, a, b, opts)).find(|v| *v != Value::Null).unwrap_or(Value::Null);
    }
    if f == Func::Anchor {
        return opts.anchor.map_or(Value::Null, |d| Value::Str(d.to_string()));
    }
    if matches!(f, Func::Shift | Func::Period | Func::Weekday | Func::NthWeekday | Func::DayIn | Func::Easter) {
        let vals: Vec<Value> = args.iter().map(|a| eval(cx, a, b, opts)).collect();
        if vals.contains(&Value::Null) {
            return Value::Null;
        }
        return calendar(cx, f, &vals).map_or(Value::Null, |p| Value::Str(p.to_string()));
    }
    let v = eval(cx, &args[0], b, opts);
    if v == Value::Null {
        return if f == Func::Count { Value::Num(Decimal::ZERO) } else { Value::Null };
    }
    let text = |v: &Value| text_of(cx, v);
    match f {
        Func::Text => each(v, &mut |v| Value::Str(text(&v))),
        Func::Lower => each(v, &mut |v| Value::Str(text(&v).to_lowercase())),
        Func::Upper => each(v, &mut |v| Value::Str(text(&v).to_uppercase())),
        Func::Trim => each(v, &mut |v| Value::Str(text(&v).trim().to_string())),
        Func::Len => each(v, &mut |v| Value::Num(text(&v).chars().count().into())),
        Func::Num => each(v, &mut |v| number_of(cx, &v).map_or(Value::Null, Value::Num)),
        Func::Int => each(v, &mut |v| match v {
            Value::Num(n) if n.fract().is_zero() => Value::Num(n),
            Value::Num(_) => Value::Null,
            other => parse_int(&text(&other)).map_or(Value::Null, |n| Value::Num(n.into())),
        }),
        Func::Replace => {
            let (from, to) = (text(&eval(cx, &args[1], b, opts)), text(&eval(cx, &args[2], b, opts)));
            if from.is_empty() {
                return v;
            }
            each(v, &mut |v| Value::Str(text(&v).replace(&from, &to)))
        }
        Func::Round => {
            let places = match args.get(1).map(|a| eval(cx, a, b, opts)) {
                None => 0,
                Some(p) => match number_of(cx, &p).and_then(|p| u32::try_from(p).ok()) {
                    Some(p) if p <= 28 => p,
                    _ => return Value::Null,
                },
            };
            number_of(cx, &v).map_or(Value::Null, |n| {
                Value::Num(n.round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero).normalize())
            })
        }
        Func::Join => {
            let sep = args.get(1).map_or_else(|| " ".to_string(), |a| text(&eval(cx, a, b, opts)));
            match v {
                Value::List(items) => Value::Str(items.iter().map(text).collect::<Vec<_>>().join(&sep)),
                other => Value::Str(text(&other)),
            }
        }
        Func::Count => Value::Num(match &v {
            Value::List(items) => items.len().into(),
            _ => Decimal::ONE,
        }),
        Func::First | Func::Last => match v {
            Value::List(mut items) => {
                let item = if f == Func::First { items.drain(..).next() } else { items.pop() };
                item.unwrap_or(Value::Null)
            }
            other => other,
        },
        Func::Coalesce
        | Func::Anchor
        | Func::Shift
        | Func::Period
        | Func::Weekday
        | Func::NthWeekday
        | Func::DayIn
        | Func::Easter => unreachable!("handled above"),
    }
}
