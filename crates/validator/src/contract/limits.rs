//! When a file is held: the invalid share, or a rule's share, above its limit.

use serde::{Deserialize, Serialize};

use super::Contract;

/// The `[limits]` section: the share of bad rows past which a file is *held*: nothing of it is
/// loaded, its invalid records are still written, and its run ends rejected (`file held:`).
/// A rule's own limit is its `max_failure_pct`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Most invalid rows a file may have, in percent of its rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_invalid_pct: Option<f64>,
    /// Most rows failing a failure id, in percent, for ids that are not rules
    /// (`"not_null:email" = 1`); a rule's own limit is its `max_failure_pct`.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub max_failure_pct: std::collections::BTreeMap<String, f64>,
}

impl Limits {
    /// No limit.
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

/// What held a file: the limit, its value and the measured share.
#[derive(Debug, Clone, PartialEq)]
pub struct Hold {
    /// The limit: `max_invalid_pct`, or a rule's `max_failure_pct`.
    pub limit: HoldLimit,
    /// The limit's value, in percent.
    pub max_pct: f64,
    /// The rows over it (invalid rows, or rows failing or warning on the rule).
    pub rows: u64,
    /// The file's rows.
    pub total: u64,
}

/// Which limit held a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HoldLimit {
    /// `[limits] max_invalid_pct`.
    Invalid,
    /// The rule's `max_failure_pct`.
    Rule(String),
}

impl Hold {
    /// The measured share, in percent.
    pub fn pct(&self) -> f64 {
        if self.total == 0 { 0.0 } else { self.rows as f64 * 100.0 / self.total as f64 }
    }
}

impl std::fmt::Display for Hold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (rows, total) = (self.rows, self.total);
        match &self.limit {
            HoldLimit::Invalid => write!(
                f,
                "max_invalid_pct = {}% exceeded: {:.2}% of the rows are invalid ({rows} of {total})",
                self.max_pct,
                self.pct()
            ),
            HoldLimit::Rule(id) => write!(
                f,
                "rule `{id}` max_failure_pct = {}% exceeded: {:.2}% of the rows fail it ({rows} of {total})",
                self.max_pct,
                self.pct()
            ),
        }
    }
}

impl Contract {
    /// The first limit a file with `tally`'s counts exceeds (`[limits]`, then each rule's
    /// `max_failure_pct` in report order), if any. A share equal to a limit is within it.
    pub fn hold(&self, tally: &crate::Tally) -> Option<Hold> {
        let over = |max_pct: f64, rows: u64| rows as f64 * 100.0 > max_pct * tally.total as f64;
        if let Some(max_pct) = self.limits.max_invalid_pct
            && over(max_pct, tally.invalid)
        {
            return Some(Hold {
                limit: HoldLimit::Invalid,
                max_pct,
                rows: tally.invalid,
                total: tally.total,
            });
        }
        let count =
            |counts: &[(String, u64)], id: &str| counts.iter().find(|(i, _)| i == id).map_or(0, |(_, n)| *n);
        for (id, &max_pct) in &self.limits.max_failure_pct {
            let rows = count(&tally.failures, id) + count(&tally.warnings, id);
            if over(max_pct, rows) {
                return Some(Hold { limit: HoldLimit::Rule(id.clone()), max_pct, rows, total: tally.total });
            }
        }
        self.rules.iter().find_map(|rule| {
            let max_pct = rule.max_failure_pct?;
            let count = |counts: &[(String, u64)]| {
                counts.iter().find(|(id, _)| *id == rule.id).map_or(0, |(_, n)| *n)
            };
            let rows = count(&tally.failures) + count(&tally.warnings);
            over(max_pct, rows).then(|| Hold {
                limit: HoldLimit::Rule(rule.id.clone()),
                max_pct,
                rows,
                total: tally.total,
            })
        })
    }
}
