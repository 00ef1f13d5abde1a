//! Shared helpers of the webhook tests: fixtures and a configured harness.
#![allow(dead_code)]

use host_test::*;

/// The App Secret the tests sign with.
pub const SECRET: &str = "test-app-secret";
/// The verify token the tests configure.
pub const VERIFY_TOKEN: &str = "test-verify-token";

/// The bytes of `tests/fixtures/webhook/<name>`.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/webhook/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {path}: {e}"))
}

/// A harness with the webhook configured and the Graph API stand-in answering.
pub fn harness() -> Harness {
    Harness::new()
        .expect("component built (`make build`)")
        .env("WHATSAPP_APP_SECRET", SECRET)
        .env("WHATSAPP_WEBHOOK_VERIFY_TOKEN", VERIFY_TOKEN)
        .env("WHATSAPP_ACCESS_TOKEN", "test-access-token")
        .env("WHATSAPP_PHONE_NUMBER_ID", "106540352242922")
}

/// A POST of `body` signed as Meta signs it.
pub fn signed(body: &[u8]) -> HttpRequest {
    HttpRequest::signed_post("/", SECRET.as_bytes(), body)
}

/// Posts a fixture, signed, and asserts the 200 acknowledgement.
pub async fn deliver(h: &Harness, name: &str) -> Response {
    let r = h
        .request(signed(&fixture(name)))
        .await
        .expect("request ran");
    assert_eq!(r.status, 200, "{name}: {}\n{}", r.text(), h.logs());
    r
}

/// Posts a fixture and returns the one message the consumer received.
pub async fn one_message(name: &str) -> Message {
    let h = harness();
    deliver(&h, name).await;
    let mut messages = h.messages();
    assert_eq!(messages.len(), 1, "{name}: {:#?}\n{}", messages, h.logs());
    messages.remove(0)
}

/// Posts a fixture and returns the one status update the consumer received.
pub async fn one_status(name: &str) -> StatusUpdate {
    let h = harness();
    deliver(&h, name).await;
    let mut statuses = h.statuses();
    assert_eq!(statuses.len(), 1, "{name}: {:#?}\n{}", statuses, h.logs());
    statuses.remove(0)
}

/// A temporary directory for a dedup store, unique per test.
pub fn state_dir(test: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("whatsapp-state-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}
