//! The linear step bound that `document` and `generated` assert (fuzz/README.md): for each rule,
//! 16 × (its instructions + every context's instructions and mirror) × (tokens + 2), plus
//! 8 × (rules + 1) × (annotations + tokens + 2) for conflicts, vetoes and derived names.

pub fn steps(rules: &trawl::Rules, tokens: usize, annotations: usize) -> u64 {
    let p = &rules.program;
    let contexts: usize = p.contexts.iter().map(|c| c.insts.len() + c.mirror.as_ref().map_or(0, Vec::len)).sum();
    let insts: usize = p.rules.iter().map(|r| r.insts.len() + contexts).sum();
    let n = tokens as u64 + 2;
    16 * insts as u64 * n + 8 * (p.rules.len() as u64 + 1) * (annotations as u64 + n)
}
