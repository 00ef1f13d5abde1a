//! `sandbox`: see `sandbox --help`.

use std::process::ExitCode;

use sandbox::{Command, Config};

#[tokio::main]
async fn main() -> ExitCode {
    let config = match Config::parse(std::env::args().skip(1), |name| std::env::var(name).ok()) {
        Ok(Command::Run(config)) => *config,
        Ok(Command::Help) => {
            print!("{}", sandbox::config::USAGE);
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("sandbox: {e}");
            return ExitCode::from(2);
        }
    };
    if !config.listen.ip().is_loopback() {
        eprintln!(
            "sandbox: warning: listening on {}, not on loopback; anyone who can reach it can send as a user",
            config.listen
        );
    }
    let running = match sandbox::start(config).await {
        Ok(running) => running,
        Err(e) => {
            eprintln!("sandbox: {e}");
            return ExitCode::FAILURE;
        }
    };
    if !running.app.webhook.is_loopback() {
        eprintln!(
            "sandbox: warning: the webhook {} is not on loopback",
            running.app.config.webhook
        );
    }
    let url = running.url();
    println!(
        "sandbox: chat at {url}/ | Graph API at {url} (WHATSAPP_GRAPH_API_URL) | webhook {}",
        running.app.config.webhook
    );
    std::future::pending::<()>().await;
    ExitCode::SUCCESS
}
