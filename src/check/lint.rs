//! Lint: warnings about rule sets that work but are probably wrong. A rule
//! without examples; a lexicon or named pattern nothing uses; duplicate
//! lexicon entries; a rule that can never have an effect (another rule with
//! the same pattern always wins its conflicts, or it emits only internal
//! labels that nothing reads). Unbounded gaps in `scope document` and
//! regexes that match the empty string are reported while rules are checked.

use super::*;

impl Checker<'_, '_> {
    pub(super) fn lint(&mut self) {
        self.rules_without_examples();
        self.unused_definitions();
        self.duplicate_entries();
        self.rules_without_effect();
    }

    /// Whether warnings about what a pack defines concern this check: the pack is one of those
    /// given (not only used by them).
    fn linted(&self, pack: PackId) -> bool {
        self.packs.get(pack.0 as usize).is_none_or(|p| p.own)
    }

    /// Whether a definition of the pack may go unused here: some other pack uses the pack,
    /// or it is not one of those given.
    fn library(&self, pack: PackId) -> bool {
        !self.linted(pack)
            || self.packs.iter().enumerate().any(|(i, p)| i != pack.0 as usize && p.uses.iter().any(|u| u.pack == pack))
    }

    fn rules_without_examples(&mut self) {
        let heads: Vec<(Span, String)> = self
            .rules
            .iter()
            .filter(|r| r.examples.is_empty() && self.linted(r.pack))
            .map(|r| (self.head(r.span), r.name.clone()))
            .collect();
        for (span, name) in heads {
            self.warn(span, format!("rule `{name}` has no examples"))
                .hints
                .push("add `example \"...\" => Label \"span\" { field: value }` (and a `counterexample`)".into());
        }
    }

    fn read_labels(&self) -> BTreeSet<LabelId> {
        let mut read: BTreeSet<LabelId> = self.rules.iter().flat_map(|r| r.reads.iter().copied()).collect();
        read.extend(self.lexicons.iter().filter_map(|l| l.derived.as_ref().map(|d| d.label)));
        read
    }

    fn unused_definitions(&mut self) {
        let read = self.read_labels();
        let unused: Vec<(Span, String)> = self
            .lexicons
            .iter()
            .filter(|l| !read.contains(&l.label) && !self.library(self.pack_of(l.span.file)))
            .map(|l| (l.name_span, format!("lexicon `{}` is never used", l.name)))
            .collect();
        for (span, msg) in unused {
            self.warn(span, msg);
        }
        let mut patterns: Vec<(Span, String)> = self
            .defs
            .iter()
            .filter_map(|(key, def)| match def {
                Def::Pattern(p) if !self.used_patterns.contains(key) && !self.library(key.0) => {
                    Some((p.name.span, format!("named pattern `{}` is never used", key.1)))
                }
                _ => None,
            })
            .collect();
        patterns.sort_by_key(|(s, _)| (s.file, s.start));
        for (span, msg) in patterns {
            self.warn(span, msg);
        }
    }

    fn duplicate_entries(&mut self) {
        let mut dups = vec![];
        for lex in self.lexicons.iter().filter(|l| self.linted(self.pack_of(l.span.file))) {
            let mut seen: FxHashMap<String, Span> = FxHashMap::default();
            for e in &lex.entries {
                let folds = match lex.case {
                    CasePolicy::Exact => false,
                    CasePolicy::Ignore { above: None } => true,
                    CasePolicy::Ignore { above: Some(n) } => e.text.chars().count() > n as usize,
                };
                let mut key = e.keys.join("\u{1}");
                if folds {
                    key = key.to_lowercase();
                }
                match seen.get(&key) {
                    Some(first) => dups.push((e.span, *first, e.text.clone(), lex.name.clone())),
                    None => {
                        seen.insert(key, e.span);
                    }
                }
            }
        }
        for (span, first, text, lex) in dups {
            let d = self.warn(span, format!("`{text}` is in lexicon `{lex}` twice"));
            d.labels.push((first, "first here".into()));
        }
    }

    fn rules_without_effect(&mut self) {
        let read = self.read_labels();
        let mut found = vec![];
        // Rules with the same pattern (captures aside), grouped once: comparing every pair is quadratic.
        let mut same: FxHashMap<String, Vec<usize>> = FxHashMap::default();
        for (i, r) in self.rules.iter().enumerate() {
            same.entry(format!("{:?}", strip_captures(&r.pattern))).or_default().push(i);
        }
        let mut twins = vec![vec![]; self.rules.len()];
        for group in same.values().filter(|g| g.len() > 1) {
            for &i in group {
                twins[i] = group.clone();
            }
        }
        for (ri, r) in self.rules.iter().enumerate().filter(|(_, r)| self.linted(r.pack)) {
            let dead = !r.emits.is_empty()
                && r.vetoes.is_empty()
                && r.emits.iter().all(|e| !self.labels[e.label.0 as usize].output && !read.contains(&e.label));
            if dead {
                let labels: Vec<&str> = r.emits.iter().map(|e| self.labels[e.label.0 as usize].name.as_str()).collect();
                found.push((
                    self.head(r.span),
                    format!(
                        "rule `{}` has no effect: no rule reads `{}`, and internal labels are not output",
                        r.name,
                        labels.join("`, `")
                    ),
                    None,
                ));
                continue;
            }
            if let Some(&winner) = twins[ri].iter().find(|&&w| shadows(&self.rules[w], r)) {
                let w = &self.rules[winner];
                found.push((
                    self.head(r.span),
                    format!(
                        "rule `{}` can never fire: rule `{}` matches the same and wins every conflict",
                        r.name, w.name
                    ),
                    Some(self.head(w.span)),
                ));
            }
        }
        for (span, msg, other) in found {
            let d = self.warn(span, msg);
            if let Some(o) = other {
                d.labels.push((o, "this rule wins".into()));
            }
        }
    }
}

/// Whether rule `w` always wins over rule `r`: the same pattern (captures
/// aside), no condition on `w`, the same labels emitted over the whole match,
/// and `w` first in the conflict order (higher priority, or the same and
/// defined first).
fn shadows(w: &Rule, r: &Rule) -> bool {
    if std::ptr::eq(w, r) || w.keep_all || r.keep_all || !w.conditions.is_empty() || !r.vetoes.is_empty() {
        return false;
    }
    let whole = |rule: &Rule| rule.emits.iter().all(|e| e.at.is_none());
    let labels = |rule: &Rule| rule.emits.iter().map(|e| e.label).collect::<BTreeSet<_>>();
    let wins = w.priority > r.priority
        || (w.priority == r.priority && (w.span.file, w.span.start) < (r.span.file, r.span.start));
    // (The patterns are known to be the same: the caller groups rules by pattern.)
    wins && whole(w) && whole(r) && !r.emits.is_empty() && labels(r).is_subset(&labels(w))
}

fn strip_captures(p: &Pat) -> Pat {
    match p {
        Pat::Capture(_, inner) => strip_captures(inner),
        Pat::Seq(items) => Pat::Seq(items.iter().map(strip_captures).collect()),
        Pat::Alt(items) => Pat::Alt(items.iter().map(strip_captures).collect()),
        Pat::Repeat { inner, min, max, lazy } => {
            Pat::Repeat { inner: Box::new(strip_captures(inner)), min: *min, max: *max, lazy: *lazy }
        }
        Pat::Context { negated, after, inner } => {
            Pat::Context { negated: *negated, after: *after, inner: Box::new(strip_captures(inner)) }
        }
        other => other.clone(),
    }
}
