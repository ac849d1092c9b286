//! Pest pairs to AST, and pest errors to diagnostics.

use super::ast::*;
use crate::diag::Diagnostic;
use crate::source::{FileId, Span};
use pest::iterators::Pair;
use pest::Parser;
use rust_decimal::Decimal;

#[derive(pest_derive::Parser)]
#[grammar = "grammar/trawl.pest"]
struct TrawlParser;

/// Rule files larger than this are refused, so that parsing stays cheap.
pub const MAX_RULE_FILE_BYTES: usize = 8 << 20;

/// The largest count in `{m,n}`, the minimum of `{m,}` included.
pub const MAX_REPEAT: u32 = 10_000;

/// Parses one rule file. On a syntax error, returns one diagnostic at the
/// place the parser could go no further.
pub fn parse(file: FileId, text: &str) -> Result<RuleFile, Vec<Diagnostic>> {
    if text.len() > MAX_RULE_FILE_BYTES {
        return Err(vec![Diagnostic::error(
            Span::new(file, 0, 0),
            format!("rule file is larger than {} bytes", MAX_RULE_FILE_BYTES),
        )]);
    }
    if let Some(depth_at) = too_deep(text) {
        return Err(vec![Diagnostic::error(
            Span::new(file, depth_at, depth_at + 1),
            "nesting is too deep (more than 64 levels of brackets, `!` or `not`)",
        )]);
    }
    let pairs = TrawlParser::parse(Rule::file, text).map_err(|e| vec![syntax_error(file, text, e)])?;
    let lower = Lower { file };
    let mut items = Vec::new();
    let mut errors = Vec::new();
    for pair in pairs.into_iter().next().expect("file").into_inner() {
        match lower.item(pair) {
            Ok(Some(item)) => items.push(item),
            Ok(None) => {}
            Err(d) => errors.push(d),
        }
    }
    if errors.is_empty() {
        Ok(RuleFile { file, items })
    } else {
        Err(errors)
    }
}

/// The characters of a rule file outside strings and comments, with their offsets.
fn structural(text: &str) -> impl Iterator<Item = (usize, char)> + '_ {
    let (mut in_string, mut escaped, mut in_comment) = (false, false, false);
    text.char_indices().filter(move |&(_, c)| {
        if in_comment {
            in_comment = c != '\n';
        } else if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' || c == '\n' {
                in_string = false;
            }
        } else {
            match c {
                '#' => in_comment = true,
                '"' => in_string = true,
                _ => return true,
            }
        }
        false
    })
}

/// Recursive descent would overflow the stack on absurd nesting (brackets,
/// long runs of the prefix operators `!`, `-` and `not`, or of `if` in one
/// clause): refuse it first.
fn too_deep(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut prefix_run = 0usize;
    let mut ifs = 0usize;
    let mut word = String::new();
    for (i, c) in structural(text) {
        if c.is_ascii_alphanumeric() || c == '_' {
            word.push(c);
            continue;
        }
        if !word.is_empty() {
            prefix_run = if word == "not" { prefix_run + 1 } else { 0 };
            match word.as_str() {
                "if" => ifs += 1,
                "where" | "emit" | "rule" | "match" => ifs = 0,
                _ => {}
            }
            if ifs > 64 {
                return Some(i);
            }
            word.clear();
        }
        match c {
            '!' | '-' => prefix_run += 1,
            c if c.is_whitespace() => {}
            _ => prefix_run = 0,
        }
        if prefix_run > 64 {
            return Some(i);
        }
        match c {
            '(' | '[' | '{' => {
                depth += 1;
                if depth > 64 {
                    return Some(i);
                }
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

/// The most operands of one chain of `+`, `-`, `++`, `*`, `/` or `??` (each nests the tree
/// once more).
const MAX_OPERANDS: usize = 256;

/// What a grammar rule is called in a message to a rule author.
fn describe(r: Rule) -> Option<&'static str> {
    use Rule::*;
    Some(match r {
        EOI => "end of file",
        item | import | use_pack | lexicon | pattern_def | rule | kw_import | kw_use | kw_lexicon | kw_pattern
        | kw_rule => "an item (`use`, `import`, `lexicon`, `pattern` or `rule`)",
        pack_name => "a pack name (`news/dates`) or a path in quotes",
        use_alias => "`as`",
        use_list | use_name => "a list of names (`{ Month, Year }`)",
        ident | qname | capture | keyword => "a name",
        string | string_inner => "a string",
        integer | number | signed_number => "a number",
        boolean => "a value",
        sum_op | prod_op => "an operator (`+`, `-`, `*`, `/`, `++`, `??`)",
        kw_then => "`then`",
        kw_else => "`else`",
        clause
        | match_clause
        | where_clause
        | emit_clause
        | veto_clause
        | priority_clause
        | scope_clause
        | keep_clause
        | example_clause
        | counterexample_clause
        | todo_clause
        | kw_match
        | kw_where
        | kw_emit
        | kw_veto
        | kw_priority
        | kw_scope
        | kw_keep
        | kw_example
        | kw_counterexample
        | kw_todo => "a clause (`match`, `where`, `emit`, `veto`, `priority`, `scope`, `keep all`, `example`)",
        alternation | sequence | element | primary | group | gap | context | anchor | negated | reference
        | token_test | literal | regex | kw_not | kw_before | kw_after => "a pattern element",
        quantifier | optional | star | plus | range | lazy => "a quantifier",
        constraints | constraint => "a constraint",
        test_or | test_and | test_unary | test_not | test_compare | test_property | test_name => "a token test",
        expr | cond_expr | kw_if | or_expr | and_expr | not_expr | cmp_expr | coalesce | sum_expr | prod_expr
        | neg_expr | neg | call | argument | list | path => "an expression",
        cmp_op => "a comparison (`=`, `!=`, `<`, `<=`, `>`, `>=`)",
        field_block => "`{`",
        field => "a field",
        scope_kind => "`sentence`, `paragraph` or `document`",
        lexicon_file | lexicon_list | lexicon_derived => "a lexicon source (`file \"...\"`, `[...]` or `from Label`)",
        lexicon_entry => "a lexicon entry (a string)",
        lexicon_options | lexicon_option => "`with case ...`",
        case_policy | case_exact | case_ignore => "`exact` or `ignore`",
        expectation => "an expected annotation (`Label \"text\" { field: value }`)",
        _ => return None,
    })
}

fn syntax_error(file: FileId, text: &str, e: pest::error::Error<Rule>) -> Diagnostic {
    use pest::error::{ErrorVariant, InputLocation};
    let pos = match e.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let end = text[pos..].chars().next().map_or(pos, |c| pos + c.len_utf8());
    let found = match text[pos..].chars().next() {
        None => "end of file".to_string(),
        Some(_) => {
            let word: String = text[pos..].chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if word.is_empty() {
                format!("`{}`", text[pos..].chars().next().unwrap_or(' '))
            } else {
                format!("`{word}`")
            }
        }
    };
    let span_end = if found.starts_with("`") && found.len() > 3 { pos + found.len() - 2 } else { end };
    let span = Span::new(file, pos, span_end.min(text.len()));
    let mut expected: Vec<&str> = match &e.variant {
        ErrorVariant::ParsingError { positives, .. } => positives.iter().filter_map(|r| describe(*r)).collect(),
        ErrorVariant::CustomError { .. } => vec![],
    };
    expected.sort();
    expected.dedup();
    if expected.is_empty() && unclosed_brace(&text[..pos]).is_none() {
        expected.push(describe(Rule::item).unwrap_or("an item"));
    }
    let message = if expected.is_empty() {
        format!("unexpected {found}")
    } else {
        format!("expected {}, found {found}", join_or(&expected))
    };
    let mut d = Diagnostic::error(span, message);
    if let Some(hint) = syntax_hint(text, pos) {
        d = d.hint(hint);
    }
    d
}

fn join_or(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// The reserved words of the rule language (they cannot name captures, labels or fields).
pub const RESERVED: &[&str] = &[
    "import",
    "lexicon",
    "pattern",
    "rule",
    "match",
    "where",
    "emit",
    "veto",
    "priority",
    "scope",
    "keep",
    "example",
    "counterexample",
    "todo",
    "before",
    "after",
    "not",
    "and",
    "or",
];

/// The `{` that is never closed, if any (strings and comments skipped).
fn unclosed_brace(text: &str) -> Option<usize> {
    let mut open = vec![];
    for (i, c) in structural(text) {
        match c {
            '{' => open.push(i),
            '}' => {
                open.pop();
            }
            _ => {}
        }
    }
    open.first().copied()
}

fn syntax_hint(text: &str, pos: usize) -> Option<String> {
    let rest = &text[pos..];
    let line_rest = rest.split('\n').next().unwrap_or("");
    let line_start = text[..pos].rfind('\n').map_or(0, |i| i + 1);
    let before = text[line_start..pos].trim_end();
    let word: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
    if rest.trim().is_empty() {
        if let Some(at) = unclosed_brace(text) {
            let line = text[..at].matches('\n').count() + 1;
            return Some(format!("the `{{` on line {line} is never closed"));
        }
    }
    if RESERVED.contains(&word.as_str()) {
        if rest[word.len()..].starts_with(':') {
            return Some(format!("`{word}` is a reserved word; name the capture differently"));
        }
        let prev = text[..pos].trim_end();
        if prev.ends_with("match") {
            return Some("`match` needs a pattern before the next clause".into());
        }
        if prev.ends_with(['=', '<', '>', '(', ','])
            || prev.ends_with("where")
            || prev.ends_with("and")
            || prev.ends_with("or")
        {
            return Some("the condition is not complete".into());
        }
    }
    if rest.starts_with('\'') {
        return Some("strings are written in double quotes: \"text\"".into());
    }
    if rest.starts_with('"') && !line_rest[1..].contains('"') {
        return Some("this string is not closed on its line".into());
    }
    if rest.starts_with('/') && !line_rest[1..].contains('/') {
        return Some("this regex is not closed on its line: write `/.../`".into());
    }
    if !word.is_empty() && rest[word.len()..].starts_with('(') && before.rfind('[') > before.rfind(']') {
        return Some(format!("constraints belong to annotation elements: write `{word}(...)` outside `[...]`"));
    }
    if !word.is_empty() && before.is_empty() && !RESERVED.contains(&word.as_str()) {
        if let Some(k) = crate::diag::did_you_mean(&word, RESERVED.iter().copied()) {
            return Some(format!("did you mean `{k}`?"));
        }
    }
    None
}

struct Lower {
    file: FileId,
}

type R<T> = Result<T, Diagnostic>;

impl Lower {
    fn span(&self, p: &Pair<Rule>) -> Span {
        let s = p.as_span();
        Span::new(self.file, s.start(), s.end())
    }

    fn ident(&self, p: Pair<Rule>) -> Ident {
        Ident { name: p.as_str().to_string(), span: self.span(&p) }
    }

    fn string(&self, p: Pair<Rule>) -> R<StrLit> {
        let span = self.span(&p);
        let inner = p.into_inner().next().map_or("", |i| i.as_str());
        Ok(StrLit { value: unescape(inner).map_err(|m| Diagnostic::error(span, m))?, span })
    }

    fn integer(&self, p: Pair<Rule>) -> R<i64> {
        let span = self.span(&p);
        p.as_str().parse().map_err(|_| Diagnostic::error(span, "number is too large"))
    }

    fn literal_value(&self, p: Pair<Rule>) -> R<Literal> {
        match p.as_rule() {
            Rule::string => Ok(Literal::Str(self.string(p)?.value)),
            Rule::boolean => Ok(Literal::Bool(p.as_str() == "true")),
            Rule::integer => Ok(Literal::Num(self.integer(p)?.into())),
            _ => Ok(Literal::Num(self.number(p)?)),
        }
    }

    fn number(&self, p: Pair<Rule>) -> R<Decimal> {
        let span = self.span(&p);
        Decimal::from_str_exact(p.as_str()).map_err(|_| {
            Diagnostic::error(span, "number has more than 28 digits")
                .hint("trawl's numbers are exact decimals of up to 28 digits")
        })
    }

    fn use_decl(&self, p: Pair<Rule>, span: Span) -> R<UseDecl> {
        let mut it = p.into_inner().skip(1);
        let t = it.next().expect("target");
        let target = match t.as_rule() {
            Rule::pack_name => UseTarget::Bundled(self.ident(t)),
            _ => UseTarget::Path(self.string(t)?),
        };
        let (mut alias, mut names) = (None, Vec::new());
        let alias_of = |p: Pair<Rule>| self.ident(p.into_inner().next().expect("alias"));
        for x in it {
            match x.as_rule() {
                Rule::use_alias => alias = Some(alias_of(x)),
                _ => {
                    for n in x.into_inner() {
                        let mut ni = n.into_inner();
                        let name = self.ident(ni.next().expect("name"));
                        let local = ni.next().map_or_else(|| name.clone(), alias_of);
                        names.push((name, local));
                    }
                }
            }
        }
        Ok(UseDecl { target, alias, names, span })
    }

    fn item(&self, p: Pair<Rule>) -> R<Option<Item>> {
        let span = self.span(&p);
        Ok(Some(match p.as_rule() {
            Rule::import => Item::Import(self.string(p.into_inner().nth(1).expect("path"))?),
            Rule::use_pack => Item::Use(self.use_decl(p, span)?),
            Rule::lexicon => {
                let mut it = p.into_inner().skip(1);
                let name = self.ident(it.next().expect("name"));
                let src = it.next().expect("source");
                let source = match src.as_rule() {
                    Rule::lexicon_file => LexiconSource::File(self.string(src.into_inner().next().expect("path"))?),
                    Rule::lexicon_list => {
                        let mut entries = Vec::new();
                        for e in src.into_inner() {
                            let mut ei = e.into_inner();
                            let text = self.string(ei.next().expect("text"))?;
                            let mut features = Vec::new();
                            if let Some(fb) = ei.next() {
                                for f in fb.into_inner() {
                                    let mut fi = f.into_inner();
                                    let k = self.ident(fi.next().expect("key"));
                                    let v = self.literal_value(fi.next().expect("value"))?;
                                    features.push((k, v));
                                }
                            }
                            entries.push(LexEntry { text, features });
                        }
                        LexiconSource::List(entries)
                    }
                    _ => {
                        let mut di = src.into_inner();
                        let label = self.ident(di.next().expect("label"));
                        let rest: Vec<Ident> = di.map(|p| self.ident(p)).collect();
                        // `from Label.field forms [..]`: the grammar cannot tell the field from
                        // the first form by position, so their places in the text decide.
                        let (field, forms) = self.split_field_forms(&label, rest);
                        LexiconSource::Derived { label, field, forms }
                    }
                };
                let mut case = None;
                if let Some(opts) = it.next() {
                    for opt in opts.into_inner() {
                        let policy = opt.into_inner().next().expect("policy");
                        let pspan = self.span(&policy);
                        let choice = policy.into_inner().next().expect("choice");
                        let c = match choice.as_rule() {
                            Rule::case_exact => CasePolicy::Exact,
                            _ => {
                                let above = match choice.into_inner().next() {
                                    Some(n) => {
                                        let nspan = self.span(&n);
                                        let v = self.integer(n)?;
                                        Some(u32::try_from(v).map_err(|_| {
                                            Diagnostic::error(nspan, "expected a length of 0 or more characters")
                                        })?)
                                    }
                                    None => None,
                                };
                                CasePolicy::Ignore { above }
                            }
                        };
                        case = Some((c, pspan));
                    }
                }
                Item::Lexicon(LexiconDef { name, source, case, span })
            }
            Rule::pattern_def => {
                let mut it = p.into_inner().skip(1);
                let name = self.ident(it.next().expect("name"));
                let body = self.alternation(it.next().expect("body"))?;
                Item::Pattern(PatternDef { name, body, span })
            }
            Rule::rule => {
                let mut it = p.into_inner().skip(1);
                let name = self.ident(it.next().expect("name"));
                let mut clauses = Vec::new();
                for c in it {
                    clauses.push(self.clause(c)?);
                }
                Item::Rule(RuleDef { name, clauses, span })
            }
            Rule::EOI => return Ok(None),
            r => unreachable!("item {r:?}"),
        }))
    }

    fn split_field_forms(&self, label: &Ident, rest: Vec<Ident>) -> (Option<Ident>, Vec<Ident>) {
        // A field directly follows the label with a dot (no space); forms come later.
        let mut rest = rest.into_iter().peekable();
        let field = match rest.peek() {
            Some(f) if f.span.start == label.span.end + 1 => rest.next(),
            _ => None,
        };
        (field, rest.collect())
    }

    fn clause(&self, p: Pair<Rule>) -> R<Clause> {
        let span = self.span(&p);
        let kind = p.as_rule();
        let mut it = p.into_inner();
        Ok(match kind {
            Rule::match_clause => Clause::Match(self.alternation(it.nth(1).expect("pattern"))?, span),
            Rule::where_clause => Clause::Where(self.expr(it.nth(1).expect("expr"))?, span),
            Rule::emit_clause => {
                it.next();
                let label = self.ident(it.next().expect("label"));
                let mut at = None;
                let mut fields = Vec::new();
                for x in it {
                    match x.as_rule() {
                        Rule::ident => at = Some(self.ident(x)),
                        Rule::field_block => {
                            for f in x.into_inner() {
                                let mut fi = f.into_inner();
                                let name = self.ident(fi.next().expect("field name"));
                                let value = match fi.next() {
                                    Some(e) => Some(self.expr(e)?),
                                    None => None,
                                };
                                fields.push(Field { name, value });
                            }
                        }
                        r => unreachable!("emit {r:?}"),
                    }
                }
                Clause::Emit(Emit { label, at, fields, span })
            }
            Rule::veto_clause => Clause::Veto(self.ident(it.nth(1).expect("label")), span),
            Rule::priority_clause => Clause::Priority(self.integer(it.nth(1).expect("n"))?, span),
            Rule::scope_clause => {
                let kind = it.nth(1).expect("scope");
                Clause::Scope(
                    match kind.as_str() {
                        "sentence" => Scope::Sentence,
                        "paragraph" => Scope::Paragraph,
                        _ => Scope::Document,
                    },
                    span,
                )
            }
            Rule::keep_clause => Clause::KeepAll(span),
            Rule::example_clause | Rule::counterexample_clause => {
                Clause::Example(self.example(kind == Rule::counterexample_clause, false, span, it)?)
            }
            Rule::todo_clause => {
                let inner = it.nth(1).expect("example");
                let counter = inner.as_rule() == Rule::counterexample_clause;
                Clause::Example(self.example(counter, true, span, inner.into_inner())?)
            }
            r => unreachable!("clause {r:?}"),
        })
    }

    fn example(&self, counter: bool, todo: bool, span: Span, mut it: pest::iterators::Pairs<Rule>) -> R<Example> {
        it.next();
        let text = self.string(it.next().expect("text"))?;
        let mut expects = Vec::new();
        for x in it {
            let mut xi = x.into_inner();
            let label = self.ident(xi.next().expect("label"));
            let mut text = None;
            let mut fields = Vec::new();
            for y in xi {
                match y.as_rule() {
                    Rule::string => text = Some(self.string(y)?),
                    Rule::expect_fields => {
                        for f in y.into_inner() {
                            let mut fi = f.into_inner();
                            let name = self.ident(fi.next().expect("name"));
                            fields.push((name, self.expect_value(fi.next().expect("value"))?));
                        }
                    }
                    r => unreachable!("expect {r:?}"),
                }
            }
            expects.push(Expect { label, text, fields });
        }
        Ok(Example { counter, todo, text, expects, span })
    }

    fn expect_value(&self, p: Pair<Rule>) -> R<ExpectValue> {
        let items: Vec<Pair<Rule>> = p.into_inner().collect();
        match items.first().map(|p| p.as_rule()) {
            Some(Rule::string) if items.len() == 1 => Ok(ExpectValue::Str(self.string(items[0].clone())?.value)),
            Some(Rule::signed_number) if items.len() == 1 => Ok(ExpectValue::Num(self.number(items[0].clone())?)),
            Some(Rule::boolean) if items.len() == 1 => Ok(ExpectValue::Bool(items[0].as_str() == "true")),
            _ => Ok(ExpectValue::List(items.into_iter().map(|i| self.expect_value(i)).collect::<R<_>>()?)),
        }
    }

    fn alternation(&self, p: Pair<Rule>) -> R<Pattern> {
        let span = self.span(&p);
        let mut seqs: Vec<Pattern> = p.into_inner().map(|s| self.sequence(s)).collect::<R<_>>()?;
        Ok(if seqs.len() == 1 { seqs.pop().expect("one") } else { Pattern::Alt(seqs, span) })
    }

    fn sequence(&self, p: Pair<Rule>) -> R<Pattern> {
        let span = self.span(&p);
        let mut els: Vec<Pattern> = p.into_inner().map(|e| self.element(e)).collect::<R<_>>()?;
        Ok(if els.len() == 1 { els.pop().expect("one") } else { Pattern::Seq(els, span) })
    }

    fn element(&self, p: Pair<Rule>) -> R<Pattern> {
        let span = self.span(&p);
        let mut capture = None;
        let mut primary = None;
        let mut quant = None;
        for x in p.into_inner() {
            match x.as_rule() {
                Rule::capture => capture = Some(self.ident(x)),
                Rule::quantifier => quant = Some(x),
                _ => primary = Some(self.primary(x)?),
            }
        }
        let mut pat = primary.expect("primary");
        if let Some(q) = quant {
            let qspan = self.span(&q);
            let mut min = 0;
            let mut max = None;
            let mut lazy = false;
            for x in q.into_inner() {
                match x.as_rule() {
                    Rule::optional => max = Some(1),
                    Rule::star => {}
                    Rule::plus => min = 1,
                    Rule::range => (min, max) = self.range(x)?,
                    Rule::lazy => lazy = true,
                    r => unreachable!("quantifier {r:?}"),
                }
            }
            let inner_span = pat.span();
            pat = Pattern::Repeat { inner: Box::new(pat), min, max, lazy, span: inner_span.to(qspan) };
        }
        if let Some(name) = capture {
            pat = Pattern::Capture(name, Box::new(pat), span);
        }
        Ok(pat)
    }

    fn range(&self, p: Pair<Rule>) -> R<(u32, Option<u32>)> {
        let span = self.span(&p);
        let mut lo = None;
        let mut hi = None;
        let mut comma = false;
        for x in p.into_inner() {
            match x.as_rule() {
                Rule::range_comma => comma = true,
                _ => {
                    let v = self.integer(x)?;
                    let v =
                        u32::try_from(v).map_err(|_| Diagnostic::error(span, "repetition counts must be 0 or more"))?;
                    if comma {
                        hi = Some(v)
                    } else {
                        lo = Some(v)
                    }
                }
            }
        }
        let (min, max) = match (lo, comma, hi) {
            (Some(n), false, _) => (n, Some(n)),
            (None, false, _) => {
                return Err(
                    Diagnostic::error(span, "empty repetition `{}`").hint("write `{m,n}`, `{n}`, `{m,}` or `{,n}`")
                )
            }
            (lo, true, hi) => (lo.unwrap_or(0), hi),
        };
        if min > MAX_REPEAT || max.is_some_and(|m| m > MAX_REPEAT) {
            return Err(Diagnostic::error(span, format!("repetition counts above {MAX_REPEAT} are not allowed")));
        }
        if let Some(max) = max {
            if max < min {
                return Err(Diagnostic::error(
                    span,
                    format!("repetition `{{{min},{max}}}` has its maximum below its minimum"),
                ));
            }
        }
        Ok((min, max))
    }

    fn primary(&self, p: Pair<Rule>) -> R<Pattern> {
        let span = self.span(&p);
        Ok(match p.as_rule() {
            Rule::group => self.alternation(p.into_inner().next().expect("alt"))?,
            Rule::gap => {
                let (min, max) = match p.into_inner().next() {
                    Some(r) => self.range(r)?,
                    None => (0, None),
                };
                Pattern::Gap { min, max, span }
            }
            Rule::context => {
                let mut negated = false;
                let mut after = false;
                let mut inner = None;
                for x in p.into_inner() {
                    match x.as_rule() {
                        Rule::negation => negated = true,
                        Rule::context_side => after = x.as_str() == "after",
                        _ => inner = Some(self.alternation(x)?),
                    }
                }
                Pattern::Context { negated, after, inner: Box::new(inner.expect("inner")), span }
            }
            Rule::anchor => Pattern::Anchor { start: p.as_str() == "^", span },
            Rule::negated => {
                let inner = p.into_inner().next().expect("atom");
                Pattern::Token(TokenTest::Not(Box::new(self.atom_test(inner)?)), span)
            }
            Rule::literal => {
                let (text, ignore_case) = self.literal(p)?;
                Pattern::Literal { text, ignore_case, span }
            }
            Rule::regex | Rule::token_test => Pattern::Token(self.atom_test(p)?, span),
            Rule::reference => {
                let mut it = p.into_inner();
                let name = self.ident(it.next().expect("name"));
                let mut constraints = Vec::new();
                if let Some(cs) = it.next() {
                    for c in cs.into_inner() {
                        let cspan = self.span(&c);
                        let mut ci = c.into_inner();
                        let field = self.ident(ci.next().expect("field"));
                        let test = match ci.next() {
                            Some(op) => Some((cmp_op(op.as_str()), self.literal_value(ci.next().expect("value"))?)),
                            None => None,
                        };
                        constraints.push(Constraint { field, test, span: cspan });
                    }
                }
                Pattern::Ref { name, constraints, span }
            }
            r => unreachable!("primary {r:?}"),
        })
    }

    fn literal(&self, p: Pair<Rule>) -> R<(String, bool)> {
        let mut it = p.into_inner();
        let s = self.string(it.next().expect("string"))?;
        if s.value.trim().is_empty() {
            return Err(Diagnostic::error(s.span, "empty literal")
                .hint("a literal must contain at least one character that is not a space"));
        }
        Ok((s.value, it.next().is_some()))
    }

    /// A single-token test from an atom written at element level or inside `[...]`.
    fn atom_test(&self, p: Pair<Rule>) -> R<TokenTest> {
        let span = self.span(&p);
        Ok(match p.as_rule() {
            Rule::literal => {
                let (text, ignore_case) = self.literal(p)?;
                TokenTest::Literal { text, ignore_case, span }
            }
            Rule::regex => {
                let mut it = p.into_inner();
                let source = it.next().expect("body").as_str().replace("\\/", "/");
                TokenTest::Regex { source, ignore_case: it.next().is_some(), span }
            }
            Rule::token_test => self.test(p.into_inner().next().expect("test"))?,
            Rule::reference => {
                let mut it = p.into_inner();
                let name = self.ident(it.next().expect("name"));
                if it.next().is_some() {
                    return Err(Diagnostic::error(span, "constraints cannot be used on a single-token test")
                        .hint("use the reference as an element of its own: `Label(field = \"v\")`"));
                }
                TokenTest::Name(name)
            }
            r => unreachable!("atom {r:?}"),
        })
    }

    fn test(&self, p: Pair<Rule>) -> R<TokenTest> {
        Ok(match p.as_rule() {
            Rule::test_or | Rule::test_and => {
                let is_or = p.as_rule() == Rule::test_or;
                let mut items: Vec<TokenTest> = p.into_inner().map(|x| self.test(x)).collect::<R<_>>()?;
                if items.len() == 1 {
                    items.pop().expect("one")
                } else if is_or {
                    TokenTest::Or(items)
                } else {
                    TokenTest::And(items)
                }
            }
            Rule::test_unary => self.test(p.into_inner().next().expect("inner"))?,
            Rule::test_not => TokenTest::Not(Box::new(self.test(p.into_inner().next().expect("inner"))?)),
            Rule::test_compare => {
                let mut it = p.into_inner();
                let property = self.ident(it.next().expect("prop"));
                let op = cmp_op(it.next().expect("op").as_str());
                let value = self.literal_value(it.next().expect("value"))?;
                TokenTest::Compare { property, op, value }
            }
            Rule::test_name => TokenTest::Name(self.ident(p.into_inner().next().expect("ident"))),
            Rule::literal | Rule::regex => self.atom_test(p)?,
            r => unreachable!("test {r:?}"),
        })
    }

    fn expr(&self, p: Pair<Rule>) -> R<Expr> {
        let span = self.span(&p);
        Ok(match p.as_rule() {
            Rule::expr => self.expr(p.into_inner().next().expect("inner"))?,
            Rule::or_expr | Rule::and_expr => {
                let is_or = p.as_rule() == Rule::or_expr;
                let mut items: Vec<Expr> = p
                    .into_inner()
                    .filter(|x| !matches!(x.as_rule(), Rule::kw_or | Rule::kw_and))
                    .map(|x| self.expr(x))
                    .collect::<R<_>>()?;
                if items.len() == 1 {
                    items.pop().expect("one")
                } else if is_or {
                    Expr::Or(items, span)
                } else {
                    Expr::And(items, span)
                }
            }
            Rule::not_expr => {
                let mut it = p.into_inner();
                let first = it.next().expect("inner");
                if first.as_rule() == Rule::kw_not {
                    Expr::Not(Box::new(self.expr(it.next().expect("operand"))?), span)
                } else {
                    self.expr(first)?
                }
            }
            Rule::cmp_expr => {
                let mut it = p.into_inner();
                let a = self.expr(it.next().expect("lhs"))?;
                match it.next() {
                    Some(op) => {
                        let b = self.expr(it.next().expect("rhs"))?;
                        Expr::Compare(Box::new(a), cmp_op(op.as_str()), Box::new(b), span)
                    }
                    None => a,
                }
            }
            Rule::call => {
                let mut it = p.into_inner();
                let name = self.ident(it.next().expect("fn"));
                let mut args = Vec::new();
                for a in it {
                    let parts: Vec<Pair<Rule>> = a.into_inner().collect();
                    match parts.len() {
                        2 => args.push((Some(self.ident(parts[0].clone())), self.expr(parts[1].clone())?)),
                        _ => args.push((None, self.expr(parts[0].clone())?)),
                    }
                }
                Expr::Call(name, args, span)
            }
            Rule::list => Expr::List(p.into_inner().map(|x| self.expr(x)).collect::<R<_>>()?, span),
            Rule::string => Expr::Literal(Literal::Str(self.string(p)?.value), span),
            Rule::number => Expr::Literal(Literal::Num(self.number(p)?), span),
            Rule::boolean => Expr::Literal(Literal::Bool(p.as_str() == "true"), span),
            Rule::cond_expr => {
                let parts: Vec<Expr> =
                    p.into_inner().filter(|x| x.as_rule() == Rule::expr).map(|x| self.expr(x)).collect::<R<_>>()?;
                let [c, a, b]: [Expr; 3] = parts.try_into().map_err(|_| Diagnostic::error(span, "malformed `if`"))?;
                Expr::If(Box::new([c, a, b]), span)
            }
            Rule::coalesce | Rule::sum_expr | Rule::prod_expr => {
                // `??` is not a pair of its own: a coalesce's pairs are all operands.
                let coalesce = p.as_rule() == Rule::coalesce;
                let mut it = p.into_inner().peekable();
                let mut acc = self.expr(it.next().expect("operand"))?;
                let mut operands = 1;
                while it.peek().is_some() {
                    operands += 1;
                    if operands > MAX_OPERANDS {
                        return Err(Diagnostic::error(span, format!("more than {MAX_OPERANDS} operands in a row"))
                            .hint("split the expression, or use a lexicon feature for long sums"));
                    }
                    let op = if coalesce {
                        BinOp::Coalesce
                    } else {
                        match it.next().expect("operator").as_str() {
                            "++" => BinOp::Concat,
                            "+" => BinOp::Add,
                            "-" => BinOp::Sub,
                            "*" => BinOp::Mul,
                            _ => BinOp::Div,
                        }
                    };
                    let rhs = self.expr(it.next().expect("operand"))?;
                    let s = acc.span().to(rhs.span());
                    acc = Expr::Binary(Box::new(acc), op, Box::new(rhs), s);
                }
                acc
            }
            Rule::neg_expr => {
                let parts: Vec<Pair<Rule>> = p.into_inner().collect();
                let (negs, value) = parts.split_at(parts.len() - 1);
                let mut e = self.expr(value[0].clone())?;
                for _ in negs {
                    e = Expr::Neg(Box::new(e), span);
                }
                e
            }
            Rule::path => Expr::Path(p.into_inner().map(|x| self.ident(x)).collect(), span),
            r => unreachable!("expr {r:?}"),
        })
    }
}

fn cmp_op(s: &str) -> CmpOp {
    match s {
        "!=" => CmpOp::Ne,
        "<" => CmpOp::Lt,
        "<=" => CmpOp::Le,
        ">" => CmpOp::Gt,
        ">=" => CmpOp::Ge,
        _ => CmpOp::Eq,
    }
}

fn unescape(s: &str) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('\\') => out.push('\\'),
            Some('"') => out.push('"'),
            Some('u') => {
                let rest: String = chars.clone().collect();
                let Some(body) = rest.strip_prefix('{').and_then(|r| r.split_once('}')).map(|(b, _)| b.to_string())
                else {
                    return Err("a `\\u` escape is written `\\u{XXXX}`".into());
                };
                let ch = u32::from_str_radix(&body, 16)
                    .ok()
                    .and_then(char::from_u32)
                    .ok_or_else(|| format!("`\\u{{{body}}}` is not a Unicode character"))?;
                out.push(ch);
                for _ in 0..body.len() + 2 {
                    chars.next();
                }
            }
            Some(other) => return Err(format!("unknown escape `\\{other}` in a string")),
            None => return Err("a string ends with a lone backslash".into()),
        }
    }
    Ok(out)
}

/// What a [`Leaf`] of the parse is, as far as the layout of a rule file cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeafKind {
    /// A reference to a name, its constraints included (`Person(name)`).
    Reference,
    /// A capture's name before its `:`.
    Capture,
    /// A plain name (a function's name before its arguments, among others).
    Ident,
    /// `before` or `after`.
    Context,
    /// A quantifier after an element (`?`, `{1,3}`).
    Quantifier,
    /// A unary minus.
    Neg,
    /// Anything else: keywords, strings, literals, regexes, numbers, operators.
    Other,
}

/// A token of a rule file that the parse produced, by its byte range; the text between leaves
/// is whitespace, comments, punctuation and bare words of the grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Leaf {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
    /// What it is.
    pub kind: LeafKind,
}

/// The leaves of a rule file's parse, in order: the tokens whose insides the layout keeps as
/// written (strings, literals, regexes, references with their constraints, quantifiers, gaps,
/// qualified names) and every other pair without inner pairs. `None` on a syntax error.
pub fn leaves(text: &str) -> Option<Vec<Leaf>> {
    let pairs = TrawlParser::parse(Rule::file, text).ok()?;
    let mut out = Vec::new();
    for pair in pairs {
        collect_leaves(pair, &mut out);
    }
    Some(out)
}

fn collect_leaves(pair: Pair<Rule>, out: &mut Vec<Leaf>) {
    let whole = matches!(
        pair.as_rule(),
        Rule::string
            | Rule::literal
            | Rule::regex
            | Rule::gap
            | Rule::quantifier
            | Rule::reference
            | Rule::path
            | Rule::qname
            | Rule::pack_name
    );
    let kind = match pair.as_rule() {
        Rule::reference => LeafKind::Reference,
        Rule::capture => LeafKind::Capture,
        Rule::ident => LeafKind::Ident,
        Rule::kw_before | Rule::kw_after => LeafKind::Context,
        Rule::quantifier => LeafKind::Quantifier,
        Rule::neg => LeafKind::Neg,
        _ => LeafKind::Other,
    };
    let span = pair.as_span();
    let mut inner = pair.into_inner().peekable();
    if whole || inner.peek().is_none() {
        // A pair without inner pairs is one word or symbol, but its span may run on over the
        // whitespace and comments pest skipped looking for an optional part that was not there.
        let text = span.as_str();
        let len =
            if whole { text.len() } else { text.find(|c: char| c.is_whitespace() || c == '#').unwrap_or(text.len()) };
        if len > 0 {
            out.push(Leaf { start: span.start(), end: span.start() + len, kind });
        }
        return;
    }
    for p in inner {
        collect_leaves(p, out);
    }
}
