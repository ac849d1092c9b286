//! Evaluation: token tests, annotation constraints, and the expressions of
//! `where` conditions and fields.

use super::{normalize_date, parse_int, Annotation, Cx, Options, Origin, Value};
use crate::check::hir::{Expr, Func};
use crate::compile::{CTest, NO_SLOT};
use crate::syntax::ast::{CmpOp, Literal};
use crate::text::{flag, fold_case, shape, Document, TokenKind};

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
    cx.prog.constraints[table as usize].iter().all(|(field, test)| {
        let v = field_value(cx, a, field);
        match test {
            None => v != Value::Null,
            Some((op, lit)) => match (lit, &v) {
                (_, Value::Null) => *op == CmpOp::Ne,
                (Literal::Int(n), Value::Int(x)) => cmp_num(*op, *x, *n),
                (Literal::Int(n), other) => text_of(cx, other).trim().parse::<i64>().is_ok_and(|x| cmp_num(*op, x, *n)),
                (Literal::Str(s), other) => cmp_str(*op, &text_of(cx, other), s),
            },
        }
    })
}

/// A field (or lexicon feature) of an annotation.
pub(crate) fn field_value(cx: &Cx, a: &Annotation, field: &str) -> Value {
    match &a.origin {
        Origin::Lexicon(hit) => {
            let e = &cx.prog.set.lexicons[hit.lexicon.0 as usize].entries[hit.entry as usize];
            match e.features.iter().find(|(k, _)| k == field) {
                Some((_, Literal::Str(s))) => Value::Str(s.clone()),
                Some((_, Literal::Int(i))) => Value::Int(*i),
                None => Value::Null,
            }
        }
        _ => a.fields.iter().find(|(k, _)| k == field).map_or(Value::Null, |(_, v)| v.clone()),
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
        Value::Int(i) => i.to_string(),
        Value::Str(s) => s.clone(),
        Value::Span(s, e) => span_text(cx.doc, *s, *e).to_string(),
        Value::List(items) => items.iter().map(|i| text_of(cx, i)).collect::<Vec<_>>().join(" "),
    }
}

pub(super) fn eval(cx: &Cx, e: &Expr, slots: &[u32], opts: &Options) -> Value {
    match e {
        Expr::Const(Literal::Str(s)) => Value::Str(s.clone()),
        Expr::Const(Literal::Int(i)) => Value::Int(*i),
        Expr::Capture(i) => {
            let (a, b) = (slots[2 + 3 * i], slots[3 + 3 * i]);
            if a == NO_SLOT || b == NO_SLOT || b <= a {
                Value::Null
            } else {
                Value::Span(a, b)
            }
        }
        Expr::Field(i, f) => {
            let id = slots[4 + 3 * i];
            if id == NO_SLOT {
                return Value::Null;
            }
            field_value(cx, &cx.anns[id as usize], f)
        }
        Expr::List(items) => {
            Value::List(items.iter().map(|x| eval(cx, x, slots, opts)).filter(|v| *v != Value::Null).collect())
        }
        Expr::Call(f, args) => {
            let v = eval(cx, &args[0], slots, opts);
            if v == Value::Null {
                return Value::Null;
            }
            match f {
                Func::Text => Value::Str(text_of(cx, &v)),
                Func::Lower => Value::Str(text_of(cx, &v).to_lowercase()),
                Func::Upper => Value::Str(text_of(cx, &v).to_uppercase()),
                Func::Len => Value::Int(text_of(cx, &v).chars().count() as i64),
                Func::Int => match v {
                    Value::Int(i) => Value::Int(i),
                    other => parse_int(&text_of(cx, &other)).map_or(Value::Null, Value::Int),
                },
            }
        }
        Expr::Date(parts) => {
            let vals: Vec<Value> =
                parts.iter().map(|p| p.as_ref().map_or(Value::Null, |x| eval(cx, x, slots, opts))).collect();
            normalize_date(&vals[0], &vals[1], &vals[2], opts.anchor, &|v| text_of(cx, v))
                .map_or(Value::Null, Value::Str)
        }
        Expr::Compare(a, op, b) => {
            let (x, y) = (eval(cx, a, slots, opts), eval(cx, b, slots, opts));
            let num = |v: &Value| match v {
                Value::Int(i) => Some(*i),
                Value::Null => None,
                other => text_of(cx, other).trim().parse::<i64>().ok(),
            };
            Value::Bool(match (num(&x), num(&y)) {
                (Some(p), Some(q)) if matches!(x, Value::Int(_)) || matches!(y, Value::Int(_)) => cmp_num(*op, p, q),
                _ => cmp_str(*op, &text_of(cx, &x), &text_of(cx, &y)),
            })
        }
        Expr::And(items) => Value::Bool(items.iter().all(|x| eval(cx, x, slots, opts).truthy())),
        Expr::Or(items) => Value::Bool(items.iter().any(|x| eval(cx, x, slots, opts).truthy())),
        Expr::Not(x) => Value::Bool(!eval(cx, x, slots, opts).truthy()),
    }
}
