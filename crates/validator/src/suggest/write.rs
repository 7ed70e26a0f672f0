//! A suggestion as text: sift TOML with the evidence in comments, or ODCS YAML with it in a
//! leading comment.

use serde::Serialize;

use super::Suggestion;
use crate::contract::{Format, TableTarget};
use crate::error::Result;
use sift_model::thousands;

impl Suggestion {
    /// The contract as sift TOML, each column and rule under the evidence it rests on;
    /// `source` names the file in the opening comment.
    pub fn to_toml(&self, source: &str) -> String {
        let mut out = self.preamble(source);
        out.push_str(&format!("name = {}\n", quoted(&self.contract.name)));
        if !self.contract.format.is_default() {
            #[derive(Serialize)]
            struct Section<'a> {
                format: &'a Format,
            }
            out.push('\n');
            out.push_str(&toml::to_string(&Section { format: &self.contract.format }).unwrap_or_default());
        }
        if let Some(table) = &self.contract.table {
            #[derive(Serialize)]
            struct Section<'a> {
                table: &'a TableTarget,
            }
            out.push('\n');
            out.push_str(&toml::to_string(&Section { table }).unwrap_or_default());
        }
        for proposal in &self.proposals {
            out.push('\n');
            for line in &proposal.evidence {
                out.push_str(&comment(&format!("{}: {line}", proposal.column.name)));
            }
            out.push_str(&format!("[[columns]]\nname = {}\n", quoted(&proposal.column.name)));
            if !proposal.column.required {
                out.push_str("required = false\n");
            }
        }
        for proposal in &self.proposals {
            let Some(rule) = &proposal.rule else { continue };
            out.push('\n');
            if let Some(because) = &proposal.because {
                out.push_str(&comment(&format!("{}: {because}", proposal.column.name)));
            }
            out.push_str("[[rules]]\n");
            out.push_str(&toml::to_string(rule).unwrap_or_default());
            if !out.ends_with('\n') {
                out.push('\n');
            }
        }
        out
    }

    /// The contract as ODCS v3.1 YAML, the evidence in a comment before it.
    pub fn to_odcs(&self, source: &str) -> Result<String> {
        let mut out = self.preamble(source);
        for proposal in &self.proposals {
            for line in proposal.evidence.iter().chain(&proposal.because) {
                out.push_str(&comment(&format!("{}: {line}", proposal.column.name)));
            }
        }
        out.push_str(&crate::odcs::export_odcs(&self.contract)?);
        Ok(out)
    }

    /// The opening comment: where the contract comes from and how far it holds.
    fn preamble(&self, source: &str) -> String {
        let read = if self.sampled {
            format!("the first {} rows (--sample-rows; the rest was not read)", thousands(self.rows))
        } else {
            format!("{} rows, the whole file", thousands(self.rows))
        };
        let mut out = comment(&format!(
            "Suggested by `sift contract suggest` from {source}: {read}. Every check holds on every row \
             read, so `sift run` with this contract finds no invalid row there (but for what the evidence \
             says cannot pass). The bounds are what the file shows, not what the data may become: review \
             each one, and tighten or loosen it. The evidence is in the comment above each column and rule."
        ));
        for note in &self.notes {
            out.push_str(&comment(note));
        }
        out.push('\n');
        out
    }
}

/// `text` as TOML comment lines, wrapped at about 96 columns.
fn comment(text: &str) -> String {
    let mut out = String::new();
    let mut line = String::from("#");
    for word in text.split(' ') {
        if line.len() > 1 && line.len() + 1 + word.len() > 96 {
            out.push_str(&line);
            out.push('\n');
            line = String::from("#  ");
        }
        line.push(' ');
        line.push_str(word);
    }
    out.push_str(&line);
    out.push('\n');
    out
}

/// A TOML string.
fn quoted(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}
