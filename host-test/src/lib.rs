//! Native test host for the `whatsapp` component.
//!
//! Runs the real, built component (`target/wasm32-wasip2/release/whatsapp.wasm`) in an
//! embedded wasmtime 48 the way `wasmtime serve` does: a fresh store and instance for
//! every webhook request and for every exported `outgoing` and `media` call. Around it:
//!
//! * a **consumer** implementing the imported `asterai:whatsapp/incoming-handler`:
//!   every `on-message` / `on-status` / `on-update` call is recorded with the
//!   delivery's attempt ([`Harness::messages`], [`Harness::message_calls`],
//!   [`Harness::message_attempts`], [`Harness::statuses`], [`Harness::status_calls`],
//!   [`Harness::updates`], [`Harness::update_calls`]) and `on-message` answers with
//!   the actions of a test closure ([`Harness::on_message`], default: none), or traps
//!   the guest when another closure says so ([`Harness::trap_on_message`], default:
//!   never);
//! * a **Graph API stand-in** behind `wasi:http/outgoing-handler`: every request is
//!   recorded with its complete body ([`Harness::graph_requests`]) and answered by a
//!   test closure ([`Harness::graph`], default [`GraphResponse::sandbox`]), which may
//!   also fail at the transport level ([`GraphResponse::Error`]);
//! * guest stdout and stderr captured into one buffer ([`Harness::logs`], also
//!   printed when the harness is dropped, so a failing test shows them);
//! * environment variables ([`Harness::env`]) and a host directory preopened
//!   read-write at `/state` ([`Harness::state_dir`]), shared by all instances,
//!   including concurrent ones ([`Harness::post_concurrently`]);
//! * an ordered event log with virtual timestamps ([`Harness::events`]);
//! * instance reuse, as `wasmtime serve --max-instance-reuse-count N` runs the component:
//!   [`Harness::reused_instance`] serves request after request on one instance and
//!   reports its linear memory ([`ReusedInstance::memory`], from a resource limiter on the
//!   store) and the host resources it holds between requests
//!   ([`ReusedInstance::live_resources`]).
//!
//! # Acknowledge before dispatch
//!
//! For a webhook request the harness receives the response *and its whole body*,
//! then logs [`EventKind::Responded`] and releases a per-instance latch. The host's
//! `on-message` / `on-status` first wait (up to [`Harness::ack_timeout`], 5 s by
//! default) for that latch and record whether it was released
//! ([`MessageCall::acked_before_dispatch`]). A component that dispatches before it
//! answers (or before it finishes the body) makes the wait time out: the call is
//! recorded with `false` and the component continues, so nothing hangs.
//!
//! # Time
//!
//! wasmtime-wasi 48 implements `monotonic-clock.subscribe-duration` /
//! `subscribe-instant` with `tokio::time::sleep_until`, and this harness also gives
//! the guest a monotonic clock (`now`) and a wall clock read from
//! `tokio::time::Instant`. So under a paused tokio clock
//! (`#[tokio::test(start_paused = true)]`) every guest sleep — retry backoff,
//! `std::thread::sleep` — completes as soon as the runtime is idle, with virtual time
//! advancing by exactly the requested duration. Every record carries that virtual
//! time (`at`, since the harness's first operation) and [`Harness::graph_delays`]
//! gives the gaps between consecutive Graph requests. Note that tokio's auto-advance
//! is held back while blocking tasks (wasmtime-wasi's filesystem calls) run, so
//! `/state` access does not skew it. Retry jitter comes from `wasi:random`: pin it
//! with [`Harness::random_bytes`] to assert exact delays.
//!
//! # Limitations
//!
//! * `start_paused` needs tokio's current-thread runtime (the `#[tokio::test]`
//!   default); multi-thread tests run on the real clock.
//! * Virtual time only advances while the guest waits on a pollable: a guest that
//!   busy-loops on `monotonic-clock.now` would spin forever under a paused clock.
//! * The Graph stand-in honours the guest's `first-byte-timeout` (for
//!   [`GraphResponse::Delayed`] and [`GraphResponse::Hang`]) but not
//!   `connect-timeout` or `between-bytes-timeout`; response bodies arrive whole.
//! * Requests reach the guest directly (no TCP, no HTTP parsing): scheme `http`,
//!   authority `localhost`.
//!
//! # Example
//!
//! ```no_run
//! use host_test::*;
//!
//! # async fn demo() -> anyhow::Result<()> {
//! let h = Harness::new()?
//!     .env("WHATSAPP_APP_SECRET", "s")
//!     .on_message(|m: &Message| {
//!         vec![Action::Reply(Reply {
//!             body: format!("echo: {}", m.text),
//!             quote: true,
//!             format: TextFormat::Raw,
//!             preview_url: false,
//!             biz_opaque_callback_data: None,
//!         })]
//!     })
//!     .graph(|req: &GraphRequest| GraphResponse::sandbox(req));
//! let body = br#"{"object":"whatsapp_business_account","entry":[]}"#;
//! let r = h
//!     .post("/", &[("x-hub-signature-256", &sign(b"s", body))], body)
//!     .await?;
//! assert_eq!(r.status, 200);
//! let _ = (h.messages(), h.graph_requests(), h.logs(), h.events());
//! # Ok(()) }
//! ```

mod bindings;
mod graph;
mod records;

use std::collections::HashMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::task::{Context as TaskContext, Poll};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ::anyhow::{bail, Context as _, Result};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use wasmtime::component::{Component, HasSelf, Linker, ResourceTable};
use wasmtime::{Engine, Store};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{
    Deterministic, FsPerms, HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxBuilder,
    WasiCtxView, WasiView,
};
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::{
    Error as HttpError, WasiBody, WasiHttpCtx, WasiHttpCtxView, WasiHttpHooks, WasiHttpView,
};

/// Re-exported so tests can write `anyhow::Result<()>` with only `use host_test::*`.
pub use anyhow;
pub use bindings::asterai::whatsapp::types::*;
pub use bindings::exports::asterai::whatsapp::media::{
    ChecksumMismatch, Downloaded, FileUpload, MediaError, MediaInfo, TooLarge,
};
pub use graph::{
    sandbox_media_bytes, ErrorCode, GraphRequest, GraphResponse, RequestOptions,
    DEFAULT_FIRST_BYTE_TIMEOUT, SANDBOX_MEDIA_HOST,
};
pub use records::{Event, EventKind, MessageCall, Response, StatusCall, UpdateCall};

/// The generated bindings, for anything the crate root does not re-export (for
/// example the raw `Whatsapp` world type).
pub mod raw {
    pub use crate::bindings::*;
}

use bindings::{Whatsapp, WhatsappPre};

/// `"sha256=<hex>"`: the `x-hub-signature-256` header Meta sends, HMAC-SHA256 of
/// `body` keyed with the app secret. Computed here independently of the component.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret).expect("HMAC takes any key size");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// A webhook request to send with [`Harness::request`] or
/// [`Harness::post_concurrently`].
#[derive(Debug, Clone, PartialEq)]
pub struct HttpRequest {
    /// Method, for example `POST`.
    pub method: String,
    /// Path and query, for example `/` or `/?hub.mode=subscribe&...`.
    pub path: String,
    /// Headers. The only one added implicitly is `content-length` (when the body is
    /// not empty and no `content-length` is given), as any HTTP client sends it. The
    /// request's authority is `localhost`, its scheme `http`.
    pub headers: Vec<(String, String)>,
    /// Headers whose values are raw bytes (not necessarily UTF-8), sent after
    /// `headers`: for malformed-header tests.
    pub raw_headers: Vec<(String, Vec<u8>)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl HttpRequest {
    /// A `GET` without headers.
    pub fn get(path: &str) -> Self {
        Self {
            method: "GET".into(),
            path: path.into(),
            headers: vec![],
            raw_headers: vec![],
            body: vec![],
        }
    }

    /// A `POST` with these headers and body.
    pub fn post(path: &str, headers: &[(&str, &str)], body: impl AsRef<[u8]>) -> Self {
        Self {
            method: "POST".into(),
            path: path.into(),
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            raw_headers: vec![],
            body: body.as_ref().to_vec(),
        }
    }

    /// A `POST` of `body` signed with `secret` (`x-hub-signature-256`) and
    /// `content-type: application/json`, as Meta sends it.
    pub fn signed_post(path: &str, secret: &[u8], body: impl AsRef<[u8]>) -> Self {
        let sig = sign(secret, body.as_ref());
        Self::post(
            path,
            &[
                ("content-type", "application/json"),
                ("x-hub-signature-256", &sig),
            ],
            body,
        )
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Adds a header whose value is raw bytes (obs-text such as non-UTF-8 is allowed;
    /// control characters are not representable in HTTP and fail the request).
    pub fn raw_header(mut self, name: &str, value: &[u8]) -> Self {
        self.raw_headers.push((name.into(), value.to_vec()));
        self
    }
}

type OnMessageFn = dyn Fn(&Message) -> Vec<Action> + Send + Sync;
type TrapFn = dyn Fn(&Message, u32) -> bool + Send + Sync;
type ResponderFn = dyn Fn(&GraphRequest) -> GraphResponse + Send + Sync;

/// Per-harness configuration (copied on write by the builder methods).
#[derive(Clone)]
struct Config {
    env: Vec<(String, String)>,
    /// (host dir, guest path), read-write.
    preopens: Vec<(PathBuf, String)>,
    on_message: Arc<OnMessageFn>,
    /// When it returns true for a message and its attempt, `on-message` traps.
    trap_on_message: Option<Arc<TrapFn>>,
    graph: Arc<ResponderFn>,
    ack_timeout: Duration,
    wall_clock_start: Option<SystemTime>,
    random_bytes: Option<Vec<u8>>,
}

#[derive(Default)]
struct Records {
    messages: Vec<MessageCall>,
    statuses: Vec<StatusCall>,
    updates: Vec<UpdateCall>,
    graph: Vec<GraphRequest>,
    events: Vec<Event>,
}

/// State shared by all instances of one harness (and its clones).
struct Shared {
    records: Mutex<Records>,
    output: MemoryOutputPipe,
    /// tokio instant and wall-clock time of the harness's first operation.
    epoch: OnceLock<(tokio::time::Instant, SystemTime)>,
    next_instance: AtomicU64,
}

impl Drop for Shared {
    fn drop(&mut self) {
        let out = self.output.contents();
        if !out.is_empty() {
            // Captured by the test harness: shown only for failing tests.
            println!(
                "----- guest stdout+stderr -----\n{}\n-------------------------------",
                String::from_utf8_lossy(&out).trim_end()
            );
        }
    }
}

/// The compiled component, shared by all harnesses of a test binary.
struct Compiled {
    pre: WhatsappPre<Ctx>,
}

/// Runs the built component; see the [crate documentation](crate).
///
/// Cheap to clone: clones share the records, the logs and the compiled component,
/// and keep the configuration they had when cloned.
#[derive(Clone)]
pub struct Harness {
    cfg: Arc<Config>,
    shared: Arc<Shared>,
    compiled: Arc<Compiled>,
}

const LOG_CAPACITY: usize = 256 << 20;

fn engine() -> Result<&'static Engine> {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    if let Some(e) = ENGINE.get() {
        return Ok(e);
    }
    let mut config = wasmtime::Config::new();
    config.wasm_component_model(true);
    // Compiled code is cached across test binaries and runs (keyed by the wasm's
    // hash and the compiler settings), so only the first run after a rebuild pays
    // for Cranelift.
    let cache_dir = workspace_dir().join("target").join("wasmtime-cache");
    let mut cache_config = wasmtime::CacheConfig::new();
    cache_config.with_directory(cache_dir);
    if let Ok(cache) = wasmtime::Cache::new(cache_config) {
        config.cache(Some(cache));
    }
    let engine = Engine::new(&config)?;
    Ok(ENGINE.get_or_init(|| engine))
}

fn workspace_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("host-test lives inside the workspace")
        .to_path_buf()
}

/// Where [`Harness::new`] loads the component from: `$WHATSAPP_WASM` when set;
/// otherwise `wasm32-wasip2/release/whatsapp.wasm` under `$CARGO_TARGET_DIR` (when
/// set and the file exists there), else under `<workspace>/target`.
pub fn default_component_path() -> PathBuf {
    if let Some(p) = std::env::var_os("WHATSAPP_WASM") {
        return PathBuf::from(p);
    }
    let in_target = |target: PathBuf| {
        target
            .join("wasm32-wasip2")
            .join("release")
            .join("whatsapp.wasm")
    };
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        let p = in_target(PathBuf::from(dir));
        if p.is_file() {
            return p;
        }
    }
    in_target(workspace_dir().join("target"))
}

fn compiled(path: &Path) -> Result<Arc<Compiled>> {
    static CACHE: OnceLock<Mutex<HashMap<PathBuf, Arc<Compiled>>>> = OnceLock::new();
    let mut cache = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(c) = cache.get(path) {
        return Ok(c.clone());
    }
    if !path.is_file() {
        bail!(
            "component not found at {}: run `make build` first \
             (or `cargo build --release --target wasm32-wasip2 -p whatsapp`), \
             or point WHATSAPP_WASM at a built component",
            path.display()
        );
    }
    let engine = engine()?;
    let component = Component::from_file(engine, path)
        .map_err(anyhow::Error::from)
        .with_context(|| format!("compiling {}", path.display()))?;
    let mut linker = Linker::<Ctx>::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
    bindings::asterai::whatsapp::incoming_handler::add_to_linker::<Ctx, HasSelf<Ctx>>(
        &mut linker,
        |c| c,
    )?;
    let pre = linker
        .instantiate_pre(&component)
        .map_err(anyhow::Error::from)
        .with_context(|| format!("linking {}", path.display()))?;
    let pre = WhatsappPre::new(pre)
        .map_err(anyhow::Error::from)
        .with_context(|| {
            format!(
                "{} does not export world asterai:whatsapp/whatsapp",
                path.display()
            )
        })?;
    let c = Arc::new(Compiled { pre });
    cache.insert(path.to_path_buf(), c.clone());
    Ok(c)
}

impl Harness {
    /// Loads the component from [`default_component_path`] (compiled once per test
    /// binary, and cached on disk under `target/wasmtime-cache`). Fails with a clear
    /// message when it has not been built.
    pub fn new() -> Result<Self> {
        Self::from_file(default_component_path())
    }

    /// Loads a component from `path` (compiled once per path per test binary).
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self> {
        let compiled = compiled(path.as_ref())?;
        Ok(Self {
            cfg: Arc::new(Config {
                env: vec![],
                preopens: vec![],
                on_message: Arc::new(|_| vec![]),
                trap_on_message: None,
                graph: Arc::new(GraphResponse::sandbox),
                ack_timeout: Duration::from_secs(5),
                wall_clock_start: None,
                random_bytes: None,
            }),
            shared: Arc::new(Shared {
                records: Mutex::default(),
                output: MemoryOutputPipe::new(LOG_CAPACITY),
                epoch: OnceLock::new(),
                next_instance: AtomicU64::new(1),
            }),
            compiled,
        })
    }

    // ------------------------------------------------------------------ builder

    /// Sets an environment variable for every instance (replacing an earlier value
    /// of the same name). No variable is inherited from the test process.
    pub fn env(mut self, key: &str, value: &str) -> Self {
        let cfg = Arc::make_mut(&mut self.cfg);
        cfg.env.retain(|(k, _)| k != key);
        cfg.env.push((key.into(), value.into()));
        self
    }

    /// Sets several environment variables, as [`Harness::env`].
    pub fn envs<'a>(mut self, vars: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        for (k, v) in vars {
            self = self.env(k, v);
        }
        self
    }

    /// Removes an environment variable set earlier.
    pub fn without_env(mut self, key: &str) -> Self {
        Arc::make_mut(&mut self.cfg).env.retain(|(k, _)| k != key);
        self
    }

    /// Preopens host directory `dir` at guest path `/state`, read-write, in every
    /// instance (all share it, concurrently too). Without it `/state` does not exist.
    pub fn state_dir(self, dir: impl AsRef<Path>) -> Self {
        self.preopen(dir, "/state")
    }

    /// Preopens host directory `dir` at `guest_path`, read-write, in every instance
    /// (replacing an earlier preopen at the same guest path).
    pub fn preopen(mut self, dir: impl AsRef<Path>, guest_path: &str) -> Self {
        let cfg = Arc::make_mut(&mut self.cfg);
        cfg.preopens.retain(|(_, g)| g != guest_path);
        cfg.preopens
            .push((dir.as_ref().to_path_buf(), guest_path.to_string()));
        self
    }

    /// The consumer's answer to each `on-message`: the actions the component should
    /// carry out. Default: no actions. The call is recorded either way.
    pub fn on_message(
        mut self,
        f: impl Fn(&Message) -> Vec<Action> + Send + Sync + 'static,
    ) -> Self {
        Arc::make_mut(&mut self.cfg).on_message = Arc::new(f);
        self
    }

    /// Makes the consumer trap on a message: when `f(message, attempt)` returns true
    /// (`attempt` is the delivery's, 1 on the first dispatch), `on-message` records the
    /// call (with [`MessageCall::trapped`] set, so tests see the attempt) and then returns
    /// an error to the guest instead of actions, which traps it, as a consumer that
    /// panics would. The [`Harness::on_message`] closure is not called then. The webhook
    /// request then fails with the trap ([`Harness::request`] returns an error), but the
    /// event log still shows whether the response was received first
    /// ([`EventKind::Responded`], then [`EventKind::Finished`] with `ok: false`).
    /// Default: never.
    pub fn trap_on_message(
        mut self,
        f: impl Fn(&Message, u32) -> bool + Send + Sync + 'static,
    ) -> Self {
        Arc::make_mut(&mut self.cfg).trap_on_message = Some(Arc::new(f));
        self
    }

    /// The Graph API stand-in's answer to each outgoing request. Default:
    /// [`GraphResponse::sandbox`]; fall back to it for requests you don't script.
    /// Keep state (attempt counters) in the closure with atomics or a mutex.
    pub fn graph(
        mut self,
        f: impl Fn(&GraphRequest) -> GraphResponse + Send + Sync + 'static,
    ) -> Self {
        Arc::make_mut(&mut self.cfg).graph = Arc::new(f);
        self
    }

    /// How long `on-message` / `on-status` wait for the webhook response to be fully
    /// received before recording `acked_before_dispatch: false` (default 5 s; tokio
    /// time, so instant under a paused clock when nothing else can make progress).
    pub fn ack_timeout(mut self, timeout: Duration) -> Self {
        Arc::make_mut(&mut self.cfg).ack_timeout = timeout;
        self
    }

    /// The guest's wall clock at the harness's first operation (default: the real
    /// time then). It advances with tokio time.
    pub fn wall_clock_start(mut self, start: SystemTime) -> Self {
        Arc::make_mut(&mut self.cfg).wall_clock_start = Some(start);
        self
    }

    /// Makes `wasi:random` deterministic: in every instance, `random` and `insecure`
    /// return these bytes, cycled, from the start (so `get-random-u64` with
    /// `vec![0]` is always 0), and `insecure-seed` returns 0. Use it to pin retry
    /// jitter. Default: real randomness. An empty vector means `vec![0]`.
    pub fn random_bytes(mut self, bytes: Vec<u8>) -> Self {
        let bytes = if bytes.is_empty() { vec![0] } else { bytes };
        Arc::make_mut(&mut self.cfg).random_bytes = Some(bytes);
        self
    }

    // ------------------------------------------------------------------ running

    /// `GET path` in a fresh instance.
    pub async fn get(&self, path: &str) -> Result<Response> {
        self.request(HttpRequest::get(path)).await
    }

    /// `POST path` with these headers and body in a fresh instance.
    pub async fn post(
        &self,
        path: &str,
        headers: &[(&str, &str)],
        body: impl AsRef<[u8]>,
    ) -> Result<Response> {
        self.request(HttpRequest::post(path, headers, body)).await
    }

    /// Several webhook requests at once, each in its own fresh instance and tokio
    /// task (sharing `/state`). Answers in the order of `requests`.
    pub async fn post_concurrently(&self, requests: Vec<HttpRequest>) -> Result<Vec<Response>> {
        let tasks: Vec<_> = requests
            .into_iter()
            .map(|req| {
                let h = self.clone();
                AbortOnDrop(tokio::spawn(async move { h.request(req).await }))
            })
            .collect();
        let mut out = Vec::with_capacity(tasks.len());
        for t in tasks {
            out.push(t.await?);
        }
        Ok(out)
    }

    /// Sends one webhook request to a fresh instance, as `wasmtime serve` would, and
    /// returns once the response body is complete **and** the guest's `handle` has
    /// returned (so everything it dispatched afterwards is recorded).
    ///
    /// Errors when the guest traps, never sets the response, answers with an error
    /// code, or breaks off the body; the error includes the guest's logs.
    pub async fn request(&self, req: HttpRequest) -> Result<Response> {
        let (store, instance) = self.new_store(None)?;
        self.serve_one(store, instance, None, req).await.0
    }

    /// One instance that serves request after request, as `wasmtime serve
    /// --max-instance-reuse-count N` serves them: instantiated once, its
    /// `wasi:http/incoming-handler.handle` called for each request, one after another
    /// (the next call starts when the previous one returned, dispatch included). See
    /// [`ReusedInstance`].
    pub async fn reused_instance(&self) -> Result<ReusedInstance> {
        let (mut store, instance) = self.new_store(None)?;
        let proxy = self.compiled.pre.instantiate_async(&mut store).await?;
        let memory = store.data().meter.usage;
        Ok(ReusedInstance {
            h: self.clone(),
            live: Some((store, proxy)),
            instance,
            served: 0,
            instances: 1,
            after_instantiation: memory,
        })
    }

    /// Serves `req` in `store`: in `proxy` when given (an instance that served earlier
    /// requests), else in a fresh instance of it. Returns the answer and, when the
    /// guest did not trap, the store and instance for another request.
    async fn serve_one(
        &self,
        mut store: Store<Ctx>,
        instance: u64,
        proxy: Option<Whatsapp>,
        req: HttpRequest,
    ) -> (Result<Response>, Option<(Store<Ctx>, Whatsapp)>) {
        let (ack_tx, ack_rx) = tokio::sync::watch::channel(false);
        // This request's latch: on-message and the Graph hooks wait for its answer.
        store.data_mut().ack = Some(ack_rx.clone());
        store.data_mut().hooks.ack = Some(ack_rx);
        self.push_event(
            instance,
            EventKind::Request {
                method: req.method.clone(),
                path: req.path.clone(),
            },
        );
        let prepared = (|| -> Result<_> {
            let mut builder = http::Request::builder()
                .method(req.method.as_str())
                .uri(format!("http://localhost{}", req.path));
            for (k, v) in &req.headers {
                builder = builder.header(k.as_str(), v.as_str());
            }
            for (k, v) in &req.raw_headers {
                let value = http::HeaderValue::from_bytes(v).context("raw header value")?;
                builder = builder.header(k.as_str(), value);
            }
            let has_length = req
                .headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("content-length"));
            if !req.body.is_empty() && !has_length {
                builder = builder.header("content-length", req.body.len());
            }
            let hreq = builder
                .body(Full::new(Bytes::from(req.body.clone())))
                .context("building the incoming request")?;
            let incoming = store
                .data_mut()
                .http()
                .new_incoming_request(Scheme::Http, hreq)?;
            let (resp_tx, resp_rx) = tokio::sync::oneshot::channel();
            let outparam = store.data_mut().http().new_response_outparam(resp_tx)?;
            Ok((incoming, outparam, resp_rx))
        })();
        let (incoming, outparam, resp_rx) = match prepared {
            Ok(p) => p,
            Err(e) => return (Err(e), proxy.map(|p| (store, p))),
        };

        let pre = self.compiled.pre.clone();
        let task = AbortOnDrop(tokio::spawn(async move {
            let w = match proxy {
                Some(w) => w,
                None => pre.instantiate_async(&mut store).await?,
            };
            w.wasi_http_incoming_handler()
                .call_handle(&mut store, incoming, outparam)
                .await?;
            wasmtime::Result::<(Store<Ctx>, Whatsapp)>::Ok((store, w))
        }));

        let response: Result<Response> = match resp_rx.await {
            Ok(Ok(resp)) => {
                let (parts, body) = resp.into_parts();
                match body.collect().await {
                    Ok(collected) => {
                        let status = parts.status.as_u16();
                        self.push_event(instance, EventKind::Responded { status });
                        let _ = ack_tx.send(true);
                        Ok(Response {
                            status,
                            headers: header_pairs(&parts.headers),
                            body: collected.to_bytes().to_vec(),
                            instance,
                        })
                    }
                    Err(e) => Err(::anyhow::anyhow!(
                        "the response body broke off (not finished?): {e}"
                    )),
                }
            }
            Ok(Err(code)) => Err(::anyhow::anyhow!(
                "the guest set the response to error-code {code:?}"
            )),
            Err(_) => Err(::anyhow::anyhow!(
                "the guest never called response-outparam.set"
            )),
        };
        // Dispatch waiting on the latch gives up at once from here on.
        drop(ack_tx);

        let finished: wasmtime::Result<(Store<Ctx>, Whatsapp)> = task.await;
        self.push_event(
            instance,
            EventKind::Finished {
                ok: finished.is_ok(),
            },
        );
        let (finished, live) = match finished {
            Ok(live) => (Ok::<(), wasmtime::Error>(()), Some(live)),
            Err(trap) => (Err(trap), None),
        };
        let result = match (response, finished) {
            (Ok(r), Ok(())) => Ok(r),
            (Ok(r), Err(trap)) => Err(anyhow::Error::from(trap).context(format!(
                "the guest answered {} but then trapped; logs:\n{}",
                r.status,
                self.logs()
            ))),
            (Err(e), Ok(())) => Err(e.context(format!("logs:\n{}", self.logs()))),
            (Err(e), Err(trap)) => Err(anyhow::Error::from(trap)
                .context(format!("{e:#}"))
                .context(format!("the guest trapped; logs:\n{}", self.logs()))),
        };
        (result, live)
    }

    /// Typed calls of the exported `asterai:whatsapp/outgoing` functions, each in a
    /// fresh instance.
    pub fn outgoing(&self) -> Outgoing<'_> {
        Outgoing { h: self }
    }

    /// Typed calls of the exported `asterai:whatsapp/media` functions, each in a fresh
    /// instance.
    pub fn media(&self) -> MediaApi<'_> {
        MediaApi { h: self }
    }

    // ------------------------------------------------------------------ records

    /// Every message passed to `on-message`, in call order.
    pub fn messages(&self) -> Vec<Message> {
        self.records()
            .messages
            .iter()
            .map(|c| c.message.clone())
            .collect()
    }

    /// Every `on-message` call with its delivery attempt, whether it trapped, its ack
    /// flag, instance and time.
    pub fn message_calls(&self) -> Vec<MessageCall> {
        self.records().messages.clone()
    }

    /// The delivery attempts with which the message `id` was passed to `on-message`, in
    /// call order (`[1]` for a message dispatched once; empty when never).
    pub fn message_attempts(&self, id: &str) -> Vec<u32> {
        self.records()
            .messages
            .iter()
            .filter(|c| c.message.id == id)
            .map(|c| c.attempt)
            .collect()
    }

    /// Every update passed to `on-status`, in call order.
    pub fn statuses(&self) -> Vec<StatusUpdate> {
        self.records()
            .statuses
            .iter()
            .map(|c| c.status.clone())
            .collect()
    }

    /// Every `on-status` call with its delivery attempt, ack flag, instance and time.
    pub fn status_calls(&self) -> Vec<StatusCall> {
        self.records().statuses.clone()
    }

    /// The delivery attempts with which statuses of the sent message `message_id` were
    /// passed to `on-status`, in call order.
    pub fn status_attempts(&self, message_id: &str) -> Vec<u32> {
        self.records()
            .statuses
            .iter()
            .filter(|c| c.status.message_id == message_id)
            .map(|c| c.attempt)
            .collect()
    }

    /// Every update passed to `on-update`, in call order.
    pub fn updates(&self) -> Vec<WebhookUpdate> {
        self.records()
            .updates
            .iter()
            .map(|c| c.update.clone())
            .collect()
    }

    /// Every `on-update` call with its delivery attempt, ack flag, instance and time.
    pub fn update_calls(&self) -> Vec<UpdateCall> {
        self.records().updates.clone()
    }

    /// The delivery attempts with which updates of webhook field `field` were passed to
    /// `on-update`, in call order.
    pub fn update_attempts(&self, field: &str) -> Vec<u32> {
        self.records()
            .updates
            .iter()
            .filter(|c| c.update.field == field)
            .map(|c| c.attempt)
            .collect()
    }

    /// Every outgoing request, in arrival order (index order).
    pub fn graph_requests(&self) -> Vec<GraphRequest> {
        self.records().graph.clone()
    }

    /// Gaps of virtual time between consecutive Graph requests (`n - 1` entries for
    /// `n` requests): with a paused tokio clock these are exactly the component's
    /// retry delays.
    pub fn graph_delays(&self) -> Vec<Duration> {
        let g = &self.records().graph;
        g.windows(2)
            .map(|w| w[1].at.saturating_sub(w[0].at))
            .collect()
    }

    /// The ordered event log.
    pub fn events(&self) -> Vec<Event> {
        self.records().events.clone()
    }

    /// The event log without times and instances, for order assertions.
    pub fn event_kinds(&self) -> Vec<EventKind> {
        self.records()
            .events
            .iter()
            .map(|e| e.kind.clone())
            .collect()
    }

    /// Everything the guests wrote to stdout and stderr so far, in write order
    /// (concurrent instances interleave). For one step's output only, see
    /// [`Harness::log_mark`].
    pub fn logs(&self) -> String {
        String::from_utf8_lossy(&self.shared.output.contents()).into_owned()
    }

    /// A position in the logs, for [`Harness::logs_since`].
    pub fn log_mark(&self) -> usize {
        self.shared.output.contents().len()
    }

    /// What the guests wrote since `mark` (from [`Harness::log_mark`]).
    pub fn logs_since(&self, mark: usize) -> String {
        let out = self.shared.output.contents();
        String::from_utf8_lossy(out.get(mark..).unwrap_or_default()).into_owned()
    }

    /// The log lines (see [`Harness::logs`]).
    pub fn log_lines(&self) -> Vec<String> {
        self.logs().lines().map(str::to_owned).collect()
    }

    /// Forgets all records (messages, statuses, Graph requests, events); the logs
    /// and the time origin stay.
    pub fn clear_records(&self) {
        *self.records() = Records::default();
    }

    /// Virtual time since the harness's first operation (tokio clock).
    pub fn elapsed(&self) -> Duration {
        self.epoch().0.elapsed()
    }

    // ------------------------------------------------------------------ internals

    fn records(&self) -> MutexGuard<'_, Records> {
        self.shared
            .records
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    fn epoch(&self) -> (tokio::time::Instant, SystemTime) {
        *self.shared.epoch.get_or_init(|| {
            (
                tokio::time::Instant::now(),
                self.cfg.wall_clock_start.unwrap_or_else(SystemTime::now),
            )
        })
    }

    fn push_event(&self, instance: u64, kind: EventKind) {
        let at = self.elapsed();
        self.push_event_at(instance, at, kind);
    }

    fn push_event_at(&self, instance: u64, at: Duration, kind: EventKind) {
        self.records().events.push(Event { at, instance, kind });
    }

    fn new_store(
        &self,
        ack: Option<tokio::sync::watch::Receiver<bool>>,
    ) -> Result<(Store<Ctx>, u64)> {
        let instance = self.shared.next_instance.fetch_add(1, Ordering::Relaxed);
        let (base, wall) = self.epoch();
        let mut wasi = WasiCtxBuilder::new();
        wasi.stdout(self.shared.output.clone())
            .stderr(self.shared.output.clone())
            .monotonic_clock(VirtualMonotonic { base })
            .wall_clock(VirtualWall {
                base,
                start: wall.duration_since(UNIX_EPOCH).unwrap_or_default(),
            });
        for (k, v) in &self.cfg.env {
            wasi.env(k, v);
        }
        if let Some(bytes) = &self.cfg.random_bytes {
            wasi.secure_random(Deterministic::new(bytes.clone()))
                .insecure_random(Deterministic::new(bytes.clone()))
                .insecure_random_seed(0);
        }
        for (dir, guest) in &self.cfg.preopens {
            wasi.preopened_dir(dir, guest, FsPerms::ReadWrite)
                .map_err(anyhow::Error::from)
                .with_context(|| format!("preopening {} at {guest}", dir.display()))?;
        }
        let ctx = Ctx {
            wasi: wasi.build(),
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
            hooks: GraphHooks {
                harness: self.clone(),
                instance,
                ack: ack.clone(),
            },
            harness: self.clone(),
            instance,
            ack,
            meter: MemoryMeter::default(),
        };
        let mut store = Store::new(self.compiled.pre.engine(), ctx);
        store.limiter(|ctx| &mut ctx.meter);
        Ok((store, instance))
    }

    /// Instantiates a fresh instance for an exported `outgoing` call.
    async fn start_outgoing(&self, function: &'static str) -> Result<(Store<Ctx>, Whatsapp, u64)> {
        let (mut store, instance) = self.new_store(None)?;
        self.push_event(instance, EventKind::Call { function });
        match self.compiled.pre.instantiate_async(&mut store).await {
            Ok(w) => Ok((store, w, instance)),
            Err(e) => self.finish_outgoing(instance, function, Err(e)),
        }
    }

    /// Logs the end of an exported `outgoing` call and converts its trap.
    fn finish_outgoing<R>(
        &self,
        instance: u64,
        function: &'static str,
        result: wasmtime::Result<R>,
    ) -> Result<R> {
        self.push_event(instance, EventKind::Finished { ok: result.is_ok() });
        result.map_err(|e| {
            anyhow::Error::from(e).context(format!(
                "outgoing.{function} trapped; logs:\n{}",
                self.logs()
            ))
        })
    }
}

// ---------------------------------------------------------------------- instance reuse

/// The linear memories and tables of one instance (the whatsapp component's core
/// instances), as wasmtime's [`wasmtime::ResourceLimiter`] hears of them: every memory
/// and table is announced when it is created (from size 0) and at every growth, and
/// a memory never shrinks, so the sums are the instance's sizes at any moment.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct MemoryUse {
    /// The bytes of all the instance's linear memories together (64 KiB pages).
    pub memory_bytes: u64,
    /// How many times a memory was created or grown (`memory.grow` that succeeded or
    /// failed).
    pub memory_grows: u64,
    /// The elements of all the instance's tables together.
    pub table_elements: u64,
}

/// The store's [`wasmtime::ResourceLimiter`]: allows everything, records [`MemoryUse`].
#[derive(Default)]
struct MemoryMeter {
    usage: MemoryUse,
}

impl wasmtime::ResourceLimiter for MemoryMeter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let grown = u64::try_from(desired.saturating_sub(current)).unwrap_or(u64::MAX);
        self.usage.memory_bytes = self.usage.memory_bytes.saturating_add(grown);
        self.usage.memory_grows += 1;
        Ok(true)
    }

    fn memory_grow_failed(&mut self, _error: wasmtime::Error) -> wasmtime::Result<()> {
        // Not grown after all (the grow was over the memory's maximum). The amount is not
        // passed here; a failed grow makes the guest's allocator fail, which the tests
        // see as a trap, so the figure is not used afterwards.
        Ok(())
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let grown = u64::try_from(desired.saturating_sub(current)).unwrap_or(u64::MAX);
        self.usage.table_elements = self.usage.table_elements.saturating_add(grown);
        Ok(true)
    }
}

/// One instance of the component serving request after request, as `wasmtime serve
/// --max-instance-reuse-count N` does: get one with [`Harness::reused_instance`].
///
/// Each [`ReusedInstance::request`] calls the same instance's
/// `wasi:http/incoming-handler.handle` and returns, like [`Harness::request`], when the
/// answer was received and `handle` returned (dispatch included); the next call starts
/// only then, as `wasmtime serve` never calls a WASI 0.2 instance concurrently. Records,
/// logs and the Graph stand-in are the harness's; every record of these requests carries
/// the same `instance`.
///
/// A request whose guest traps kills the instance (wasmtime poisons it, and `wasmtime
/// serve` drops it): the request returns the error and the next one gets a fresh
/// instance, with a new instance number ([`ReusedInstance::instances`] counts them).
pub struct ReusedInstance {
    h: Harness,
    live: Option<(Store<Ctx>, Whatsapp)>,
    instance: u64,
    served: u64,
    instances: u64,
    after_instantiation: MemoryUse,
}

impl ReusedInstance {
    /// Serves one request on this instance (a fresh one after a trap).
    pub async fn request(&mut self, req: HttpRequest) -> Result<Response> {
        let (store, proxy) = match self.live.take() {
            Some((store, proxy)) => (store, Some(proxy)),
            None => {
                let (store, instance) = self.h.new_store(None)?;
                self.instance = instance;
                self.instances += 1;
                (store, None)
            }
        };
        let fresh = proxy.is_none();
        let (result, live) = self.h.serve_one(store, self.instance, proxy, req).await;
        if fresh {
            if let Some((store, _)) = &live {
                // The size right after instantiation is not observable here once the
                // request ran; the first request's is the nearest.
                self.after_instantiation = store.data().meter.usage;
            }
        }
        self.live = live;
        self.served += 1;
        result
    }

    /// `GET path` on this instance.
    pub async fn get(&mut self, path: &str) -> Result<Response> {
        self.request(HttpRequest::get(path)).await
    }

    /// `POST path` with these headers and body on this instance.
    pub async fn post(
        &mut self,
        path: &str,
        headers: &[(&str, &str)],
        body: impl AsRef<[u8]>,
    ) -> Result<Response> {
        self.request(HttpRequest::post(path, headers, body)).await
    }

    /// The instance's memories and tables now; `None` after a trap (until the next
    /// request instantiates a fresh one).
    pub fn memory(&self) -> Option<MemoryUse> {
        self.live
            .as_ref()
            .map(|(store, _)| store.data().meter.usage)
    }

    /// The host resources the instance holds now (streams, pollables, requests,
    /// descriptors, … in the store's resource table): handles the guest has not dropped.
    /// Between requests this is what the instance keeps; a count that rises from
    /// request to request is a leak. `None` after a trap.
    pub fn live_resources(&mut self) -> Option<usize> {
        self.live
            .as_mut()
            .map(|(store, _)| store.data_mut().table.iter_mut().count())
    }

    /// [`ReusedInstance::live_resources`] by kind (the `wasi:http` and `wasi:io` types
    /// the host knows; `other` for the rest), for a failure message. Empty after a trap.
    pub fn live_resource_kinds(&mut self) -> Vec<(&'static str, usize)> {
        use std::any::Any;
        use wasmtime_wasi_http::p2::body::{
            HostFutureTrailers, HostIncomingBody, HostOutgoingBody,
        };
        use wasmtime_wasi_http::p2::types::{
            HostFutureIncomingResponse, HostIncomingRequest, HostIncomingResponse,
            HostOutgoingRequest, HostOutgoingResponse, HostResponseOutparam,
        };
        fn kind(entry: &dyn Any) -> &'static str {
            macro_rules! kinds {
                ($($t:ty => $name:literal,)*) => {
                    $(if entry.is::<$t>() { return $name; })*
                };
            }
            kinds! {
                wasmtime_wasi_http::FieldMap => "fields",
                wasmtime_wasi_http::RequestOptions => "request-options",
                HostIncomingRequest => "incoming-request",
                HostResponseOutparam => "response-outparam",
                HostOutgoingResponse => "outgoing-response",
                HostOutgoingRequest => "outgoing-request",
                HostIncomingResponse => "incoming-response",
                HostFutureIncomingResponse => "future-incoming-response",
                HostIncomingBody => "incoming-body",
                HostOutgoingBody => "outgoing-body",
                HostFutureTrailers => "future-trailers",
                wasmtime_wasi::p2::DynInputStream => "input-stream",
                wasmtime_wasi::p2::DynOutputStream => "output-stream",
                wasmtime_wasi::p2::DynPollable => "pollable",
            }
            "other"
        }
        let mut counts: Vec<(&'static str, usize)> = Vec::new();
        if let Some((store, _)) = self.live.as_mut() {
            for entry in store.data_mut().table.iter_mut() {
                let name = kind(&*entry);
                match counts.iter_mut().find(|(k, _)| *k == name) {
                    Some((_, n)) => *n += 1,
                    None => counts.push((name, 1)),
                }
            }
        }
        counts.sort();
        counts
    }

    /// The memories and tables right after the current instance was instantiated (for a
    /// replacement after a trap: after its first request).
    pub fn memory_after_instantiation(&self) -> MemoryUse {
        self.after_instantiation
    }

    /// The current instance's number (as in [`Response::instance`]).
    pub fn instance(&self) -> u64 {
        self.instance
    }

    /// Requests served so far, by all the instances of this handle.
    pub fn served(&self) -> u64 {
        self.served
    }

    /// Instances used so far: 1, plus one per trap that was followed by a request.
    pub fn instances(&self) -> u64 {
        self.instances
    }

    /// Whether the current instance is alive (it did not trap).
    pub fn alive(&self) -> bool {
        self.live.is_some()
    }
}

/// Typed wrappers of the exported `asterai:whatsapp/outgoing` functions; get one with
/// [`Harness::outgoing`]. Each call runs in a fresh instance with the harness's
/// configuration. The outer `Result` is a trap (or a host failure), the inner one the
/// function's WIT result.
pub struct Outgoing<'a> {
    h: &'a Harness,
}

macro_rules! outgoing_fns {
    ($($(#[$doc:meta])* $name:ident($arg:ty) -> $ok:ty, $err:ty = $call:ident, $wit:literal;)*) => {
        impl Outgoing<'_> {
            $(
                $(#[$doc])*
                pub async fn $name(&self, arg: &$arg) -> Result<Result<$ok, $err>> {
                    let (mut store, w, instance) = self.h.start_outgoing($wit).await?;
                    let r = w.asterai_whatsapp_outgoing().$call(&mut store, arg).await;
                    self.h.finish_outgoing(instance, $wit, r)
                }
            )*
        }
    };
}

outgoing_fns! {
    /// `send-text`.
    send_text(TextMessage) -> Sent, TextFailure = call_send_text, "send-text";
    /// `send-media`.
    send_media(MediaMessage) -> Sent, SendError = call_send_media, "send-media";
    /// `send-location`.
    send_location(LocationMessage) -> Sent, SendError = call_send_location, "send-location";
    /// `send-contacts`.
    send_contacts(ContactsMessage) -> Sent, SendError = call_send_contacts, "send-contacts";
    /// `send-buttons`.
    send_buttons(ButtonsMessage) -> Sent, SendError = call_send_buttons, "send-buttons";
    /// `send-list`.
    send_list(ListMessage) -> Sent, SendError = call_send_list, "send-list";
    /// `send-cta-url`.
    send_cta_url(CtaUrlMessage) -> Sent, SendError = call_send_cta_url, "send-cta-url";
    /// `send-template`.
    send_template(TemplateMessage) -> Sent, SendError = call_send_template, "send-template";
    /// `react`.
    react(ReactionMessage) -> Sent, SendError = call_react, "react";
    /// `mark-read`.
    mark_read(ReadReceipt) -> (), SendError = call_mark_read, "mark-read";
    /// `send-voice`.
    send_voice(VoiceMessage) -> Sent, SendError = call_send_voice, "send-voice";
    /// `send-location-request`.
    send_location_request(LocationRequestMessage) -> Sent, SendError = call_send_location_request, "send-location-request";
    /// `send-flow`.
    send_flow(FlowMessage) -> Sent, SendError = call_send_flow, "send-flow";
    /// `update-business-profile`.
    update_business_profile(BusinessProfileUpdate) -> (), SendError = call_update_business_profile, "update-business-profile";
}

impl Outgoing<'_> {
    /// `get-self`, for the given business phone number id (`None`: the configured one).
    pub async fn get_self(
        &self,
        phone_number_id: Option<&str>,
    ) -> Result<Result<BusinessProfile, SendError>> {
        let (mut store, w, instance) = self.h.start_outgoing("get-self").await?;
        let r = w
            .asterai_whatsapp_outgoing()
            .call_get_self(&mut store, phone_number_id)
            .await;
        self.h.finish_outgoing(instance, "get-self", r)
    }

    /// `block-users` on the given business phone number id (`None`: the configured one).
    pub async fn block_users(
        &self,
        users: &[String],
        phone_number_id: Option<&str>,
    ) -> Result<Result<BlockResult, SendError>> {
        let (mut store, w, instance) = self.h.start_outgoing("block-users").await?;
        let r = w
            .asterai_whatsapp_outgoing()
            .call_block_users(&mut store, users, phone_number_id)
            .await;
        self.h.finish_outgoing(instance, "block-users", r)
    }

    /// `unblock-users` on the given business phone number id (`None`: the configured one).
    pub async fn unblock_users(
        &self,
        users: &[String],
        phone_number_id: Option<&str>,
    ) -> Result<Result<BlockResult, SendError>> {
        let (mut store, w, instance) = self.h.start_outgoing("unblock-users").await?;
        let r = w
            .asterai_whatsapp_outgoing()
            .call_unblock_users(&mut store, users, phone_number_id)
            .await;
        self.h.finish_outgoing(instance, "unblock-users", r)
    }

    /// `get-business-profile` of the given business phone number id (`None`: the
    /// configured one).
    pub async fn get_business_profile(
        &self,
        phone_number_id: Option<&str>,
    ) -> Result<Result<BusinessProfileDetails, SendError>> {
        let (mut store, w, instance) = self.h.start_outgoing("get-business-profile").await?;
        let r = w
            .asterai_whatsapp_outgoing()
            .call_get_business_profile(&mut store, phone_number_id)
            .await;
        self.h.finish_outgoing(instance, "get-business-profile", r)
    }
}

/// Typed wrappers of the exported `asterai:whatsapp/media` functions; get one with
/// [`Harness::media`]. Like [`Outgoing`]: each call runs in a fresh instance (logged as
/// [`EventKind::Call`] with the WIT name, for example `look-up`); the outer `Result` is
/// a trap, the inner one the function's WIT result.
pub struct MediaApi<'a> {
    h: &'a Harness,
}

impl MediaApi<'_> {
    /// `look-up`, checking the media's number when one is given.
    pub async fn look_up(
        &self,
        media_id: &str,
        phone_number_id: Option<&str>,
    ) -> Result<Result<MediaInfo, MediaError>> {
        let (mut store, w, instance) = self.h.start_outgoing("look-up").await?;
        let r = w
            .asterai_whatsapp_media()
            .call_look_up(&mut store, media_id, phone_number_id)
            .await;
        self.h.finish_outgoing(instance, "look-up", r)
    }

    /// `download`, checking the media's number when one is given.
    pub async fn download(
        &self,
        media_id: &str,
        phone_number_id: Option<&str>,
    ) -> Result<Result<Downloaded, MediaError>> {
        let (mut store, w, instance) = self.h.start_outgoing("download").await?;
        let r = w
            .asterai_whatsapp_media()
            .call_download(&mut store, media_id, phone_number_id)
            .await;
        self.h.finish_outgoing(instance, "download", r)
    }

    /// `upload`.
    pub async fn upload(&self, file: &FileUpload) -> Result<Result<String, MediaError>> {
        let (mut store, w, instance) = self.h.start_outgoing("upload").await?;
        let r = w
            .asterai_whatsapp_media()
            .call_upload(&mut store, file)
            .await;
        self.h.finish_outgoing(instance, "upload", r)
    }

    /// `delete`, checking the media's number when one is given.
    pub async fn delete(
        &self,
        media_id: &str,
        phone_number_id: Option<&str>,
    ) -> Result<Result<(), MediaError>> {
        let (mut store, w, instance) = self.h.start_outgoing("delete").await?;
        let r = w
            .asterai_whatsapp_media()
            .call_delete(&mut store, media_id, phone_number_id)
            .await;
        self.h.finish_outgoing(instance, "delete", r)
    }
}

// ---------------------------------------------------------------------- store data

struct Ctx {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
    hooks: GraphHooks,
    harness: Harness,
    instance: u64,
    /// Released when the test side has the complete webhook response; `None` outside
    /// a webhook request.
    ack: Option<tokio::sync::watch::Receiver<bool>>,
    /// The sizes of the instance's memories and tables, as wasmtime reports them.
    meter: MemoryMeter,
}

impl WasiView for Ctx {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for Ctx {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.hooks,
        }
    }
}

impl Ctx {
    /// Waits until the webhook response was received, up to the ack timeout.
    async fn wait_acked(&mut self) -> bool {
        let timeout = self.harness.cfg.ack_timeout;
        match &mut self.ack {
            None => false,
            Some(rx) => matches!(
                tokio::time::timeout(timeout, rx.wait_for(|done| *done)).await,
                Ok(Ok(_))
            ),
        }
    }
}

impl bindings::asterai::whatsapp::incoming_handler::Host for Ctx {
    async fn on_message(
        &mut self,
        message: Message,
        delivery: Delivery,
    ) -> wasmtime::Result<Vec<Action>> {
        let at = self.harness.elapsed();
        let acked = self.wait_acked().await;
        let h = self.harness.clone();
        let trapped = h
            .cfg
            .trap_on_message
            .as_ref()
            .is_some_and(|trap| trap(&message, delivery.attempt));
        h.push_event_at(
            self.instance,
            at,
            EventKind::OnMessage {
                id: message.id.clone(),
                acked,
            },
        );
        h.records().messages.push(MessageCall {
            message: message.clone(),
            attempt: delivery.attempt,
            trapped,
            acked_before_dispatch: acked,
            instance: self.instance,
            at,
        });
        if trapped {
            return Err(wasmtime::Error::from_anyhow(anyhow::anyhow!(
                "consumer trapped on purpose"
            )));
        }
        Ok((h.cfg.on_message)(&message))
    }

    async fn on_status(
        &mut self,
        status: StatusUpdate,
        delivery: Delivery,
    ) -> wasmtime::Result<()> {
        let at = self.harness.elapsed();
        let acked = self.wait_acked().await;
        let h = self.harness.clone();
        h.push_event_at(
            self.instance,
            at,
            EventKind::OnStatus {
                message_id: status.message_id.clone(),
                acked,
            },
        );
        h.records().statuses.push(StatusCall {
            status,
            attempt: delivery.attempt,
            acked_before_dispatch: acked,
            instance: self.instance,
            at,
        });
        Ok(())
    }

    async fn on_update(
        &mut self,
        update: WebhookUpdate,
        delivery: Delivery,
    ) -> wasmtime::Result<()> {
        let at = self.harness.elapsed();
        let acked = self.wait_acked().await;
        let h = self.harness.clone();
        h.push_event_at(
            self.instance,
            at,
            EventKind::OnUpdate {
                field: update.field.clone(),
                acked,
            },
        );
        h.records().updates.push(UpdateCall {
            update,
            attempt: delivery.attempt,
            acked_before_dispatch: acked,
            instance: self.instance,
            at,
        });
        Ok(())
    }
}

impl bindings::asterai::whatsapp::types::Host for Ctx {}

// ---------------------------------------------------------------------- Graph hooks

struct GraphHooks {
    harness: Harness,
    instance: u64,
    /// The webhook's ack latch, as in [`Ctx`].
    ack: Option<tokio::sync::watch::Receiver<bool>>,
}

type IoFuture = Box<dyn Future<Output = Result<(), HttpError>> + Send>;

impl WasiHttpHooks for GraphHooks {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _fut: IoFuture,
    ) -> Box<dyn Future<Output = Result<(http::Response<WasiBody>, IoFuture), HttpError>> + Send>
    {
        let h = self.harness.clone();
        let instance = self.instance;
        let ack = self.ack.clone();
        Box::new(async move {
            // Like on-message, a Graph call waits for the webhook answer to be received,
            // so a component that calls out before acknowledging shows as not acked.
            let acked_before_send = match ack {
                None => false,
                Some(mut rx) => matches!(
                    tokio::time::timeout(h.cfg.ack_timeout, rx.wait_for(|done| *done)).await,
                    Ok(Ok(_))
                ),
            };
            let at = h.elapsed();
            let (parts, body) = request.into_parts();
            // The guest usually writes the body after handing the request over.
            let body = body.collect().await?.to_bytes();
            let req = {
                let mut rec = h.records();
                let uri = &parts.uri;
                let req = GraphRequest {
                    index: rec.graph.len(),
                    instance,
                    at,
                    method: parts.method.to_string(),
                    url: uri.to_string(),
                    scheme: uri.scheme_str().unwrap_or_default().to_string(),
                    authority: uri.authority().map(|a| a.to_string()).unwrap_or_default(),
                    path: uri.path().to_string(),
                    query: uri.query().map(str::to_owned),
                    headers: header_pairs(&parts.headers),
                    body: body.to_vec(),
                    options: options.unwrap_or_default(),
                    acked_before_send,
                };
                rec.graph.push(req.clone());
                rec.events.push(Event {
                    at,
                    instance,
                    kind: EventKind::Graph {
                        index: req.index,
                        method: req.method.clone(),
                        path: req.path.clone(),
                    },
                });
                req
            };
            let mut answer = (h.cfg.graph)(&req);
            let first_byte_deadline = tokio::time::Instant::now()
                + req
                    .options
                    .first_byte_timeout
                    .unwrap_or(graph::DEFAULT_FIRST_BYTE_TIMEOUT);
            loop {
                match answer {
                    GraphResponse::Delayed(delay, inner) => {
                        let until = tokio::time::Instant::now() + delay;
                        if until > first_byte_deadline {
                            tokio::time::sleep_until(first_byte_deadline).await;
                            return Err(HttpError::ConnectionReadTimeout);
                        }
                        tokio::time::sleep_until(until).await;
                        answer = *inner;
                    }
                    GraphResponse::Hang => {
                        tokio::time::sleep_until(first_byte_deadline).await;
                        return Err(HttpError::ConnectionReadTimeout);
                    }
                    GraphResponse::Error(code) => return Err(HttpError::from(code)),
                    GraphResponse::Http {
                        status,
                        headers,
                        body,
                    } => {
                        let mut b = http::Response::builder().status(status);
                        for (k, v) in &headers {
                            b = b.header(k.as_str(), v.as_str());
                        }
                        let resp = b
                            .body(
                                Full::new(Bytes::from(body))
                                    .map_err(|never| match never {})
                                    .boxed_unsync(),
                            )
                            .map_err(|e| HttpError::InternalError(Some(e.to_string())))?;
                        let io: IoFuture = Box::new(async { Ok(()) });
                        return Ok((resp, io));
                    }
                }
            }
        })
    }
}

// ---------------------------------------------------------------------- clocks

/// The guest's monotonic clock: tokio time since the harness epoch.
struct VirtualMonotonic {
    base: tokio::time::Instant,
}

impl HostMonotonicClock for VirtualMonotonic {
    fn resolution(&self) -> u64 {
        1
    }

    fn now(&self) -> u64 {
        u64::try_from(self.base.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }
}

/// The guest's wall clock: the start time plus tokio time since the harness epoch.
struct VirtualWall {
    base: tokio::time::Instant,
    start: Duration,
}

impl HostWallClock for VirtualWall {
    fn resolution(&self) -> Duration {
        Duration::from_nanos(1)
    }

    fn now(&self) -> Duration {
        self.start + self.base.elapsed()
    }
}

// ---------------------------------------------------------------------- helpers

fn header_pairs(headers: &http::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// A spawned task that is aborted when dropped and re-raises its panic when awaited
/// (so an assertion failing inside a test closure reports its own message).
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl<T> Future for AbortOnDrop<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<T> {
        match Pin::new(&mut self.0).poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Ok(v)) => Poll::Ready(v),
            Poll::Ready(Err(e)) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Poll::Ready(Err(e)) => panic!("harness task failed: {e}"),
        }
    }
}
