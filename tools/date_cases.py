#!/usr/bin/env python3
"""Writes tests/fixtures/dates/cases.tsv: everyday date expressions with the value the news pack
must give at an anchor date, computed here with Python's datetime (an oracle independent of
trawl's calendar code). Written for trawl from general knowledge of how dates are written.

Columns: anchor, expression, expected value (`-` for a string that is not a date), kind.

    python3 tools/date_cases.py > tests/fixtures/dates/cases.tsv
"""

import calendar
import datetime as dt

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = list(calendar.month_name)[1:]
ABBR = ["Jan.", "Feb.", "Mar.", "Apr.", "May", "Jun.", "Jul.", "Aug.", "Sept.", "Oct.", "Nov.", "Dec."]
ORD = {1: "first", 2: "second", 3: "third", 4: "fourth", -1: "last"}
NUM = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 10: "ten"}


def iso(d):
    return d.isoformat()


def week(d):
    y, w, _ = d.isocalendar()
    return f"{y:04d}-W{w:02d}"


def add_months(d, n):
    i = d.year * 12 + d.month - 1 + n
    y, m = divmod(i, 12)
    return dt.date(y, m + 1, min(d.day, calendar.monthrange(y, m + 1)[1]))


def nth_weekday(y, m, n, wd):
    days = [dt.date(y, m, d) for d in range(1, calendar.monthrange(y, m)[1] + 1) if dt.date(y, m, d).weekday() == wd]
    return days[n - 1] if n > 0 else days[n]


def suffix(n):
    return "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


def cases(a):
    out = []

    def add(expr, value, kind):
        out.append((iso(a), expr, value, kind))

    # today and its neighbours
    add("today", iso(a), "day")
    add("yesterday", iso(a - dt.timedelta(1)), "day")
    add("tomorrow", iso(a + dt.timedelta(1)), "day")
    add("the day after tomorrow", iso(a + dt.timedelta(2)), "day")
    add("the day before yesterday", iso(a - dt.timedelta(2)), "day")
    add("tonight", iso(a) + "TNI", "day")
    add("this morning", iso(a) + "TMO", "day")
    add("this evening", iso(a) + "TEV", "day")
    add("tomorrow morning", iso(a + dt.timedelta(1)) + "TMO", "day")
    add("last night", iso(a - dt.timedelta(1)) + "TNI", "day")
    for n in (2, 3, 10):
        add(f"{NUM[n]} days ago", iso(a - dt.timedelta(n)), "day")
        add(f"in {NUM[n]} days", iso(a + dt.timedelta(n)), "day")
    add("5 days ago", iso(a - dt.timedelta(5)), "day")
    add("a week from today", iso(a + dt.timedelta(7)), "day")
    add("two weeks from tomorrow", iso(a + dt.timedelta(15)), "day")
    # weekdays
    for i, name in enumerate(WEEKDAYS):
        delta = (i - a.weekday()) % 7 or 7
        nxt = a + dt.timedelta(delta)
        prev = a - dt.timedelta((a.weekday() - i) % 7 or 7)
        this = a + dt.timedelta(i - a.weekday())
        next_week = a + dt.timedelta(7 + i - a.weekday())
        add(f"next {name}", iso(next_week), "weekday")
        add(f"last {name}", iso(prev), "weekday")
        if i >= a.weekday():
            # (An earlier weekday of this week is this week's alone, and the next one in a sentence
            # about the future: not one value for both contexts.)
            add(f"this {name}", iso(this), "weekday")
        add(f"this coming {name}", iso(nxt), "weekday")
        add(f"{name} week", iso(nxt + dt.timedelta(7)), "weekday")
        add(f"the {name} after next", iso(nxt + dt.timedelta(7)), "weekday")
    # weeks
    add("this week", week(a), "week")
    add("next week", week(a + dt.timedelta(7)), "week")
    add("last week", week(a - dt.timedelta(7)), "week")
    add("the following week", week(a + dt.timedelta(7)), "week")
    add("the previous week", week(a - dt.timedelta(7)), "week")
    add("the week after next", week(a + dt.timedelta(14)), "week")
    add("the week before last", week(a - dt.timedelta(14)), "week")
    add("two weeks ago", week(a - dt.timedelta(14)), "week")
    add("in three weeks", week(a + dt.timedelta(21)), "week")
    add("this weekend", week(a) + "-WE", "week")
    add("next weekend", week(a + dt.timedelta(7)) + "-WE", "week")
    add("last weekend", week(a - dt.timedelta(7)) + "-WE", "week")
    # months
    m0 = dt.date(a.year, a.month, 1)
    ym = lambda d: f"{d.year:04d}-{d.month:02d}"
    add("this month", ym(m0), "month")
    add("next month", ym(add_months(m0, 1)), "month")
    add("last month", ym(add_months(m0, -1)), "month")
    add("the following month", ym(add_months(m0, 1)), "month")
    add("two months ago", ym(add_months(m0, -2)), "month")
    add("in six months", ym(add_months(m0, 6)), "month")
    for d in (1, 3, 15, 20, 28):
        nm = add_months(m0, 1)
        add(f"the {d}{suffix(d)} of next month", iso(dt.date(nm.year, nm.month, d)), "ordinal")
        add(f"the {d}{suffix(d)}", iso(dt.date(a.year, a.month, d)), "ordinal")
        lm = add_months(m0, -1)
        add(f"the {d}{suffix(d)} of last month", iso(dt.date(lm.year, lm.month, d)), "ordinal")
    add("the first of the month", iso(m0), "ordinal")
    add("the first of next month", iso(add_months(m0, 1)), "ordinal")
    for m in (1, 6, 9, 11):
        for n in (1, 2, 3, -1):
            for wd in (0, 4, 6):
                d = nth_weekday(a.year, m, n, wd)
                add(f"the {ORD[n]} {WEEKDAYS[wd]} of {MONTHS[m - 1]}", iso(d), "ordinal")
        add(f"the first Monday in {MONTHS[m - 1]} {a.year + 1}", iso(nth_weekday(a.year + 1, m, 1, 0)), "ordinal")
    add("the last Friday of the month", iso(nth_weekday(a.year, a.month, -1, 4)), "ordinal")
    nm = add_months(m0, 1)
    add("the second Tuesday of next month", iso(nth_weekday(nm.year, nm.month, 2, 1)), "ordinal")
    # years
    add("this year", f"{a.year:04d}", "year")
    add("next year", f"{a.year + 1:04d}", "year")
    add("last year", f"{a.year - 1:04d}", "year")
    add("two years ago", f"{a.year - 2:04d}", "year")
    add("a decade ago", f"{a.year - 10:04d}", "year")
    add("two decades later", f"{a.year + 20:04d}", "year")
    add("in five years", f"{a.year + 5:04d}", "year")
    # quarters and halves
    q = (a.month - 1) // 3 + 1
    qs = lambda y, q: f"{y:04d}-Q{q}"
    add("this quarter", qs(a.year, q), "quarter")
    add("next quarter", qs(a.year + (q == 4), q % 4 + 1), "quarter")
    add("last quarter", qs(a.year - (q == 1), (q - 2) % 4 + 1), "quarter")
    for n in (1, 2, 3, 4):
        add(f"Q{n} 2024", qs(2024, n), "quarter")
        add(f"the {ORD[n]} quarter", qs(a.year, n), "quarter")
        add(f"the {ORD[n]} quarter of 2023", qs(2023, n), "quarter")
    add("3Q24", "2024-Q3", "quarter")
    add("H1 2024", "2024-H1", "quarter")
    add("the first half of 2025", "2025-H1", "quarter")
    add("the second half of next year", f"{a.year + 1:04d}-H2", "quarter")
    # numeric and ISO dates
    for y, m, d in ((2021, 4, 15), (2019, 12, 1), (2020, 2, 29), (2023, 7, 4)):
        date = dt.date(y, m, d)
        add(f"{m}/{d}/{y}", iso(date), "numeric")
        add(f"{m:02d}/{d:02d}/{y}", iso(date), "numeric")
        add(f"{m}-{d}-{y % 100:02d}", iso(date), "numeric")
        add(f"{y}-{m:02d}-{d:02d}", iso(date), "iso")
        add(f"{y}-{m}-{d}", iso(date), "iso")
        add(f"{y}/{m:02d}/{d:02d}", iso(date), "iso")
        add(f"{d:02d}.{m:02d}.{y}", iso(date), "numeric")
        if d > 12:
            add(f"{d}/{m}/{y}", iso(date), "numeric")
        add(f"{m}/{y}", f"{y:04d}-{m:02d}", "numeric")
    # written dates
    for y, m, d in ((2021, 4, 15), (2022, 11, 3), (2019, 1, 21)):
        date = dt.date(y, m, d)
        name = MONTHS[m - 1]
        add(f"{name} {d}, {y}", iso(date), "absolute")
        add(f"{d} {name} {y}", iso(date), "absolute")
        add(f"the {d}{suffix(d)} of {name} {y}", iso(date), "absolute")
        add(f"{ABBR[m - 1]} {d}, {y}", iso(date), "absolute")
        add(f"{WEEKDAYS[date.weekday()]}, {name} {d}, {y}", iso(date), "absolute")
        add(f"{name} {y}", f"{y:04d}-{m:02d}", "absolute")
        add(f"{name} {d}", f"{a.year:04d}-{m:02d}-{d:02d}", "absolute")
        add(f"the {d}{suffix(d)} of {name}", f"{a.year:04d}-{m:02d}-{d:02d}", "absolute")
    # seasons, fiscal years, decades, centuries, eras
    add("the spring of 2020", "2020-SP", "season")
    add("summer 2024", "2024-SU", "season")
    add("last winter", f"{a.year - 1:04d}-WI", "season")
    add("FY2025", "FY2025", "fiscal")
    add("fiscal 2025", "FY2025", "fiscal")
    add("the 1990s", "199", "decade")
    add("the '90s", "199", "decade")
    add("the 1960s", "196", "decade")
    add("the 19th century", "18", "century")
    add("the 21st century", "20", "century")
    add("44 BC", "BC0044", "era")
    add("AD 1066", "1066", "era")
    # holidays
    for y in (2023, 2024, 2025):
        add(f"Christmas {y}", f"{y}-12-25", "holiday")
        add(f"Thanksgiving {y}", iso(nth_weekday(y, 11, 4, 3)), "holiday")
        add(f"Memorial Day {y}", iso(nth_weekday(y, 5, -1, 0)), "holiday")
        add(f"Labor Day {y}", iso(nth_weekday(y, 9, 1, 0)), "holiday")
        add(f"Independence Day {y}", f"{y}-07-04", "holiday")
        add(f"Halloween {y}", f"{y}-10-31", "holiday")
        add(f"New Year's Day {y}", f"{y}-01-01", "holiday")
    for y, easter in ((2023, dt.date(2023, 4, 9)), (2024, dt.date(2024, 3, 31)), (2025, dt.date(2025, 4, 20))):
        add(f"Easter {y}", iso(easter), "holiday")
        add(f"Good Friday {y}", iso(easter - dt.timedelta(2)), "holiday")
        add(f"Easter Monday {y}", iso(easter + dt.timedelta(1)), "holiday")
    add("Christmas", f"{a.year}-12-25", "holiday")
    add("next Christmas", f"{a.year + 1}-12-25", "holiday")
    add("last Thanksgiving", iso(nth_weekday(a.year - 1, 11, 4, 3)), "holiday")
    # intervals
    t = lambda d, hm: f"{iso(d)}T{hm}"
    add("May 5–7, 2021", "2021-05-05/2021-05-07", "interval")
    add("from May 5 to 7", f"{a.year}-05-05/{a.year}-05-07", "interval")
    add("1939–45", "1939/1945", "interval")
    add("between 2010 and 2014", "2010/2014", "interval")
    add("from 2010 to 2014", "2010/2014", "interval")
    add("since 2001", "2001/", "interval")
    nm = dt.date(a.year + (a.month >= 3), 3, 1)
    add("until next March", f"/{nm.year}-03", "interval")
    add("from June 3 to June 20", f"{a.year}-06-03/{a.year}-06-20", "interval")
    add("from March 2019 to May 2020", "2019-03/2020-05", "interval")
    add("between January 5, 2022 and February 1, 2022", "2022-01-05/2022-02-01", "interval")
    add("from 9 a.m. to 5 p.m.", f"{t(a, '09:00')}/{t(a, '17:00')}", "interval")
    # times
    add("at 3pm", t(a, "15:00"), "time")
    add("3:30 p.m.", t(a, "15:30"), "time")
    add("15:30", t(a, "15:30"), "time")
    add("at noon", t(a, "12:00"), "time")
    add("midnight", t(a, "24:00"), "time")
    add("10:00 GMT", t(a, "10:00"), "time")
    add("9 a.m. ET", t(a, "09:00"), "time")
    add("12 p.m.", t(a, "12:00"), "time")
    add("at half past six", t(a, "06:30"), "time")
    add("a quarter to five in the afternoon", t(a, "16:45"), "time")
    add("quarter past ten", t(a, "10:15"), "time")
    fri = a + dt.timedelta(7 + 4 - a.weekday())
    add("next Friday at 3pm", t(fri, "15:00"), "time")
    add("next Friday evening", iso(fri) + "TEV", "time")
    add("tomorrow at 10:30", t(a + dt.timedelta(1), "10:30"), "time")
    # months named relative to the anchor
    for m in (1, 3, 6, 9, 12):
        y_next = a.year if m > a.month else a.year + 1
        y_last = a.year if m < a.month else a.year - 1
        add(f"next {MONTHS[m - 1]}", f"{y_next}-{m:02d}", "month")
        add(f"last {MONTHS[m - 1]}", f"{y_last}-{m:02d}", "month")
        add(f"this {MONTHS[m - 1]}", f"{a.year}-{m:02d}", "month")
    add("the next day", iso(a + dt.timedelta(1)), "day")
    add("the fifteenth of March", f"{a.year}-03-15", "absolute")
    add("this past weekend", week(a - dt.timedelta(7)) + "-WE", "week")
    add("the year before last", f"{a.year - 2:04d}", "year")
    add("the year after next", f"{a.year + 2:04d}", "year")
    add("first quarter 2025", "2025-Q1", "quarter")
    add("the last quarter of 2023", "2023-Q4", "quarter")
    add("at the end of March", f"{a.year}-03", "month")
    add("10am tomorrow", iso(a + dt.timedelta(1)) + "T10:00", "time")
    add("3 o'clock in the afternoon", iso(a) + "T15:00", "time")
    add("Black Friday 2024", "2024-11-29", "holiday")
    add("Martin Luther King Jr. Day 2025", "2025-01-20", "holiday")
    add("Election Day 2024", "2024-11-05", "holiday")
    add("the twenty-first of June 2025", "2025-06-21", "absolute")
    add("on Fri., March 15, 2024", "2024-03-15", "absolute")
    add("the first quarter of next year", f"{a.year + 1}-Q1", "quarter")
    add("the fourth quarter of last year", f"{a.year - 1}-Q4", "quarter")
    add("the following day", iso(a + dt.timedelta(1)), "day")
    add("the previous day", iso(a - dt.timedelta(1)), "day")
    # not dates
    for s in ("Windows 2000", "the 747", "a 3-2 win", "page 12", "call 555-1234", "version 1.2.3",
              "$2,000", "Theresa May", "they march on", "a second time", "section 4.2", "Boeing 737",
              "2000 people", "room 1204", "Pay ABC 2000", "the score was 2-1", "chapter 11",
              "3.5%", "No. 10", "Route 66"):
        add(s, "-", "not a date")
    return out


def main():
    print("# anchor\texpression\tvalue\tkind  (written by tools/date_cases.py)")
    for anchor in (dt.date(2024, 3, 13), dt.date(2025, 12, 30)):
        for row in cases(anchor):
            print("\t".join(row))


main()
