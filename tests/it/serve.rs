//! `ivraie serve`: its API against `ivraie sweep`, and hostile requests.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common;

/// A running server and its address.
struct Server {
    child: Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `ivraie serve SCENARIO` on a free loopback port; returns once it
/// answers.
fn start(scenario: &Path, cwd: &Path) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ivraie"))
        .args([
            "serve",
            scenario.to_str().unwrap(),
            "--bind",
            "127.0.0.1:0",
            "--no-progress",
        ])
        .current_dir(cwd)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let t0 = Instant::now();
    let mut line = String::new();
    let addr = loop {
        line.clear();
        assert!(
            err.read_line(&mut line).unwrap() > 0,
            "serve ended before serving"
        );
        if let Some(rest) = line.split("serving on http://").nth(1) {
            break rest.split('/').next().unwrap().to_string();
        }
        assert!(
            t0.elapsed() < Duration::from_secs(120),
            "serve is slow to start"
        );
    };
    // Keep draining its standard error.
    std::thread::spawn(move || for _ in err.lines() {});
    Server { child, addr }
}

/// One HTTP/1.1 request; returns (status, body).
fn http(addr: &str, method: &str, path: &str, body: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    // A server refusing a body may close before reading it all.
    let _ = s.write_all(body);
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {text:?}"));
    let body = text
        .split_once("\r\n\r\n")
        .map(|x| x.1)
        .unwrap_or("")
        .to_string();
    // Chunked bodies (axum streams some): good enough to strip the sizes.
    (status, body)
}

fn simulate(addr: &str, sets: &[&str]) -> serde_json::Value {
    let body = serde_json::json!({ "set": sets }).to_string();
    let (status, text) = http(addr, "POST", "/api/simulate", body.as_bytes());
    assert_eq!(status, 200, "{text}");
    serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("{e}: {text:.200}"))
}

/// Posts `body` to `/api/simulate`: a 400 whose message says `says`.
fn refused(addr: &str, body: &[u8], says: &str) {
    let (s, e) = http(addr, "POST", "/api/simulate", body);
    assert_eq!(s, 400, "{e}");
    assert!(e.contains(says), "{e}");
}

/// Runs `ivraie sweep` with `sets` (each a list of values) and asks the
/// server for each of its points: the figures of each row and answer agree.
fn api_equals_sweep(addr: &str, scenario: &Path, dir: &Path, sets: &[&str]) {
    let mut args = vec!["sweep", scenario.to_str().unwrap()];
    for s in sets {
        args.extend(["--set", s]);
    }
    args.extend(["-o", "sw", "--no-progress"]);
    let _ = std::fs::remove_dir_all(dir.join("sw"));
    let sweep = common::ivraie_in(&args, dir);
    assert_eq!(sweep.status.code(), Some(0), "{}", common::stderr(&sweep));
    let csv = std::fs::read_to_string(dir.join("sw/sweep.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let keys: Vec<&str> = sets.iter().map(|s| s.split('=').next().unwrap()).collect();
    let mut points = 0;
    for line in lines {
        let row: Vec<&str> = line.split(',').collect();
        let col = |name: &str| -> String {
            row[header
                .iter()
                .position(|h| *h == name)
                .unwrap_or_else(|| panic!("{name}"))]
            .to_string()
        };
        let point: Vec<String> = keys.iter().map(|k| format!("{k}={}", col(k))).collect();
        let asked: Vec<&str> = point.iter().map(String::as_str).collect();
        let r = simulate(addr, &asked);
        let b = &r["boxes"][0];
        let c = &b["judged"]["confusion"];
        for (got, want) in [
            (b["alerts"].to_string(), col("alerts")),
            (b["flagged"].to_string(), col("flagged")),
            (c["tp"].to_string(), col("tp")),
            (c["fp"].to_string(), col("fp")),
            (c["fn"].to_string(), col("fn")),
            (
                b["judged"]["fpr"]["value"].as_f64().unwrap().to_string(),
                col("fpr").parse::<f64>().unwrap().to_string(),
            ),
            (b["retained"]["bytes"].to_string(), col("retained_bytes")),
            (b["inspected"]["bytes"].to_string(), col("inspected_bytes")),
        ] {
            assert_eq!(got, want, "{point:?}");
        }
        points += 1;
    }
    assert!(points > 0);
}

#[test]
fn the_commission_and_the_population_are_points_of_sweep_too() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = Path::new(&common::repo("scenarios/classroom.toml")).to_path_buf();
    let server = start(&scenario, dir.path());
    let addr = server.addr.clone();
    // The commission's rule, and targets all on Tor (the population is
    // generated again for those points).
    api_equals_sweep(
        &addr,
        &scenario,
        dir.path(),
        &[
            "policy.commission.rule=always,never",
            "source.generate.target_tor_share=0.003,1",
        ],
    );
    let strict = simulate(&addr, &["policy.commission.min_precision=50%"]);
    let w = &strict["boxes"][0]["windows"][0];
    assert_eq!(w["outcome"], "refused", "{w}");
    assert!(
        w["reason"]
            .as_str()
            .unwrap()
            .contains("below the required 50.0%")
    );
    // Larger than four times the scenario: refused before any work.
    refused(
        &addr,
        br#"{"set": ["source.generate.population=10000"]}"#,
        "more than 4 times",
    );
    refused(
        &addr,
        br#"{"set": ["source.generate.target_tor_share=3"]}"#,
        "between 0 and 1",
    );
    // The page offers the commission and the population.
    let (_, page) = http(&addr, "GET", "/", b"");
    assert!(
        page.contains(r#"const COMMISSION = {"rule":"always""#),
        "{page:.300}"
    );
    assert!(page.contains(r#""target_tor_share":0.003"#));
}

#[test]
fn simulate_gives_the_rows_of_sweep_and_hostile_requests_get_a_4xx() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = Path::new(&common::repo("scenarios/classroom.toml")).to_path_buf();
    let server = start(&scenario, dir.path());
    let addr = server.addr.clone();

    // The three points, through the API and through `sweep`.
    api_equals_sweep(
        &addr,
        &scenario,
        dir.path(),
        &["box.watchlist.threshold=2,3,5"],
    );
    // The scenario's own point is /api/report, and the cache answers again.
    let (status, base) = http(&addr, "GET", "/api/report", b"");
    assert_eq!(status, 200);
    let base: serde_json::Value = serde_json::from_str(base.trim()).unwrap();
    let again = simulate(&addr, &["box.watchlist.threshold=3"]);
    assert_eq!(base["boxes"][0]["alerts"], again["boxes"][0]["alerts"]);

    // The page: self-contained, no address of a subscriber.
    let (status, page) = http(&addr, "GET", "/", b"");
    assert_eq!(status, 200);
    assert!(
        page.contains("innocent") && !page.contains("src=\"http"),
        "{page:.300}"
    );
    assert!(
        !again.to_string().contains("\"10.0."),
        "a report names an address"
    );

    // Live events: a simulation's start and end reach a listener.
    let mut ev = TcpStream::connect(&addr).unwrap();
    ev.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(ev, "GET /api/events HTTP/1.1\r\nHost: {addr}\r\n\r\n").unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let a2 = addr.clone();
    let asker = std::thread::spawn(move || simulate(&a2, &["box.watchlist.threshold=7"]));
    let mut seen = String::new();
    let mut buf = [0u8; 4096];
    let t0 = Instant::now();
    while !seen.contains("\"done\"") && t0.elapsed() < Duration::from_secs(30) {
        let n = ev.read(&mut buf).unwrap();
        assert!(n > 0, "the event stream ended: {seen}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    assert!(seen.contains("text/event-stream"), "{seen}");
    assert!(
        seen.contains("data: {\"event\":\"started\",\"set\":[\"box.watchlist.threshold=7\"]}"),
        "{seen}"
    );
    assert!(seen.contains("\"done\""), "{seen}");
    asker.join().unwrap();

    // Hostile requests.
    let huge = vec![b'x'; 100_000];
    assert_eq!(http(&addr, "POST", "/api/simulate", &huge).0, 413);
    refused(
        &addr,
        br#"{"set": ["box.watchlist.threshold=abc"]}"#,
        "threshold",
    );
    refused(
        &addr,
        br#"{"set": ["box.nobody.threshold=4"]}"#,
        "no box `nobody`",
    );
    refused(&addr, br#"{"set": ["box.watchlist.threshold=2..9"]}"#, "");
    let (s, _) = http(&addr, "POST", "/api/simulate", b"not json");
    assert_eq!(s, 400);
    let (s, _) = http(&addr, "POST", "/api/simulate", br#"{"set": [], "x": 1}"#);
    assert_eq!(s, 400);
    assert_eq!(http(&addr, "GET", "/../../etc/passwd", b"").0, 404);
    assert_eq!(http(&addr, "GET", "/api/nothing", b"").0, 404);
    assert_eq!(http(&addr, "DELETE", "/api/report", b"").0, 405);
    // Still serving.
    assert_eq!(http(&addr, "GET", "/api/report", b"").0, 200);
}

#[test]
fn markup_in_a_scenario_is_shown_as_text_and_ctrl_c_stops_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(common::repo("scenarios/classroom.toml"))
        .unwrap()
        .replace(
            "name = \"classroom\"",
            "name = \"<script>alert(1)</script>\"",
        )
        .replace("population = 2000", "population = 300")
        .replace("days = 120", "days = 14")
        .replace(
            "A connection-data black box",
            "<img src=x onerror=alert(2)> A box",
        );
    let scenario = dir.path().join("markup.toml");
    std::fs::write(&scenario, text).unwrap();
    let mut server = start(&scenario, dir.path());
    let (status, page) = http(&server.addr, "GET", "/", b"");
    assert_eq!(status, 200);
    assert!(!page.contains("<script>alert(1)"), "raw markup served");
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    // (Box names are letters, digits, `-`, `_` and `.`: `scenario` refuses others.)
    let (s, html) = http(
        &server.addr,
        "POST",
        "/api/simulate?format=html",
        br#"{"set": []}"#,
    );
    assert_eq!(s, 200);
    assert!(!html.contains("<script>alert(1)") && !html.contains("<img src=x"));
    let (_, json) = http(&server.addr, "GET", "/api/report", b"");
    assert!(
        json.contains("<img src=x"),
        "the JSON keeps the text as it is (escaped by who shows it)"
    );
    // SIGINT: a clean stop, status 0.
    let pid = server.child.id() as i32;
    unsafe {
        libc::kill(pid, libc::SIGINT);
    }
    let t0 = Instant::now();
    let status = loop {
        if let Some(s) = server.child.try_wait().unwrap() {
            break s;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "still serving after Ctrl-C"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(0));
}
