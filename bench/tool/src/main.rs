//! Native helpers of `make bench` (bench/run.sh):
//!
//! - `sign SECRET FILE`: the hex HMAC-SHA256 of FILE's bytes, as Meta puts it after
//!   `sha256=` in `X-Hub-Signature-256` (used when `openssl` is not installed).
//! - `graph ADDR [--delay-ms N]`: a lean Graph API stand-in on loopback: answers every
//!   `POST …/messages` with Meta's JSON (a send, or `{"success":true}` for a read
//!   receipt), at once or N ms after the request arrived, counts what it answered, and
//!   reports the counts at `GET /_count`. Nothing is recorded and nothing is sent back,
//!   unlike the sandbox.
//! - `latency WEBHOOK_URL GRAPH_ADDR SECRET FIXTURE [--delay-ms N] [--n N] [--warmup N]
//!   [--pause-ms N]`: the time from a webhook to its reply. Runs the Graph stand-in above
//!   on GRAPH_ADDR itself (answering after N ms), then, one at a time, POSTs FIXTURE (a
//!   text webhook) with a fresh message id, signed with SECRET, to WEBHOOK_URL, and
//!   times, on one clock, the acknowledgement, the read receipt for that id reaching the
//!   stand-in and the reply quoting it (a `messages` POST that is not a read receipt)
//!   reaching the stand-in. Prints each sample and the quantiles.
//! - `instantiate WASM [--n N] [--env K=V]... [--get PATH | --post FILE --sig HEX]
//!   [--requests-only]`: compiles the component once with the engine `wasmtime serve` uses
//!   (pooling allocator), then times N instantiations (a fresh store each, as `wasmtime
//!   serve` gives every request) and, with a request, N complete requests in process
//!   (instantiate, handle, read the answer, drop the store: everything the guest does,
//!   without the network), with the guest's calls into the host and the pages it first
//!   touches (minor page faults) per request. With `--reuse`, the N requests run on one
//!   instance, as `wasmtime serve --max-instance-reuse-count` runs them: the guest's own
//!   work per request, without instantiation; `--fuel` then also counts that work
//!   (wasmtime's fuel), and `--fuel-trace` prints, for one more request, the fuel spent
//!   before each host call (which part of the request the work is in: a host call such as
//!   `wasi:clocks/monotonic-clock.now` put in a build marks a point). `BENCH_PERFMAP=1`
//!   writes a perf map so `perf report` names the guest's functions.
//! - `component WIT_DIR WORLD WAT OUT`: a component from a core module written in WAT that
//!   implements WORLD of the WIT package in WIT_DIR (`wasm-tools component embed` + `new`);
//!   builds bench/ack-consumer.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store};
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

const USAGE: &str = "\
usage: bench-tool sign SECRET FILE
       bench-tool graph ADDR [--delay-ms N]
       bench-tool latency WEBHOOK_URL GRAPH_ADDR SECRET FIXTURE [--delay-ms N] [--n N]
                          [--warmup N] [--pause-ms N]
       bench-tool instantiate WASM [--n N] [--env K=V]... [--get PATH | --post FILE --sig HEX]
                              [--requests-only] [--reuse] [--fuel] [--fuel-trace]
       bench-tool component WIT_DIR WORLD WAT OUT";

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("sign") if args.len() == 3 => sign(&args[1], &args[2]),
        Some("graph") if args.len() == 2 || args.len() == 4 => graph_command(&args[1..]),
        Some("latency") if args.len() >= 5 => latency(&args[1..]),
        Some("instantiate") if args.len() >= 2 => instantiate(&args[1..]),
        Some("component") if args.len() == 5 => component(&args[1], &args[2], &args[3], &args[4]),
        _ => {
            eprintln!("{USAGE}");
            std::process::exit(2);
        }
    }
}

// ------------------------------------------------------------------------------ sign

fn sign(secret: &str, file: &str) -> Result<()> {
    use hmac::{Hmac, Mac};
    let body = std::fs::read(file).with_context(|| format!("reading {file}"))?;
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes())?;
    mac.update(&body);
    println!("{}", hex::encode(mac.finalize().into_bytes()));
    Ok(())
}

// ----------------------------------------------------------------------------- graph

#[derive(Default)]
struct Counts {
    sends: AtomicU64,
    reads: AtomicU64,
    other: AtomicU64,
}

const SENT: &str = r#"{"messaging_product":"whatsapp","contacts":[{"input":"16505551234","wa_id":"16505551234"}],"messages":[{"id":"wamid.HBgLMTY1MDU1NTEyMzQVAgARGBJCRU5DSE1BUktCRU5DSE1BUksA"}]}"#;
const READ: &str = r#"{"success":true}"#;
const NOT_FOUND: &str = r#"{"error":{"message":"Unsupported request (bench Graph stand-in)","type":"GraphMethodException","code":100}}"#;

/// A `messages` POST as it reached the stand-in: when, and its body.
struct Arrival {
    at: Instant,
    body: Bytes,
}

/// How the stand-in answers.
#[derive(Clone, Default)]
struct Stand {
    counts: Arc<Counts>,
    /// Answer a `messages` POST this long after it arrived.
    delay: Duration,
    /// Where each `messages` POST is reported as it arrives (`latency`).
    arrivals: Option<tokio::sync::mpsc::UnboundedSender<Arrival>>,
}

fn graph_command(args: &[String]) -> Result<()> {
    let addr: SocketAddr = args[0].parse().context("ADDR")?;
    let delay = match args.get(1).map(String::as_str) {
        None => Duration::ZERO,
        Some("--delay-ms") => Duration::from_millis(
            args.get(2)
                .context("--delay-ms needs a value")?
                .parse()
                .context("--delay-ms")?,
        ),
        Some(other) => bail!("unknown option {other}\n{USAGE}"),
    };
    // One thread: the stand-in must not take CPU from what is measured.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = bind_graph(addr).await?;
        eprintln!(
            "bench-tool: Graph stand-in on http://{addr}/ (counts at /_count), answering after {} ms",
            delay.as_millis()
        );
        serve_graph(
            listener,
            Stand {
                delay,
                ..Stand::default()
            },
        )
        .await
    })
}

async fn bind_graph(addr: SocketAddr) -> Result<tokio::net::TcpListener> {
    if !addr.ip().is_loopback() {
        bail!("the Graph stand-in listens on loopback only, not {addr}");
    }
    Ok(tokio::net::TcpListener::bind(addr).await?)
}

async fn serve_graph(listener: tokio::net::TcpListener, stand: Stand) -> Result<()> {
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        let stand = stand.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let stand = stand.clone();
                async move { Ok::<_, Infallible>(answer(req, &stand).await) }
            });
            let io = hyper_util::rt::TokioIo::new(stream);
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(io, service)
                .await;
        });
    }
}

async fn answer(req: Request<Incoming>, stand: &Stand) -> Response<Full<Bytes>> {
    let counts = &*stand.counts;
    let post = req.method() == hyper::Method::POST;
    let path = req.uri().path().to_string();
    if !post && path == "/_count" {
        let text = format!(
            "sends {}\nreads {}\nother {}\n",
            counts.sends.load(Ordering::Relaxed),
            counts.reads.load(Ordering::Relaxed),
            counts.other.load(Ordering::Relaxed)
        );
        return reply(200, "text/plain", text);
    }
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    if post && path.ends_with("/messages") {
        let arrived = Instant::now();
        if let Some(arrivals) = &stand.arrivals {
            let _ = arrivals.send(Arrival {
                at: arrived,
                body: body.clone(),
            });
        }
        if !stand.delay.is_zero() {
            tokio::time::sleep_until((arrived + stand.delay).into()).await;
        }
        // A read receipt carries `"status":"read"`; anything else is a send.
        if is_read_receipt(&body) {
            counts.reads.fetch_add(1, Ordering::Relaxed);
            return reply(200, "application/json", READ.to_string());
        }
        counts.sends.fetch_add(1, Ordering::Relaxed);
        return reply(200, "application/json", SENT.to_string());
    }
    counts.other.fetch_add(1, Ordering::Relaxed);
    reply(404, "application/json", NOT_FOUND.to_string())
}

fn is_read_receipt(body: &[u8]) -> bool {
    body.windows(8).any(|w| w == b"\"status\"")
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

// ---------------------------------------------------------------------------- latency

struct LatencyOptions {
    webhook: String,
    graph: SocketAddr,
    secret: String,
    fixture: Vec<u8>,
    delay: Duration,
    n: usize,
    warmup: usize,
    pause: Duration,
}

/// One webhook's timings from the moment its request was sent, in ms.
struct Sample {
    ack: f64,
    read: Option<f64>,
    reply: f64,
}

fn latency(args: &[String]) -> Result<()> {
    let mut options = LatencyOptions {
        webhook: args[0].clone(),
        graph: args[1].parse().context("GRAPH_ADDR")?,
        secret: args[2].clone(),
        fixture: std::fs::read(&args[3]).with_context(|| format!("reading {}", args[3]))?,
        delay: Duration::ZERO,
        n: 20,
        warmup: 3,
        pause: Duration::from_millis(100),
    };
    let mut rest = args[4..].iter();
    while let Some(flag) = rest.next() {
        let value: u64 = rest
            .next()
            .with_context(|| format!("{flag} needs a value"))?
            .parse()
            .with_context(|| flag.clone())?;
        match flag.as_str() {
            "--delay-ms" => options.delay = Duration::from_millis(value),
            "--n" => options.n = usize::try_from(value)?,
            "--warmup" => options.warmup = usize::try_from(value)?,
            "--pause-ms" => options.pause = Duration::from_millis(value),
            other => bail!("unknown option {other}\n{USAGE}"),
        }
    }
    if options.n == 0 {
        bail!("--n must be at least 1");
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run_latency(options))
}

/// The fixture with its (first) message id replaced by `id`.
fn with_message_id(fixture: &[u8], id: &str) -> Result<Vec<u8>> {
    let text = std::str::from_utf8(fixture).context("the fixture is not UTF-8")?;
    let start = text
        .find("\"wamid.")
        .context("the fixture has no message id (\"wamid.…\")")?
        + 1;
    let end = start
        + text[start..]
            .find('"')
            .context("the fixture's message id does not end")?;
    Ok(format!("{}{id}{}", &text[..start], &text[end..]).into_bytes())
}

fn sign_bytes(secret: &str, body: &[u8]) -> Result<String> {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes())?;
    mac.update(body);
    Ok(hex::encode(mac.finalize().into_bytes()))
}

async fn run_latency(options: LatencyOptions) -> Result<()> {
    let (tx, mut arrivals) = tokio::sync::mpsc::unbounded_channel();
    let listener = bind_graph(options.graph).await?;
    let stand = Stand {
        delay: options.delay,
        arrivals: Some(tx),
        ..Stand::default()
    };
    tokio::spawn(async move {
        if let Err(e) = serve_graph(listener, stand).await {
            eprintln!("bench-tool: the Graph stand-in stopped: {e:#}");
        }
    });
    let url: hyper::Uri = options.webhook.parse().context("WEBHOOK_URL")?;
    let authority = url
        .authority()
        .context("WEBHOOK_URL has no host")?
        .to_string();
    let addr: SocketAddr = authority
        .parse()
        .context("WEBHOOK_URL's host must be IP:port")?;
    let path = url
        .path_and_query()
        .map_or("/".to_string(), |p| p.to_string());
    let run = std::process::id();
    let mut samples = Vec::new();
    for i in 0..options.warmup + options.n {
        let id = format!("wamid.BENCHLATENCY{run:08X}{i:06}");
        let body = with_message_id(&options.fixture, &id)?;
        let signature = sign_bytes(&options.secret, &body)?;
        // Nothing of an earlier webhook is still arriving: start from an empty queue.
        while arrivals.try_recv().is_ok() {}
        let started = Instant::now();
        let stream = tokio::net::TcpStream::connect(addr).await?;
        let _ = stream.set_nodelay(true);
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
        tokio::spawn(connection);
        let request = Request::builder()
            .method("POST")
            .uri(path.as_str())
            .header("host", authority.as_str())
            .header("content-type", "application/json")
            .header("x-hub-signature-256", format!("sha256={signature}"))
            .body(Full::new(Bytes::from(body)))?;
        let response = sender.send_request(request).await?;
        let ack = started.elapsed();
        let status = response.status();
        let _ = response.into_body().collect().await;
        if status != 200 {
            bail!("webhook {i} answered {status}");
        }
        let quoted = format!("\"{id}\"");
        let mut read = None;
        let reply = loop {
            let arrival = tokio::time::timeout(Duration::from_secs(30), arrivals.recv())
                .await
                .with_context(|| format!("webhook {i}: no reply within 30 s"))?
                .context("the Graph stand-in stopped")?;
            if !contains(&arrival.body, quoted.as_bytes()) {
                continue;
            }
            if is_read_receipt(&arrival.body) {
                read = Some(arrival.at - started);
            } else {
                break arrival.at - started;
            }
        };
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        if i >= options.warmup {
            let sample = Sample {
                ack: ms(ack),
                read: read.map(ms),
                reply: ms(reply),
            };
            println!(
                "sample {} ack_ms {:.1} read_ms {} reply_ms {:.1}",
                i - options.warmup,
                sample.ack,
                sample.read.map_or("-".to_string(), |r| format!("{r:.1}")),
                sample.reply
            );
            samples.push(sample);
        }
        // The reply's answer (after the delay), then the pause: one webhook at a time.
        tokio::time::sleep(options.delay + options.pause).await;
    }
    let quantile = |mut values: Vec<f64>, q: f64| -> f64 {
        values.sort_by(f64::total_cmp);
        let at = ((values.len() - 1) as f64 * q).round() as usize;
        values[at]
    };
    let acks: Vec<f64> = samples.iter().map(|s| s.ack).collect();
    let replies: Vec<f64> = samples.iter().map(|s| s.reply).collect();
    let reads: Vec<f64> = samples.iter().filter_map(|s| s.read).collect();
    println!("delay_ms {}", options.delay.as_millis());
    println!("samples {}", samples.len());
    println!("ack_ms_p50 {:.1}", quantile(acks, 0.5));
    if reads.is_empty() {
        println!("read_ms_p50 -");
    } else {
        println!("read_ms_p50 {:.1}", quantile(reads, 0.5));
    }
    println!("reply_ms_min {:.1}", quantile(replies.clone(), 0.0));
    println!("reply_ms_p50 {:.1}", quantile(replies.clone(), 0.5));
    println!("reply_ms_p90 {:.1}", quantile(replies.clone(), 0.9));
    println!("reply_ms_max {:.1}", quantile(replies, 1.0));
    Ok(())
}

fn reply(status: u16, content_type: &str, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or_default();
    if let Ok(value) = hyper::header::HeaderValue::from_str(content_type) {
        response
            .headers_mut()
            .insert(hyper::header::CONTENT_TYPE, value);
    }
    response
}

// ----------------------------------------------------------------------- instantiate

struct Host {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
    /// Calls from the guest into the host (WASI functions, resource drops) so far.
    host_calls: u64,
    /// Under `--fuel-trace`: the fuel the guest used before each of its host calls in
    /// the request being traced (the last one), and the fuel left when it last ran.
    trace: Option<Vec<u64>>,
    fuel_mark: u64,
}

impl WasiView for Host {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for Host {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: Default::default(),
        }
    }
}

enum Probe {
    Get(String),
    Post { body: Bytes, signature: String },
}

struct Options {
    wasm: String,
    n: u32,
    env: Vec<(String, String)>,
    probe: Option<Probe>,
    requests_only: bool,
    /// Requests on one instance, as `wasmtime serve --max-instance-reuse-count` runs them.
    reuse: bool,
    /// Count the guest's wasm instructions (wasmtime's fuel: about one unit per
    /// instruction, in every component of the composition): a figure of the guest's own
    /// work that no other tenant of the machine can move.
    fuel: bool,
    /// With `fuel`: also print, for the last request, the fuel used between one host call
    /// and the next (where in the request the work is).
    fuel_trace: bool,
}

/// A component from WAT: the core module gets the world's type information (as
/// `wasm-tools component embed` adds it), then is wrapped as a component (`component new`).
fn component(wit_dir: &str, world: &str, wat: &str, out: &str) -> Result<()> {
    let mut resolve = wit_parser::Resolve::default();
    let (package, _) = resolve
        .push_path(wit_dir)
        .with_context(|| format!("reading the WIT in {wit_dir}"))?;
    let world = resolve
        .select_world(&[package], Some(world))
        .with_context(|| format!("world {world}"))?;
    let mut module = wat::parse_file(wat).with_context(|| format!("parsing {wat}"))?;
    wit_component::embed_component_metadata(
        &mut module,
        &resolve,
        world,
        wit_component::StringEncoding::UTF8,
    )?;
    let component = wit_component::ComponentEncoder::default()
        .module(&module)?
        .validate(true)
        .encode()?;
    std::fs::write(out, component).with_context(|| format!("writing {out}"))?;
    Ok(())
}

/// The fuel a store starts with under `--fuel`.
const FUEL: u64 = u64::MAX / 2;

fn parse_options(args: &[String]) -> Result<Options> {
    let mut options = Options {
        wasm: args[0].clone(),
        n: 2000,
        env: Vec::new(),
        probe: None,
        requests_only: false,
        reuse: false,
        fuel: false,
        fuel_trace: false,
    };
    let mut post: Option<String> = None;
    let mut signature: Option<String> = None;
    let mut rest = args[1..].iter();
    while let Some(flag) = rest.next() {
        let mut value = || rest.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--n" => options.n = value()?.parse().context("--n")?,
            "--env" => {
                let pair = value()?;
                let (k, v) = pair.split_once('=').context("--env takes K=V")?;
                options.env.push((k.to_string(), v.to_string()));
            }
            "--get" => options.probe = Some(Probe::Get(value()?.clone())),
            "--post" => post = Some(value()?.clone()),
            "--sig" => signature = Some(value()?.clone()),
            "--requests-only" => options.requests_only = true,
            "--reuse" => options.reuse = true,
            "--fuel" => options.fuel = true,
            "--fuel-trace" => {
                options.fuel = true;
                options.fuel_trace = true;
            }
            other => bail!("unknown option {other}\n{USAGE}"),
        }
    }
    if let Some(file) = post {
        let body = std::fs::read(&file).with_context(|| format!("reading {file}"))?;
        let signature = signature.context("--post needs --sig")?;
        options.probe = Some(Probe::Post {
            body: Bytes::from(body),
            signature,
        });
    }
    if options.n == 0 {
        bail!("--n must be at least 1");
    }
    if options.fuel && !(options.reuse && options.probe.is_some()) {
        // The count is taken over the requests on one instance; metering would only
        // slow down the other measurements.
        bail!("--fuel counts the requests on one instance: it needs --reuse and a request");
    }
    Ok(options)
}

fn instantiate(args: &[String]) -> Result<()> {
    let options = parse_options(args)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run_instantiate(options))
}

async fn run_instantiate(options: Options) -> Result<()> {
    // As `wasmtime serve` configures it when the pooling allocator fits in the address
    // space (it does on x86-64 Linux): default pooling limits.
    let mut config = Config::new();
    config.wasm_component_model(true);
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(
        PoolingAllocationConfig::default(),
    ));
    // BENCH_PERFMAP=1: write /tmp/perf-PID.map so `perf report` names the guest's code.
    if std::env::var_os("BENCH_PERFMAP").is_some() {
        config.profiler(wasmtime::ProfilingStrategy::PerfMap);
    }
    config.consume_fuel(options.fuel);
    let engine = Engine::new(&config)?;

    let started = Instant::now();
    let component = Component::from_file(&engine, &options.wasm)
        .map_err(anyhow::Error::from)
        .with_context(|| format!("compiling {}", options.wasm))?;
    let compile = started.elapsed();

    let mut linker = Linker::<Host>::new(&engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
    let pre = ProxyPre::new(linker.instantiate_pre(&component)?)?;

    let new_store = || {
        let mut wasi = WasiCtxBuilder::new();
        // The component's log lines go nowhere: this measures the guest, not a terminal.
        wasi.stdout(wasmtime_wasi::p2::pipe::SinkOutputStream)
            .stderr(wasmtime_wasi::p2::pipe::SinkOutputStream);
        for (k, v) in &options.env {
            wasi.env(k, v);
        }
        let mut store = Store::new(
            &engine,
            Host {
                wasi: wasi.build(),
                http: WasiHttpCtx::new(),
                table: ResourceTable::new(),
                host_calls: 0,
                trace: None,
                fuel_mark: 0,
            },
        );
        if options.fuel {
            // Enough for any run; what is left after it tells what was used.
            let _ = store.set_fuel(FUEL);
        }
        store
    };

    // Warm up: the first instantiations fault in the pool's pages.
    let instantiations = if options.requests_only { 0 } else { options.n };
    for _ in 0..instantiations.min(100) {
        let mut store = new_store();
        pre.instantiate_async(&mut store).await?;
    }
    let mut instantiating = Duration::ZERO;
    let mut dropping = Duration::ZERO;
    for _ in 0..instantiations {
        let t0 = Instant::now();
        let mut store = new_store();
        pre.instantiate_async(&mut store).await?;
        let t1 = Instant::now();
        drop(store);
        instantiating += t1 - t0;
        dropping += t1.elapsed();
    }
    let per = |d: Duration| d.as_secs_f64() * 1e6 / f64::from(options.n);
    println!("compile_ms {:.0}", compile.as_secs_f64() * 1e3);
    if instantiations > 0 {
        println!("instantiate_us {:.1}", per(instantiating));
        println!("drop_us {:.1}", per(dropping));
    }

    if let (Some(probe), true) = (&options.probe, options.reuse) {
        // One instance for every request: what is left is the guest's own work.
        let mut store = new_store();
        store.call_hook(|mut ctx, hook| {
            if matches!(hook, wasmtime::CallHook::CallingHost) {
                ctx.data_mut().host_calls += 1;
            }
            if ctx.data().trace.is_some() {
                let left = ctx.get_fuel().unwrap_or(0);
                match hook {
                    wasmtime::CallHook::CallingHost => {
                        let used = ctx.data().fuel_mark.saturating_sub(left);
                        if let Some(trace) = ctx.data_mut().trace.as_mut() {
                            trace.push(used);
                        }
                    }
                    wasmtime::CallHook::ReturningFromHost => ctx.data_mut().fuel_mark = left,
                    _ => {}
                }
            }
            Ok(())
        });
        let proxy = Arc::new(pre.instantiate_async(&mut store).await?);
        for _ in 0..options.n.min(100) {
            store = request_on(&proxy, store, probe).await?;
        }
        let faults = minor_faults();
        let calls_before = store.data().host_calls;
        let fuel_before = store.get_fuel().ok();
        let started = Instant::now();
        for _ in 0..options.n {
            store = request_on(&proxy, store, probe).await?;
        }
        println!("request_us {:.1}", per(started.elapsed()));
        if let (Some(before), Ok(after)) = (fuel_before, store.get_fuel()) {
            println!(
                "fuel_per_request {:.0}",
                (before - after) as f64 / f64::from(options.n)
            );
        }
        println!(
            "host_calls_per_request {:.1}",
            (store.data().host_calls - calls_before) as f64 / f64::from(options.n)
        );
        if options.fuel_trace {
            // One more request, traced: the fuel before each host call, then after the last.
            store.data_mut().fuel_mark = store.get_fuel().unwrap_or(0);
            store.data_mut().trace = Some(Vec::new());
            store = request_on(&proxy, store, probe).await?;
            let left = store.get_fuel().unwrap_or(0);
            let tail = store.data().fuel_mark.saturating_sub(left);
            let trace = store.data_mut().trace.take().unwrap_or_default();
            for (i, used) in trace.iter().enumerate() {
                println!("fuel_before_host_call {i} {used}");
            }
            println!("fuel_after_last_host_call {tail}");
        }
        if let (Some(before), Some(after)) = (faults, minor_faults()) {
            println!(
                "page_faults_per_request {:.1}",
                (after - before) as f64 / f64::from(options.n)
            );
        }
    } else if let Some(probe) = &options.probe {
        for _ in 0..options.n.min(100) {
            request(&pre, new_store(), probe).await?;
        }
        let faults = minor_faults();
        let started = Instant::now();
        let mut host_calls = 0;
        for _ in 0..options.n {
            host_calls += request(&pre, new_store(), probe).await?;
        }
        println!("request_us {:.1}", per(started.elapsed()));
        println!(
            "host_calls_per_request {:.1}",
            host_calls as f64 / f64::from(options.n)
        );
        if let (Some(before), Some(after)) = (faults, minor_faults()) {
            println!(
                "page_faults_per_request {:.1}",
                (after - before) as f64 / f64::from(options.n)
            );
        }
    }
    Ok(())
}

/// Minor page faults of this process so far (Linux: /proc/self/stat), i.e. pages first
/// touched: each costs a fault when touched and a decommit when the instance goes.
fn minor_faults() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command name, which is in parentheses: minflt is the 10th field.
    let rest = stat.rsplit_once(')')?.1;
    rest.split_whitespace().nth(7)?.parse().ok()
}

/// What the guest is handed for one request, and where its answer arrives.
type GuestRequest = (
    wasmtime::component::Resource<wasmtime_wasi_http::p2::types::HostIncomingRequest>,
    wasmtime::component::Resource<wasmtime_wasi_http::p2::types::HostResponseOutparam>,
    tokio::sync::oneshot::Receiver<
        Result<
            hyper::Response<wasmtime_wasi_http::p2::body::HyperOutgoingBody>,
            wasmtime_wasi_http::p2::bindings::http::types::ErrorCode,
        >,
    >,
);

/// The request of `probe`, for the guest.
fn incoming(store: &mut Store<Host>, probe: &Probe) -> Result<GuestRequest> {
    let builder = Request::builder().header("host", "127.0.0.1");
    let request = match probe {
        Probe::Get(path) => builder
            .method("GET")
            .uri(format!("http://127.0.0.1{path}"))
            .body(Full::new(Bytes::new()))?,
        Probe::Post { body, signature } => builder
            .method("POST")
            .uri("http://127.0.0.1/")
            .header("content-type", "application/json")
            .header("content-length", body.len())
            .header("x-hub-signature-256", format!("sha256={signature}"))
            .body(Full::new(body.clone()))?,
    };
    let incoming = store
        .data_mut()
        .http()
        .new_incoming_request(Scheme::Http, request)?;
    let (tx, rx) = tokio::sync::oneshot::channel();
    let out = store.data_mut().http().new_response_outparam(tx)?;
    Ok((incoming, out, rx))
}

/// One request on an instance (fresh, or one that served earlier ones with `--reuse`):
/// handle, read the answer; the store comes back for the next one. Anything but 200 is
/// an error.
async fn request_on(
    proxy: &Arc<wasmtime_wasi_http::p2::bindings::Proxy>,
    mut store: Store<Host>,
    probe: &Probe,
) -> Result<Store<Host>> {
    let (incoming, out, rx) = incoming(&mut store, probe)?;
    let proxy = Arc::clone(proxy);
    let task = tokio::spawn(async move {
        proxy
            .wasi_http_incoming_handler()
            .call_handle(&mut store, incoming, out)
            .await
            .map(|()| store)
    });
    let response = match rx.await {
        Ok(Ok(response)) => response,
        Ok(Err(code)) => bail!("the guest answered error-code {code:?}"),
        Err(_) => bail!("the guest never set the response"),
    };
    let status = response.status();
    let _ = response.into_body().collect().await;
    let store = task.await??;
    if status != 200 {
        bail!("the guest answered {status}");
    }
    Ok(store)
}

/// One request in process: instantiate, handle (the guest runs to its end, dispatch
/// included), read the answer, drop the store. Anything but 200 is an error. Returns the
/// number of calls the guest made into the host.
async fn request(pre: &ProxyPre<Host>, mut store: Store<Host>, probe: &Probe) -> Result<u64> {
    store.call_hook(|mut ctx, hook| {
        if matches!(hook, wasmtime::CallHook::CallingHost) {
            ctx.data_mut().host_calls += 1;
        }
        Ok(())
    });
    let proxy = Arc::new(pre.instantiate_async(&mut store).await?);
    let store = request_on(&proxy, store, probe).await?;
    Ok(store.data().host_calls)
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasmtime::{StoreLimits, StoreLimitsBuilder};

    wasmtime::component::bindgen!({
        path: "../../wit",
        world: "consumer",
    });

    use asterai::whatsapp::types::{
        Content, Delivery, DeliveryStatus, Message, StatusUpdate, TemplateStatus, UpdateDetails,
        User, WebhookUpdate,
    };

    /// The `delivery` of attempt `n`.
    fn attempt(n: usize) -> Delivery {
        Delivery {
            attempt: u32::try_from(n).unwrap_or(u32::MAX),
        }
    }

    fn user() -> User {
        User {
            phone: Some(String::from("15551234567")),
            user_id: Some(String::from("US.13491208655302741918")),
            parent_user_id: None,
            username: None,
            name: Some(String::from("Ana")),
        }
    }

    fn message(n: usize, raw_json: &str) -> Message {
        Message {
            id: format!("wamid.{n}"),
            sender: user(),
            timestamp: 1_700_000_000,
            business_account_id: String::from("102290129340398"),
            phone_number_id: String::from("106540352242922"),
            display_phone_number: String::from("15550783881"),
            group_id: None,
            context: None,
            content: Content::Text(String::from("hello")),
            text: String::from("hello"),
            referral: None,
            errors: Vec::new(),
            raw_json: raw_json.to_string(),
        }
    }

    /// bench/ack-consumer, built from its WAT as `make bench` builds it, and instantiated
    /// once with its memory capped at 4 MiB.
    fn ack_consumer() -> Result<(Store<StoreLimits>, Consumer)> {
        let out = std::env::temp_dir().join(format!("ack-consumer-{}.wasm", std::process::id()));
        let out = out.to_str().context("temp path")?.to_string();
        component(
            "../../wit",
            "consumer",
            "../ack-consumer/ack_consumer.wat",
            &out,
        )?;
        let mut config = Config::new();
        config.wasm_component_model(true);
        let engine = Engine::new(&config)?;
        let component = Component::from_file(&engine, &out)?;
        let _ = std::fs::remove_file(&out);
        let linker = Linker::new(&engine);
        let mut store = Store::new(
            &engine,
            StoreLimitsBuilder::new().memory_size(4 << 20).build(),
        );
        store.limiter(|limits| limits);
        let consumer = Consumer::instantiate(&mut store, &component, &linker)?;
        Ok((store, consumer))
    }

    #[test]
    fn ack_consumer_answers_every_message_with_no_actions() -> Result<()> {
        let (mut store, consumer) = ack_consumer()?;
        let handler = consumer.asterai_whatsapp_incoming_handler();
        for n in 1..=3 {
            let actions = handler.call_on_message(&mut store, &message(1, "{}"), attempt(n))?;
            assert!(actions.is_empty(), "attempt {n} got actions");
        }
        Ok(())
    }

    /// Everything copied in is freed after each call: an instance that lives on (a host
    /// that reuses instances) does not grow with the messages it sees. The memory is
    /// capped at 4 MiB; 100 calls in a row of one function, each copying in 256 KiB, would
    /// need 25 MiB if that function leaked, and the allocation would fail and trap. (The
    /// calls of one function run in a row: a call of another that frees everything would
    /// hide the leak.)
    #[test]
    fn ack_consumer_frees_each_message_status_and_update_after_the_call() -> Result<()> {
        let (mut store, consumer) = ack_consumer()?;
        let handler = consumer.asterai_whatsapp_incoming_handler();
        let raw = "x".repeat(256 * 1024);
        for n in 0..100 {
            let actions = handler.call_on_message(&mut store, &message(n, &raw), attempt(1))?;
            assert!(actions.is_empty(), "message {n} got actions");
        }
        for n in 0..100 {
            handler
                .call_on_status(&mut store, &status(n, &raw), attempt(1))
                .map_err(anyhow::Error::from)
                .with_context(|| format!("status {n}"))?;
        }
        for n in 0..100 {
            handler
                .call_on_update(&mut store, &update(n, &raw), attempt(1))
                .map_err(anyhow::Error::from)
                .with_context(|| format!("update {n}"))?;
        }
        Ok(())
    }

    fn status(n: usize, raw_json: &str) -> StatusUpdate {
        StatusUpdate {
            message_id: format!("wamid.{n}"),
            status: DeliveryStatus::Delivered,
            timestamp: 1_700_000_000,
            recipient: user(),
            group_id: None,
            business_account_id: String::from("102290129340398"),
            phone_number_id: String::from("106540352242922"),
            conversation: None,
            pricing: None,
            errors: Vec::new(),
            biz_opaque_callback_data: None,
            raw_json: raw_json.to_string(),
        }
    }

    fn update(n: usize, raw_json: &str) -> WebhookUpdate {
        WebhookUpdate {
            field: String::from("message_template_status_update"),
            business_account_id: String::from("102290129340398"),
            phone_number_id: None,
            timestamp: 1_700_000_000,
            details: UpdateDetails::TemplateStatus(TemplateStatus {
                event: String::from("APPROVED"),
                template_id: format!("{n}"),
                name: String::from("order_update"),
                language: String::from("en_US"),
                reason: None,
                category: Some(String::from("UTILITY")),
                detail: None,
            }),
            raw_json: raw_json.to_string(),
        }
    }
}
