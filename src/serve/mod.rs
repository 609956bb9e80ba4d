//! `ivraie serve`: the classroom, live.
//!
//! The scenario's traffic is read and dissected once; its observations are
//! kept in memory (at most `--max-observations`) and every question a class
//! asks — another threshold, another rule window — is a re-simulation of the
//! boxes over them, the figures equal to what `ivraie sweep` writes for that
//! point. An HTTP server on tokio (axum) serves:
//!
//! - `GET /` — one self-contained page (no CDN): the controls, the figure that
//!   matters ("innocent people flagged for every real target"), the run played
//!   out day by day, and the point's full `report.html` below;
//! - `GET /api/report` — the scenario's own report, `report.json`'s schema;
//! - `POST /api/simulate` — `{"set": ["box.watchlist.threshold=5", ...]}` (the
//!   `--set` language of `sweep`, one value a key): that point's report;
//!   `?format=html` gives its `report.html`;
//! - `GET /api/events` — server-sent events as simulations start and end.
//!
//! Keys of the population (`source.generate.target_tor_share=0.5`...) change
//! the traffic itself: such a point's population is generated and read again
//! (one at a time, on a queue of its own; at most [`MAX_TRAFFIC_FACTOR`] times
//! the scenario's person-days), its observations kept beside the scenario's
//! (the last [`ALTERNATIVES`] populations asked), and the point re-simulated
//! over them.
//!
//! Identical requests are answered from a cache; at most `--simulations` run
//! at once, the others wait their turn. Bodies are capped, unknown keys get
//! `sweep`'s messages, everything shown is escaped, and reports name
//! pseudonyms only, never an address.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use tokio::sync::{OnceCell, Semaphore, broadcast};

use crate::scenario::Scenario;
use crate::simulator::{self, Kept, Replay, Report, RunOptions};
use crate::sweep;

/// Largest request body accepted, bytes.
pub const MAX_BODY: usize = 16 << 10;
/// Most `--set` entries in one request.
pub const MAX_SETS: usize = 16;
/// Bytes of reports the cache keeps (JSON and HTML); past it, the points
/// finished first are let go.
const CACHE_BYTES: usize = 64 << 20;

mod cache;
/// Populations other than the scenario's whose observations are kept (the
/// most recently asked); an older one is read again if asked again.
pub const ALTERNATIVES: usize = 2;
/// A population asked may have at most this many times the scenario's
/// person-days (people x days): the time a question takes stays within a
/// few times the first read's.
pub const MAX_TRAFFIC_FACTOR: u64 = 4;

/// What `ivraie serve` was asked.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// Where to listen.
    pub bind: SocketAddr,
    /// Simulations running at once; the others wait.
    pub simulations: usize,
    /// Most observations kept in memory.
    pub max_observations: usize,
    /// The run's options (threads, key...); `out_dir` unused.
    pub run: RunOptions,
}

/// One simulated point, as served.
struct Point {
    json: String,
    html: String,
}

/// Observations of one population, kept or being generated.
type Traffic = Arc<OnceCell<Arc<Kept>>>;

struct Served {
    scenario: Scenario,
    path: PathBuf,
    kept: Arc<Kept>,
    /// Other populations' observations, most recent last (at most
    /// [`ALTERNATIVES`]), by their `[source.generate]` as JSON.
    traffics: Mutex<Vec<(String, Traffic)>>,
    /// Populations generated at once (one: each takes both cores).
    generating: Semaphore,
    max_observations: usize,
    run: RunOptions,
    base: Arc<Point>,
    /// Points simulated or being simulated (a request for a point under way
    /// waits for it).
    cache: Mutex<cache::PointCache<Arc<Point>>>,
    running: Semaphore,
    events: broadcast::Sender<String>,
    box_names: Vec<String>,
}

/// An error answered as `{"error": ...}` with its status.
struct ApiError(StatusCode, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": self.1 }).to_string();
        (self.0, [(header::CONTENT_TYPE, "application/json")], body).into_response()
    }
}

fn bad(msg: impl Into<String>) -> ApiError {
    ApiError(StatusCode::BAD_REQUEST, msg.into())
}

/// Runs one point (`point` applied to the scenario) over the kept
/// observations, in a private temporary directory; returns its report as
/// `report.json` holds it and its `report.html`.
fn simulate(s: &Scenario, path: &Path, kept: &Kept, run: &RunOptions) -> Result<Point, String> {
    let t0 = Instant::now();
    let tmp = crate::output::private_temp_dir(&std::env::temp_dir(), "serve")
        .map_err(|e| format!("a temporary directory: {e}"))?;
    let opts = RunOptions {
        out_dir: tmp.path().to_path_buf(),
        progress: false,
        ..run.clone()
    };
    let (mut reports, _) = simulator::run_points_with(s, path, &[(s, opts)], Replay::From(kept))
        .map_err(|e| e.to_string())?;
    let report = reports.pop().ok_or("no report")?;
    let t1 = Instant::now();
    let p = point_of(&report, tmp.path());
    if std::env::var_os("IVRAIE_SERVE_TIMING").is_some() {
        eprintln!("sim {:?} render {:?}", t1 - t0, t1.elapsed());
    }
    Ok(p)
}

/// Generates and reads `s`'s population, keeping its observations (at most
/// `cap`); returns them and the point's own report.
fn read_traffic(
    s: &Scenario,
    path: &Path,
    run: &RunOptions,
    cap: usize,
) -> Result<(Kept, Point), String> {
    let tmp = crate::output::private_temp_dir(&std::env::temp_dir(), "serve")
        .map_err(|e| format!("a temporary directory: {e}"))?;
    let opts = RunOptions {
        out_dir: tmp.path().to_path_buf(),
        ..run.clone()
    };
    let mut kept = None;
    let (mut reports, _) = simulator::run_points_with(
        s,
        path,
        &[(s, opts)],
        Replay::Keep {
            cap,
            into: &mut kept,
        },
    )
    .map_err(|e| e.to_string())?;
    let report = reports.pop().ok_or("no report")?;
    let point = point_of(&report, tmp.path());
    Ok((kept.ok_or("nothing kept")?, point))
}

fn point_of(report: &Report, dir: &Path) -> Point {
    let mut json = serde_json::to_string_pretty(report).unwrap_or_default();
    json.push('\n');
    let log = crate::report::html::LogCheck::of(dir, report);
    let html = crate::report::html::render(report, &log);
    Point { json, html }
}

/// Reads the scenario's traffic once, then serves until Ctrl-C.
pub fn serve(path: &Path, opts: ServeOptions) -> anyhow::Result<()> {
    let scenario = Scenario::load(path)?;
    let started = Instant::now();
    eprintln!("ivraie: reading the scenario's traffic once...");
    // Each read or simulation writes into a private temporary directory.
    let run = RunOptions {
        cluster: None,
        ..opts.run.clone()
    };
    let (kept, base) =
        read_traffic(&scenario, path, &run, opts.max_observations).map_err(anyhow::Error::msg)?;
    eprintln!(
        "ivraie: {} observations kept ({:.1} s); each question is a re-simulation of them",
        kept.len(),
        started.elapsed().as_secs_f64()
    );
    let (events, _) = broadcast::channel(256);
    let state = Arc::new(Served {
        box_names: scenario.boxes().map(|b| b.name.clone()).collect(),
        scenario,
        path: path.to_path_buf(),
        kept: Arc::new(kept),
        traffics: Mutex::new(Vec::new()),
        generating: Semaphore::new(1),
        max_observations: opts.max_observations,
        run,
        base: Arc::new(base),
        cache: Mutex::new(cache::PointCache::new(CACHE_BYTES)),
        running: Semaphore::new(opts.simulations.max(1)),
        events,
    });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(listen(state, opts.bind))
}

async fn listen(state: Arc<Served>, bind: SocketAddr) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .map_err(|e| anyhow::anyhow!("--bind {bind}: {e}"))?;
    let addr = listener.local_addr()?;
    if addr.ip().is_loopback() {
        eprintln!("ivraie: serving on http://{addr}/ (this machine only; Ctrl-C stops)");
    } else {
        eprintln!("ivraie: serving on http://{addr}/ — give students this address (Ctrl-C stops)");
        eprintln!(
            "ivraie: warning: anyone who can reach this address can use the page and its API"
        );
    }
    // The first Ctrl-C stops the server cleanly (a second one ends it).
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let stop_tx = Mutex::new(Some(stop_tx));
    crate::output::on_interrupt(move || {
        if let Some(tx) = stop_tx.lock().ok().and_then(|mut t| t.take()) {
            let _ = tx.send(());
        }
    });
    axum::serve(listener, app(state))
        .with_graceful_shutdown(async move {
            let _ = stop_rx.await;
            eprintln!("ivraie: stopped");
        })
        .await?;
    Ok(())
}

fn app(state: Arc<Served>) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/api/report", get(report))
        .route("/api/simulate", post(simulate_point))
        .route("/api/events", get(events))
        .fallback(|| async { ApiError(StatusCode::NOT_FOUND, "no such page".into()) })
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(state)
}

async fn page(State(st): State<Arc<Served>>) -> Response {
    let boxes = serde_json::to_string(&st.box_names).unwrap_or_else(|_| "[]".into());
    // Inside a <script>: `<` escaped so that no name closes the element.
    let c = &st.scenario.policy.commission;
    let commission = serde_json::json!({
        "rule": c.rule.name(),
        "min_precision": c.min_precision.map(|f| f.0),
    });
    // The population's parameters a class would change (none: captures).
    let population = st.scenario.source.generate.as_ref().map(|g| {
        serde_json::json!({
            "population": g.population,
            "days": g.days,
            "max_person_days": MAX_TRAFFIC_FACTOR * g.population as u64 * g.days as u64,
            "target_vpn_share": g.target_vpn_share,
            "target_tor_share": g.target_tor_share,
            "target_doh_share": g.target_doh_share,
            "target_ech_share": g.target_ech_share,
        })
    });
    // Inside a <script>: `<` escaped so that no name closes the element.
    let script = |v: String| v.replace('<', "\\u003c");
    let html = include_str!("page.html")
        .replace("__TITLE__", &crate::report::html::escape(&st.scenario.name))
        .replace("__BOXES__", &script(boxes))
        .replace("__COMMISSION__", &script(commission.to_string()))
        .replace(
            "__POPULATION__",
            &script(serde_json::to_string(&population).unwrap_or_else(|_| "null".into())),
        );
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, CSP),
        ],
        html,
    )
        .into_response()
}

/// The page and the reports it frames load nothing from elsewhere.
const CSP: &str = "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; \
                   img-src 'self' data:; frame-src 'self' about:; connect-src 'self'";

async fn report(State(st): State<Arc<Served>>) -> Response {
    json_response(st.base.json.clone())
}

fn json_response(body: String) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SimulateRequest {
    #[serde(default)]
    set: Vec<String>,
}

#[derive(Deserialize)]
struct Format {
    format: Option<String>,
}

async fn simulate_point(
    State(st): State<Arc<Served>>,
    Query(f): Query<Format>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let html = match f.format.as_deref() {
        None | Some("json") => false,
        Some("html") => true,
        Some(other) => return Err(bad(format!("format `{other}`: json or html"))),
    };
    let req: SimulateRequest = serde_json::from_slice(&body).map_err(|e| {
        bad(format!(
            "the body is not {{\"set\": [\"KEY=VALUE\", ...]}}: {e}"
        ))
    })?;
    if req.set.len() > MAX_SETS {
        return Err(bad(format!("at most {MAX_SETS} --set entries")));
    }
    let mut axes = Vec::new();
    for s in &req.set {
        let a = sweep::parse_set(s).map_err(|e| bad(format!("`{s}`: {e}")))?;
        if a.values.len() != 1 {
            return Err(bad(format!(
                "`{s}`: one value a key here (a grid is `ivraie sweep`'s)"
            )));
        }
        axes.push(a);
    }
    // The cache key: the settings as the scenario would read them.
    let mut key: Vec<String> = axes
        .iter()
        .map(|a| format!("{}={}", a.name, a.values[0]))
        .collect();
    key.sort();
    key.dedup();
    let point: Vec<_> = axes.iter().map(|a| a.values[0].clone()).collect();
    let variant = sweep::apply(&st.scenario, &axes, &point).map_err(bad)?;
    let traffic = traffic_of(&st, &variant)?;
    let cell = match st.cache.lock() {
        Ok(mut c) => c.cell(&key),
        Err(_) => Arc::new(OnceCell::new()),
    };
    let p = cell
        .get_or_try_init(|| async {
            let set = serde_json::to_string(&key).unwrap_or_default();
            let _ = st
                .events
                .send(format!(r#"{{"event":"queued","set":{set}}}"#));
            let kept = match traffic {
                None => st.kept.clone(),
                Some(t) => generated(&st, t, &variant, &set).await?,
            };
            let permit = st
                .running
                .acquire()
                .await
                .map_err(|_| ApiError(StatusCode::SERVICE_UNAVAILABLE, "stopping".into()))?;
            let _ = st
                .events
                .send(format!(r#"{{"event":"started","set":{set}}}"#));
            let t0 = Instant::now();
            let st2 = st.clone();
            let p =
                tokio::task::spawn_blocking(move || simulate(&variant, &st2.path, &kept, &st2.run))
                    .await
                    .map_err(|e| ApiError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
                    .map_err(|e| ApiError(StatusCode::INTERNAL_SERVER_ERROR, e))?;
            drop(permit);
            let _ = st.events.send(format!(
                r#"{{"event":"done","set":{set},"seconds":{:.3}}}"#,
                t0.elapsed().as_secs_f64()
            ));
            if let Ok(mut c) = st.cache.lock() {
                c.finished(key.clone(), &cell, p.json.len() + p.html.len());
            }
            Ok::<_, ApiError>(Arc::new(p))
        })
        .await?
        .clone();
    Ok(if html {
        (
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            p.html.clone(),
        )
            .into_response()
    } else {
        json_response(p.json.clone())
    })
}

/// The traffic a point needs: none (the scenario's own, kept from the
/// start) or another population's, kept or to be generated. Refuses a
/// population larger than [`MAX_TRAFFIC_FACTOR`] times the scenario's.
fn traffic_of(st: &Served, variant: &Scenario) -> Result<Option<Traffic>, ApiError> {
    let (Some(g), Some(base)) = (&variant.source.generate, &st.scenario.source.generate) else {
        return Ok(None);
    };
    if g == base {
        return Ok(None);
    }
    let person_days = |p: &crate::generate::Population| p.population as u64 * p.days as u64;
    if person_days(g) > MAX_TRAFFIC_FACTOR * person_days(base) {
        return Err(bad(format!(
            "{} people over {} days is more than {MAX_TRAFFIC_FACTOR} times the scenario's {} \
             people over {} days: run it with `ivraie run` or `ivraie sweep`",
            g.population, g.days, base.population, base.days
        )));
    }
    let key = serde_json::to_string(g).map_err(|e| bad(e.to_string()))?;
    let mut t = st
        .traffics
        .lock()
        .map_err(|_| ApiError(StatusCode::INTERNAL_SERVER_ERROR, "poisoned".into()))?;
    let cell = match t.iter().position(|(k, _)| *k == key) {
        Some(i) => t.remove(i).1,
        None => Traffic::default(),
    };
    t.push((key, cell.clone()));
    if t.len() > ALTERNATIVES {
        // The oldest goes (requests holding it keep it until they finish).
        t.remove(0);
    }
    Ok(Some(cell))
}

/// A population's observations: kept, or generated now (one population at a
/// time), with events for the page.
async fn generated(
    st: &Arc<Served>,
    cell: Traffic,
    variant: &Scenario,
    set: &str,
) -> Result<Arc<Kept>, ApiError> {
    let kept = cell
        .get_or_try_init(|| async {
            let _ = st
                .events
                .send(format!(r#"{{"event":"generating","set":{set}}}"#));
            let permit = st
                .generating
                .acquire()
                .await
                .map_err(|_| ApiError(StatusCode::SERVICE_UNAVAILABLE, "stopping".into()))?;
            let t0 = Instant::now();
            let (v, st2) = (variant.clone(), st.clone());
            let run = RunOptions {
                progress: false,
                ..st.run.clone()
            };
            let (kept, _) = tokio::task::spawn_blocking(move || {
                read_traffic(&v, &st2.path, &run, st2.max_observations)
            })
            .await
            .map_err(|e| ApiError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
            .map_err(|e| ApiError(StatusCode::UNPROCESSABLE_ENTITY, e))?;
            drop(permit);
            let _ = st.events.send(format!(
                r#"{{"event":"generated","set":{set},"observations":{},"seconds":{:.3}}}"#,
                kept.len(),
                t0.elapsed().as_secs_f64()
            ));
            Ok::<_, ApiError>(Arc::new(kept))
        })
        .await?;
    Ok(kept.clone())
}

async fn events(
    State(st): State<Arc<Served>>,
) -> Sse<impl futures_util::Stream<Item = Result<Event, std::convert::Infallible>>> {
    let rx = st.events.subscribe();
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        loop {
            match rx.recv().await {
                Ok(msg) => return Some((Ok(Event::default().data(msg)), rx)),
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}
