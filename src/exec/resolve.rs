//! Conflict resolution: the candidates of one label in, the kept ones out.

use super::{Annotation, LabelState, Origin};
use crate::check::hir::LabelId;
use crate::compile::Program;
use crate::text::Document;
use std::cmp::Reverse;

/// The order of the candidates: higher priority, longer, earlier, rule defined first, made first.
pub(super) type OrderKey = (Reverse<i64>, Reverse<u32>, u32, u32, u32);

/// Resolves the conflicts of one label, if anything changed since last time;
/// returns the work done (candidates looked at), for the step count.
///
/// Among overlapping annotations of the label, one is kept by this total
/// order: higher `priority` first, then the longer (in characters), then the
/// one starting first, then the rule defined first, then the one made first.
/// Vetoed annotations are dropped; annotations of `keep all` rules and lexicon
/// hits are always kept and block nothing.
pub(super) fn resolve(
    prog: &Program,
    doc: &Document,
    anns: &mut [Annotation],
    st: &mut LabelState,
    label: LabelId,
    n: usize,
) -> u64 {
    if !st.dirty {
        return 0;
    }
    st.dirty = false;
    // The candidates in order, kept from the last resolution of this label: only the new ones
    // are sorted, then merged in (a label read by many rules is resolved again after each).
    // The keys sit side by side (sorting ids by keys read through the annotations was most of
    // the cost of a label with many candidates); the id last makes every key distinct.
    let mut fresh: Vec<OrderKey> =
        st.candidates[st.ordered..].iter().map(|&i| order_key(doc, &anns[i as usize], i)).collect();
    st.ordered = st.candidates.len();
    fresh.sort_unstable();
    if st.order.is_empty() {
        st.order = fresh;
    } else if !fresh.is_empty() {
        let old = std::mem::take(&mut st.order);
        st.order.reserve(old.len() + fresh.len());
        let (mut a, mut b) = (old.into_iter().peekable(), fresh.into_iter().peekable());
        while let (Some(x), Some(y)) = (a.peek(), b.peek()) {
            let next = if x <= y { a.next() } else { b.next() };
            st.order.extend(next);
        }
        st.order.extend(a.chain(b));
    }
    let order: Vec<u32> = st.order.iter().map(|k| k.4).filter(|&i| !anns[i as usize].vetoed).collect();
    // What kept annotations cover: a few spans compared one by one, or a flag per token when
    // there are many (a flag per token for every label of every document costs more than it saves).
    let blocking = order.iter().filter(|&&id| !anns[id as usize].keep_all).count();
    let mut taken_tokens = if blocking > 32 { vec![false; n] } else { Vec::new() };
    let mut taken_spans: Vec<(u32, u32)> = Vec::new();
    let mut kept = Vec::with_capacity(order.len());
    for id in order {
        let a = &anns[id as usize];
        if a.keep_all {
            kept.push(id);
            continue;
        }
        if taken_tokens.is_empty() {
            if taken_spans.iter().any(|&(s, e)| s < a.end && a.start < e) {
                continue;
            }
            taken_spans.push((a.start, a.end));
        } else {
            let span = a.start as usize..a.end as usize;
            if taken_tokens[span.clone()].iter().any(|&t| t) {
                continue;
            }
            taken_tokens[span].fill(true);
        }
        kept.push(id);
    }
    // Identical spans from different sources (two lexicon entries, say) are all kept. By start,
    // longest first (`!end`), then by end.
    let mut by: Vec<(u32, u32, u32)> =
        kept.iter().map(|&i| (anns[i as usize].start, !anns[i as usize].end, i)).collect();
    by.sort_unstable();
    kept.clear();
    kept.extend(by.iter().map(|k| k.2));
    by.iter_mut().for_each(|k| *k = (anns[k.2 as usize].end, anns[k.2 as usize].start, k.2));
    by.sort_unstable();
    st.kept_by_end.clear();
    st.kept_by_end.extend(by.iter().map(|k| k.2));
    if prog.uses_covered.contains(&label) {
        st.covered.clear();
        st.covered.resize(n.div_ceil(64), 0);
        for &i in &kept {
            let a = &anns[i as usize];
            for t in a.start as usize..a.end as usize {
                st.covered[t / 64] |= 1 << (t % 64);
            }
        }
    }
    st.kept = kept;
    st.candidates.len() as u64
}

/// An annotation's place in the order above (`id` last: every key is distinct).
fn order_key(doc: &Document, a: &Annotation, id: u32) -> OrderKey {
    let chars = doc.tokens[a.end as usize - 1].char_end - doc.tokens[a.start as usize].char_start;
    let rule = match a.origin {
        Origin::Rule { rule, .. } => rule.0,
        _ => 0,
    };
    (Reverse(a.priority), Reverse(chars), a.start, rule, id)
}

/// Which criterion of the order above puts `w` before `a`: `priority`, `longer`, `earlier`,
/// `rule defined first` or `made first`.
pub(super) fn why_first(doc: &Document, w: &Annotation, a: &Annotation) -> &'static str {
    let (x, y) = (order_key(doc, w, 0), order_key(doc, a, 0));
    if x.0 != y.0 {
        "priority"
    } else if x.1 != y.1 {
        "longer"
    } else if x.2 != y.2 {
        "earlier"
    } else if x.3 != y.3 {
        "rule defined first"
    } else {
        "made first"
    }
}
