//! Checking rules: patterns, token tests, conditions and fields, with names
//! and captures resolved.

use super::*;

impl<'f, 'a> Checker<'f, 'a> {
    pub(super) fn rule(&mut self, r: &'a ast::RuleDef) -> Option<Rule> {
        self.cur = self.pack_of(r.name.span.file);
        let mut cx = RuleCx {
            scope: Scope::Sentence,
            captures: vec![],
            capture_labels: vec![],
            lists: vec![],
            never: vec![],
            groups: vec![],
            reads: BTreeSet::new(),
            stack: vec![],
        };
        let mut pattern = None;
        let mut conditions_ast = vec![];
        let mut emits_ast = vec![];
        let mut vetoes = vec![];
        let mut priority = None;
        let mut scope = None;
        let mut keep_all = false;
        let mut examples = vec![];
        for c in &r.clauses {
            match c {
                ast::Clause::Match(p, span) => {
                    if pattern.is_some() {
                        self.err(*span, "a rule has one `match` clause").hints.push("combine patterns with `|`".into());
                    } else {
                        pattern = Some((p, *span));
                    }
                }
                ast::Clause::Where(e, _) => conditions_ast.push(e),
                ast::Clause::Emit(e) => emits_ast.push(e),
                ast::Clause::Veto(l, _) => match self.label_of(&l.name) {
                    Some(id) if self.labels[id.0 as usize].lexicon.is_none() => vetoes.push(id),
                    Some(_) => {
                        self.err(l.span, format!("`{}` is a lexicon; only rule labels can be vetoed", l.name));
                    }
                    None => self.unknown(l, "label"),
                },
                ast::Clause::Priority(p, span) => {
                    if priority.replace(*p).is_some() {
                        self.err(*span, "`priority` is given twice");
                    }
                }
                ast::Clause::Scope(s, span) => {
                    if scope.replace(*s).is_some() {
                        self.err(*span, "`scope` is given twice");
                    }
                }
                ast::Clause::KeepAll(_) => keep_all = true,
                ast::Clause::Example(e) => examples.push(e.clone()),
            }
        }
        let Some((pattern, _)) = pattern else {
            self.err(r.name.span, format!("rule `{}` has no `match` clause", r.name.name));
            return None;
        };
        let veto_clauses = r.clauses.iter().filter(|c| matches!(c, ast::Clause::Veto(..))).count();
        if emits_ast.is_empty() && veto_clauses == 0 {
            self.err(r.name.span, format!("rule `{}` neither emits nor vetoes anything", r.name.name))
                .hints
                .push("add `emit Label { ... }` or `veto Label`".into());
        }
        let errors_before = self.diags.len();
        cx.scope = scope.unwrap_or(Scope::Sentence);
        let pat = self.pattern(pattern, &mut cx, false)?;
        if self.diags.len() == errors_before && nullable(&pat) {
            self.err(pattern.span(), "this pattern can match without any token")
                .hints
                .push("every match must cover at least one token; make at least one element required".into());
        }
        let mut most = vec![0u8; cx.captures.len()];
        bindings(&pat, &mut most);
        cx.lists = most.iter().map(|&n| n > 1).collect();
        cx.never = most.iter().map(|&n| n == 0).collect();
        let conditions = conditions_ast.iter().filter_map(|e| self.expr(e, &cx)).collect();
        let mut emits = vec![];
        for e in emits_ast {
            let Some(label) = self.label_of(&e.label.name) else {
                continue;
            };
            let at = match &e.at {
                Some(x) => match cx.capture(&x.name) {
                    Some(i) if cx.lists[i] => {
                        self.err(x.span, format!("capture `{}` can hold several spans; `at` needs one", x.name))
                            .hints
                            .push("emit at a capture outside the repetition, or emit over the whole match".into());
                        None
                    }
                    Some(i) => Some(i),
                    None if cx.group(&x.name).is_some() => {
                        self.err(
                            x.span,
                            format!("`{}` is a part of a token; an annotation covers whole tokens", x.name),
                        )
                        .hints
                        .push("emit at the capture of the whole token and keep the part in a field".into());
                        None
                    }
                    None => {
                        self.unknown_capture(x, &cx);
                        None
                    }
                },
                None => None,
            };
            let mut fields = vec![];
            for f in &e.fields {
                if fields.iter().any(|(n, _): &(hir::FieldName, Expr)| **n == *f.name.name) {
                    self.err(f.name.span, format!("field `{}` is given twice", f.name.name));
                    continue;
                }
                let value = match &f.value {
                    Some(v) => self.expr(v, &cx),
                    None => {
                        let path = ast::Expr::Path(vec![f.name.clone()], f.name.span);
                        self.expr(&path, &cx)
                    }
                };
                if let Some(v) = value {
                    fields.push((f.name.name.as_str().into(), v));
                }
            }
            emits.push(Emit { label, at, fields });
        }
        self.check_examples(&examples, &emits, &vetoes);
        Some(Rule {
            pack: self.pack_of(r.name.span.file),
            name: r.name.name.clone(),
            span: r.span,
            pattern: pat,
            captures: cx.captures,
            capture_labels: cx.capture_labels,
            lists: cx.lists,
            groups: cx.groups,
            conditions,
            emits,
            vetoes,
            priority: priority.unwrap_or(0),
            scope: scope.unwrap_or(Scope::Sentence),
            keep_all,
            reads: cx.reads.into_iter().collect(),
            examples,
        })
    }

    pub(super) fn unknown_capture(&mut self, x: &ast::Ident, cx: &RuleCx) {
        let hint = did_you_mean(&x.name, cx.captures.iter().map(String::as_str));
        let d = self.err(x.span, format!("unknown capture `{}`", x.name));
        d.hints.push(match hint {
            Some(h) => format!("did you mean `{h}`?"),
            None if cx.captures.is_empty() => "the pattern has no captures; name an element with `name:element`".into(),
            None => format!("the captures are: {}", cx.captures.join(", ")),
        });
    }

    fn pattern(&mut self, p: &'a ast::Pattern, cx: &mut RuleCx, in_context: bool) -> Option<Pat> {
        Some(match p {
            // Every item is checked, so that all of its errors are reported.
            ast::Pattern::Alt(items, _) => {
                Pat::Alt(all(items.iter().map(|i| self.pattern(i, cx, in_context)).collect())?)
            }
            ast::Pattern::Seq(items, _) => {
                Pat::Seq(all(items.iter().map(|i| self.pattern(i, cx, in_context)).collect())?)
            }
            ast::Pattern::Capture(name, inner, span) => {
                if in_context {
                    self.err(*span, "captures are not allowed inside `before(...)` or `after(...)`")
                        .hints
                        .push("context is not part of the match; capture it in the match itself".into());
                    return None;
                }
                let inner = self.pattern(inner, cx, in_context)?;
                // `x:E?` is `(x:E)?`: the capture holds what `E` holds (its fields too).
                if let Pat::Repeat { inner: e, min: 0, max: Some(1), lazy } = inner {
                    let i = cx.bind(&name.name, one_annotation(&e));
                    return Some(Pat::Repeat { inner: Box::new(Pat::Capture(i, e)), min: 0, max: Some(1), lazy });
                }
                let i = cx.bind(&name.name, one_annotation(&inner));
                Pat::Capture(i, Box::new(inner))
            }
            ast::Pattern::Repeat { inner, min, max, lazy, .. } => {
                let inner = self.pattern(inner, cx, in_context)?;
                Pat::Repeat { inner: Box::new(inner), min: *min, max: *max, lazy: *lazy }
            }
            ast::Pattern::Gap { min, max, span } => {
                if max.is_none() && cx.scope == Scope::Document {
                    self.warn(
                        *span,
                        "an unbounded gap in a rule with `scope document` can reach across the whole document",
                    )
                    .hints
                    .push("bound it, as in `...{0,50}`, or narrow the scope to a paragraph".into());
                }
                Pat::Repeat { inner: Box::new(Pat::Token(Test::Any)), min: *min, max: *max, lazy: true }
            }
            ast::Pattern::Context { negated, after, inner, .. } => {
                let inner = self.pattern(inner, cx, true)?;
                Pat::Context { negated: *negated, after: *after, inner: Box::new(inner) }
            }
            ast::Pattern::Anchor { start, .. } => Pat::Anchor(*start),
            ast::Pattern::Literal { text, ignore_case, span } => self.literal(text, *ignore_case, *span)?,
            ast::Pattern::Token(t, span) => {
                let test = self.test(t, cx)?;
                match t {
                    ast::TokenTest::Regex { source, ignore_case, .. } => {
                        self.regex_groups(source, *ignore_case, *span, test, cx, in_context)?
                    }
                    _ => Pat::Token(test),
                }
            }
            ast::Pattern::Ref { name, constraints, span } => {
                if constraints.is_empty() {
                    if name.name == "any" || name.name == "_" {
                        return Some(Pat::Token(Test::Any));
                    }
                    if let Some(c) = Class::from_name(&name.name) {
                        return Some(Pat::Token(Test::Class(c)));
                    }
                }
                match self.lookup(&name.name) {
                    Some(Def::Pattern(def)) => {
                        let pack = self.pack_of(def.name.span.file);
                        let key = format!("{}#{}", pack.0, def.name.name);
                        if let Some(pos) = cx.stack.iter().position(|(k, _)| *k == key) {
                            let chain: Vec<&str> =
                                cx.stack[pos..].iter().map(|(_, n)| n.as_str()).chain([name.name.as_str()]).collect();
                            self.err(
                                name.span,
                                format!("named pattern `{}` refers to itself: {}", name.name, chain.join(" → ")),
                            );
                            return None;
                        }
                        if !constraints.is_empty() {
                            self.err(
                                *span,
                                format!("`{}` is a named pattern; constraints apply to annotations only", name.name),
                            );
                            return None;
                        }
                        self.used_patterns.insert((pack, def.name.name.clone()));
                        if cx.stack.len() >= 64 {
                            self.err(name.span, "named patterns nest too deeply (more than 64 levels)");
                            return None;
                        }
                        self.inside_pattern((pack, key, name), cx, |c, cx| c.pattern(&def.body, cx, in_context))?
                    }
                    Some(Def::Lexicon(..)) | Some(Def::Label(..)) => {
                        let label = self.label_of(&name.name).expect("label");
                        cx.reads.insert(label);
                        let mut cs = vec![];
                        for c in constraints {
                            if self.check_field(label, &c.field) {
                                cs.push((c.field.name.clone(), c.test.clone()));
                            }
                        }
                        Pat::Annot { label, constraints: cs }
                    }
                    None => {
                        if Class::from_name(&name.name).is_some() {
                            self.err(
                                *span,
                                format!("`{}` is a token class; constraints apply to annotations only", name.name),
                            );
                        } else {
                            self.unknown(name, "name");
                        }
                        return None;
                    }
                }
            }
        })
    }

    /// A token regex with named groups: the token is held by a hidden capture (named `#` and the
    /// regex, so that the same regex written twice binds one list), each group is a capture of
    /// a part of it.
    fn regex_groups(
        &mut self,
        source: &str,
        fold: bool,
        span: Span,
        test: Test,
        cx: &mut RuleCx,
        in_context: bool,
    ) -> Option<Pat> {
        let Ok(re) = crate::compile::build_regex(source, fold) else {
            return Some(Pat::Token(test));
        };
        let names: Vec<&str> = re.capture_names().flatten().collect();
        if names.is_empty() {
            return Some(Pat::Token(test));
        }
        if in_context {
            self.err(
                span,
                "named groups are captures, and captures are not allowed inside `before(...)` or `after(...)`",
            )
            .hints
            .push("write the group without a name: `(?:...)`".into());
            return None;
        }
        let token = cx.bind(&format!("#{source}"), None);
        for name in names {
            match cx.group(name) {
                Some(g) if cx.groups[g].token == token => {}
                Some(_) => {
                    self.err(span, format!("group `{name}` is named in two different regexes of this rule"))
                        .hints
                        .push("give each regex's groups names of their own".into());
                    return None;
                }
                None if cx.capture(name).is_some() => {
                    self.err(span, format!("group `{name}` has the name of a capture of this rule"))
                        .hints
                        .push("rename the group or the capture".into());
                    return None;
                }
                None => cx.groups.push(Group { name: name.to_string(), token, regex: source.to_string(), fold }),
            }
        }
        Some(Pat::Capture(token, Box::new(Pat::Token(test))))
    }

    fn literal(&mut self, text: &str, fold: bool, span: Span) -> Option<Pat> {
        let doc = Document::new(text);
        let mut tests: Vec<Pat> = (0..doc.tokens.len())
            .map(|i| {
                let mut key = String::new();
                if fold {
                    crate::text::fold_case(doc.token_text(i), &mut key);
                } else {
                    normalize(doc.token_text(i), &mut key);
                }
                Pat::Token(Test::Key { key, fold })
            })
            .collect();
        match tests.len() {
            0 => {
                self.err(span, "empty literal");
                None
            }
            1 => tests.pop(),
            _ => Some(Pat::Seq(tests)),
        }
    }

    /// A named pattern inside a token test: allowed when it matches exactly one token by a test
    /// (`pattern NameWord = [cap & !Title]` in `[NameWord & !initial]`), checked with the names
    /// of its own pack.
    fn pattern_test(&mut self, name: &ast::Ident, def: &'a ast::PatternDef, cx: &mut RuleCx) -> Option<Test> {
        let Some(t) = one_token_test(&def.body) else {
            self.err(name.span, format!("`{}` is a named pattern of more than one token test", name.name))
                .hints
                .push("a token test takes a class, a label, or a pattern that is one `[...]` test".into());
            return None;
        };
        let pack = self.pack_of(def.name.span.file);
        let key = format!("{}#{}", pack.0, def.name.name);
        if cx.stack.iter().any(|(k, _)| *k == key) || cx.stack.len() >= 64 {
            self.err(name.span, format!("named pattern `{}` refers to itself", name.name));
            return None;
        }
        self.used_patterns.insert((pack, def.name.name.clone()));
        self.inside_pattern((pack, key, name), cx, |c, cx| c.test(&t, cx))
    }

    /// Runs `f` on a named pattern's body: on the expansion stack, with the names of the
    /// pattern's own pack.
    fn inside_pattern<T>(
        &mut self,
        (pack, key, name): (PackId, String, &ast::Ident),
        cx: &mut RuleCx,
        f: impl FnOnce(&mut Self, &mut RuleCx) -> Option<T>,
    ) -> Option<T> {
        cx.stack.push((key, name.name.clone()));
        let here = std::mem::replace(&mut self.cur, pack);
        let r = f(self, cx);
        self.cur = here;
        cx.stack.pop();
        r
    }

    fn test(&mut self, t: &ast::TokenTest, cx: &mut RuleCx) -> Option<Test> {
        Some(match t {
            ast::TokenTest::Or(items) => Test::Or(all(items.iter().map(|i| self.test(i, cx)).collect())?),
            ast::TokenTest::And(items) => Test::And(all(items.iter().map(|i| self.test(i, cx)).collect())?),
            ast::TokenTest::Not(inner) => Test::Not(Box::new(self.test(inner, cx)?)),
            ast::TokenTest::Literal { text, ignore_case, span } => match self.literal(text, *ignore_case, *span)? {
                Pat::Token(t) => t,
                _ => {
                    self.err(*span, format!("`{text}` is several tokens; a token test takes one"))
                        .hints
                        .push("write the literal as an element of its own, outside `[...]`".into());
                    return None;
                }
            },
            ast::TokenTest::Regex { source, ignore_case, span } => {
                match crate::compile::build_regex(source, *ignore_case) {
                    Err(e) => {
                        self.err(*span, format!("invalid regex: {e}"));
                        return None;
                    }
                    Ok(re) if re.is_match("") => {
                        self.warn(*span, "this regex matches the empty string, so it matches every token").hints.push(
                            "a token regex matches anywhere in the token: anchor it (`^...$`) or use `+` for `*`"
                                .into(),
                        );
                    }
                    Ok(_) => {}
                }
                Test::Regex { source: source.clone(), fold: *ignore_case }
            }
            ast::TokenTest::Name(name) => {
                if name.name == "any" || name.name == "_" {
                    return Some(Test::Any);
                }
                if let Some(c) = Class::from_name(&name.name) {
                    return Some(Test::Class(c));
                }
                match self.lookup(&name.name) {
                    Some(Def::Pattern(def)) => return self.pattern_test(name, def, cx),
                    Some(_) => {
                        let label = self.label_of(&name.name).expect("label");
                        cx.reads.insert(label);
                        Test::Covered(label)
                    }
                    None => {
                        self.unknown(name, "name");
                        return None;
                    }
                }
            }
            ast::TokenTest::Compare { property, op, value } => match (property.name.as_str(), value) {
                ("len", Literal::Num(n)) => match i64::try_from(*n) {
                    Ok(n) => Test::Len(*op, n),
                    Err(_) => {
                        self.err(property.span, "`len` compares with a whole number");
                        return None;
                    }
                },
                ("len", _) => {
                    self.err(property.span, "`len` compares with a number");
                    return None;
                }
                (_, Literal::Num(_) | Literal::Bool(_)) => {
                    self.err(property.span, format!("`{}` compares with a string", property.name));
                    return None;
                }
                (p, Literal::Str(s)) => {
                    if !matches!(op, CmpOp::Eq | CmpOp::Ne) {
                        self.err(property.span, format!("`{p}` can only be compared with `=` or `!=`"));
                        return None;
                    }
                    let prop = match p {
                        "text" => Property::Text,
                        "lower" => Property::Lower,
                        "shape" => Property::Shape,
                        _ => Property::Kind,
                    };
                    Test::Prop(prop, *op, s.clone())
                }
            },
        })
    }
}

/// The token test a pattern is, when it is exactly one: `[...]`, a regex, a negation, a
/// one-word literal or a bare name, alone, in parentheses or as alternatives of such.
fn one_token_test(p: &ast::Pattern) -> Option<ast::TokenTest> {
    match p {
        ast::Pattern::Token(t, _) => Some(t.clone()),
        ast::Pattern::Alt(items, _) | ast::Pattern::Seq(items, _) if items.len() == 1 => one_token_test(&items[0]),
        ast::Pattern::Alt(items, _) => {
            Some(ast::TokenTest::Or(items.iter().map(one_token_test).collect::<Option<_>>()?))
        }
        ast::Pattern::Literal { text, ignore_case, span } => {
            Some(ast::TokenTest::Literal { text: text.clone(), ignore_case: *ignore_case, span: *span })
        }
        ast::Pattern::Ref { name, constraints, .. } if constraints.is_empty() => {
            Some(ast::TokenTest::Name(name.clone()))
        }
        _ => None,
    }
}

impl Checker<'_, '_> {
    /// An example that names a label the rule never emits (nor vetoes), or a field none of its
    /// emits of that label gives, can never pass: an error now, not a failure at test time.
    fn check_examples(&mut self, examples: &[ast::Example], emits: &[Emit], vetoes: &[LabelId]) {
        let bare = |name: &str| name.rsplit("::").next().unwrap_or(name).to_string();
        for ex in examples {
            for e in &ex.expects {
                let want = bare(&e.label.name);
                let label_of = |l: LabelId| bare(&self.labels[l.0 as usize].name);
                let mine: Vec<&Emit> = emits.iter().filter(|m| label_of(m.label) == want).collect();
                if mine.is_empty() && !vetoes.iter().any(|&v| label_of(v) == want) {
                    let mut names: Vec<String> =
                        emits.iter().map(|m| label_of(m.label)).chain(vetoes.iter().map(|&v| label_of(v))).collect();
                    names.dedup();
                    let d =
                        self.err(e.label.span, format!("the rule never emits `{want}`, so this example cannot pass"));
                    d.hints.push(if names.is_empty() {
                        "the rule emits nothing".into()
                    } else {
                        format!("it emits {}", names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", "))
                    });
                    continue;
                }
                for (f, _) in &e.fields {
                    if !mine.is_empty() && !mine.iter().any(|m| m.fields.iter().any(|(k, _)| **k == *f.name)) {
                        let d = self.err(
                            f.span,
                            format!("the rule gives `{want}` no field `{}`, so this example cannot pass", f.name),
                        );
                        let mut given: Vec<String> =
                            mine.iter().flat_map(|m| m.fields.iter().map(|(k, _)| format!("`{k}`"))).collect();
                        given.dedup();
                        d.hints.push(if given.is_empty() {
                            format!("its `{want}` has no fields")
                        } else {
                            format!("its fields are {}", given.join(", "))
                        });
                    }
                }
            }
        }
    }
}
