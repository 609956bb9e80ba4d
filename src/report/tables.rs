//! The tables of `report.json` as CSV, for spreadsheets and dataframes:
//! `run.csv` (one row: the scenario, the traffic, the oversight head),
//! `boxes.csv` (one row per box: settings and totals), `windows.csv` (one row
//! per authorisation window) and `days.csv` (one row per box and simulated day).
//!
//! Nested objects become dotted columns (`judged.confusion.tp`,
//! `extrapolation.ppv.lo`); arrays are left to their own table; `null` is an
//! empty cell. Numbers are written as numbers, exactly as in `report.json`.
//! A text cell that a spreadsheet would take for a formula (starting with `=`,
//! `+`, `-`, `@`, tab or CR) is prefixed with `'`.

use serde_json::{Map, Value};

/// One table: column names and rows of cells (JSON scalars).
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    /// File stem: `run`, `boxes`, `windows`, `days`.
    pub name: &'static str,
    /// Column names, dotted for nested fields.
    pub columns: Vec<String>,
    /// Rows, one cell per column.
    pub rows: Vec<Vec<Value>>,
}

fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, Value)>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let key = if prefix.is_empty() {
                    k.clone()
                } else if prefix.rsplit('.').next() == Some(k.as_str()) && x.is_object() {
                    // `traffic.traffic.packets` (the run's traffic summary
                    // holds the packet counts under `traffic` too) reads
                    // `traffic.packets`.
                    prefix.to_string()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, x, out);
            }
        }
        Value::Array(_) => {}
        other => out.push((prefix.to_string(), other.clone())),
    }
}

/// Builds a table from flattened rows: the union of their columns, each new one
/// placed after the column it followed in its row.
fn table(name: &'static str, rows: Vec<Vec<(String, Value)>>) -> Table {
    let mut columns: Vec<String> = Vec::new();
    for row in &rows {
        let mut pos = 0;
        for (k, _) in row {
            match columns.iter().position(|c| c == k) {
                Some(i) => pos = i + 1,
                None => {
                    columns.insert(pos, k.clone());
                    pos += 1;
                }
            }
        }
    }
    // `judged` null in one row and an object in another: keep the object's columns.
    let parents: Vec<String> = columns
        .iter()
        .filter(|c| columns.iter().any(|d| d.starts_with(&format!("{c}."))))
        .cloned()
        .collect();
    columns.retain(|c| !parents.contains(c));
    let rows = rows
        .into_iter()
        .map(|row| {
            let mut m: Map<String, Value> = row.into_iter().collect();
            columns
                .iter()
                .map(|c| m.remove(c).unwrap_or(Value::Null))
                .collect()
        })
        .collect();
    Table {
        name,
        columns,
        rows,
    }
}

fn without(v: &Value, keys: &[&str]) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| !keys.contains(&k.as_str()))
                .map(|(k, x)| (k.clone(), x.clone()))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn boxes(report: &Value) -> &[Value] {
    report
        .get("boxes")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn per_box(report: &Value, name: &'static str, key: &str) -> Table {
    let mut rows = Vec::new();
    for b in boxes(report) {
        let box_name = b.get("name").cloned().unwrap_or(Value::Null);
        for item in b.get(key).and_then(Value::as_array).into_iter().flatten() {
            let mut row = vec![("box".to_string(), box_name.clone())];
            flatten("", item, &mut row);
            rows.push(row);
        }
    }
    table(name, rows)
}

/// The tables of a `report.json` value.
pub fn tables(report: &Value) -> Vec<Table> {
    let mut run = Vec::new();
    flatten("", &without(report, &["boxes"]), &mut run);
    let box_rows = boxes(report)
        .iter()
        .map(|b| {
            let mut row = Vec::new();
            flatten("", &without(b, &["windows", "days"]), &mut row);
            row
        })
        .collect();
    vec![
        table("run", vec![run]),
        table("boxes", box_rows),
        per_box(report, "windows", "windows"),
        per_box(report, "days", "days"),
    ]
}

/// One cell: numbers and booleans as JSON writes them, null empty, text with
/// a `'` before a leading `=`, `+`, `-`, `@`, tab or CR.
pub fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => {
            if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
                format!("'{s}")
            } else {
                s.clone()
            }
        }
        other => other.to_string(),
    }
}

/// The table as CSV (RFC 4180 quoting, a header row, rows ending with LF).
pub fn to_csv(t: &Table) -> Vec<u8> {
    let mut out = Vec::new();
    crate::record::csv_row(&mut out, &t.columns);
    for row in &t.rows {
        let cells: Vec<String> = row.iter().map(cell).collect();
        crate::record::csv_row(&mut out, &cells);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn formulas_are_defused_and_numbers_stay_numbers() {
        for s in ["=1+1", "+33 1", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(cell(&json!(s)), format!("'{s}"));
        }
        assert_eq!(cell(&json!("plain")), "plain");
        assert_eq!(cell(&json!(-2)), "-2");
        assert_eq!(cell(&json!(0.125)), "0.125");
        assert_eq!(cell(&json!(1e-7)), "1e-7");
        assert_eq!(cell(&json!(null)), "");
        assert_eq!(cell(&json!(true)), "true");
    }

    #[test]
    fn nested_fields_become_dotted_columns_and_nulls_give_way() {
        let r = json!({"scenario": "x", "boxes": [
            {"name": "a", "judged": null, "alerts": 1, "windows": [{"index": 1, "reason": "=cmd"}], "days": []},
            {"name": "b", "judged": {"confusion": {"tp": 1, "fn": 0}}, "alerts": 2,
             "windows": [{"index": 1}, {"index": 2}], "days": [{"date": "2026-01-01"}]}
        ]});
        let t = tables(&r);
        assert_eq!(
            t.iter().map(|t| t.name).collect::<Vec<_>>(),
            ["run", "boxes", "windows", "days"]
        );
        assert_eq!(t[0].columns, ["scenario"]);
        assert_eq!(
            t[1].columns,
            [
                "name",
                "judged.confusion.tp",
                "judged.confusion.fn",
                "alerts"
            ]
        );
        assert_eq!(
            t[1].rows[0],
            [json!("a"), json!(null), json!(null), json!(1)]
        );
        assert_eq!(t[2].columns, ["box", "index", "reason"]);
        assert_eq!(t[2].rows.len(), 3);
        let csv = String::from_utf8(to_csv(&t[2])).unwrap();
        assert_eq!(csv, "box,index,reason\na,1,'=cmd\nb,1,\nb,2,\n");
        assert_eq!(t[3].rows, [[json!("b"), json!("2026-01-01")]]);
    }
}
