//! Days of the range as indices (0 = start_date), their dates, weekdays and months, and the
//! seasonal factor `dow_multiplier × month_multiplier` of each day, which scales chat activity,
//! chat arrivals, adoption days, usage days and dialog days alike.

use chrono::{Datelike, Months, NaiveDate};

use crate::config::Config;

/// Days since 1970-01-01 of `date`: the Arrow/DuckDB `DATE` representation.
pub fn epoch_days(date: NaiveDate) -> i32 {
    (date - NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid")).num_days() as i32
}

#[derive(Debug, Clone)]
pub struct Calendar {
    pub start: NaiveDate,
    pub days: i32,
    /// `epoch_days(start)`.
    pub start_epoch: i32,
    /// Weekday (0 = Monday) of each day index.
    pub dow: Vec<u8>,
    /// Month (0 = January) of each day index.
    pub month: Vec<u8>,
    /// Day of the month (1 = the first) of each day index.
    pub dom: Vec<u8>,
    /// `dow_multiplier × month_multiplier` of each day.
    pub factor: Vec<f64>,
    /// Running sums of `factor`: `cum[d]` is the sum over days before `d` (`days + 1` entries),
    /// for drawing days in proportion to the factor.
    pub cum: Vec<f64>,
}

/// A calendar month overlapping the range: its first day index (may be negative), its length,
/// and the first and last day index inside the range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonthSpan {
    pub first: i32,
    pub len: i32,
    pub in_first: i32,
    pub in_last: i32,
}

impl Calendar {
    pub fn new(c: &Config) -> Self {
        let days = c.days() as i32;
        let n = days as usize;
        let mut cal = Calendar {
            start: c.start,
            days,
            start_epoch: epoch_days(c.start),
            dow: Vec::with_capacity(n),
            month: Vec::with_capacity(n),
            dom: Vec::with_capacity(n),
            factor: Vec::with_capacity(n),
            cum: Vec::with_capacity(n + 1),
        };
        cal.cum.push(0.0);
        for d in 0..days {
            let date = c.start + chrono::Days::new(d as u64);
            let w = date.weekday().num_days_from_monday() as usize;
            let m = date.month0() as usize;
            cal.dow.push(w as u8);
            cal.month.push(m as u8);
            cal.dom.push(date.day() as u8);
            let f = c.dow[w] * c.month[m];
            cal.factor.push(f);
            cal.cum.push(cal.cum[d as usize] + f);
        }
        cal
    }

    pub fn date(&self, day: i32) -> NaiveDate {
        if day >= 0 {
            self.start + chrono::Days::new(day as u64)
        } else {
            self.start - chrono::Days::new((-day) as u64)
        }
    }

    /// The day index of `date` (may be outside the range).
    pub fn index(&self, date: NaiveDate) -> i32 {
        (date - self.start).num_days() as i32
    }

    /// The calendar months that overlap the range, in order.
    pub fn months(&self) -> Vec<MonthSpan> {
        let mut out = Vec::new();
        let mut first = self.start.with_day(1).expect("day 1 exists");
        let end = self.days - 1;
        loop {
            let next = first + Months::new(1);
            let first_idx = (first - self.start).num_days() as i32;
            let len = (next - first).num_days() as i32;
            if first_idx > end {
                break;
            }
            out.push(MonthSpan {
                first: first_idx,
                len,
                in_first: first_idx.max(0),
                in_last: (first_idx + len - 1).min(end),
            });
            first = next;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Source, load};

    #[test]
    fn year_2025() {
        let cal = Calendar::new(&load(&Source::builtin(), None, &[]).unwrap());
        assert_eq!(cal.days, 365);
        assert_eq!(cal.dow[0], 2, "2025-01-01 is a Wednesday");
        assert_eq!(cal.start_epoch, 20089);
        assert_eq!(cal.dom[31], 1, "2025-02-01");
        assert!((cal.factor[0] - 1.10).abs() < 1e-12, "a Wednesday in January");
        assert!((cal.cum[365] - cal.factor.iter().sum::<f64>()).abs() < 1e-9);
        let months = cal.months();
        assert_eq!(months.len(), 12);
        assert_eq!(
            months[1],
            MonthSpan {
                first: 31,
                len: 28,
                in_first: 31,
                in_last: 58
            }
        );
    }

    #[test]
    fn partial_months() {
        let c = load(
            &Source::builtin(),
            None,
            &[
                "dataset.start_date=2025-01-15".into(),
                "dataset.end_date=2025-02-03".into(),
            ],
        )
        .unwrap();
        let m = Calendar::new(&c).months();
        assert_eq!(
            m,
            vec![
                MonthSpan {
                    first: -14,
                    len: 31,
                    in_first: 0,
                    in_last: 16
                },
                MonthSpan {
                    first: 17,
                    len: 28,
                    in_first: 17,
                    in_last: 19
                },
            ]
        );
    }
}
