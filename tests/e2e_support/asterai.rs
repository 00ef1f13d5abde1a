//! The real asterai runtime (`asterai env run`, the CLI `make asterai-cli` installs) as a
//! child process on loopback, with the asterai build of the component and its consumers
//! in a local environment made by `scripts/asterai-env.sh` under a HOME of the test's own,
//! and the sandbox as Meta.
//!
//! The component is `local:whatsapp@0.4.0` in the environment `local:<env>`; the webhook is
//! `http://127.0.0.1:P/local/<env>/local/whatsapp/`, and the runtime's call API is
//! `POST /v1/environment/local/<env>/call`.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::*;

/// The CLI's version the Makefile installs.
pub const CLI_VERSION: &str = "1.0.0-alpha.17";
/// The environment every test makes (each in its own HOME).
pub const ENV: &str = "whatsapp";
/// The component's name in the environment.
pub const COMPONENT: &str = "local:whatsapp";

/// The asterai CLI.
pub fn asterai_bin() -> PathBuf {
    artifact(&format!(
        "target/tools/asterai-cli-{CLI_VERSION}/node_modules/@asterai/cli-linux-x64/bin/asterai"
    ))
}

/// The asterai build of the component (`make asterai`).
pub fn asterai_component() -> PathBuf {
    artifact("target/asterai/wasm32-wasip2/release/whatsapp.wasm")
}

/// An example's `.wasm` (`make components`), such as `echo_bot`.
pub fn example(name: &str) -> PathBuf {
    artifact(&format!("target/wasm32-wasip2/release/{name}.wasm"))
}

/// What a test puts in its environment.
pub struct Setup {
    /// Consumers: `namespace:name@version` and the `.wasm`.
    pub consumers: Vec<(String, PathBuf)>,
    /// `WHATSAPP_INCOMING_HANDLER_COMPONENTS`, when set.
    pub handlers: Option<String>,
    /// Variables besides the usual ones.
    pub extra: Vec<(String, String)>,
    /// Whether to give the runtime an `--allow-dir`.
    pub allow_dir: bool,
}

impl Setup {
    /// No consumer, no handler variable, no directory.
    pub fn bare() -> Setup {
        Setup {
            consumers: Vec::new(),
            handlers: None,
            extra: Vec::new(),
            allow_dir: false,
        }
    }

    /// Adds a consumer `local:<name>@0.4.0` from the example `file` (`echo_bot`).
    pub fn consumer(mut self, name: &str, file: &str) -> Setup {
        self.consumers
            .push((format!("local:{name}@0.4.0"), example(file)));
        self
    }

    /// Sets `WHATSAPP_INCOMING_HANDLER_COMPONENTS`.
    pub fn handlers(mut self, value: &str) -> Setup {
        self.handlers = Some(value.to_string());
        self
    }

    /// Gives the runtime an `--allow-dir`.
    pub fn allow_dir(mut self) -> Setup {
        self.allow_dir = true;
        self
    }
}

/// The runtime serving one environment, and the sandbox as Meta.
pub struct Runtime {
    pub proc: Proc,
    pub addr: SocketAddr,
    pub sandbox: Sandbox,
    pub home: TempDir,
    pub allowed: Option<TempDir>,
}

impl Runtime {
    /// Makes the environment and runs it; waits until both listen.
    pub async fn start(label: &str, setup: Setup) -> Runtime {
        let cli = asterai_bin();
        let component = asterai_component();
        sandbox_bin();
        let home = TempDir::new(&format!("asterai-{label}"));
        let allowed = setup
            .allow_dir
            .then(|| TempDir::new(&format!("asterai-{label}-allowed")));
        let mut last = String::new();
        for _ in 0..3 {
            let sandbox_addr = SocketAddr::from((Ipv4Addr::LOCALHOST, free_port()));
            let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, free_port()));
            let mut vars = component_env(&format!("http://{sandbox_addr}"));
            if let Some(handlers) = &setup.handlers {
                vars.push((
                    "WHATSAPP_INCOMING_HANDLER_COMPONENTS".into(),
                    handlers.clone(),
                ));
            }
            vars.extend(setup.extra.iter().cloned());
            make_env(&cli, home.path(), &component, &setup.consumers, &vars);

            let mut command = Command::new(&cli);
            command.env("HOME", home.path()).args([
                "env",
                "run",
                ENV,
                "--no-pull",
                "-p",
                &addr.port().to_string(),
            ]);
            if let Some(dir) = &allowed {
                command.arg("--allow-dir").arg(dir.path());
            }
            let mut proc = Proc::spawn("asterai env run", command);
            match proc.wait_listening(addr).await {
                Ok(()) => {}
                Err(e) if port_taken(&e) => {
                    last = e;
                    continue;
                }
                Err(e) => panic!("{e}"),
            }
            let webhook = format!("http://{addr}/local/{ENV}/local/whatsapp/");
            match Sandbox::start(sandbox_addr, &webhook).await {
                Ok(sandbox) => {
                    return Runtime {
                        proc,
                        addr,
                        sandbox,
                        home,
                        allowed,
                    }
                }
                Err(e) => last = e,
            }
        }
        panic!("the asterai runtime or the sandbox found no free port: {last}")
    }

    /// The component's URL prefix: `http://127.0.0.1:P/local/<env>/local/whatsapp`.
    pub fn url(&self) -> String {
        format!("http://{}/local/{ENV}/local/whatsapp", self.addr)
    }

    /// The runtime's output (the components' stdout and stderr are in it).
    pub fn log(&self) -> String {
        format!("{}{}", self.proc.stdout(), self.proc.stderr())
    }

    /// Both processes' output, for a failure message.
    pub fn logs(&self) -> String {
        format!("{}\n{}", self.proc.output(), self.sandbox.proc.output())
    }

    /// Waits until the log has a line for which `line` is true; returns it.
    pub async fn wait_log_line(&self, what: &str, line: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(found) = self.log().lines().find(|l| line(l)) {
                return found.to_string();
            }
            if Instant::now() > deadline {
                panic!("no log line {what} within 30 s\n{}", self.logs());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Signs `body` and POSTs it to the webhook.
    pub async fn post_signed(&self, body: &[u8]) -> Answer {
        post_webhook(
            &format!("{}/", self.url()),
            body,
            Some(&signature(APP_SECRET, body)),
        )
        .await
    }

    /// Calls `function` (`interface/function`) of `component` through the runtime's call
    /// API; the answer as the runtime gives it.
    pub async fn call(&self, component: &str, function: &str, args: Value) -> Answer {
        post_json(
            &format!("http://{}/v1/environment/local/{ENV}/call", self.addr),
            &json!({"component": component, "function": function, "args": args}),
        )
        .await
    }

    /// Polls the sandbox's recorded Graph calls until `done` holds; returns them.
    pub async fn wait_requests(
        &self,
        what: &str,
        timeout: Duration,
        done: impl Fn(&[Value]) -> bool,
    ) -> Vec<Value> {
        wait_for_requests(&self.sandbox, what, timeout, done, || self.logs()).await
    }
}

/// `scripts/asterai-env.sh` in `home`: the component and `consumers`, with `vars`.
/// Values go through `asterai env set-var` arguments: test values only.
fn make_env(
    cli: &Path,
    home: &Path,
    component: &Path,
    consumers: &[(String, PathBuf)],
    vars: &[(String, String)],
) {
    let mut command = Command::new(root().join("scripts/asterai-env.sh"));
    command
        .env("HOME", home)
        .env("ASTERAI", cli)
        .arg(ENV)
        .arg(format!("{COMPONENT}@0.4.0={}", component.display()));
    for (name, file) in consumers {
        command.arg(format!("{name}={}", file.display()));
    }
    for (name, value) in vars {
        command.arg("--var").arg(format!("{name}={value}"));
    }
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run scripts/asterai-env.sh: {e}"));
    assert!(
        output.status.success(),
        "scripts/asterai-env.sh failed ({}):\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
