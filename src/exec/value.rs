//! Field values and the built-in value functions: numbers from digits or
//! words, and dates normalized to ISO 8601 against an explicit anchor date.

use super::number::parse_int;
use rust_decimal::Decimal;
use std::fmt;

/// A field value or an intermediate result of an expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Nothing (an unbound capture, a failed conversion). Fields with this value are left out.
    Null,
    /// A truth value.
    Bool(bool),
    /// An exact decimal number.
    Num(Decimal),
    /// A string.
    Str(String),
    /// A span of the document: tokens `[start, end)`.
    Span(u32, u32),
    /// A part of a token (a named group of a token regex): bytes `[start, end)` of the document.
    Part(u32, u32),
    /// A list.
    List(Vec<Value>),
}

impl Value {
    /// Whether the value counts as true in a condition.
    pub fn truthy(&self) -> bool {
        match self {
            Value::Null => false,
            Value::Bool(b) => *b,
            Value::Num(n) => !n.is_zero(),
            Value::Str(s) => !s.is_empty(),
            Value::Span(..) | Value::Part(..) => true,
            Value::List(l) => !l.is_empty(),
        }
    }
}

/// A calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    /// Year.
    pub year: i32,
    /// Month, 1-12.
    pub month: u32,
    /// Day, 1-31.
    pub day: u32,
}

impl Date {
    /// Parses `YYYY-MM-DD` (a longer ISO timestamp is cut to its date).
    pub fn parse(s: &str) -> Option<Date> {
        let s = s.trim();
        let s = s.get(..10).unwrap_or(s);
        let mut it = s.split('-');
        let year: i32 = it.next()?.parse().ok()?;
        let month: u32 = it.next()?.parse().ok()?;
        let day: u32 = it.next()?.parse().ok()?;
        if it.next().is_some() || !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Date { year, month, day })
    }

    fn from_days(days: i64) -> Date {
        // Civil-from-days (proleptic Gregorian), days since 1970-01-01.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let y = yoe + era * 400;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        Date { year: (if m <= 2 { y + 1 } else { y }) as i32, month: m, day: d }
    }

    fn days(self) -> i64 {
        let y = if self.month <= 2 { self.year as i64 - 1 } else { self.year as i64 };
        let era = y.div_euclid(400);
        let yoe = y.rem_euclid(400);
        let m = self.month as i64;
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + self.day as i64 - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// This date moved by a number of days.
    pub fn add_days(self, n: i64) -> Date {
        Date::from_days(self.days() + n)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// Days in a month of a year.
pub fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// The month number of a month name or abbreviation (`May`, `Sept.`, `dec`).
pub fn month_number(word: &str) -> Option<u32> {
    let w = word.trim_end_matches('.').to_lowercase();
    if w.len() < 3 {
        return None;
    }
    if w == "sept" {
        return Some(9);
    }
    MONTHS.iter().position(|m| *m == w || (w.len() == 3 && m.starts_with(&w))).map(|i| i as u32 + 1)
}

/// A relative word's offset: `this` 0, `last` -1, `next` +1, `today` 0, `yesterday` -1 and so on.
fn relative(word: &str) -> Option<i64> {
    Some(match word.to_lowercase().as_str() {
        "this" | "current" | "present" | "today" | "now" => 0,
        "last" | "previous" | "past" | "yesterday" => -1,
        "next" | "coming" | "following" | "tomorrow" => 1,
        _ => return None,
    })
}

/// The most days a relative day moves a date (past it every date leaves the years 0000-9999).
const MAX_DAYS: i64 = 4_000_000;

/// One component of a date as written.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Part {
    None,
    Abs(i64),
    Rel(i64),
}

fn part_of(v: &Value, text: &dyn Fn(&Value) -> String, is_month: bool) -> Result<Part, ()> {
    match v {
        Value::Null => Ok(Part::None),
        Value::Num(n) if n.fract().is_zero() => i64::try_from(*n).map(Part::Abs).map_err(|_| ()),
        Value::Num(_) => Err(()),
        _ => {
            let t = text(v);
            let t = t.trim();
            if let Some(r) = relative(t) {
                return Ok(Part::Rel(r));
            }
            if is_month {
                if let Some(m) = month_number(t) {
                    return Ok(Part::Abs(m as i64));
                }
            }
            let digits = t.trim_start_matches('\'');
            parse_int(digits).map(Part::Abs).ok_or(())
        }
    }
}

/// Normalizes a date from its year, month and day components.
///
/// Each component may be absent, absolute (digits, a month name) or relative
/// (`this`, `last`, `next`, `today`, `yesterday`, `tomorrow`). A missing year
/// next to a month, and every relative component, are resolved against the
/// anchor date; with no anchor they stay underspecified (`XXXX-05-19`).
/// Returns `None` for an impossible date.
pub fn normalize_date(
    year: &Value,
    month: &Value,
    day: &Value,
    anchor: Option<Date>,
    text: &dyn Fn(&Value) -> String,
) -> Option<String> {
    let y = part_of(year, text, false).ok()?;
    let m = part_of(month, text, true).ok()?;
    let d = part_of(day, text, false).ok()?;
    // Days relative to the anchor: a full date (none past the years 0000-9999).
    if let Part::Rel(n) = d {
        return match anchor {
            Some(a) => Some(a.add_days(n.clamp(-MAX_DAYS, MAX_DAYS)))
                .filter(|d| (0..=9999).contains(&d.year))
                .map(|d| d.to_string()),
            None => Some("XXXX-XX-XX".into()),
        };
    }
    let day = match d {
        Part::Abs(n) if (1..=31).contains(&n) => Some(n as u32),
        Part::Abs(_) => return None,
        _ => None,
    };
    let year_abs = |y: Part| -> Option<Option<i32>> {
        match y {
            Part::Abs(n) if (0..100).contains(&n) => Some(Some(if n < 50 { 2000 + n as i32 } else { 1900 + n as i32 })),
            Part::Abs(n) if (100..=9999).contains(&n) => Some(Some(n as i32)),
            Part::Abs(_) => None,
            Part::Rel(r) => match anchor.map(|a| a.year as i64 + r) {
                Some(y) if (0..=9999).contains(&y) => Some(Some(y as i32)),
                Some(_) => None,
                None => Some(None),
            },
            Part::None => Some(None),
        }
    };
    let (year, month): (Option<i32>, Option<u32>) = match m {
        Part::Rel(r) => match anchor {
            Some(a) => {
                let idx = (a.year as i64 * 12 + (a.month as i64 - 1)).checked_add(r)?;
                let y = idx.div_euclid(12);
                if !(0..=9999).contains(&y) {
                    return None;
                }
                (Some(y as i32), Some(idx.rem_euclid(12) as u32 + 1))
            }
            None => (None, None),
        },
        Part::Abs(n) if (1..=12).contains(&n) => {
            let y = year_abs(y)?;
            // A month without a year takes the anchor's year.
            let y = y.or(anchor.map(|a| a.year));
            (y, Some(n as u32))
        }
        Part::Abs(_) => return None,
        Part::None => {
            if day.is_some() {
                return None;
            }
            match year_abs(y)? {
                Some(y) => return Some(format!("{y:04}")),
                None => return Some("XXXX".into()),
            }
        }
    };
    let ys = year.map_or("XXXX".to_string(), |y| format!("{y:04}"));
    let ms = month.map_or("XX".to_string(), |m| format!("{m:02}"));
    match day {
        Some(d) => {
            if let (Some(y), Some(m)) = (year, month) {
                if d > days_in_month(y, m) {
                    return None;
                }
            }
            Some(format!("{ys}-{ms}-{d:02}"))
        }
        None => Some(format!("{ys}-{ms}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Value {
        Value::Str(x.into())
    }

    fn date(y: Value, m: Value, d: Value, anchor: Option<&str>) -> Option<String> {
        let a = anchor.and_then(Date::parse);
        normalize_date(&y, &m, &d, a, &|v| match v {
            Value::Str(s) => s.clone(),
            _ => String::new(),
        })
    }

    #[test]
    fn overflow_is_absent_never_wrapped() {
        assert_eq!(parse_int(&"hundred ".repeat(10)), None);
        assert_eq!(parse_int("999999999999999999 thousand"), None);
        assert_eq!(parse_int("99999999999999999999"), None);
        assert_eq!(date(Value::Null, Value::Null, s("tomorrow"), Some("9999-12-31")), None);
        assert_eq!(date(Value::Null, Value::Null, s("yesterday"), Some("0000-01-01")), None);
        assert_eq!(date(s("next"), s("May"), s("1"), Some("9999-06-01")), None);
        assert_eq!(date(Value::Null, s("next"), Value::Null, Some("9999-12-01")), None);
        assert_eq!(date(Value::Null, Value::Null, s("tomorrow"), Some("2023-12-31")).as_deref(), Some("2024-01-01"));
    }

    #[test]
    fn numbers_from_words_and_digits() {
        assert_eq!(parse_int("six"), Some(6));
        assert_eq!(parse_int("twenty-one"), Some(21));
        assert_eq!(parse_int("1,000"), Some(1000));
        assert_eq!(parse_int("19th"), Some(19));
        assert_eq!(parse_int("two hundred thousand"), Some(200_000));
        assert_eq!(parse_int("plenty"), None);
    }

    #[test]
    fn dates_resolve_against_the_anchor() {
        let a = Some("2023-05-01");
        assert_eq!(date(Value::Null, s("May"), s("19"), a).as_deref(), Some("2023-05-19"));
        assert_eq!(date(Value::Null, s("May"), s("19"), None).as_deref(), Some("XXXX-05-19"));
        assert_eq!(date(s("last"), s("January"), Value::Null, a).as_deref(), Some("2022-01"));
        assert_eq!(date(Value::Null, s("this"), Value::Null, a).as_deref(), Some("2023-05"));
        assert_eq!(date(Value::Null, s("last"), Value::Null, Some("2023-01-15")).as_deref(), Some("2022-12"));
        assert_eq!(date(Value::Null, Value::Null, s("yesterday"), Some("2024-03-01")).as_deref(), Some("2024-02-29"));
        assert_eq!(date(s("2018"), Value::Null, Value::Null, a).as_deref(), Some("2018"));
        assert_eq!(date(s("2023"), s("Feb"), s("30"), a), None);
        assert_eq!(date(s("'98"), s("Sept."), s("3"), a).as_deref(), Some("1998-09-03"));
    }
}
