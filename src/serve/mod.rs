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
//! Identical requests are answered from a cache; at most `--simulations` run
//! at once, the others wait their turn. Bodies are capped, unknown keys get
//! `sweep`'s messages, everything shown is escaped, and reports name
//! pseudonyms only, never an address.

use std::collections::HashMap;
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
/// Bytes of reports the cache keeps (JSON and HTML); past it, it starts over.
const CACHE_BYTES: usize = 64 << 20;

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

struct Served {
    scenario: Scenario,
    path: PathBuf,
    kept: Kept,
    run: RunOptions,
    base: Arc<Point>,
    /// Points simulated or being simulated (a request for a point under way
    /// waits for it), and the bytes they hold.
    cache: Mutex<(HashMap<Vec<String>, Arc<OnceCell<Arc<Point>>>>, usize)>,
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
    let tmp = crate::output::private_temp_dir(&std::env::temp_dir(), "serve")?;
    let run = RunOptions {
        out_dir: tmp.path().to_path_buf(),
        cluster: None,
        ..opts.run.clone()
    };
    let mut kept = None;
    let (mut reports, _) = simulator::run_points_with(
        &scenario,
        path,
        &[(&scenario, run.clone())],
        Replay::Keep {
            cap: opts.max_observations,
            into: &mut kept,
        },
    )?;
    let report = reports.pop().ok_or_else(|| anyhow::anyhow!("no report"))?;
    let base = Arc::new(point_of(&report, tmp.path()));
    drop(tmp);
    let kept = kept.ok_or_else(|| anyhow::anyhow!("nothing kept"))?;
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
        kept,
        run,
        base,
        cache: Mutex::new((HashMap::new(), 0)),
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
    let boxes = boxes.replace('<', "\\u003c");
    let html = include_str!("page.html")
        .replace("__TITLE__", &crate::report::html::escape(&st.scenario.name))
        .replace("__BOXES__", &boxes);
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
    let cell = match st.cache.lock() {
        Ok(mut c) => c.0.entry(key.clone()).or_default().clone(),
        Err(_) => Arc::new(OnceCell::new()),
    };
    let p = cell
        .get_or_try_init(|| async {
            let set = serde_json::to_string(&key).unwrap_or_default();
            let _ = st
                .events
                .send(format!(r#"{{"event":"queued","set":{set}}}"#));
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
            let p = tokio::task::spawn_blocking(move || {
                simulate(&variant, &st2.path, &st2.kept, &st2.run)
            })
            .await
            .map_err(|e| ApiError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
            .map_err(|e| ApiError(StatusCode::INTERNAL_SERVER_ERROR, e))?;
            drop(permit);
            let _ = st.events.send(format!(
                r#"{{"event":"done","set":{set},"seconds":{:.3}}}"#,
                t0.elapsed().as_secs_f64()
            ));
            if let Ok(mut c) = st.cache.lock() {
                c.1 += p.json.len() + p.html.len();
                if c.1 > CACHE_BYTES {
                    // Start over (requests holding a point keep it).
                    *c = (HashMap::new(), 0);
                }
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
