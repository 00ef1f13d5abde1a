//! Shared helpers of the end-to-end tests (`tests/e2e_*.rs`): the real `wasmtime serve`
//! and the real `sandbox` binary as child processes on loopback, an HTTP/1 client, webhook
//! bodies signed as Meta signs them, and bounded polling.
//!
//! Every child process is owned by a guard that kills it when dropped (also when a test
//! panics), every port is picked by binding port 0 on 127.0.0.1, and every test gets its
//! own ports and its own state directory, so the tests run in parallel.
//!
//! The binaries and compositions come from `make compose sandbox` (`make test` runs it):
//! a missing one fails the test with a message that says so.
#![allow(dead_code)]

pub mod asterai;

use std::future::Future;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::header::HeaderMap;
use hyper::Request;
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use sha2::Sha256;

/// The App Secret the component checks and the sandbox and the tests sign with.
pub const APP_SECRET: &str = "e2e-app-secret-7c41d9";
/// The webhook verify token.
pub const VERIFY_TOKEN: &str = "e2e-verify-token-93be10";
/// The Graph API access token: distinctive, so a leak into a log line is found.
pub const ACCESS_TOKEN: &str = "EAAe2eSECRETaccessTOKEN5d0f2a9b";
/// The business phone number id (the sandbox's default).
pub const PHONE_NUMBER_ID: &str = "100000000000001";
/// The business number as webhook metadata carries it.
pub const DISPLAY_PHONE_NUMBER: &str = "15550100";
/// The user who writes (the sandbox's first demo user).
pub const USER: &str = "16505551234";
/// Their profile name.
pub const USER_NAME: &str = "Alice Johnson";
/// The Graph API version the component uses by default.
pub const API_VERSION: &str = "v25.0";

/// How long a process may take to start listening (wasmtime compiles the component).
pub const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long one HTTP exchange may take.
pub const HTTP_TIMEOUT: Duration = Duration::from_secs(30);
/// How long something that should happen at once may take under a loaded machine.
pub const SOON: Duration = Duration::from_secs(15);
/// Between two polls.
const POLL_EVERY: Duration = Duration::from_millis(40);

// ------------------------------------------------------------------ paths

/// The repository root (the root crate's manifest directory).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn missing(what: &Path) -> ! {
    panic!(
        "{} is missing: run `make test` (or `make compose sandbox`) first; \
         it builds the sandbox, the composed components and installs wasmtime",
        what.display()
    )
}

/// A file `make compose sandbox` builds, relative to the root; fails the test when it is
/// not there.
pub fn artifact(relative: &str) -> PathBuf {
    let path = root().join(relative);
    if !path.is_file() {
        missing(&path);
    }
    path
}

/// `target/composed/<name>`.
pub fn composed(name: &str) -> PathBuf {
    artifact(&format!("target/composed/{name}"))
}

/// `target/release/sandbox`.
pub fn sandbox_bin() -> PathBuf {
    artifact("target/release/sandbox")
}

/// An executable on `PATH`, or in one of `extra` directories.
pub fn find_program(name: &str, extra: &[PathBuf]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(extra.iter().cloned())
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// The `wasmtime` CLI (`make tools` installs it in `~/.cargo/bin`).
pub fn wasmtime_bin() -> PathBuf {
    let mut extra = Vec::new();
    if let Some(home) = std::env::var_os("CARGO_HOME") {
        extra.push(PathBuf::from(home).join("bin"));
    }
    if let Some(home) = std::env::var_os("HOME") {
        extra.push(PathBuf::from(home).join(".cargo/bin"));
    }
    find_program("wasmtime", &extra).unwrap_or_else(|| missing(Path::new("wasmtime (the CLI)")))
}

// ------------------------------------------------------------------ ids, ports, dirs

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A value no other call in any test process returns.
pub fn unique() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "{:x}{:x}{:04x}",
        std::process::id(),
        nanos,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// A free port on 127.0.0.1, found by binding port 0.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local address").port()
}

/// A directory under `target/e2e-tmp/`, removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(label: &str) -> TempDir {
        let path = root()
            .join("target/e2e-tmp")
            .join(format!("{label}-{}", unique()));
        std::fs::create_dir_all(&path)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", path.display()));
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

// ------------------------------------------------------------------ processes

/// A child process, killed (and reaped) when dropped. Its stdout and stderr are read by
/// threads into buffers the test can look at.
pub struct Proc {
    name: String,
    child: Child,
    stdout: Arc<Mutex<Vec<u8>>>,
    stderr: Arc<Mutex<Vec<u8>>>,
    group: bool,
}

fn drain(mut pipe: impl Read + Send + 'static, into: Arc<Mutex<Vec<u8>>>) {
    std::thread::spawn(move || {
        let mut chunk = [0u8; 8192];
        while let Ok(n) = pipe.read(&mut chunk) {
            if n == 0 {
                break;
            }
            into.lock()
                .unwrap_or_else(|e| e.into_inner())
                .extend_from_slice(&chunk[..n]);
        }
    });
}

impl Proc {
    /// Starts `command` with its output captured.
    pub fn spawn(name: &str, command: Command) -> Proc {
        Self::spawn_inner(name, command, false)
    }

    /// Starts `command` in a process group of its own; dropping the guard kills the whole
    /// group (for a program such as chromedriver that starts children of its own).
    pub fn spawn_group(name: &str, mut command: Command) -> Proc {
        use std::os::unix::process::CommandExt;
        command.process_group(0);
        Self::spawn_inner(name, command, true)
    }

    fn spawn_inner(name: &str, mut command: Command, group: bool) -> Proc {
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().unwrap_or_else(|e| {
            panic!(
                "cannot start {name} ({}): {e}",
                command.get_program().to_string_lossy()
            )
        });
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let stderr = Arc::new(Mutex::new(Vec::new()));
        if let Some(pipe) = child.stdout.take() {
            drain(pipe, Arc::clone(&stdout));
        }
        if let Some(pipe) = child.stderr.take() {
            drain(pipe, Arc::clone(&stderr));
        }
        Proc {
            name: name.to_string(),
            child,
            stdout,
            stderr,
            group,
        }
    }

    /// The process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Everything it wrote to stdout so far.
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.stdout.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
    }

    /// Everything it wrote to stderr so far.
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
    }

    /// Its exit status, when it has exited.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Both outputs, for a failure message.
    pub fn output(&self) -> String {
        format!(
            "--- {} stdout ---\n{}\n--- {} stderr ---\n{}",
            self.name,
            self.stdout(),
            self.name,
            self.stderr()
        )
    }

    /// Waits until something accepts TCP connections on `addr`; `Err` with the output when
    /// the process exits first or the time is up.
    pub async fn wait_listening(&mut self, addr: SocketAddr) -> Result<(), String> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(status) = self.exited() {
                return Err(format!(
                    "{} exited ({status}) before listening on {addr}\n{}",
                    self.name,
                    self.output()
                ));
            }
            let probe = tokio::time::timeout(
                Duration::from_millis(500),
                tokio::net::TcpStream::connect(addr),
            )
            .await;
            // Something listens; when the system can tell, it must be this process: a
            // port picked as free can be taken by another test's server before this one
            // binds it, and then this one exits with "address already in use" (the caller
            // tries another port) while the other answers in its place.
            if matches!(probe, Ok(Ok(_)))
                && (self.group || listens_on(self.id(), addr.port()) != Some(false))
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "{} did not listen on {addr} within {START_TIMEOUT:?}\n{}",
                    self.name,
                    self.output()
                ));
            }
            tokio::time::sleep(POLL_EVERY).await;
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if self.group {
            // The group's id is the child's id (process_group(0)).
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", self.child.id())])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// True when `output` says the port was taken (a race with another process between
/// picking the port and binding it): worth another port.
/// Whether process `pid` holds the socket listening on 127.0.0.1:`port` (Linux's `/proc`);
/// `None` when that cannot be read.
fn listens_on(pid: u32, port: u16) -> Option<bool> {
    let table = std::fs::read_to_string("/proc/net/tcp").ok()?;
    let local = format!("0100007F:{port:04X}");
    let inode = table.lines().skip(1).find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        (fields.get(1) == Some(&local.as_str()) && fields.get(3) == Some(&"0A"))
            .then(|| fields.get(9).map(|inode| format!("socket:[{inode}]")))
            .flatten()
    })?;
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?;
    Some(fds.flatten().any(|fd| {
        std::fs::read_link(fd.path()).is_ok_and(|target| target.to_string_lossy() == inode)
    }))
}

fn port_taken(output: &str) -> bool {
    let lower = output.to_ascii_lowercase();
    lower.contains("address already in use") || lower.contains("addrinuse")
}

// ------------------------------------------------------------------ wasmtime serve

/// The component's environment for a Graph API at `graph_url`.
pub fn component_env(graph_url: &str) -> Vec<(String, String)> {
    [
        ("WHATSAPP_APP_SECRET", APP_SECRET),
        ("WHATSAPP_WEBHOOK_VERIFY_TOKEN", VERIFY_TOKEN),
        ("WHATSAPP_ACCESS_TOKEN", ACCESS_TOKEN),
        ("WHATSAPP_PHONE_NUMBER_ID", PHONE_NUMBER_ID),
        ("WHATSAPP_GRAPH_API_URL", graph_url),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// `wasmtime serve -Scli --addr 127.0.0.1:P [--env NAME]... [--dir STATE::/state] COMPONENT`.
pub struct Serve {
    pub proc: Proc,
    pub addr: SocketAddr,
}

impl Serve {
    /// Serves `component` with `env` (names on the command line, values inherited, so no
    /// secret shows in `ps`) and, when given, `state_dir` preopened as `/state`. Waits
    /// until it listens.
    pub async fn start(
        component: &Path,
        env: &[(String, String)],
        state_dir: Option<&Path>,
    ) -> Serve {
        Self::start_with_flags(component, env, state_dir, &[]).await
    }

    /// Same, with `flags` (such as `-O pooling-…=N`) given to `wasmtime serve` before the
    /// others.
    pub async fn start_with_flags(
        component: &Path,
        env: &[(String, String)],
        state_dir: Option<&Path>,
        flags: &[String],
    ) -> Serve {
        Self::start_full(component, env, state_dir, flags, &[]).await
    }

    /// Same, with `host_env` set in `wasmtime serve`'s own environment only (not passed
    /// to the component), such as `WASMTIME_LOG`.
    pub async fn start_full(
        component: &Path,
        env: &[(String, String)],
        state_dir: Option<&Path>,
        flags: &[String],
        host_env: &[(&str, &str)],
    ) -> Serve {
        let wasmtime = wasmtime_bin();
        let mut last = String::new();
        for _ in 0..3 {
            let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, free_port()));
            let mut command = Command::new(&wasmtime);
            command
                .arg("serve")
                .args(flags)
                .arg("-Scli")
                .arg("--addr")
                .arg(addr.to_string());
            for (name, value) in env {
                command.env(name, value).arg("--env").arg(name);
            }
            for (name, value) in host_env {
                command.env(name, value);
            }
            if let Some(dir) = state_dir {
                command
                    .arg("--dir")
                    .arg(format!("{}::/state", dir.display()));
            }
            command.arg(component);
            let mut proc = Proc::spawn("wasmtime serve", command);
            match proc.wait_listening(addr).await {
                Ok(()) => return Serve { proc, addr },
                Err(e) if port_taken(&e) => last = e,
                Err(e) => panic!("{e}"),
            }
        }
        panic!("wasmtime serve found no free port: {last}")
    }

    /// `http://127.0.0.1:P` (no trailing slash).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The component's log (wasmtime's stderr).
    pub fn log(&self) -> String {
        self.proc.stderr()
    }

    /// Waits until the log has a line for which `line` is true; returns that line.
    pub async fn wait_log_line(&self, what: &str, line: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(25);
        loop {
            if let Some(found) = self.log().lines().find(|l| line(l)) {
                return found.to_string();
            }
            if Instant::now() > deadline {
                panic!(
                    "no log line {what} within 25 s\n--- wasmtime serve stderr ---\n{}",
                    self.log()
                );
            }
            tokio::time::sleep(POLL_EVERY).await;
        }
    }
}

/// A component log line without the prefix `wasmtime serve` puts before a guest's stderr
/// lines (`stderr [N] :: `): from `whatsapp:` on.
pub fn component_line(line: &str) -> &str {
    line.find("whatsapp: ").map_or(line, |at| &line[at..])
}

// ------------------------------------------------------------------ instance reuse

/// `wasmtime serve`'s own log level that names the instance handling each request
/// (`Received request N: GET /path`, `Instance I handling request N`): set in its
/// environment only.
pub const HOST_LOG: (&str, &str) = ("WASMTIME_LOG", "wasmtime_cli::commands::serve=info");

/// `--max-instance-reuse-count N`, and an idle timeout long enough that an instance
/// waits for the next request through a test's pauses (a dispatch lease of 1 s to wait
/// out, polling): without it, wasmtime drops an instance idle for 1 s and the next
/// request gets a fresh one, which would not test reuse.
pub fn reuse_flags(reuse: usize) -> Vec<String> {
    vec![
        "--max-instance-reuse-count".into(),
        reuse.to_string(),
        "--idle-instance-timeout".into(),
        "30s".into(),
    ]
}

/// One request `wasmtime serve` received, and the instance that handled it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServedRequest {
    /// wasmtime's request number (in arrival order, from 0).
    pub request: u64,
    /// `GET /health`, `POST /tag`, … as logged.
    pub method: String,
    pub path: String,
    /// The instance that handled it (`None`: not handed to one yet, or it failed to
    /// instantiate).
    pub instance: Option<u64>,
}

/// The requests in a [`HOST_LOG`] log, in arrival order.
pub fn served_requests(log: &str) -> Vec<ServedRequest> {
    let mut requests: Vec<ServedRequest> = Vec::new();
    let mut handled: Vec<(u64, u64)> = Vec::new();
    for line in log.lines() {
        if let Some(rest) = line.split("Received request ").nth(1) {
            let Some((number, what)) = rest.split_once(": ") else {
                continue;
            };
            let (method, path) = what.split_once(' ').unwrap_or((what, ""));
            if let Ok(request) = number.parse() {
                requests.push(ServedRequest {
                    request,
                    method: method.to_string(),
                    path: path.to_string(),
                    instance: None,
                });
            }
        } else if let Some(rest) = line
            .split("] Instance ")
            .nth(1)
            .or_else(|| line.split(": Instance ").nth(1))
        {
            let mut words = rest.split_whitespace();
            let instance = words.next().and_then(|w| w.parse().ok());
            let request = words.nth(2).and_then(|w| w.parse().ok());
            if let (Some(instance), Some(request)) = (instance, request) {
                handled.push((request, instance));
            }
        }
    }
    for (request, instance) in handled {
        if let Some(r) = requests.iter_mut().find(|r| r.request == request) {
            r.instance = Some(instance);
        }
    }
    requests
}

/// The instance that handled the request to `path` (the last one, if several).
pub fn instance_of(served: &[ServedRequest], path: &str) -> Option<u64> {
    served
        .iter()
        .rev()
        .find(|r| r.path == path)
        .and_then(|r| r.instance)
}

/// How many requests each instance handled, by instance number.
pub fn requests_per_instance(served: &[ServedRequest]) -> std::collections::BTreeMap<u64, usize> {
    let mut counts = std::collections::BTreeMap::new();
    for instance in served.iter().filter_map(|r| r.instance) {
        *counts.entry(instance).or_insert(0) += 1;
    }
    counts
}

// ------------------------------------------------------------------ sandbox

/// `target/release/sandbox --listen 127.0.0.1:Q --webhook http://127.0.0.1:P/ ...`.
pub struct Sandbox {
    pub proc: Proc,
    pub addr: SocketAddr,
}

impl Sandbox {
    /// Starts the sandbox on `addr`, sending webhooks to `webhook`. `Err` when the port
    /// was taken meanwhile.
    pub async fn start(addr: SocketAddr, webhook: &str) -> Result<Sandbox, String> {
        let mut command = Command::new(sandbox_bin());
        command
            .args(["--listen", &addr.to_string()])
            .args(["--webhook", webhook])
            .args(["--app-secret", APP_SECRET])
            .args(["--access-token", ACCESS_TOKEN])
            .args(["--phone-number-id", PHONE_NUMBER_ID])
            .args(["--display-phone-number", DISPLAY_PHONE_NUMBER])
            .args(["--verify-token", VERIFY_TOKEN]);
        let mut proc = Proc::spawn("sandbox", command);
        match proc.wait_listening(addr).await {
            Ok(()) => Ok(Sandbox { proc, addr }),
            Err(e) if port_taken(&e) => Err(e),
            Err(e) => panic!("{e}"),
        }
    }

    /// `http://127.0.0.1:Q` (no trailing slash): the Graph base URL and the chat page.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `GET /_sandbox/requests`: every Graph call recorded so far.
    pub async fn requests(&self) -> Vec<Value> {
        let answer = get(&format!("{}/_sandbox/requests", self.url())).await;
        assert_eq!(answer.status, 200, "{}", answer.text());
        match answer.json() {
            Value::Array(list) => list,
            other => panic!("requests: not a list: {other}"),
        }
    }

    /// `POST /_sandbox/faults`.
    pub async fn add_faults(&self, spec: Value) {
        let answer = post_json(&format!("{}/_sandbox/faults", self.url()), &spec).await;
        assert_eq!(answer.status, 200, "faults refused: {}", answer.text());
    }

    /// `POST /_sandbox/send`: act as the user, as the chat page does.
    pub async fn act(&self, action: Value) -> Answer {
        post_json(&format!("{}/_sandbox/send", self.url()), &action).await
    }

    /// `GET /_sandbox/state`.
    pub async fn state(&self) -> Value {
        get(&format!("{}/_sandbox/state", self.url())).await.json()
    }
}

// ------------------------------------------------------------------ both together

/// A composed component under `wasmtime serve` with its Graph API pointed at a sandbox,
/// and the sandbox's webhook pointed at it.
pub struct Stack {
    pub sandbox: Sandbox,
    pub serve: Serve,
    pub state: Option<TempDir>,
}

impl Stack {
    /// `target/composed/<component>` with the usual configuration and a state directory.
    pub async fn start(label: &str, component: &str) -> Stack {
        Self::start_with(label, component, &[], true).await
    }

    /// Same, with `extra` variables for the component (added after the usual ones) and
    /// optionally no state directory.
    pub async fn start_with(
        label: &str,
        component: &str,
        extra: &[(&str, &str)],
        with_state: bool,
    ) -> Stack {
        Self::start_serving_with(label, component, extra, with_state, &[]).await
    }

    /// Same, with `flags` for `wasmtime serve` itself.
    pub async fn start_serving_with(
        label: &str,
        component: &str,
        extra: &[(&str, &str)],
        with_state: bool,
        flags: &[String],
    ) -> Stack {
        Self::start_serving_full(label, component, extra, with_state, flags, &[]).await
    }

    /// `target/composed/<component>` with a state directory, served with instance reuse
    /// ([`reuse_flags`]`(reuse)`), and `wasmtime serve` logging which instance handles
    /// each request ([`HOST_LOG`]; read with [`served_requests`]).
    pub async fn start_reusing(
        label: &str,
        component: &str,
        extra: &[(&str, &str)],
        reuse: usize,
    ) -> Stack {
        Self::start_serving_full(
            label,
            component,
            extra,
            true,
            &reuse_flags(reuse),
            &[HOST_LOG],
        )
        .await
    }

    /// [`Stack::start_serving_with`], with `host_env` for `wasmtime serve` itself (see
    /// [`Serve::start_full`]).
    pub async fn start_serving_full(
        label: &str,
        component: &str,
        extra: &[(&str, &str)],
        with_state: bool,
        flags: &[String],
        host_env: &[(&str, &str)],
    ) -> Stack {
        let component = composed(component);
        sandbox_bin();
        let state = with_state.then(|| TempDir::new(label));
        let mut last = String::new();
        for _ in 0..3 {
            let sandbox_addr = SocketAddr::from((Ipv4Addr::LOCALHOST, free_port()));
            let mut env = component_env(&format!("http://{sandbox_addr}"));
            env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
            let state_dir = state.as_ref().map(TempDir::path);
            let serve = Serve::start_full(&component, &env, state_dir, flags, host_env).await;
            match Sandbox::start(sandbox_addr, &format!("{}/", serve.url())).await {
                Ok(sandbox) => {
                    return Stack {
                        sandbox,
                        serve,
                        state,
                    }
                }
                Err(e) => last = e,
            }
        }
        panic!("the sandbox found no free port: {last}")
    }

    /// Both processes' output, for a failure message.
    pub fn logs(&self) -> String {
        format!(
            "{}\n{}",
            self.serve.proc.output(),
            self.sandbox.proc.output()
        )
    }

    /// Polls the sandbox's recorded Graph calls until `done` holds; returns them. Fails
    /// with both processes' output after `timeout`.
    pub async fn wait_requests(
        &self,
        what: &str,
        timeout: Duration,
        done: impl Fn(&[Value]) -> bool,
    ) -> Vec<Value> {
        wait_for_requests(&self.sandbox, what, timeout, done, || self.logs()).await
    }

    /// Signs `body` and POSTs it to the webhook.
    pub async fn post_signed(&self, body: &[u8]) -> Answer {
        post_webhook(&self.serve.url(), body, Some(&signature(APP_SECRET, body))).await
    }

    /// Signs `body` and POSTs it to `/<tag>` (the webhook ignores a POST's path): with
    /// [`HOST_LOG`], the log's `Received request N: POST /<tag>` line tells this request
    /// from the sandbox's status webhooks ([`ServedRequest::path`]).
    pub async fn post_signed_tagged(&self, body: &[u8], tag: &str) -> Answer {
        let url = format!("{}/{tag}", self.serve.url());
        post_webhook_to(&url, body, Some(&signature(APP_SECRET, body))).await
    }

    /// The requests `wasmtime serve` received so far and the instance that handled each
    /// (needs [`HOST_LOG`], as [`Stack::start_reusing`] sets it).
    pub fn served(&self) -> Vec<ServedRequest> {
        served_requests(&self.serve.log())
    }
}

// ------------------------------------------------------------------ recorded Graph calls

/// Polls `sandbox`'s recorded Graph calls until `done` holds; returns them. Fails after
/// `timeout` with the calls and `logs()` (the processes' output).
pub async fn wait_for_requests(
    sandbox: &Sandbox,
    what: &str,
    timeout: Duration,
    done: impl Fn(&[Value]) -> bool,
    logs: impl Fn() -> String,
) -> Vec<Value> {
    let deadline = Instant::now() + timeout;
    loop {
        let requests = sandbox.requests().await;
        if done(&requests) {
            return requests;
        }
        if Instant::now() > deadline {
            panic!(
                "{what}: not seen within {timeout:?}\nrecorded Graph calls: {}\n{}",
                serde_json::to_string_pretty(&requests).unwrap_or_default(),
                logs()
            );
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}

/// A message send (`POST /{version}/{id}/messages` that is not a read receipt).
pub fn is_send(request: &Value) -> bool {
    request["method"] == "POST"
        && request["path"]
            .as_str()
            .is_some_and(|p| p.ends_with("/messages"))
        && request["body"].is_object()
        && request["body"].get("status").is_none()
}

/// A read receipt for message `id`.
pub fn is_read_receipt_for(request: &Value, id: &str) -> bool {
    request["method"] == "POST"
        && request["body"]["status"] == "read"
        && request["body"]["message_id"] == id
}

/// The sends that quote (reply to) message `id`.
pub fn replies_to<'a>(requests: &'a [Value], id: &str) -> Vec<&'a Value> {
    requests
        .iter()
        .filter(|r| is_send(r) && r["body"]["context"]["message_id"] == id)
        .collect()
}

/// The read receipts for message `id`.
pub fn read_receipts_for<'a>(requests: &'a [Value], id: &str) -> Vec<&'a Value> {
    requests
        .iter()
        .filter(|r| is_read_receipt_for(r, id))
        .collect()
}

/// The replies to `id` the Graph API accepted (HTTP 200).
pub fn accepted_replies_to<'a>(requests: &'a [Value], id: &str) -> Vec<&'a Value> {
    replies_to(requests, id)
        .into_iter()
        .filter(|r| r["response"]["status"] == 200)
        .collect()
}

/// The fault bot's answers the Graph API accepted, in order (a request the sandbox
/// answered with a fault is not one).
pub fn fault_bot_answers(requests: &[Value]) -> Vec<String> {
    requests
        .iter()
        .filter(|r| is_send(r) && r.get("fault").is_none())
        .filter_map(|r| r["body"]["text"]["body"].as_str())
        .filter(|b| b.starts_with("fault-bot: "))
        .map(String::from)
        .collect()
}

/// `GET /health` of the server at `base`: asserts the 200, returns the report.
pub async fn health(base: &str) -> Value {
    let answer = get(&format!("{base}/health")).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    answer.json()
}

// ------------------------------------------------------------------ webhooks as Meta sends them

/// A fresh message id in Meta's shape.
pub fn wamid() -> String {
    format!(
        "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBRFMkU{}",
        unique().to_uppercase()
    )
}

/// `sha256=` and the hex HMAC-SHA256 of the exact bytes, as in `X-Hub-Signature-256`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// JSON in Meta's wire escaping: compact, `/` as `\/`, everything outside ASCII as
/// `\uXXXX` (UTF-16, surrogate pairs beyond the BMP). Both only occur inside strings.
pub fn meta_json(value: &Value) -> Vec<u8> {
    let plain = value.to_string();
    let mut out = String::with_capacity(plain.len() + 16);
    for c in plain.chars() {
        match c {
            '/' => out.push_str("\\/"),
            c if c.is_ascii() => out.push(c),
            c => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.into_bytes()
}

/// The envelope of one inbound message from [`USER`].
pub fn message_webhook(message: Value) -> Vec<u8> {
    message_webhook_from(USER, USER_NAME, message)
}

/// The envelope of one inbound message whose contact is `wa_id` named `name`.
pub fn message_webhook_from(wa_id: &str, name: &str, message: Value) -> Vec<u8> {
    meta_json(&json!({
        "object": "whatsapp_business_account",
        "entry": [{
            "id": "100000000000002",
            "changes": [{
                "value": {
                    "messaging_product": "whatsapp",
                    "metadata": {
                        "display_phone_number": DISPLAY_PHONE_NUMBER,
                        "phone_number_id": PHONE_NUMBER_ID,
                    },
                    "contacts": [{"profile": {"name": name}, "wa_id": wa_id}],
                    "messages": [message],
                },
                "field": "messages",
            }],
        }],
    }))
}

fn now_secs() -> String {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
        .to_string()
}

/// A text message `id` saying `text`.
pub fn text_webhook(id: &str, text: &str) -> Vec<u8> {
    message_webhook(json!({
        "from": USER,
        "id": id,
        "timestamp": now_secs(),
        "type": "text",
        "text": {"body": text},
    }))
}

/// A text message `id` saying `text`, from `from` (a phone number) named `name`.
pub fn text_webhook_from(id: &str, from: &str, name: &str, text: &str) -> Vec<u8> {
    message_webhook_from(
        from,
        name,
        json!({
            "from": from,
            "id": id,
            "timestamp": now_secs(),
            "type": "text",
            "text": {"body": text},
        }),
    )
}

/// The user tapped reply button `button_id` / `title` of the business's message `context`.
pub fn button_reply_webhook(id: &str, context: &str, button_id: &str, title: &str) -> Vec<u8> {
    message_webhook(json!({
        "context": {"from": DISPLAY_PHONE_NUMBER, "id": context},
        "from": USER,
        "id": id,
        "timestamp": now_secs(),
        "type": "interactive",
        "interactive": {
            "type": "button_reply",
            "button_reply": {"id": button_id, "title": title},
        },
    }))
}

// ------------------------------------------------------------------ HTTP client

/// An HTTP answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    /// From the request's start to the answer's headers.
    pub elapsed: Duration,
    /// Why the body could not be read to its end, if it could not (a server that answers
    /// before reading a large request may reset the connection after the status line).
    pub body_error: Option<String>,
}

impl Answer {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): HTTP {} {}", self.status, self.text()))
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }
}

/// One request over a new HTTP/1.1 connection to a loopback URL. `Err` when the exchange
/// fails or takes longer than [`HTTP_TIMEOUT`].
pub async fn try_request(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> Result<Answer, String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("{url}: only http:// URLs"))?;
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = if path.is_empty() { "/" } else { path };
    let addr: SocketAddr = authority
        .parse()
        .map_err(|_| format!("{url}: the host must be an IP address and port"))?;
    assert!(addr.ip().is_loopback(), "{url} is not on loopback");
    let exchange = async {
        let started = Instant::now();
        let stream = tokio::net::TcpStream::connect(addr)
            .await
            .map_err(|e| format!("connect {addr}: {e}"))?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| format!("handshake with {addr}: {e}"))?;
        tokio::spawn(connection);
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header("host", authority);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| format!("bad request: {e}"))?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| format!("{method} {url}: {e}"))?;
        let elapsed = started.elapsed();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let (body, body_error) = match response.into_body().collect().await {
            Ok(collected) => (collected.to_bytes().to_vec(), None),
            Err(e) => (
                Vec::new(),
                Some(format!("{method} {url}: reading the body: {e}")),
            ),
        };
        Ok(Answer {
            status,
            headers,
            body,
            elapsed,
            body_error,
        })
    };
    tokio::time::timeout(HTTP_TIMEOUT, exchange)
        .await
        .map_err(|_| format!("{method} {url}: no answer within {HTTP_TIMEOUT:?}"))?
}

/// [`try_request`] that fails the test on a transport error, the body's included.
pub async fn request(method: &str, url: &str, headers: &[(&str, &str)], body: Vec<u8>) -> Answer {
    let answer = try_request(method, url, headers, body)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    if let Some(e) = &answer.body_error {
        panic!("{e}");
    }
    answer
}

pub async fn get(url: &str) -> Answer {
    request("GET", url, &[], Vec::new()).await
}

pub async fn post_json(url: &str, body: &Value) -> Answer {
    request(
        "POST",
        url,
        &[("content-type", "application/json")],
        body.to_string().into_bytes(),
    )
    .await
}

/// POSTs a webhook body with Meta's headers and, when given, `X-Hub-Signature-256`.
pub async fn post_webhook(base: &str, body: &[u8], signature: Option<&str>) -> Answer {
    post_webhook_to(&format!("{base}/"), body, signature).await
}

/// [`post_webhook`] to the whole URL `url` (path included).
pub async fn post_webhook_to(url: &str, body: &[u8], signature: Option<&str>) -> Answer {
    let mut headers = vec![
        ("content-type", "application/json"),
        ("user-agent", "facebookexternalua"),
    ];
    if let Some(signature) = signature {
        headers.push(("x-hub-signature-256", signature));
    }
    request("POST", url, &headers, body.to_vec()).await
}

/// POSTs `len` bytes of spaces to `path` on `addr` over a raw connection, declared with
/// `Content-Length` or sent chunked, and returns the answer's status line and headers.
///
/// For a server that answers early, without reading the body, and then closes: the body
/// is written from another thread and a failed write is expected, while the answer is
/// read from whatever arrived (an HTTP client library reports the failed write instead).
pub async fn raw_post_head(
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
    len: usize,
    chunked: bool,
) -> Result<String, String> {
    assert!(addr.ip().is_loopback());
    let mut head = format!("POST {path} HTTP/1.1\r\nHost: {addr}\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if chunked {
        head.push_str("Transfer-Encoding: chunked\r\n\r\n");
    } else {
        head.push_str(&format!("Content-Length: {len}\r\n\r\n"));
    }
    let exchange = move || -> Result<String, String> {
        let stream = std::net::TcpStream::connect(addr).map_err(|e| format!("connect: {e}"))?;
        stream
            .set_read_timeout(Some(HTTP_TIMEOUT))
            .map_err(|e| e.to_string())?;
        let mut writer = stream.try_clone().map_err(|e| e.to_string())?;
        let writing = std::thread::spawn(move || {
            writer.write_all(head.as_bytes())?;
            let piece = vec![b' '; 64 * 1024];
            let mut left = len;
            while left > 0 {
                let n = left.min(piece.len());
                if chunked {
                    writer.write_all(format!("{n:x}\r\n").as_bytes())?;
                }
                writer.write_all(&piece[..n])?;
                if chunked {
                    writer.write_all(b"\r\n")?;
                }
                left -= n;
            }
            if chunked {
                writer.write_all(b"0\r\n\r\n")?;
            }
            std::io::Result::Ok(())
        });
        let mut reader = stream;
        let mut received = Vec::new();
        let mut chunk = [0u8; 4096];
        while !received.windows(4).any(|w| w == b"\r\n\r\n") {
            match reader.read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&chunk[..n]),
            }
        }
        let _ = reader.shutdown(std::net::Shutdown::Both);
        let _ = writing.join();
        let text = String::from_utf8_lossy(&received).into_owned();
        match text.split_once("\r\n\r\n") {
            Some((head, _)) => Ok(head.to_string()),
            None => Err(format!("no complete answer head, got {text:?}")),
        }
    };
    tokio::task::spawn_blocking(exchange)
        .await
        .map_err(|e| format!("the exchange panicked: {e}"))?
}

/// The status code of an answer head (`HTTP/1.1 413 Payload Too Large\r\n...`).
pub fn status_of(head: &str) -> Option<u16> {
    head.split_whitespace().nth(1)?.parse().ok()
}

/// A blocking `DELETE` on loopback, for `Drop` implementations (no runtime there).
pub fn blocking_delete(addr: SocketAddr, path: &str) {
    let Ok(mut stream) = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2)) else {
        return;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(2)));
    let request = format!(
        "DELETE {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    if stream.write_all(request.as_bytes()).is_ok() {
        // Until the answer's head: some servers keep the connection open after it.
        let mut answer = Vec::new();
        let mut chunk = [0u8; 1024];
        while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
            match stream.read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&chunk[..n]),
            }
        }
    }
}

// ------------------------------------------------------------------ polling

/// Polls `check` until it returns `Some`, at most `timeout`; `None` when the time is up.
pub async fn eventually<T, F, Fut>(timeout: Duration, mut check: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return Some(value);
        }
        if Instant::now() > deadline {
            return None;
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}
