//! Checking expressions (`where` and `emit` fields): names resolved, arity
//! and types checked.
//!
//! In: an [`ast::Expr`] and the rule's captures. Out: a [`hir::Expr`] and its
//! [`Ty`], or diagnostics at the expression. Types are what a value is before
//! the text is seen — text, number, truth value, span, or a list of one of
//! them, or not known (a field of another rule's annotation) — so that a
//! number added to a list, or a span multiplied, is an error of `trawl check`
//! with the conversion to write, never a surprise at run time. An expression
//! that can never have a value (a capture no match binds, a constant that is
//! not a number, a division by zero) is a warning.

use super::*;
use crate::exec::parse_number;
use crate::syntax::ast::BinOp;

/// What an expression's values are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Scalar {
    /// Not known before the text is seen.
    Any,
    Text,
    Num,
    Bool,
    Span,
}

/// The type of an expression: a scalar, or a list of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Ty {
    scalar: Scalar,
    list: bool,
}

impl Ty {
    const ANY: Ty = Ty { scalar: Scalar::Any, list: false };
    const NUM: Ty = Ty::one(Scalar::Num);
    const TEXT: Ty = Ty::one(Scalar::Text);
    const BOOL: Ty = Ty::one(Scalar::Bool);

    const fn one(scalar: Scalar) -> Ty {
        Ty { scalar, list: false }
    }

    /// The same per item: a function of one value applied to a list applies to each item.
    fn each(self, scalar: Scalar) -> Ty {
        Ty { scalar, list: self.list }
    }

    fn join(self, other: Ty) -> Ty {
        if self == other {
            self
        } else {
            Ty::ANY
        }
    }

    fn name(self) -> &'static str {
        match (self.list, self.scalar) {
            (true, _) => "a list",
            (_, Scalar::Text) => "text",
            (_, Scalar::Num) => "a number",
            (_, Scalar::Bool) => "a truth value",
            (_, Scalar::Span) => "a span of text",
            (_, Scalar::Any) => "a value",
        }
    }
}

impl<'f, 'a> Checker<'f, 'a> {
    /// Checks an expression; `None` after reporting its errors.
    pub(super) fn expr(&mut self, e: &ast::Expr, cx: &RuleCx) -> Option<Expr> {
        self.typed(e, cx).map(|(x, _)| x)
    }

    fn typed(&mut self, e: &ast::Expr, cx: &RuleCx) -> Option<(Expr, Ty)> {
        Some(match e {
            ast::Expr::Or(items, _) | ast::Expr::And(items, _) => {
                let items = all(items.iter().map(|i| self.expr(i, cx)).collect())?;
                let x = if matches!(e, ast::Expr::Or(..)) { Expr::Or(items) } else { Expr::And(items) };
                (x, Ty::BOOL)
            }
            ast::Expr::Not(inner, _) => (Expr::Not(Box::new(self.expr(inner, cx)?)), Ty::BOOL),
            ast::Expr::Compare(a, op, b, _) => {
                let (a, b) = (self.expr(a, cx), self.expr(b, cx));
                (Expr::Compare(Box::new(a?), *op, Box::new(b?)), Ty::BOOL)
            }
            ast::Expr::List(items, _) => (
                Expr::List(all(items.iter().map(|i| self.expr(i, cx)).collect())?),
                Ty { scalar: Scalar::Any, list: true },
            ),
            ast::Expr::Literal(l, _) => {
                let ty = match l {
                    Literal::Str(_) => Ty::TEXT,
                    Literal::Num(_) => Ty::NUM,
                    Literal::Bool(_) => Ty::BOOL,
                };
                (Expr::Const(l.clone()), ty)
            }
            ast::Expr::Path(parts, _) => self.path(parts, cx)?,
            ast::Expr::Binary(a, op, b, span) => self.binary(a, *op, b, *span, cx)?,
            ast::Expr::Neg(a, _) => {
                let (x, t) = self.typed(a, cx)?;
                self.number_operand(a, t, "`-` negates")?;
                (Expr::Neg(Box::new(x)), Ty::NUM)
            }
            ast::Expr::If(parts, _) => {
                let [c, a, b] = parts.as_ref();
                let (c, a, b) = (self.expr(c, cx), self.typed(a, cx), self.typed(b, cx));
                let ((a, ta), (b, tb)) = (a?, b?);
                (Expr::If(Box::new([c?, a, b])), ta.join(tb))
            }
            ast::Expr::Call(name, args, span) => self.call(name, args, *span, cx)?,
        })
    }

    /// `capture`, `group` or `capture.field`.
    fn path(&mut self, parts: &[ast::Ident], cx: &RuleCx) -> Option<(Expr, Ty)> {
        let head = &parts[0];
        let Some(i) = cx.capture(&head.name) else {
            if let Some(g) = cx.group(&head.name) {
                if parts.len() > 1 {
                    self.err(parts[1].span, format!("`{}` is a part of a token, so it has no fields", head.name));
                    return None;
                }
                let list = cx.lists[cx.groups[g].token];
                return Some((Expr::Group(g), Ty { scalar: Scalar::Span, list }));
            }
            self.unknown_capture(head, cx);
            return None;
        };
        let list = cx.lists[i];
        if cx.never[i] {
            self.warn(head.span, format!("capture `{}` is never bound, so this has no value", head.name))
                .hints
                .push("its element can only match nothing (as in `x:\"a\"{0}`)".into());
        }
        match parts.len() {
            1 => Some((Expr::Capture(i), Ty { scalar: Scalar::Span, list })),
            2 => {
                let Some(labels) = cx.capture_labels[i].clone() else {
                    let d = self.err(
                        parts[1].span,
                        format!("capture `{}` does not hold one annotation, so it has no fields", head.name),
                    );
                    d.hints.push(format!(
                        "fields come from annotations: capture one label or lexicon, as in `{}:Title`; \
                         to capture each of a repetition, put the capture inside it: `({}:Title)+`",
                        head.name, head.name
                    ));
                    return None;
                };
                // Of several labels, one that has the field is enough (the others give no value).
                let has = |l: &LabelId| self.labels[l.0 as usize].fields.contains(&parts[1].name);
                if !labels.iter().any(has) && !self.check_field(labels[0], &parts[1]) {
                    return None;
                }
                Some((Expr::Field(i, parts[1].name.clone()), Ty { scalar: Scalar::Any, list }))
            }
            _ => {
                self.err(parts[2].span, "fields of fields are not supported");
                None
            }
        }
    }

    fn binary(&mut self, a: &ast::Expr, op: BinOp, b: &ast::Expr, span: Span, cx: &RuleCx) -> Option<(Expr, Ty)> {
        let (x, y) = (self.typed(a, cx), self.typed(b, cx));
        let ((x, tx), (y, ty)) = (x?, y?);
        let result = match op {
            BinOp::Coalesce => tx.join(ty),
            BinOp::Concat => {
                for (e, t) in [(a, tx), (b, ty)] {
                    if t.list {
                        self.err(e.span(), format!("`++` joins text, and this is {}", t.name()))
                            .hints
                            .push("join the items of a list with `join(x)` or `join(x, \", \")`".into());
                        return None;
                    }
                }
                Ty::TEXT
            }
            _ => {
                let what = match op {
                    BinOp::Add => "`+` adds",
                    BinOp::Sub => "`-` subtracts",
                    BinOp::Mul => "`*` multiplies",
                    _ => "`/` divides",
                };
                let (p, q) = (self.number_operand(a, tx, what), self.number_operand(b, ty, what));
                p?;
                q?;
                if op == BinOp::Div && matches!(y, Expr::Const(Literal::Num(n)) if n.is_zero()) {
                    self.warn(span, "a division by zero has no value");
                }
                Ty::NUM
            }
        };
        Some((Expr::Binary(op, Box::new(x), Box::new(y)), result))
    }

    /// Arithmetic takes numbers: text and spans are converted with `num`, explicitly.
    fn number_operand(&mut self, e: &ast::Expr, t: Ty, what: &str) -> Option<()> {
        if t.list {
            self.err(e.span(), format!("{what} numbers, and this is a list"))
                .hints
                .push("`count(x)` is how many items it has; `first(x)` or `last(x)` picks one".into());
            return None;
        }
        match t.scalar {
            Scalar::Num | Scalar::Any => Some(()),
            Scalar::Bool => {
                self.err(e.span(), format!("{what} numbers, and this is a truth value"));
                None
            }
            Scalar::Text | Scalar::Span => {
                let shown = self.sources.snippet(e.span()).to_string();
                self.err(e.span(), format!("{what} numbers, and this is {}", t.name()))
                    .hints
                    .push(format!("read a number from it with `num({shown})`"));
                None
            }
        }
    }

    fn call(
        &mut self,
        name: &ast::Ident,
        args: &[(Option<ast::Ident>, ast::Expr)],
        span: Span,
        cx: &RuleCx,
    ) -> Option<(Expr, Ty)> {
        if name.name == "date" {
            return Some((self.date(args, span, cx)?, Ty::TEXT));
        }
        let Some(&(_, f, min, max)) = Func::ALL.iter().find(|(n, ..)| *n == name.name) else {
            let hint = did_you_mean(&name.name, Func::names());
            let d = self.err(name.span, format!("unknown function `{}`", name.name));
            d.hints.push(match hint {
                Some(h) => format!("did you mean `{h}`?"),
                None => format!("functions: {}", Func::names().collect::<Vec<_>>().join(", ")),
            });
            return None;
        };
        if let Some((Some(n), _)) = args.iter().find(|(n, _)| n.is_some()) {
            self.err(n.span, format!("`{}` takes no named arguments", name.name));
            return None;
        }
        if args.len() < min || max.is_some_and(|m| args.len() > m) {
            let count = match (min, max) {
                (a, Some(b)) if a == b => format!("{a} argument{}", if a == 1 { "" } else { "s" }),
                (a, Some(b)) => format!("{a} to {b} arguments"),
                (a, None) => format!("at least {a} argument{}", if a == 1 { "" } else { "s" }),
            };
            self.err(span, format!("`{}` takes {count}", name.name));
            return None;
        }
        let checked: Vec<Option<(Expr, Ty)>> = args.iter().map(|(_, a)| self.typed(a, cx)).collect();
        let (xs, ts): (Vec<Expr>, Vec<Ty>) = checked.into_iter().collect::<Option<Vec<_>>>()?.into_iter().unzip();
        let t = ts.first().copied().unwrap_or(Ty::TEXT);
        let ty = match f {
            Func::Anchor
            | Func::Shift
            | Func::Period
            | Func::Weekday
            | Func::NthWeekday
            | Func::DayIn
            | Func::Easter => Ty::TEXT,
            Func::Text | Func::Lower | Func::Upper | Func::Trim | Func::Replace => t.each(Scalar::Text),
            Func::Int | Func::Num | Func::Len => t.each(Scalar::Num),
            Func::Round => {
                for (a, t) in args.iter().zip(&ts) {
                    self.number_operand(&a.1, *t, "`round` rounds")?;
                }
                Ty::NUM
            }
            Func::Join => Ty::TEXT,
            Func::Count => Ty::NUM,
            Func::First | Func::Last => Ty::one(t.scalar),
            Func::Coalesce => ts.iter().fold(t, |a, b| a.join(*b)),
        };
        if matches!(f, Func::Int | Func::Num) {
            if let Expr::Const(Literal::Str(s)) = &xs[0] {
                let ok = if f == Func::Int { crate::exec::parse_int(s).is_some() } else { parse_number(s).is_some() };
                if !ok {
                    let what = if f == Func::Int { "a whole number" } else { "a number" };
                    self.warn(span, format!("`{s}` is not {what}, so this has no value"));
                }
            }
        }
        Some((Expr::Call(f, xs), ty))
    }

    fn date(&mut self, args: &[(Option<ast::Ident>, ast::Expr)], span: Span, cx: &RuleCx) -> Option<Expr> {
        let mut slots: [Option<Expr>; 3] = [None, None, None];
        for (k, (n, a)) in args.iter().enumerate() {
            let idx = match n {
                None if k < 3 => k,
                None => {
                    self.err(a.span(), "`date` takes at most three arguments: year, month, day");
                    return None;
                }
                Some(n) => match n.name.as_str() {
                    "year" => 0,
                    "month" => 1,
                    "day" => 2,
                    _ => {
                        self.err(n.span, format!("`date` has no argument `{}`", n.name))
                            .hints
                            .push("its arguments are `year`, `month` and `day`".into());
                        return None;
                    }
                },
            };
            if slots[idx].is_some() {
                self.err(a.span(), "this `date` argument is given twice");
                return None;
            }
            slots[idx] = Some(self.expr(a, cx)?);
        }
        if slots.iter().all(Option::is_none) {
            self.err(span, "`date` needs at least one of year, month, day");
            return None;
        }
        Some(Expr::Date(Box::new(slots)))
    }
}
