//! Days of the range as indices (0 = start_date), their dates, weekdays, months and the activity
//! factors the multipliers give each day.

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
    /// `dow_multiplier × month_multiplier` of each day: scales chat activity.
    pub chat_factor: Vec<f64>,
    /// The same product divided by the mean multipliers, so its average is about 1: scales
    /// service usage so that `mean_active_days` stays the mean.
    pub usage_factor: Vec<f64>,
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

impl MonthSpan {
    /// The share of the month's days inside the range.
    pub fn fraction(&self) -> f64 {
        (self.in_last - self.in_first + 1) as f64 / self.len as f64
    }
}

impl Calendar {
    pub fn new(c: &Config) -> Self {
        let days = c.days() as i32;
        let dow_mean = c.dow.iter().sum::<f64>() / 7.0;
        let month_mean = c.month.iter().sum::<f64>() / 12.0;
        let mut cal = Calendar {
            start: c.start,
            days,
            start_epoch: epoch_days(c.start),
            dow: Vec::with_capacity(days as usize),
            month: Vec::with_capacity(days as usize),
            chat_factor: Vec::with_capacity(days as usize),
            usage_factor: Vec::with_capacity(days as usize),
        };
        for d in 0..days {
            let date = c.start + chrono::Days::new(d as u64);
            let w = date.weekday().num_days_from_monday() as usize;
            let m = date.month0() as usize;
            cal.dow.push(w as u8);
            cal.month.push(m as u8);
            cal.chat_factor.push(c.dow[w] * c.month[m]);
            cal.usage_factor.push(c.dow[w] / dow_mean * c.month[m] / month_mean);
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
        let mean: f64 = cal.usage_factor.iter().sum::<f64>() / 365.0;
        assert!((mean - 1.0).abs() < 0.02, "{mean}");
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
