//! Date and time arithmetic on stored values, behind the SQLite functions `sf_dateadd`,
//! `sf_datediff`, `sf_datetrunc` and `sf_datepart`: Snowflake's DATEADD, DATEDIFF (which counts
//! the part boundaries crossed), DATE_TRUNC and DATE_PART/EXTRACT. Timestamps are computed on
//! their wall clock (a TIMESTAMP_TZ on its own offset's).

use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use rusqlite::types::{Value, ValueRef};

use super::types::{Kind, SfType, tz_parts, tz_text};
use crate::exec::SqlError;

/// A date or time part, as DATEADD and friends name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Year,
    Quarter,
    Month,
    Week,
    Day,
    Hour,
    Minute,
    Second,
    Millisecond,
    Microsecond,
    Nanosecond,
    DayOfWeek,
    DayOfYear,
}

impl Part {
    /// Parses a part name or one of its abbreviations (`day`, `dd`, `MONTHS`, `mi`, …).
    pub fn parse(name: &str) -> Result<Part, SqlError> {
        Ok(match name.to_ascii_uppercase().as_str() {
            "YEAR" | "YEARS" | "Y" | "YY" | "YYY" | "YYYY" | "YR" | "YRS" => Part::Year,
            "QUARTER" | "QUARTERS" | "Q" | "QTR" | "QTRS" => Part::Quarter,
            "MONTH" | "MONTHS" | "MM" | "MON" | "MONS" => Part::Month,
            "WEEK" | "WEEKS" | "W" | "WK" | "WEEKOFYEAR" | "WOY" | "WY" => Part::Week,
            "DAY" | "DAYS" | "D" | "DD" | "DAYOFMONTH" => Part::Day,
            "HOUR" | "HOURS" | "H" | "HH" | "HR" | "HRS" => Part::Hour,
            "MINUTE" | "MINUTES" | "M" | "MI" | "MIN" | "MINS" => Part::Minute,
            "SECOND" | "SECONDS" | "S" | "SEC" | "SECS" => Part::Second,
            "MILLISECOND" | "MILLISECONDS" | "MS" | "MSEC" => Part::Millisecond,
            "MICROSECOND" | "MICROSECONDS" | "US" | "USEC" => Part::Microsecond,
            "NANOSECOND" | "NANOSECONDS" | "NS" | "NSEC" => Part::Nanosecond,
            "DAYOFWEEK" | "WEEKDAY" | "DOW" | "DW" => Part::DayOfWeek,
            "DAYOFYEAR" | "YEARDAY" | "DOY" | "DY" => Part::DayOfYear,
            _ => {
                return Err(SqlError::new(
                    "002018",
                    "22023",
                    format!("SQL compilation error:\ninvalid date or time part '{name}'"),
                ));
            }
        })
    }

    /// Whether the part is finer than a day (DATEADD of such a part to a DATE gives a timestamp).
    pub fn below_day(self) -> bool {
        matches!(
            self,
            Part::Hour
                | Part::Minute
                | Part::Second
                | Part::Millisecond
                | Part::Microsecond
                | Part::Nanosecond
        )
    }
}

const NANOS_PER_DAY: i64 = 86_400_000_000_000;

/// A stored date, time or timestamp as its wall clock and, for TIMESTAMP_TZ, its offset.
fn wall_clock(value: ValueRef<'_>, ty: &SfType) -> Option<(NaiveDateTime, i32)> {
    match (value, ty.kind) {
        (ValueRef::Integer(days), Kind::Date) => Some((
            NaiveDate::from_num_days_from_ce_opt(i32::try_from(days.checked_add(719_163)?).ok()?)?
                .and_time(NaiveTime::MIN),
            0,
        )),
        (ValueRef::Integer(nanos), Kind::Time) => Some((
            NaiveDate::from_ymd_opt(1970, 1, 1)?.and_time(NaiveTime::MIN)
                + Duration::nanoseconds(nanos),
            0,
        )),
        (ValueRef::Integer(nanos), k) if k.is_timestamp() => {
            Some((DateTime::from_timestamp_nanos(nanos).naive_utc(), 0))
        }
        (ValueRef::Text(text), Kind::TimestampTz) => {
            let (nanos, offset) = tz_parts(std::str::from_utf8(text).ok()?)?;
            let local = DateTime::from_timestamp_nanos(nanos).naive_utc()
                + Duration::minutes(i64::from(offset));
            Some((local, offset))
        }
        _ => None,
    }
}

/// Stores a wall clock back as type `ty`.
fn stored(clock: NaiveDateTime, offset: i32, ty: &SfType) -> Option<Value> {
    let nanos = clock.and_utc().timestamp_nanos_opt()?;
    Some(match ty.kind {
        Kind::Date => Value::Integer(nanos.div_euclid(NANOS_PER_DAY)),
        Kind::Time => Value::Integer(nanos.rem_euclid(NANOS_PER_DAY)),
        Kind::TimestampTz => {
            Value::Text(tz_text(nanos - i64::from(offset) * 60_000_000_000, offset))
        }
        _ => Value::Integer(nanos),
    })
}

fn out_of_range() -> SqlError {
    SqlError::new("100097", "22008", "Date or time value is out of range")
}

/// DATEADD: `value` (of type `ty`) plus `amount` parts; the result is stored as `result`.
pub fn add(
    part: Part,
    amount: i64,
    value: ValueRef<'_>,
    ty: &SfType,
    result: &SfType,
) -> Result<Value, SqlError> {
    if let ValueRef::Null = value {
        return Ok(Value::Null);
    }
    let (clock, offset) = wall_clock(value, ty).ok_or_else(out_of_range)?;
    let months = |n: i64| -> Option<NaiveDateTime> {
        let n32 = u32::try_from(n.unsigned_abs()).ok()?;
        if n >= 0 {
            clock.checked_add_months(Months::new(n32))
        } else {
            clock.checked_sub_months(Months::new(n32))
        }
    };
    let moved = match part {
        Part::Year => months(amount.checked_mul(12).ok_or_else(out_of_range)?),
        Part::Quarter => months(amount.checked_mul(3).ok_or_else(out_of_range)?),
        Part::Month => months(amount),
        Part::Week => {
            clock.checked_add_signed(Duration::try_weeks(amount).ok_or_else(out_of_range)?)
        }
        Part::Day | Part::DayOfWeek | Part::DayOfYear => {
            clock.checked_add_signed(Duration::try_days(amount).ok_or_else(out_of_range)?)
        }
        Part::Hour => {
            clock.checked_add_signed(Duration::try_hours(amount).ok_or_else(out_of_range)?)
        }
        Part::Minute => {
            clock.checked_add_signed(Duration::try_minutes(amount).ok_or_else(out_of_range)?)
        }
        Part::Second => {
            clock.checked_add_signed(Duration::try_seconds(amount).ok_or_else(out_of_range)?)
        }
        Part::Millisecond => {
            clock.checked_add_signed(Duration::try_milliseconds(amount).ok_or_else(out_of_range)?)
        }
        Part::Microsecond => clock.checked_add_signed(Duration::microseconds(amount)),
        Part::Nanosecond => clock.checked_add_signed(Duration::nanoseconds(amount)),
    };
    moved
        .and_then(|m| stored(m, offset, result))
        .ok_or_else(out_of_range)
}

/// DATE_TRUNC: `value` cut down to the start of its `part`.
pub fn trunc(part: Part, value: ValueRef<'_>, ty: &SfType) -> Result<Value, SqlError> {
    if let ValueRef::Null = value {
        return Ok(Value::Null);
    }
    let (clock, offset) = wall_clock(value, ty).ok_or_else(out_of_range)?;
    let date = clock.date();
    let first_of = |month: u32| NaiveDate::from_ymd_opt(date.year(), month, 1);
    let midnight = |d: NaiveDate| d.and_time(NaiveTime::MIN);
    let cut = |unit: i64| {
        let nanos = clock.and_utc().timestamp_nanos_opt()?;
        Some(DateTime::from_timestamp_nanos(nanos - nanos.rem_euclid(unit)).naive_utc())
    };
    let truncated = match part {
        Part::Year => first_of(1).map(midnight),
        Part::Quarter => first_of((date.month0() / 3) * 3 + 1).map(midnight),
        Part::Month => first_of(date.month()).map(midnight),
        Part::Week => Some(midnight(
            date - Duration::days(i64::from(date.weekday().num_days_from_monday())),
        )),
        Part::Day | Part::DayOfWeek | Part::DayOfYear => Some(midnight(date)),
        Part::Hour => cut(3_600_000_000_000),
        Part::Minute => cut(60_000_000_000),
        Part::Second => cut(1_000_000_000),
        Part::Millisecond => cut(1_000_000),
        Part::Microsecond => cut(1_000),
        Part::Nanosecond => Some(clock),
    };
    truncated
        .and_then(|t| stored(t, offset, ty))
        .ok_or_else(out_of_range)
}

/// DATE_PART / EXTRACT / YEAR() …: one field of `value`.
pub fn field(part: Part, value: ValueRef<'_>, ty: &SfType) -> Result<Option<i64>, SqlError> {
    if let ValueRef::Null = value {
        return Ok(None);
    }
    let (clock, _) = wall_clock(value, ty).ok_or_else(out_of_range)?;
    Ok(Some(match part {
        Part::Year => i64::from(clock.year()),
        Part::Quarter => i64::from(clock.month0() / 3 + 1),
        Part::Month => i64::from(clock.month()),
        Part::Week => i64::from(clock.iso_week().week()),
        Part::Day => i64::from(clock.day()),
        Part::DayOfWeek => i64::from(clock.weekday().num_days_from_sunday()),
        Part::DayOfYear => i64::from(clock.ordinal()),
        Part::Hour => i64::from(clock.hour()),
        Part::Minute => i64::from(clock.minute()),
        Part::Second => i64::from(clock.second()),
        Part::Millisecond => i64::from(clock.nanosecond() / 1_000_000),
        Part::Microsecond => i64::from(clock.nanosecond() / 1_000),
        Part::Nanosecond => i64::from(clock.nanosecond()),
    }))
}

/// DATEDIFF: how many `part` boundaries lie between `from` and `to` (negative when `to` is
/// earlier), as Snowflake counts them.
pub fn diff(
    part: Part,
    from: (ValueRef<'_>, &SfType),
    to: (ValueRef<'_>, &SfType),
) -> Result<Option<i64>, SqlError> {
    if matches!(from.0, ValueRef::Null) || matches!(to.0, ValueRef::Null) {
        return Ok(None);
    }
    let (a, _) = wall_clock(from.0, from.1).ok_or_else(out_of_range)?;
    let (b, _) = wall_clock(to.0, to.1).ok_or_else(out_of_range)?;
    let months = |d: NaiveDateTime| i64::from(d.year()) * 12 + i64::from(d.month0());
    let nanos = |d: NaiveDateTime| d.and_utc().timestamp_nanos_opt().unwrap_or(0);
    let boundaries = |unit: i64| nanos(b).div_euclid(unit) - nanos(a).div_euclid(unit);
    Ok(Some(match part {
        Part::Year => i64::from(b.year() - a.year()),
        Part::Quarter => months(b).div_euclid(3) - months(a).div_euclid(3),
        Part::Month => months(b) - months(a),
        Part::Week => {
            let monday = |d: NaiveDateTime| {
                d.date() - Duration::days(i64::from(d.weekday().num_days_from_monday()))
            };
            (monday(b) - monday(a)).num_days() / 7
        }
        Part::Day | Part::DayOfWeek | Part::DayOfYear => (b.date() - a.date()).num_days(),
        Part::Hour => boundaries(3_600_000_000_000),
        Part::Minute => boundaries(60_000_000_000),
        Part::Second => boundaries(1_000_000_000),
        Part::Millisecond => boundaries(1_000_000),
        Part::Microsecond => boundaries(1_000),
        Part::Nanosecond => nanos(b) - nanos(a),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ntz(text: &str) -> i64 {
        super::super::types::parse_timestamp(text).unwrap()
    }

    #[test]
    fn dateadd_clamps_months_and_dates_stay_dates() {
        let ty = SfType::new(Kind::TimestampNtz);
        let added = add(
            Part::Month,
            1,
            ValueRef::Integer(ntz("2026-01-31 10:00:00")),
            &ty,
            &ty,
        )
        .unwrap();
        assert_eq!(added, Value::Integer(ntz("2026-02-28 10:00:00")));
        let date = SfType::new(Kind::Date);
        assert_eq!(
            add(Part::Day, -1, ValueRef::Integer(0), &date, &date).unwrap(),
            Value::Integer(-1)
        );
    }

    #[test]
    fn datediff_counts_boundaries() {
        let ty = SfType::new(Kind::TimestampNtz);
        let a = ntz("2025-12-31 23:59:59");
        let b = ntz("2026-01-01 00:00:01");
        let between = |part| {
            diff(
                part,
                (ValueRef::Integer(a), &ty),
                (ValueRef::Integer(b), &ty),
            )
            .unwrap()
        };
        assert_eq!(between(Part::Year), Some(1));
        assert_eq!(between(Part::Day), Some(1));
        assert_eq!(between(Part::Hour), Some(1));
        assert_eq!(between(Part::Second), Some(2));
        assert_eq!(Part::parse("mins").unwrap(), Part::Minute);
        assert_eq!(Part::parse("fortnight").unwrap_err().code, "002018");
    }

    #[test]
    fn trunc_and_fields() {
        let ty = SfType::new(Kind::TimestampNtz);
        let at = ValueRef::Integer(ntz("2026-05-14 13:45:12.5"));
        assert_eq!(
            trunc(Part::Month, at, &ty).unwrap(),
            Value::Integer(ntz("2026-05-01"))
        );
        assert_eq!(
            trunc(Part::Week, at, &ty).unwrap(),
            Value::Integer(ntz("2026-05-11"))
        );
        assert_eq!(
            trunc(Part::Hour, at, &ty).unwrap(),
            Value::Integer(ntz("2026-05-14 13:00:00"))
        );
        assert_eq!(field(Part::Quarter, at, &ty).unwrap(), Some(2));
        assert_eq!(field(Part::DayOfWeek, at, &ty).unwrap(), Some(4));
    }
}
