//! Calendar values and arithmetic for the date functions (`shift`, `week`,
//! `weekday`, `nth_weekday`, ...), on top of jiff's civil dates.
//!
//! In: values written as TIMEX3 / ISO 8601 text — a day `2021-04-15`, a week
//! `2021-W15`, a month `2021-04`, a quarter `2021-Q2`, a half `2021-H1`, a
//! year `2021` — and numbers, weekday names and unit words. Out: the same kind
//! of text, or `None` when the input is not a calendar value, the operation
//! does not apply to its grain (a day added to a month), or the result leaves
//! the years 0001–9999. Month lengths, leap years and ISO weeks are jiff's.

use jiff::civil::{Date, ISOWeekDate, Weekday};
use jiff::Span;

/// A calendar value at its grain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// A day: `2021-04-15`.
    Day(Date),
    /// An ISO year and week: `2021-W15`.
    Week(i16, i8),
    /// A year and month: `2021-04`.
    Month(i16, i8),
    /// A year and quarter: `2021-Q2`.
    Quarter(i16, i8),
    /// A year and half: `2021-H1`.
    Half(i16, i8),
    /// A year: `2021`.
    Year(i16),
}

impl Period {
    /// Reads a value written the TIMEX3 way.
    pub fn parse(s: &str) -> Option<Period> {
        let s = s.trim();
        let (y, rest) = match s.split_once('-') {
            Some((y, rest)) => (y, Some(rest)),
            None => (s, None),
        };
        if y.len() != 4 || !y.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let year: i16 = y.parse().ok()?;
        let Some(rest) = rest else { return (year >= 1).then_some(Period::Year(year)) };
        let small = |t: &str, max: i8| t.parse::<i8>().ok().filter(|n| (1..=max).contains(n));
        let p = if let Some(w) = rest.strip_prefix('W') {
            let w = small(w, 53)?;
            ISOWeekDate::new(year, w, Weekday::Monday).ok()?;
            Period::Week(year, w)
        } else if let Some(q) = rest.strip_prefix('Q') {
            Period::Quarter(year, small(q, 4)?)
        } else if let Some(h) = rest.strip_prefix('H') {
            Period::Half(year, small(h, 2)?)
        } else {
            match rest.split_once('-') {
                Some((m, d)) if m.len() == 2 && d.len() == 2 => {
                    Period::Day(Date::new(year, m.parse().ok()?, d.parse().ok()?).ok()?)
                }
                None if rest.len() == 2 => Period::Month(year, small(rest, 12)?),
                _ => return None,
            }
        };
        Some(p)
    }

    /// The first day of the period.
    fn first_day(self) -> Option<Date> {
        Some(match self {
            Period::Day(d) => d,
            Period::Week(y, w) => ISOWeekDate::new(y, w, Weekday::Monday).ok()?.date(),
            Period::Month(y, m) => Date::new(y, m, 1).ok()?,
            Period::Quarter(y, q) => Date::new(y, 3 * q - 2, 1).ok()?,
            Period::Half(y, h) => Date::new(y, 6 * h - 5, 1).ok()?,
            Period::Year(y) => Date::new(y, 1, 1).ok()?,
        })
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Period::Day(d) => write!(f, "{:04}-{:02}-{:02}", d.year(), d.month(), d.day()),
            Period::Week(y, w) => write!(f, "{y:04}-W{w:02}"),
            Period::Month(y, m) => write!(f, "{y:04}-{m:02}"),
            Period::Quarter(y, q) => write!(f, "{y:04}-Q{q}"),
            Period::Half(y, h) => write!(f, "{y:04}-H{h}"),
            Period::Year(y) => write!(f, "{y:04}"),
        }
    }
}

/// The units `shift` moves by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Day,
    Week,
    Month,
    Quarter,
    Half,
    Year,
}

fn unit(word: &str) -> Option<Unit> {
    let w = word.trim().to_lowercase();
    let w = w.strip_suffix('s').unwrap_or(&w);
    Some(match w {
        "day" => Unit::Day,
        "week" => Unit::Week,
        "month" => Unit::Month,
        "quarter" => Unit::Quarter,
        "half" | "halve" => Unit::Half,
        "year" => Unit::Year,
        _ => return None,
    })
}

/// A weekday from its name, abbreviation (`Fri.`) or number (1 is Monday).
pub fn weekday_of(word: &str) -> Option<Weekday> {
    let w = word.trim().trim_end_matches('.').to_lowercase();
    if let Ok(n) = w.parse::<i8>() {
        return Weekday::from_monday_one_offset(n).ok();
    }
    const NAMES: [&str; 7] = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
    let i = NAMES.iter().position(|n| *n == w || (w.len() >= 3 && n.starts_with(&w)))?;
    Weekday::from_monday_zero_offset(i as i8).ok()
}

fn in_range(d: Date) -> Option<Date> {
    (1..=9999).contains(&d.year()).then_some(d)
}

/// Months in a unit of a month or longer.
fn months_in(u: Unit) -> i64 {
    match u {
        Unit::Quarter => 3,
        Unit::Half => 6,
        Unit::Year => 12,
        _ => 1,
    }
}

fn month_index(y: i16, m: i8) -> i64 {
    y as i64 * 12 + (m as i64 - 1)
}

fn from_month_index(i: i64) -> Option<(i16, i8)> {
    let y = i.div_euclid(12);
    (1..=9999).contains(&y).then(|| (y as i16, (i.rem_euclid(12) + 1) as i8))
}

/// `p` moved by `n` units, at `p`'s own grain; a unit finer than the grain is no value.
pub fn shift(p: Period, n: i64, unit_word: &str) -> Option<Period> {
    let u = unit(unit_word)?;
    let n32 = i32::try_from(n).ok()?;
    Some(match (p, u) {
        (Period::Day(d), Unit::Day) => Period::Day(in_range(d.checked_add(Span::new().try_days(n32).ok()?).ok()?)?),
        (Period::Day(d), Unit::Week) => Period::Day(in_range(d.checked_add(Span::new().try_weeks(n32).ok()?).ok()?)?),
        (Period::Day(d), Unit::Month | Unit::Quarter | Unit::Half | Unit::Year) => {
            let months = n.checked_mul(months_in(u))?;
            Period::Day(in_range(d.checked_add(Span::new().try_months(months).ok()?).ok()?)?)
        }
        (Period::Week(..), Unit::Week) => {
            let monday = p.first_day()?.checked_add(Span::new().try_weeks(n32).ok()?).ok()?;
            let w = in_range(monday)?.iso_week_date();
            Period::Week(w.year(), w.week())
        }
        (Period::Week(..), Unit::Year) => {
            let Period::Week(y, w) = p else { return None };
            let y = y.checked_add(i16::try_from(n).ok()?)?;
            ISOWeekDate::new(y, w, Weekday::Monday).ok()?;
            Period::Week(y, w)
        }
        (Period::Month(y, m), Unit::Month | Unit::Quarter | Unit::Half | Unit::Year) => {
            let (y, m) = from_month_index(month_index(y, m).checked_add(n.checked_mul(months_in(u))?)?)?;
            Period::Month(y, m)
        }
        (Period::Quarter(y, q), Unit::Quarter | Unit::Year) => {
            let k = if u == Unit::Quarter { 1 } else { 4 };
            let i = (y as i64 * 4 + q as i64 - 1).checked_add(n.checked_mul(k)?)?;
            let y = i.div_euclid(4);
            (1..=9999).contains(&y).then_some(Period::Quarter(y as i16, (i.rem_euclid(4) + 1) as i8))?
        }
        (Period::Half(y, h), Unit::Half | Unit::Year) => {
            let k = if u == Unit::Half { 1 } else { 2 };
            let i = (y as i64 * 2 + h as i64 - 1).checked_add(n.checked_mul(k)?)?;
            let y = i.div_euclid(2);
            (1..=9999).contains(&y).then_some(Period::Half(y as i16, (i.rem_euclid(2) + 1) as i8))?
        }
        (Period::Year(y), Unit::Year) => {
            let y = (y as i64).checked_add(n)?;
            (1..=9999).contains(&y).then_some(Period::Year(y as i16))?
        }
        _ => return None,
    })
}

/// The period of grain `unit` that contains `p` (the week of a day, the quarter of a month).
pub fn containing(p: Period, unit_word: &str) -> Option<Period> {
    let u = unit(unit_word)?;
    let d = p.first_day()?;
    let (y, m) = (d.year(), d.month());
    // A coarser value has no week, month... of its own unless it is one.
    let fits = matches!(
        (p, u),
        (Period::Day(_), _)
            | (Period::Week(..), Unit::Week | Unit::Year)
            | (Period::Month(..), Unit::Month | Unit::Quarter | Unit::Half | Unit::Year)
            | (Period::Quarter(..), Unit::Quarter | Unit::Half | Unit::Year)
            | (Period::Half(..), Unit::Half | Unit::Year)
            | (Period::Year(_), Unit::Year)
    );
    if !fits {
        return None;
    }
    Some(match u {
        Unit::Day => Period::Day(d),
        Unit::Week => {
            let w = d.iso_week_date();
            Period::Week(w.year(), w.week())
        }
        Unit::Month => Period::Month(y, m),
        Unit::Quarter => Period::Quarter(y, (m - 1) / 3 + 1),
        Unit::Half => Period::Half(y, (m - 1) / 6 + 1),
        Unit::Year => match p {
            Period::Week(wy, _) => Period::Year(wy),
            _ => Period::Year(y),
        },
    })
}

/// The `wd` nearest a day in a direction: `1` the first after it, `-1` the last before it,
/// `0` the one in its (Monday to Sunday) week.
pub fn near_weekday(p: Period, wd: Weekday, dir: i64) -> Option<Period> {
    let Period::Day(d) = p else { return None };
    let r = match dir.signum() {
        1 => d.nth_weekday(1, wd).ok()?,
        -1 => d.nth_weekday(-1, wd).ok()?,
        _ => {
            let offset = wd.to_monday_zero_offset() as i32 - d.weekday().to_monday_zero_offset() as i32;
            d.checked_add(Span::new().try_days(offset).ok()?).ok()?
        }
    };
    Some(Period::Day(in_range(r)?))
}

/// The `n`-th `wd` of a month (`-1`: the last); the month of a day counts as its month.
pub fn nth_weekday(p: Period, n: i64, wd: Weekday) -> Option<Period> {
    let first = match p {
        Period::Day(d) => d.first_of_month(),
        Period::Month(..) => p.first_day()?,
        _ => return None,
    };
    let n = i8::try_from(n).ok().filter(|n| *n != 0 && (-5..=5).contains(n))?;
    Some(Period::Day(first.nth_weekday_of_month(n, wd).ok()?))
}

/// Day `day` of a month (of a day's month); `-1` the last day.
pub fn day_in(p: Period, day: i64) -> Option<Period> {
    let first = match p {
        Period::Day(d) => d.first_of_month(),
        Period::Month(..) => p.first_day()?,
        _ => return None,
    };
    if day == -1 {
        return Some(Period::Day(first.last_of_month()));
    }
    let day = i8::try_from(day).ok()?;
    Some(Period::Day(Date::new(first.year(), first.month(), day).ok()?))
}

/// Easter Sunday of a year (Gregorian; the anonymous algorithm, as jiff has no computus).
pub fn easter(year: i64) -> Option<Period> {
    if !(1583..=9999).contains(&year) {
        return None;
    }
    let a = year % 19;
    let (b, c) = (year / 100, year % 100);
    let (d, e) = (b / 4, b % 4);
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let (i, k) = (c / 4, c % 4);
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    Some(Period::Day(Date::new(year as i16, month as i8, day as i8).ok()?))
}

/// The days a value denotes, first and last: a calendar value (`2017-W28` is 2017-07-10 to
/// 2017-07-16), a weekend `2017-W28-WE`, a decade `199`, a century `19`, or an interval `a/b`.
pub fn days_of(s: &str) -> Option<(Date, Date)> {
    let s = s.trim();
    if let Some((a, b)) = s.split_once('/') {
        let (a, b) = (days_of(a)?, days_of(b)?);
        return (a.0 <= b.1).then_some((a.0, b.1));
    }
    if let Some(week) = s.strip_suffix("-WE") {
        let Period::Week(y, w) = Period::parse(week)? else { return None };
        return Some((
            ISOWeekDate::new(y, w, Weekday::Saturday).ok()?.date(),
            ISOWeekDate::new(y, w, Weekday::Sunday).ok()?.date(),
        ));
    }
    if s.bytes().all(|b| b.is_ascii_digit()) && (s.len() == 2 || s.len() == 3) {
        // A century (`19`: 1900-1999) or a decade (`199`: 1990-1999).
        let n: i16 = s.parse().ok()?;
        let (first, years) = if s.len() == 2 { (n * 100, 100) } else { (n * 10, 10) };
        return Some((Date::new(first.max(1), 1, 1).ok()?, Date::new(first + years - 1, 12, 31).ok()?));
    }
    let p = Period::parse(s)?;
    let first = p.first_day()?;
    let last = match p {
        Period::Day(d) => d,
        Period::Week(..) => first.checked_add(Span::new().days(6)).ok()?,
        Period::Month(..) => first.last_of_month(),
        Period::Quarter(..) => first.checked_add(Span::new().months(2)).ok()?.last_of_month(),
        Period::Half(..) => first.checked_add(Span::new().months(5)).ok()?.last_of_month(),
        Period::Year(y) => Date::new(y, 12, 31).ok()?,
    };
    Some((first, last))
}

/// Whether two values are the same: equal text, or the same days written two ways (`2017-W28`
/// and `2017-07-10/2017-07-16`, `19` and `1900-01-01/1999-12-31`).
pub fn same_value(a: &str, b: &str) -> bool {
    a == b || days_of(a).is_some_and(|x| days_of(b) == Some(x))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Period {
        Period::parse(s).expect(s)
    }

    fn show(p: Option<Period>) -> String {
        p.map_or("-".into(), |p| p.to_string())
    }

    #[test]
    fn arithmetic_on_every_grain() {
        assert_eq!(show(shift(p("2024-01-31"), 1, "month")), "2024-02-29");
        assert_eq!(show(shift(p("2023-01-31"), 1, "months")), "2023-02-28");
        assert_eq!(show(shift(p("2024-12-30"), 1, "week")), "2025-01-06");
        assert_eq!(show(shift(p("2024-W52"), 1, "week")), "2025-W01");
        assert_eq!(show(shift(p("2024-Q4"), 1, "quarter")), "2025-Q1");
        assert_eq!(show(shift(p("2024-01"), -1, "month")), "2023-12");
        assert_eq!(show(shift(p("2024-H2"), 1, "half")), "2025-H1");
        assert_eq!(show(shift(p("2024-03"), 1, "day")), "-");
        assert_eq!(show(shift(p("9999-12-31"), 1, "day")), "-");
        assert_eq!(show(containing(p("2021-01-01"), "week")), "2020-W53");
        assert_eq!(show(containing(p("2024-08-15"), "quarter")), "2024-Q3");
        assert_eq!(show(containing(p("2024-08"), "half")), "2024-H2");
        assert_eq!(show(containing(p("2024-08"), "week")), "-");
    }

    #[test]
    fn weekdays_and_holidays() {
        let wed = p("2024-03-13");
        let fri = weekday_of("Fri.").expect("friday");
        assert_eq!(show(near_weekday(wed, fri, 1)), "2024-03-15");
        assert_eq!(show(near_weekday(wed, fri, -1)), "2024-03-08");
        assert_eq!(show(near_weekday(wed, fri, 0)), "2024-03-15");
        assert_eq!(show(near_weekday(p("2024-03-15"), fri, 1)), "2024-03-22");
        assert_eq!(show(nth_weekday(p("2024-06"), 2, weekday_of("monday").expect("monday"))), "2024-06-10");
        assert_eq!(show(nth_weekday(p("2024-05"), -1, weekday_of("Mon").expect("monday"))), "2024-05-27");
        assert_eq!(show(nth_weekday(p("2024-11"), 4, weekday_of("thursday").expect("thu"))), "2024-11-28");
        assert_eq!(show(day_in(p("2024-02-10"), -1)), "2024-02-29");
        assert_eq!(show(day_in(p("2023-02"), 30)), "-");
        assert_eq!(show(easter(2024)), "2024-03-31");
        assert_eq!(show(easter(2025)), "2025-04-20");
        assert_eq!(show(easter(2019)), "2019-04-21");
    }

    #[test]
    fn values_written_two_ways_are_the_same() {
        assert!(same_value("2017-W28", "2017-07-10/2017-07-16"));
        assert!(same_value("2016-W35-WE", "2016-09-03/2016-09-04"));
        assert!(same_value("19", "1900-01-01/1999-12-31"));
        assert!(same_value("199", "1990-01-01/1999-12-31"));
        assert!(same_value("2024-Q1", "2024-01-01/2024-03-31"));
        assert!(!same_value("2017-W28", "2017-07-10/2017-07-15"));
        assert!(!same_value("2024", "2024-01"));
    }

    #[test]
    fn values_read_and_written_the_timex_way() {
        for s in ["2021-04-15", "2021-W05", "2021-04", "2021-Q2", "2021-H1", "2021"] {
            assert_eq!(p(s).to_string(), s);
        }
        for bad in ["2021-13", "2021-02-30", "2021-W54", "21-04-15", "2021-Q5", "XXXX-04-15", ""] {
            assert_eq!(Period::parse(bad), None, "{bad}");
        }
    }
}
