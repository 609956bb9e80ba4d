//! Parquet outputs (cargo feature `parquet`), read back with the `parquet`
//! crate's own reader: every record file of a capture and every report table
//! hold, cell for cell, the values of the JSON outputs they come from.
#![cfg(feature = "parquet")]

use std::fs::File;
use std::path::Path;
use std::process::Command;

use parquet::record::Field;
use serde_json::Value;

use crate::common;

fn ivraie(args: &[&str]) {
    let o = Command::new(env!("CARGO_BIN_EXE_ivraie"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "ivraie {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Column names and rows of a Parquet file.
fn read_parquet(path: &Path) -> (Vec<String>, Vec<Vec<Field>>) {
    ivraie::parquet::read_rows(File::open(path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Whether a Parquet cell holds the JSON value (a missing field is null; lists
/// and objects are their JSON text; integers are compared exactly).
fn same(cell: &Field, v: Option<&Value>) -> bool {
    match (cell, v) {
        (Field::Null, None | Some(Value::Null)) => true,
        (Field::Bool(b), Some(Value::Bool(c))) => b == c,
        (Field::Long(n), Some(Value::Number(m))) => m.as_i64() == Some(*n),
        (Field::Double(x), Some(Value::Number(m))) => m.as_f64() == Some(*x),
        (Field::Str(s), Some(Value::String(t))) => s == t,
        (Field::Str(s), Some(other)) => *s == other.to_string(),
        _ => false,
    }
}

#[test]
fn record_files_as_parquet_hold_the_values_of_the_json_lines() {
    let tmp = tempfile::tempdir().unwrap();
    let (json_dir, pq_dir) = (tmp.path().join("json"), tmp.path().join("pq"));
    for (dir, format) in [(&json_dir, "jsonl"), (&pq_dir, "parquet")] {
        ivraie(&[
            "extract",
            "pcaps/population.pcap",
            "--format",
            format,
            "-o",
            dir.to_str().unwrap(),
        ]);
    }
    let mut files = 0;
    let mut cells = 0;
    for e in std::fs::read_dir(&json_dir).unwrap() {
        let jsonl = e.unwrap().path();
        if jsonl.extension().is_none_or(|x| x != "jsonl") {
            continue; // `.ivraie.json`, which says which command wrote the directory
        }
        let stem = jsonl.file_stem().unwrap().to_str().unwrap().to_string();
        let want = common::read_jsonl(&jsonl);
        let (columns, got) = read_parquet(&pq_dir.join(format!("{stem}.parquet")));
        assert_eq!(got.len(), want.len(), "{stem}: rows");
        for (i, (row, obj)) in got.iter().zip(&want).enumerate() {
            // Every field of the JSON line is a column.
            for k in obj.as_object().unwrap().keys() {
                assert!(columns.contains(k), "{stem}: no column `{k}`");
            }
            for (c, cell) in columns.iter().zip(row) {
                assert!(
                    same(cell, obj.get(c)),
                    "{stem} row {i} column {c}: {cell:?} vs {:?}",
                    obj.get(c)
                );
                cells += 1;
            }
        }
        files += 1;
    }
    // flows and every protocol's file (WHOIS has no record in this capture).
    assert_eq!(files, 1 + ivraie::dissect::registry().len());
    assert!(cells > 40_000, "{cells} cells compared");
    // Types are the values' own: ports are integers, times doubles, names text.
    let (columns, rows) = read_parquet(&pq_dir.join("dns.parquet"));
    let at = |name: &str| columns.iter().position(|c| c == name).unwrap();
    assert!(matches!(rows[0][at("ts")], Field::Double(_)));
    assert!(matches!(rows[0][at("resp_p")], Field::Long(53)));
    assert!(matches!(rows[0][at("query")], Field::Str(_)));
}

#[test]
fn report_tables_as_parquet_hold_the_numbers_of_report_json() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    let out_s = out.to_str().unwrap();
    ivraie(&[
        "run",
        "scenarios/pbx-tollfraud.toml",
        "--no-progress",
        "-o",
        out_s,
    ]);
    ivraie(&["report", out_s, "--format", "parquet"]);
    let report: Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    let mut rows_checked = 0;
    for t in ivraie::report::tables::tables(&report) {
        let (columns, rows) = read_parquet(&out.join(format!("tables/{}.parquet", t.name)));
        assert_eq!(columns, t.columns, "{}", t.name);
        assert_eq!(rows.len(), t.rows.len(), "{}", t.name);
        for (got, want) in rows.iter().zip(&t.rows) {
            for ((c, cell), v) in columns.iter().zip(got).zip(want) {
                assert!(same(cell, Some(v)), "{} {c}: {cell:?} vs {v}", t.name);
            }
            rows_checked += 1;
        }
    }
    assert!(rows_checked > 10, "{rows_checked} rows");
}
