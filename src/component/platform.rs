//! The component's environment, clock, log and state directory, read through WASI
//! directly rather than through Rust's std and wasi-libc.
//!
//! `std::env::var` goes through wasi-libc, which copies the whole environment into its
//! own `environ` array on first use (one allocation per variable, besides the host's
//! copy) and takes a lock on every look-up; `std::io::stderr` writes through wasi-libc's
//! stdio, four host calls per line (`subscribe`, `check-write`, `write`,
//! `blocking-flush`). Every request is a fresh instance under `wasmtime serve`, so this
//! is paid per request: here the environment is one host call whose answer is kept for
//! the instance, and a log line is one `blocking-write-and-flush`.

use std::sync::OnceLock;

use wasi::cli::environment;
use wasi::cli::stderr;
use wasi::clocks::wall_clock;
use wasi::filesystem::preopens;

/// The instance's environment, as the host gave it (read on first use, then kept: a
/// component's environment does not change while it runs).
fn environment() -> &'static [(String, String)] {
    static ENVIRONMENT: OnceLock<Vec<(String, String)>> = OnceLock::new();
    ENVIRONMENT.get_or_init(environment::get_environment)
}

/// The value of the environment variable `name`, if set. Never inlined: the
/// configuration reads a dozen variables, each a call rather than a copy of this.
#[inline(never)]
pub fn env(name: &str) -> Option<String> {
    environment()
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.clone())
}

/// Seconds since the Unix epoch, by the host's wall clock.
pub fn now_secs() -> u64 {
    wall_clock::now().seconds
}

/// Whether the host preopened a directory under the guest path `path` (the state
/// directory is used only when it did). Asks for the preopens, not a `stat`: wasi-libc
/// would resolve the path against the same list.
#[inline(never)]
pub fn preopened(path: &str) -> bool {
    let wanted = path.trim_end_matches('/');
    preopens::get_directories()
        .iter()
        .any(|(_, name)| name.trim_end_matches('/') == wanted)
}

/// Writes `line` (a complete line, newline included) to stderr: one host call per 4096
/// bytes, the most `blocking-write-and-flush` takes. A failing stderr loses the line.
pub fn write_stderr(line: &[u8]) {
    let _ = super::http::write_all(&stderr::get_stderr(), line);
}
