//! The one shape every section of the report takes: a table (a title, columns, rows of cells with
//! their units), one renderer per output: the terminal, Markdown and JSON (serde); and the units
//! written readably.

use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

/// What a number measures, and so how it is written: seconds in the unit that keeps 3-4 digits
/// (`1.93 ms`), bytes (`7.9 MiB`), a share 0..=1 (`97.5%`), a count, a ratio (`1.41x`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Unit {
    Seconds,
    Bytes,
    Share,
    Count,
    Ratio,
}

/// One cell: a figure with its unit (and its standard error, when it has one), a name or label,
/// or nothing (`null` in JSON, `-` elsewhere).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub(crate) enum Cell {
    Value {
        value: f64,
        unit: Unit,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<f64>,
    },
    Text(String),
    Empty,
}

impl Cell {
    pub(crate) fn of(value: f64, unit: Unit) -> Cell {
        let error = None;
        Cell::Value { value, unit, error }
    }

    pub(crate) fn pm(value: f64, error: f64, unit: Unit) -> Cell {
        let error = Some(error);
        Cell::Value { value, unit, error }
    }

    /// A ratio with its error, or nothing.
    pub(crate) fn ratio(r: Option<(f64, f64)>) -> Cell {
        r.map_or(Cell::Empty, |(r, e)| Cell::pm(r, e, Unit::Ratio))
    }
}

impl<T: Into<String>> From<T> for Cell {
    fn from(s: T) -> Cell {
        Cell::Text(s.into())
    }
}

impl std::fmt::Display for Cell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let one = |v: f64, unit: Unit| match unit {
            Unit::Seconds => duration(v),
            Unit::Bytes => bytes(v.max(0.0) as u64),
            Unit::Share => percent(v),
            Unit::Count if v.fract() == 0.0 => format!("{v:.0}"),
            Unit::Count => format!("{v:.1}"),
            Unit::Ratio => format!("{v:.2}"),
        };
        match self {
            Cell::Value { value, unit, error } => {
                let e = error
                    .map(|e| format!(" ± {}", one(e, *unit)))
                    .unwrap_or_default();
                let x = if *unit == Unit::Ratio { "x" } else { "" };
                write!(f, "{}{e}{x}", one(*value, *unit))
            }
            Cell::Text(s) => f.write_str(s),
            Cell::Empty => f.write_str("-"),
        }
    }
}

/// One section of the report; its title says what a reader needs to read it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Table {
    pub title: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    pub(crate) fn new(title: impl Into<String>, columns: &[&str]) -> Table {
        let columns = columns.iter().map(|c| (*c).to_string()).collect();
        Table {
            title: title.into(),
            columns,
            rows: Vec::new(),
        }
    }

    pub(crate) fn row(&mut self, cells: Vec<Cell>) {
        self.rows.push(cells);
    }

    /// Whether column `i` holds figures (else names and labels).
    fn figures(&self, i: usize) -> bool {
        (self.rows.iter()).any(|r| matches!(r.get(i), Some(Cell::Value { .. })))
    }

    /// For the terminal: the title, then the columns aligned under a two-space indent (names and
    /// labels to the left, figures to the right).
    pub(crate) fn terminal(&self) -> String {
        let cells = (self.rows.iter()).map(|r| r.iter().map(ToString::to_string).collect());
        let texts: Vec<Vec<String>> = std::iter::once(self.columns.clone()).chain(cells).collect();
        let mut widths = vec![0; self.columns.len()];
        for row in &texts {
            widths
                .iter_mut()
                .zip(row)
                .for_each(|(w, t)| *w = (*w).max(t.chars().count()));
        }
        let mut out = format!("{}\n", self.title);
        for row in &texts {
            let mut line = String::new();
            for (i, (t, w)) in row.iter().zip(&widths).enumerate() {
                let pad = " ".repeat(w - t.chars().count());
                let _ = match self.figures(i) {
                    true => write!(line, "  {pad}{t}"),
                    false => write!(line, "  {t}{pad}"),
                };
            }
            let _ = writeln!(out, "{}", line.trim_end());
        }
        out
    }

    /// As a Markdown section: a heading and a table, figures right-aligned.
    pub(crate) fn markdown(&self) -> String {
        let cell = |s: &str| s.replace('|', "\\|");
        let line = |cells: Vec<String>| format!("| {} |\n", cells.join(" | "));
        let align = (0..self.columns.len()).map(|i| if self.figures(i) { "--:" } else { "---" });
        let mut out = format!("## {}\n\n", cell(&self.title));
        out.push_str(&line(self.columns.iter().map(|c| cell(c)).collect()));
        out.push_str(&line(align.map(String::from).collect()));
        for r in &self.rows {
            out.push_str(&line(r.iter().map(|c| cell(&c.to_string())).collect()));
        }
        out.push('\n');
        out
    }
}

/// A duration given in seconds, in the unit that keeps 3-4 significant digits: `812 ns`,
/// `12.4 µs`, `1.93 ms`, `1.20 s`.
pub(crate) fn duration(secs: f64) -> String {
    let abs = secs.abs();
    if abs == 0.0 {
        "0".to_string()
    } else if abs < 1e-6 {
        format!("{:.0} ns", secs * 1e9)
    } else if abs < 1e-3 {
        format!("{} µs", sig(secs * 1e6))
    } else if abs < 1.0 {
        format!("{} ms", sig(secs * 1e3))
    } else {
        format!("{:.2} s", secs)
    }
}

/// Three significant digits for values in 1..1000.
fn sig(v: f64) -> String {
    if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// A size in bytes: `512 B`, `3.4 KiB`, `7.9 MiB`, `1.2 GiB`.
pub(crate) fn bytes(n: u64) -> String {
    let (mut v, mut unit) = (n as f64, "B");
    for u in ["KiB", "MiB", "GiB"] {
        if v >= 1024.0 {
            (v, unit) = (v / 1024.0, u);
        }
    }
    match unit {
        "B" => format!("{n} B"),
        _ => format!("{v:.1} {unit}"),
    }
}

/// A share 0..=1 as a percentage: `97.5%`, `100%`.
pub(crate) fn percent(share: f64) -> String {
    let p = share * 100.0;
    if (p - p.round()).abs() < 0.05 {
        format!("{:.0}%", p)
    } else {
        format!("{p:.1}%")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cell of the row whose first cell is `key`, in column `column`.
    fn get<'a>(t: &'a Table, key: &str, column: &str) -> Option<&'a Cell> {
        let c = t.columns.iter().position(|x| x == column)?;
        let row = (t.rows.iter()).find(|r| r.first().is_some_and(|k| k.to_string() == key))?;
        row.get(c)
    }

    fn small() -> Table {
        let mut t = Table::new(
            "end to end | seeded",
            &["scenario", "median", "x floor", "n", "tool"],
        );
        t.row(vec![
            "claude-edit".into(),
            Cell::of(1.49e-3, Unit::Seconds),
            Cell::pm(1.41, 0.01, Unit::Ratio),
            Cell::of(200.0, Unit::Count),
            "Edit".into(),
        ]);
        t.row(vec![
            "a|b".into(),
            Cell::of(0.25, Unit::Seconds),
            Cell::Empty,
            Cell::of(3.0, Unit::Count),
            "Bash".into(),
        ]);
        t
    }

    #[test]
    fn the_terminal_aligns_names_left_and_figures_right() {
        let text = small().terminal();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "end to end | seeded");
        assert_eq!(
            &lines[1..],
            [
                "  scenario      median       x floor    n  tool",
                "  claude-edit  1.49 ms  1.41 ± 0.01x  200  Edit",
                "  a|b           250 ms             -    3  Bash",
            ]
        );
    }

    #[test]
    fn markdown_is_a_table_with_escaped_pipes() {
        let md = small().markdown();
        let lines: Vec<&str> = md.lines().collect();
        assert_eq!(lines[0], "## end to end \\| seeded");
        assert_eq!(lines[2], "| scenario | median | x floor | n | tool |");
        assert_eq!(lines[3], "| --- | --: | --: | --: | --- |");
        assert_eq!(
            lines[4],
            "| claude-edit | 1.49 ms | 1.41 ± 0.01x | 200 | Edit |"
        );
        assert_eq!(lines[5], "| a\\|b | 250 ms | - | 3 | Bash |");
        assert!(md.ends_with("|\n\n"), "{md}");
    }

    #[test]
    fn json_round_trips_with_values_units_and_gaps() {
        let t = small();
        let text = serde_json::to_string(&t).expect("serializes");
        let back: Table = serde_json::from_str(&text).expect("parses");
        assert_eq!(back, t);
        let v: serde_json::Value = serde_json::from_str(&text).expect("json");
        assert_eq!(v["rows"][0][1]["unit"], "seconds");
        assert_eq!(v["rows"][0][2]["error"], 0.01);
        assert!(v["rows"][0][1].get("error").is_none());
        assert!(v["rows"][1][2].is_null());
        assert_eq!(
            get(&t, "claude-edit", "n"),
            Some(&Cell::of(200.0, Unit::Count))
        );
        assert_eq!(get(&back, "a|b", "x floor"), Some(&Cell::Empty));
        assert_eq!(get(&t, "nope", "n"), None);
    }

    #[test]
    fn durations() {
        assert_eq!(duration(0.0), "0");
        assert_eq!(duration(812e-9), "812 ns");
        assert_eq!(duration(12.44e-6), "12.4 µs");
        assert_eq!(duration(1.934e-3), "1.93 ms");
        assert_eq!(duration(0.2345), "234 ms");
        assert_eq!(duration(1.2), "1.20 s");
    }

    #[test]
    fn sizes_and_percentages() {
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(3482), "3.4 KiB");
        assert_eq!(bytes(8_283_750), "7.9 MiB");
        assert_eq!(percent(1.0), "100%");
        assert_eq!(percent(0.975), "97.5%");
        assert_eq!(percent(0.0), "0%");
    }
}
