//! The cascade: which rule runs after which. A rule that reads a label runs
//! after every rule that emits or vetoes it; a derived lexicon is built from
//! the rules that do not depend on it; a cycle is an error naming its rules.

use super::*;

impl Checker<'_, '_> {
    /// Orders the cascade; reports dependency cycles.
    pub(super) fn order(&mut self) -> Vec<Step> {
        // Nodes: rules, then derived lexicons.
        let nr = self.rules.len();
        let derived: Vec<LexiconId> = (0..self.lexicons.len())
            .filter(|&i| self.lexicons[i].derived.is_some())
            .map(|i| LexiconId(i as u32))
            .collect();
        let n = nr + derived.len();
        let step = |i: usize| {
            if i < nr {
                Step::Rule(RuleId(i as u32))
            } else {
                Step::Derive(derived[i - nr])
            }
        };
        let nl = self.labels.len();
        let mut emitters = vec![vec![]; nl];
        let mut vetoers = vec![vec![]; nl];
        let mut readers = vec![vec![]; nl];
        for (i, r) in self.rules.iter().enumerate() {
            for e in &r.emits {
                emitters[e.label.0 as usize].push(i);
            }
            for v in &r.vetoes {
                vetoers[v.0 as usize].push(i);
            }
            for l in &r.reads {
                readers[l.0 as usize].push(i);
            }
        }
        for (k, lex) in derived.iter().enumerate() {
            let d = self.lexicons[lex.0 as usize].derived.as_ref().expect("derived");
            readers[d.label.0 as usize].push(nr + k);
            emitters[self.lexicons[lex.0 as usize].label.0 as usize].push(nr + k);
        }
        // Edges a -> b: a runs before b.
        let mut edges: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); n];
        let mut derived_in: Vec<(usize, usize)> = vec![]; // (emitter, derived node), added after reachability
        for l in 0..nl {
            for &r in &readers[l] {
                let is_derived_reader = r >= nr;
                let own_veto = vetoers[l].contains(&r);
                for &e in &emitters[l] {
                    if is_derived_reader {
                        derived_in.push((e, r));
                    } else if !own_veto || e != r {
                        edges[e].insert(r);
                    }
                }
                if !own_veto {
                    for &v in &vetoers[l] {
                        if is_derived_reader {
                            derived_in.push((v, r));
                        } else {
                            edges[v].insert(r);
                        }
                    }
                }
            }
            for &v in &vetoers[l] {
                for &e in &emitters[l] {
                    if e != v {
                        edges[e].insert(v);
                    }
                }
            }
        }
        // A derived lexicon is built from the annotations of rules that do not depend on it.
        for (e, d) in derived_in {
            if !reaches(&edges, d, e) {
                edges[e].insert(d);
            }
        }
        // Kahn's algorithm, always taking the earliest ready node (stable order).
        let mut indeg = vec![0usize; n];
        for es in &edges {
            for &b in es {
                indeg[b] += 1;
            }
        }
        let mut ready: BTreeSet<usize> = (0..n).filter(|&i| indeg[i] == 0).collect();
        let mut order = Vec::with_capacity(n);
        while let Some(&a) = ready.iter().next() {
            ready.remove(&a);
            order.push(step(a));
            for &b in &edges[a] {
                indeg[b] -= 1;
                if indeg[b] == 0 {
                    ready.insert(b);
                }
            }
        }
        if order.len() < n {
            let stuck: Vec<usize> = (0..n).filter(|&i| indeg[i] > 0).collect();
            let cycle = find_cycle(&edges, &stuck);
            let name = |i: usize| {
                if i < nr {
                    self.rules[i].name.clone()
                } else {
                    format!("lexicon {}", self.lexicons[derived[i - nr].0 as usize].name)
                }
            };
            let names: Vec<String> = cycle.iter().map(|&i| name(i)).chain(cycle.first().map(|&i| name(i))).collect();
            let first = cycle[0];
            let span =
                if first < nr { self.rules[first].span } else { self.lexicons[derived[first - nr].0 as usize].span };
            let span = self.head(span);
            let mut d =
                Diagnostic::error(span, format!("rules depend on each other in a cycle: {}", names.join(" → ")));
            for &i in &cycle[1..] {
                if i < nr {
                    d = d.label(self.head(self.rules[i].span), "part of the cycle");
                }
            }
            d = d.hint(
                "a rule that reads a label runs after every rule that emits it; emit a new label to break the cycle",
            );
            self.diags.push(d);
        }
        order
    }
}

fn reaches(edges: &[BTreeSet<usize>], from: usize, to: usize) -> bool {
    let mut seen = vec![false; edges.len()];
    let mut stack = vec![from];
    while let Some(a) = stack.pop() {
        if a == to {
            return true;
        }
        if std::mem::replace(&mut seen[a], true) {
            continue;
        }
        stack.extend(edges[a].iter().copied());
    }
    false
}

fn find_cycle(edges: &[BTreeSet<usize>], stuck: &[usize]) -> Vec<usize> {
    let in_stuck = |i: usize| stuck.binary_search(&i).is_ok();
    // Walk from the first stuck node that lies on a cycle (others only wait for one) along
    // stuck successors until a node repeats.
    let on_cycle = |i: &&usize| edges[**i].iter().any(|&b| reaches(edges, b, **i));
    let mut path = vec![*stuck.iter().find(on_cycle).unwrap_or(&stuck[0])];
    loop {
        let a = *path.last().expect("nonempty");
        let Some(&b) = edges[a].iter().find(|&&b| in_stuck(b) && reaches(edges, b, a)) else {
            return path;
        };
        if let Some(pos) = path.iter().position(|&x| x == b) {
            return path[pos..].to_vec();
        }
        path.push(b);
    }
}
