//! A cheap first test for token regexes: the bytes a match can start with.
//!
//! Calling a regex costs far more than looking at one byte, and most tokens
//! fail most regexes at once. For a regex anchored at the start of the token
//! (`^...`), the set of bytes its match can begin with is computed from its
//! syntax tree; a token whose first byte is not in the set cannot match, and
//! the regex is not called. Regexes whose first bytes cannot be worked out
//! (not anchored, or starting with something optional) get no prefilter.

use regex_syntax::hir::{Class, Hir, HirKind, Look};

/// Which first bytes can begin a match, or `None` when any can.
pub fn first_bytes(source: &str, fold: bool) -> Option<Box<[bool; 256]>> {
    let hir = regex_syntax::ParserBuilder::new().case_insensitive(fold).build().parse(source).ok()?;
    let mut set = Box::new([false; 256]);
    anchored(&hir, &mut set).then_some(set)
}

/// Adds the first bytes of a start-anchored regex (`^...`, or alternatives
/// that all are); false when it is not anchored or can match empty.
fn anchored(h: &Hir, set: &mut [bool; 256]) -> bool {
    match h.kind() {
        HirKind::Concat(items) => match items.split_first() {
            // The rest must consume something: an empty match at the token start needs no byte.
            Some((first, rest)) if matches!(first.kind(), HirKind::Look(Look::Start)) => seq(rest, set) == Some(true),
            _ => false,
        },
        HirKind::Alternation(alts) => alts.iter().all(|a| anchored(a, set)),
        HirKind::Capture(c) => anchored(&c.sub, set),
        _ => false,
    }
}

/// Adds the first bytes of a sequence; `Some(true)` when it cannot match
/// empty, `Some(false)` when it can, `None` when unknown.
fn seq(items: &[Hir], set: &mut [bool; 256]) -> Option<bool> {
    for h in items {
        if fill(h, set)? {
            return Some(true);
        }
    }
    Some(false)
}

/// Adds the possible first bytes of `h`; `Some(true)` when `h` cannot match
/// empty, `Some(false)` when it can, `None` when unknown.
fn fill(h: &Hir, set: &mut [bool; 256]) -> Option<bool> {
    match h.kind() {
        HirKind::Empty | HirKind::Look(_) => Some(false),
        HirKind::Literal(lit) => {
            set[lit.0[0] as usize] = true;
            Some(true)
        }
        HirKind::Class(Class::Bytes(c)) => {
            for r in c.iter() {
                for b in r.start()..=r.end() {
                    set[b as usize] = true;
                }
            }
            Some(true)
        }
        HirKind::Class(Class::Unicode(c)) => {
            for r in c.iter() {
                let (s, e) = (r.start() as u32, r.end() as u32);
                // ASCII members exactly; any non-ASCII member admits every lead byte.
                for b in s..=e.min(0x7f) {
                    set[b as usize] = true;
                }
                if e >= 0x80 {
                    set[0xc2..=0xf4].fill(true);
                }
            }
            Some(true)
        }
        HirKind::Capture(c) => fill(&c.sub, set),
        HirKind::Repetition(r) => Some(fill(&r.sub, set)? && r.min >= 1),
        HirKind::Alternation(alts) => {
            let mut all = true;
            for a in alts {
                all &= fill(a, set)?;
            }
            Some(all)
        }
        HirKind::Concat(items) => seq(items, set),
    }
}

#[cfg(test)]
mod tests {
    use super::first_bytes;

    #[test]
    fn anchored_regexes_get_their_first_bytes() {
        let f = first_bytes(r"^\d{4}$", false).expect("prefilter");
        assert!(f[b'1' as usize] && !f[b'a' as usize] && f[0xd9]);
        let f = first_bytes(r"^(0?[1-9]|[12]\d|3[01])(st|nd)?$", false).expect("prefilter");
        assert!(f[b'0' as usize] && f[b'3' as usize] && !f[b'x' as usize]);
        let f = first_bytes(r"^may$", true).expect("prefilter");
        assert!(f[b'm' as usize] && f[b'M' as usize] && !f[b'a' as usize]);
        assert!(first_bytes(r"\d", false).is_none());
        let f = first_bytes(r"^x?y", false).expect("prefilter");
        assert!(f[b'x' as usize] && f[b'y' as usize] && !f[b'z' as usize]);
        assert!(first_bytes(r"^x?", false).is_none());
        let f = first_bytes(r"^[0-9]{1,3}(,[0-9]{3})*$|^[0-9]+(\.[0-9]+)?$", false).expect("prefilter");
        assert!(f[b'7' as usize] && !f[b'x' as usize]);
        assert!(first_bytes(r"^a|b", false).is_none());
        assert!(first_bytes(r"^", false).is_none());
    }
}
