//! Reading numbers from text: `num(x)` and `int(x)`.
//!
//! In: the text of a span. Out: an exact decimal ([`Decimal`], 28 significant
//! digits), or `None` when the text is not one number (or does not fit: never
//! a rounded or wrapped value, except that a fraction such as `⅓` keeps 28
//! digits).
//!
//! What is read (`docs/LANGUAGE.md` §7 has the table):
//! - digits with group separators and a decimal point in the common
//!   conventions: `1,234.5`, `1.234,5`, `1 234,5` (any space, the no-break and
//!   thin ones included), `1'234`, `1_234`, Indian `1,00,000`; one `,` or `.`
//!   alone is read the English way (`1,234` is 1234, `1.5` is 1.5) unless it
//!   cannot be a group separator (`1,5` is 1.5);
//! - a sign (`-`, `+`, `−`, `minus`, `negative`), ordinals (`21st`,
//!   `twenty-first`), fractions (`½`, `1½`, `3/4`, `1 1/2`);
//! - English number words up to the trillions, digits and words mixed:
//!   `two hundred thousand`, `a dozen`, `one and a half`, `half a million`,
//!   `three point five`, `1.2 million`, `twice`.

use rust_decimal::Decimal;

/// The number a text says, or `None`.
pub fn parse_number(text: &str) -> Option<Decimal> {
    let t = text.trim();
    let (negative, rest) = sign(t);
    let n = digits(rest).or_else(|| words(rest))?;
    Some(if negative { -n } else { n })
}

/// An integer the text says (`None` for `1.5`); `None` too past 64 bits.
pub fn parse_int(text: &str) -> Option<i64> {
    let n = parse_number(text)?;
    if n.fract().is_zero() {
        i64::try_from(n).ok()
    } else {
        None
    }
}

fn sign(t: &str) -> (bool, &str) {
    for (prefix, neg) in [("-", true), ("−", true), ("+", false), ("minus ", true), ("negative ", true)] {
        if let Some(rest) = t.strip_prefix(prefix) {
            return (neg, rest.trim_start());
        }
    }
    (false, t)
}

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}' | '\u{2007}')
}

/// Digits with separators, an optional ordinal suffix and an optional fraction (`1½`, `3/4`).
fn digits(t: &str) -> Option<Decimal> {
    let t = ["st", "nd", "rd", "th"].iter().find_map(|s| t.strip_suffix(s)).unwrap_or(t);
    if let Some((whole, frac)) = split_vulgar(t) {
        let w = if whole.is_empty() { Decimal::ZERO } else { plain(whole.trim_end_matches([' ', '-']))? };
        return w.checked_add(frac);
    }
    if let Some((a, b)) = t.split_once('/') {
        // `3/4`, or a mixed `1 1/2` / `1-1/2`.
        let (whole, num) = match a.rsplit_once([' ', '-']) {
            Some((w, n)) => (plain(w)?, n),
            None => (Decimal::ZERO, a),
        };
        let (n, d) = (int_digits(num)?, int_digits(b)?);
        if d.is_zero() {
            return None;
        }
        return whole.checked_add(n.checked_div(d)?);
    }
    plain(t)
}

fn int_digits(t: &str) -> Option<Decimal> {
    if t.is_empty() || t.len() > 28 || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Decimal::from_str_exact(t).ok()
}

/// The vulgar fraction a text ends with, and what comes before it.
fn split_vulgar(t: &str) -> Option<(&str, Decimal)> {
    let c = t.chars().last()?;
    let (n, d) = match c {
        '½' => (1, 2),
        '⅓' => (1, 3),
        '⅔' => (2, 3),
        '¼' => (1, 4),
        '¾' => (3, 4),
        '⅕' => (1, 5),
        '⅖' => (2, 5),
        '⅗' => (3, 5),
        '⅘' => (4, 5),
        '⅙' => (1, 6),
        '⅚' => (5, 6),
        '⅛' => (1, 8),
        '⅜' => (3, 8),
        '⅝' => (5, 8),
        '⅞' => (7, 8),
        _ => return None,
    };
    Some((&t[..t.len() - c.len_utf8()], Decimal::from(n) / Decimal::from(d)))
}

/// A number in digits: groups and one decimal separator, nothing else.
fn plain(t: &str) -> Option<Decimal> {
    if t.is_empty() || !t.starts_with(|c: char| c.is_ascii_digit() || c == '.' || c == ',') {
        return None;
    }
    if !t.chars().all(|c| c.is_ascii_digit() || matches!(c, ',' | '.' | '\'' | '’' | '_') || is_space(c)) {
        return None;
    }
    let commas = t.matches(',').count();
    let dots = t.matches('.').count();
    let spaced = t.contains(|c: char| is_space(c) || c == '\'' || c == '’' || c == '_');
    // Which character separates the decimals, if any.
    let decimal = match (commas, dots) {
        (0, 0) => None,
        (_, 0) if commas > 1 => None,
        (0, _) if dots > 1 => None,
        (1, 0) => {
            // `1,234` groups; `1,5` and `1 234,5` have a decimal comma.
            let after = t.len() - t.find(',')? - 1;
            if spaced || after != 3 {
                Some(',')
            } else {
                None
            }
        }
        (0, 1) => Some('.'),
        _ => {
            // Both: the last one written separates the decimals, and occurs once.
            let (lc, ld) = (t.rfind(',')?, t.rfind('.')?);
            let d = if lc > ld { ',' } else { '.' };
            if t.matches(d).count() != 1 {
                return None;
            }
            Some(d)
        }
    };
    let (int_part, frac_part) = match decimal {
        Some(d) => {
            let (a, b) = t.split_once(d)?;
            (a, Some(b))
        }
        None => (t, None),
    };
    let mut out = String::new();
    if !groups(int_part, &mut out) {
        return None;
    }
    if let Some(f) = frac_part {
        if f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        out.push('.');
        out.push_str(f);
    }
    if out.is_empty() || out.starts_with('.') {
        out.insert(0, '0');
    }
    Decimal::from_str_exact(&out).ok()
}

/// Appends the digits of an integer part written with group separators (any of them, one kind),
/// checking the groups: three digits after the first, or the Indian 2-2-3 with commas.
fn groups(t: &str, out: &mut String) -> bool {
    if t.is_empty() {
        return true;
    }
    let parts: Vec<&str> = t.split(|c: char| !c.is_ascii_digit()).collect();
    if parts.len() == 1 {
        out.push_str(t);
        return true;
    }
    let seps: Vec<char> = t.chars().filter(|c| !c.is_ascii_digit()).collect();
    if seps.iter().any(|&c| c != seps[0] && !(is_space(c) && is_space(seps[0]))) {
        return false;
    }
    let (first, rest) = (parts[0], &parts[1..]);
    let last = rest[rest.len() - 1];
    let western = (1..=3).contains(&first.len()) && rest.iter().all(|p| p.len() == 3);
    let indian = seps[0] == ','
        && (1..=2).contains(&first.len())
        && last.len() == 3
        && rest[..rest.len() - 1].iter().all(|p| p.len() == 2);
    if !western && !indian {
        return false;
    }
    parts.iter().for_each(|p| out.push_str(p));
    true
}

/// What a number word is.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Start,
    Unit,
    Teen,
    Ten,
    Hundred,
    Scale(u32),
    Digits,
    Fraction,
}

fn small(w: &str) -> Option<(u32, Kind)> {
    const UNITS: [&str; 10] = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];
    const UNIT_ORD: [&str; 10] =
        ["zeroth", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth"];
    const TEENS: [&str; 10] =
        ["ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"];
    const TENS: [&str; 8] = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];
    let ord_of = |w: &str| -> Option<String> {
        // tenth, eleventh, twentieth, ...
        w.strip_suffix("ieth").map(|s| format!("{s}y")).or_else(|| w.strip_suffix("th").map(|s| s.to_string()))
    };
    if let Some(i) = UNITS.iter().position(|u| *u == w).or_else(|| UNIT_ORD.iter().position(|u| *u == w)) {
        return Some((i as u32, Kind::Unit));
    }
    let base = match w {
        "twelfth" => Some("twelve".to_string()),
        "eighth" => Some("eight".to_string()),
        _ => None,
    };
    let cand = [Some(w.to_string()), base, ord_of(w)];
    for c in cand.iter().flatten() {
        if let Some(i) = TEENS.iter().position(|t| t == c) {
            return Some((10 + i as u32, Kind::Teen));
        }
        if let Some(i) = TENS.iter().position(|t| t == c) {
            return Some((20 + 10 * i as u32, Kind::Ten));
        }
    }
    Some(match w {
        "once" => (1, Kind::Unit),
        "twice" => (2, Kind::Unit),
        "thrice" => (3, Kind::Unit),
        _ => return None,
    })
}

fn scale(w: &str) -> Option<u32> {
    Some(match w.strip_suffix("th").unwrap_or(w) {
        "thousand" => 3,
        "million" => 6,
        "billion" => 9,
        "trillion" => 12,
        _ => return None,
    })
}

/// English number words, digits mixed in (`1.2 million`, `20 thousand`).
fn words(t: &str) -> Option<Decimal> {
    let lower = t.to_lowercase();
    let mut total = Decimal::ZERO;
    let mut current = Decimal::ZERO;
    let mut last = Kind::Start;
    let mut last_scale = u32::MAX;
    let mut pending_a = false;
    let mut after_and = false;
    let mut point: Option<u32> = None;
    let mut any = false;
    let half = Decimal::new(5, 1);
    let quarter = Decimal::new(25, 2);
    for w in lower.split(|c: char| is_space(c) || c == '-' || c.is_whitespace()).filter(|w| !w.is_empty()) {
        if let Some(places) = point.as_mut() {
            // `three point one four`: each word one decimal digit.
            let (d, Kind::Unit) = small(w)? else { return None };
            *places += 1;
            current = current.checked_add(Decimal::from(d).checked_div(Decimal::from(10u64.checked_pow(*places)?))?)?;
            continue;
        }
        match w {
            "and" => {
                after_and = true;
                continue;
            }
            "a" | "an" => {
                pending_a = true;
                continue;
            }
            "point" if matches!(last, Kind::Unit | Kind::Teen | Kind::Ten | Kind::Digits) => {
                point = Some(0);
                continue;
            }
            "half" | "halves" | "quarter" | "quarters" => {
                let f = if w.starts_with('h') { half } else { quarter };
                current = if pending_a && after_and {
                    current.checked_add(f)?
                } else if !pending_a && !current.is_zero() && last != Kind::Hundred {
                    current.checked_mul(f)?
                } else {
                    f
                };
                last = Kind::Fraction;
                (pending_a, after_and, any) = (false, false, true);
                continue;
            }
            "dozen" | "dozens" => {
                current = current.max(Decimal::ONE).checked_mul(Decimal::from(12))?;
                last = Kind::Unit;
                (pending_a, after_and, any) = (false, false, true);
                continue;
            }
            "hundred" | "hundredth" | "hundreds" => {
                if matches!(last, Kind::Hundred | Kind::Ten) {
                    return None;
                }
                current = current.max(Decimal::ONE).checked_mul(Decimal::from(100))?;
                last = Kind::Hundred;
                (pending_a, after_and, any) = (false, false, true);
                continue;
            }
            _ => {}
        }
        if let Some(e) = scale(w) {
            if e >= last_scale || last == Kind::Start && !pending_a {
                return None;
            }
            let factor = Decimal::from(10u64.pow(e));
            let base = if current.is_zero() { Decimal::ONE } else { current };
            total = total.checked_add(base.checked_mul(factor)?)?;
            current = Decimal::ZERO;
            last = Kind::Scale(e);
            last_scale = e;
            (pending_a, after_and, any) = (false, false, true);
            continue;
        }
        let (value, kind) = match small(w) {
            Some((v, k)) => (Decimal::from(v), k),
            None => (digits(w)?, Kind::Digits),
        };
        let fits = match kind {
            Kind::Unit => matches!(last, Kind::Start | Kind::Ten | Kind::Hundred | Kind::Scale(_)),
            Kind::Teen | Kind::Ten | Kind::Digits => matches!(last, Kind::Start | Kind::Hundred | Kind::Scale(_)),
            _ => false,
        };
        if !fits || pending_a {
            return None;
        }
        current = current.checked_add(value)?;
        last = kind;
        (after_and, any) = (false, true);
    }
    if pending_a && !any {
        // `a` alone, as in `a year`, counts one.
        return Some(Decimal::ONE);
    }
    // `half a` (of what follows) is a half; any other trailing `a` is not a number.
    if !any || pending_a && last != Kind::Fraction {
        return None;
    }
    total.checked_add(current)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Option<String> {
        parse_number(s).map(|d| d.normalize().to_string())
    }

    #[test]
    fn digits_in_the_common_conventions() {
        for (text, want) in [
            ("1,234.5", "1234.5"),
            ("1.234,5", "1234.5"),
            ("1 234,5", "1234.5"),
            ("1\u{202f}234", "1234"),
            ("1'234'567", "1234567"),
            ("1,00,000", "100000"),
            ("1,234", "1234"),
            ("1,5", "1.5"),
            ("0.1", "0.1"),
            (".5", "0.5"),
            ("−3", "-3"),
            ("21st", "21"),
            ("1½", "1.5"),
            ("3/4", "0.75"),
            ("1 1/2", "1.5"),
        ] {
            assert_eq!(n(text).as_deref(), Some(want), "{text}");
        }
        for bad in ["1,23,4", "12,34,567.8.9", "3-2", "1/0", "abc", "1..2", ""] {
            assert_eq!(n(bad), None, "{bad}");
        }
    }

    #[test]
    fn words_and_mixed() {
        for (text, want) in [
            ("two hundred thousand", "200000"),
            ("a dozen", "12"),
            ("one and a half", "1.5"),
            ("half a million", "500000"),
            ("half a", "0.5"),
            ("two and a half million", "2500000"),
            ("twenty-one", "21"),
            ("twenty-first", "21"),
            ("1.2 million", "1200000"),
            ("three point five", "3.5"),
            ("nineteen hundred", "1900"),
            ("one hundred and five", "105"),
            ("three quarters", "0.75"),
            ("twice", "2"),
            ("minus five", "-5"),
            ("five trillion", "5000000000000"),
        ] {
            assert_eq!(n(text).as_deref(), Some(want), "{text}");
        }
        for bad in ["two three", "million", "twenty twenty", "hundred hundred", "a b"] {
            assert_eq!(n(bad), None, "{bad}");
        }
    }
}
