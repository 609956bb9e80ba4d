//! `report.html` and the CSV tables of a real run (the classroom scenario),
//! checked by the programs people open them with: headless Chromium loads the
//! page (no console message, every chart's `<svg>` in the DOM, a screenshot),
//! and Python's `csv` module reads the tables back into report.json's numbers.
//!
//! Chromium (Debian's `chromium`, installed by `.ci/run`) and python3 are
//! required in CI (env `CI` set); elsewhere a test without them says so loudly
//! and stops.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use serde_json::Value;

fn ivraie(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ivraie"))
        .args(args)
        .arg(dir)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

/// One classroom run (with `--tables`) shared by the tests of this file.
fn classroom() -> &'static Path {
    static RUN: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, out) = RUN.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("classroom");
        let o = ivraie(
            &[
                "run",
                "scenarios/classroom.toml",
                "--tables",
                "--no-progress",
                "-o",
            ],
            &out,
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(
            text.contains(&format!(
                "open in a browser: {}",
                out.join("report.html").display()
            )),
            "{text}"
        );
        (tmp, out)
    });
    out
}

fn report_json(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("report.json")).unwrap()).unwrap()
}

/// A tool the test needs: its path, or `None` (after a loud message) when it is
/// missing outside CI. In CI a missing tool fails the test.
fn tool(candidates: &[&str], what: &str) -> Option<PathBuf> {
    for c in candidates {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {c}")])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
        if found.is_some() {
            return found;
        }
    }
    if std::env::var_os("CI").is_some() {
        panic!(
            "{what} ({}) is required in CI and is not installed",
            candidates.join(" or ")
        );
    }
    eprintln!(
        "\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\
         !!! SKIPPED: {what} not found ({}); install it to run this test   !!!\n\
         !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n",
        candidates.join(" or ")
    );
    None
}

fn chromium() -> Option<PathBuf> {
    tool(
        &["chromium", "chromium-browser", "google-chrome"],
        "headless Chromium",
    )
}

/// Loads a page in headless Chromium: its DOM after load, and the console
/// messages it printed (any at all is a failure for our pages: they hold no
/// script, and their CSP turns a fetch attempt into a console message).
fn load(chromium: &Path, page: &Path) -> (String, Vec<String>) {
    let o = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--enable-logging=stderr",
            "--v=0",
            "--dump-dom",
        ])
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "chromium: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let console = String::from_utf8_lossy(&o.stderr)
        .lines()
        .filter(|l| l.contains(":CONSOLE") || l.contains("Uncaught"))
        .map(str::to_string)
        .collect();
    (String::from_utf8_lossy(&o.stdout).into_owned(), console)
}

#[test]
fn classroom_report_loads_in_headless_chromium_with_every_chart() {
    let dir = classroom();
    let Some(chromium) = chromium() else { return };
    // The harness sees console messages: a page with a blocked fetch and a
    // console error must be caught.
    let bad = dir.join("bad.html");
    std::fs::write(
        &bad,
        ivraie::report::html::page("bad", "<img src=\"http://example.invalid/x.png\"><p>x</p>"),
    )
    .unwrap();
    let (_, console) = load(&chromium, &bad);
    assert!(
        console
            .iter()
            .any(|l| l.contains("Content Security Policy")),
        "a fetch from the page must be blocked and reported: {console:?}"
    );

    let page = dir.join("report.html");
    let (dom, console) = load(&chromium, &page);
    assert!(console.is_empty(), "console messages: {console:#?}");
    let report: ivraie::simulator::Report = serde_json::from_value(report_json(dir)).unwrap();
    let ids = ivraie::report::html::chart_ids(&report);
    assert_eq!(
        ids,
        [
            "chart-watchlist-timeline",
            "chart-watchlist-volume",
            "chart-watchlist-alerts",
            "chart-watchlist-people",
            "chart-watchlist-ppv"
        ]
    );
    for id in &ids {
        assert_eq!(
            dom.matches(&format!("<svg id=\"{id}\"")).count(),
            1,
            "{id} in the DOM"
        );
    }
    // The sentence a teacher reads out carries report.json's own ratio.
    let snr = &report_json(dir)["boxes"][0]["judged"]["snr"];
    let per_true = snr["false_per_true"].as_f64().unwrap();
    let said: f64 = dom
        .split("For every real target flagged, ")
        .nth(1)
        .and_then(|rest| rest.split(" innocent people were flagged.").next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no verdict sentence in the page"));
    // One decimal under ten, whole numbers from ten (two significant digits).
    let step = if per_true >= 9.95 { 0.51 } else { 0.051 };
    assert!(
        (said - per_true).abs() < step,
        "the page says {said}, report.json {per_true}"
    );
    assert!(dom.contains("✔ verified"), "the log verifies");

    let shot = dir.join("report.png");
    let o = Command::new(&chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--window-size=1200,3000",
        ])
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let png = std::fs::read(&shot).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert!(
        png.len() > 50_000,
        "a blank screenshot is small: {} bytes",
        png.len()
    );
    // Keep a copy for people to look at.
    let keep = Path::new(env!("CARGO_TARGET_TMPDIR")).join("classroom-report.png");
    std::fs::copy(&shot, &keep).unwrap();
    eprintln!("screenshot: {}", keep.display());
}

#[test]
fn a_tampered_log_shows_in_the_redrawn_report() {
    let dir = classroom();
    let copy = tempfile::tempdir().unwrap();
    for f in ["report.json", "oversight.jsonl"] {
        std::fs::copy(dir.join(f), copy.path().join(f)).unwrap();
    }
    let o = ivraie(&["report"], copy.path());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let redrawn = std::fs::read_to_string(copy.path().join("report.html")).unwrap();
    assert_eq!(
        redrawn,
        std::fs::read_to_string(dir.join("report.html")).unwrap(),
        "`ivraie report` draws the page `ivraie run` drew"
    );
    let log = std::fs::read_to_string(copy.path().join("oversight.jsonl")).unwrap();
    let cut: Vec<&str> = log.lines().collect();
    std::fs::write(
        copy.path().join("oversight.jsonl"),
        cut[..cut.len() - 1].join("\n") + "\n",
    )
    .unwrap();
    let o = ivraie(&["report"], copy.path());
    assert_eq!(
        o.status.code(),
        Some(2),
        "a log that does not verify is damage"
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("oversight.jsonl does not verify") && err.contains("verify-log"),
        "and it is said, not only drawn: {err}"
    );
    let html = std::fs::read_to_string(copy.path().join("report.html")).unwrap();
    assert!(
        html.contains("✘ does not verify"),
        "the cut log is reported"
    );
    std::fs::remove_file(copy.path().join("report.json")).unwrap();
    let o = ivraie(&["report"], copy.path());
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(&copy.path().join("report.json").display().to_string()),
        "{err}"
    );
}

/// Reads every table with Python's `csv` module and compares each cell with the
/// field of report.json it comes from. Prints the number of cells compared.
const CHECK_TABLES: &str = r#"
import csv, json, os, sys
d = sys.argv[1]
r = json.load(open(os.path.join(d, "report.json")))
DANGER = ("=", "+", "-", "@", "\t", "\r")

def flat(prefix, v, out):
    if isinstance(v, dict):
        for k, x in v.items():
            # `traffic.traffic.packets` is written `traffic.packets`.
            same = prefix.split(".")[-1] == k and isinstance(x, dict)
            flat(prefix if same else (prefix + "." + k if prefix else k), x, out)
    elif not isinstance(v, list):
        out[prefix] = v

checked = 0
def compare(table, row, obj, extra):
    global checked
    f = {}
    flat("", obj, f)
    f.update(extra)
    for col, cell in row.items():
        if col not in f:
            # A field this row leaves out (`reason`), or an object null here.
            assert cell == "", (table, col, cell)
            continue
        v = f[col]
        if v is None:
            assert cell == "", (table, col, cell)
        elif isinstance(v, bool):
            assert cell == ("true" if v else "false"), (table, col, cell)
        elif isinstance(v, int):
            assert int(cell) == v, (table, col, cell, v)
        elif isinstance(v, float):
            assert float(cell) == v, (table, col, cell, v)
        else:
            assert cell == ("'" + v if v.startswith(DANGER) else v), (table, col, cell, v)
        checked += 1
    for k, v in f.items():
        assert k in row or (v is None and any(c.startswith(k + ".") for c in row)), (table, "missing", k)

def rows(name):
    with open(os.path.join(d, "tables", name + ".csv"), newline="") as fh:
        return list(csv.DictReader(fh))

run = rows("run")
assert len(run) == 1
compare("run", run[0], {k: v for k, v in r.items() if k != "boxes"}, {})
boxes = rows("boxes")
assert len(boxes) == len(r["boxes"])
for row, b in zip(boxes, r["boxes"]):
    compare("boxes", row, {k: v for k, v in b.items() if k not in ("windows", "days")}, {})
for table in ("windows", "days"):
    got = rows(table)
    want = [(b["name"], x) for b in r["boxes"] for x in b[table]]
    assert len(got) == len(want), (table, len(got), len(want))
    for row, (name, x) in zip(got, want):
        compare(table, row, x, {"box": name})
print(checked)
"#;

fn check_tables(python: &Path, dir: &Path) -> usize {
    let o = Command::new(python)
        .args(["-c", CHECK_TABLES])
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "python: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).trim().parse().unwrap()
}

#[test]
fn classroom_tables_read_by_python_give_the_numbers_of_report_json() {
    let dir = classroom();
    let Some(python) = tool(&["python3"], "python3") else {
        return;
    };
    let r = report_json(dir);
    let days = r["boxes"][0]["days"].as_array().unwrap().len();
    let cells = check_tables(&python, dir);
    // Every day row has 9 cells; the windows, box and run rows add more.
    assert!(cells > 9 * days + 100, "{cells} cells compared");
}

const HOSTILE: &str = "<script>alert(1)</script>\"quoted\"";

#[test]
fn scenario_text_with_markup_and_formulas_is_text_in_the_page_and_the_tables() {
    let dir = classroom();
    let tmp = tempfile::tempdir().unwrap();
    let mut r = report_json(dir);
    r["scenario"] = HOSTILE.into();
    r["description"] = format!("=HYPERLINK(\"http://x\") {HOSTILE}").into();
    r["scenario_file"] = format!("{HOSTILE}.toml").into();
    let b = &mut r["boxes"][0];
    b["name"] = HOSTILE.into();
    b["vantage"] = "@isp".into();
    b["windows"][0]["outcome"] = "refused".into();
    b["windows"][0]["reason"] = format!("-1+{HOSTILE}").into();
    std::fs::write(
        tmp.path().join("report.json"),
        serde_json::to_vec_pretty(&r).unwrap(),
    )
    .unwrap();
    for format in ["html", "csv"] {
        let o = Command::new(env!("CARGO_BIN_EXE_ivraie"))
            .args(["report", "--format", format])
            .arg(tmp.path())
            .output()
            .unwrap();
        // Written, with the missing log said (status 2: damaged input).
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(err.contains("could not be checked"), "{err}");
    }
    let html = std::fs::read_to_string(tmp.path().join("report.html")).unwrap();
    assert!(
        !html.contains("<script"),
        "markup from the report reached the page"
    );
    assert!(!html.contains("\"quoted\""));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;quoted&quot;"));
    assert!(html.contains("? not checked"), "no log beside this report");
    if let Some(python) = tool(&["python3"], "python3") {
        check_tables(&python, tmp.path());
        let boxes = std::fs::read_to_string(tmp.path().join("tables/boxes.csv")).unwrap();
        assert!(boxes.contains(",'@isp,"), "{boxes}");
    }
    if let Some(chromium) = chromium() {
        let (dom, console) = load(&chromium, &tmp.path().join("report.html"));
        assert!(console.is_empty(), "{console:#?}");
        assert!(!dom.contains("<script"), "a script element in the DOM");
        assert!(dom.contains("ivraie report: &lt;script&gt;alert(1)&lt;/script&gt;\"quoted\""));
    }
}
