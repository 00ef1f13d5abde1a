//! One instance serving many requests, as `wasmtime serve --max-instance-reuse-count N`
//! runs the component: its linear memory stops growing after a warm-up, and nothing of
//! one request leaks into the next (each reply goes to its own sender and quotes its own
//! message, each handshake answers its own challenge, a bad signature after a good one is
//! refused, a redelivery is dropped), and a consumer's trap costs only that instance.
//!
//! The instance is the real built component in the native harness
//! ([`Harness::reused_instance`]); its memory is what wasmtime's resource limiter hears
//! of (every memory created and grown), in 64 KiB pages.

mod common;

use std::time::Duration;

use common::*;
use host_test::*;
use serde_json::{json, Value};

/// Requests served before the memory is taken as settled.
const WARM_UP: usize = 100;
/// Requests in all.
const REQUESTS: usize = 500;

/// The sender of the `n`th text: a different number for each.
fn sender(n: usize) -> String {
    format!("1555{n:07}")
}

fn message_id(n: usize) -> String {
    format!("wamid.HBgLMTU1NTAwMDAwMDAVAgASGBRSRVVTRS{n:06}")
}

/// A text webhook from [`sender`]`(n)`, as Meta sends it. Its text is 0 to 2.5 KB long,
/// so that an instance that kept something of each message (its body, its text) would
/// soon need another 64 KiB page.
fn text_webhook(n: usize) -> Vec<u8> {
    let from = sender(n);
    let text = format!("message {n} from {from}: {}", "x".repeat(500 * (n % 6)));
    serde_json::to_vec(&json!({
        "object": "whatsapp_business_account",
        "entry": [{
            "id": WABA,
            "changes": [{
                "value": {
                    "messaging_product": "whatsapp",
                    "metadata": {
                        "display_phone_number": BUSINESS_DISPLAY,
                        "phone_number_id": BUSINESS_PHONE_ID,
                    },
                    "contacts": [{"profile": {"name": format!("User {n}")}, "wa_id": from}],
                    "messages": [{
                        "from": from,
                        "id": message_id(n),
                        "timestamp": "1732147200",
                        "type": "text",
                        "text": {"body": text},
                    }],
                },
                "field": "messages",
            }],
        }],
    }))
    .expect("JSON")
}

/// The consumer: a quoting reply that names the message it answers.
fn echo(m: &Message) -> Vec<Action> {
    vec![Action::Reply(Reply {
        body: format!("echo to {}: {}", m.id, m.text),
        quote: true,
        format: TextFormat::Raw,
        preview_url: false,
        biz_opaque_callback_data: None,
    })]
}

/// What one request did, checked against what it should have done; returns a failure.
struct Step<'a> {
    h: &'a Harness,
    instance: &'a mut ReusedInstance,
}

impl Step<'_> {
    /// A signed text webhook `n`: answered 200, its message dispatched once to the
    /// consumer, marked read, and answered with one reply to its own sender, quoting it,
    /// in this request, and nothing else.
    async fn text(&mut self, n: usize) {
        let (calls, graph) = (self.h.message_calls().len(), self.h.graph_requests().len());
        let r = self
            .instance
            .request(signed(&text_webhook(n)))
            .await
            .unwrap_or_else(|e| panic!("request {n}: {e:#}"));
        assert_eq!(r.status, 200, "request {n}: {}", r.text());
        let new_calls = &self.h.message_calls()[calls..];
        assert_eq!(new_calls.len(), 1, "request {n}: {new_calls:#?}");
        let call = &new_calls[0];
        assert_eq!(call.message.id, message_id(n), "request {n}");
        assert_eq!(call.message.sender.phone.as_deref(), Some(&*sender(n)));
        assert!(call.message.text.starts_with(&format!("message {n} from ")));
        assert_eq!(call.attempt, 1, "request {n}");
        assert!(call.acked_before_dispatch, "request {n}");
        let new_graph = &self.h.graph_requests()[graph..];
        let bodies: Vec<Value> = new_graph.iter().map(GraphRequest::json).collect();
        let reads: Vec<&Value> = bodies.iter().filter(|b| b["status"] == "read").collect();
        let sends: Vec<&Value> = bodies.iter().filter(|b| b["status"] != "read").collect();
        assert_eq!(reads.len(), 1, "request {n}: {bodies:#?}");
        assert_eq!(reads[0]["message_id"], message_id(n), "request {n}");
        assert_eq!(sends.len(), 1, "request {n}: {bodies:#?}");
        let send = sends[0];
        assert_eq!(send["to"], sender(n), "request {n}: its own sender");
        assert_eq!(send["context"]["message_id"], message_id(n), "request {n}");
        let text = send["text"]["body"].as_str().unwrap_or_default();
        assert!(
            text.starts_with(&format!("echo to {}: message {n} from ", message_id(n))),
            "request {n}: {text}"
        );
        assert!(new_graph.iter().all(|g| g.instance == r.instance));
    }

    /// The handshake with challenge `n`: answered with exactly that challenge.
    async fn handshake(&mut self, n: usize) {
        let path =
            format!("/?hub.mode=subscribe&hub.verify_token={VERIFY_TOKEN}&hub.challenge={n}");
        let r = self.instance.get(&path).await.expect("handshake");
        assert_eq!((r.status, r.text()), (200, n.to_string()), "request {n}");
    }

    /// `GET /health`: 200 and nothing missing.
    async fn health(&mut self, n: usize) {
        let r = self.instance.get("/health").await.expect("health");
        assert_eq!(r.status, 200, "request {n}: {}", r.text());
        assert_eq!(r.json()["missing"], json!([]), "request {n}");
    }

    /// A webhook signed with the wrong secret right after good ones: 401, nothing
    /// dispatched, no Graph call.
    async fn forged(&mut self, n: usize) {
        let (calls, graph) = (self.h.message_calls().len(), self.h.graph_requests().len());
        let body = text_webhook(n);
        let r = self
            .instance
            .request(HttpRequest::signed_post("/", b"not-the-secret", &body))
            .await
            .expect("forged");
        assert_eq!(r.status, 401, "request {n}: {}", r.text());
        assert_eq!(self.h.message_calls().len(), calls, "request {n}");
        assert_eq!(self.h.graph_requests().len(), graph, "request {n}");
    }
}

/// How many resources of `kind` [`ReusedInstance::live_resource_kinds`] counted.
fn count_of(kinds: &[(&str, usize)], kind: &str) -> usize {
    kinds
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or(0, |(_, n)| *n)
}

/// After one request: the instance's memories and tables, and the host resources it
/// holds, except the `request-options` of its Graph calls: wasmtime-wasi-http 48's
/// `outgoing-handler.handle` takes the guest's `request-options` (an owned handle) and
/// never deletes it from the store's table (`http_impl.rs`: `self.table.get(&opts)`), so
/// every outgoing request leaves one behind until the instance is dropped. That is the
/// host's, not the component's: it is counted apart, and must be one per Graph call.
#[derive(Debug, Clone, Copy)]
struct Sample {
    memory: MemoryUse,
    resources: usize,
}

/// Serves [`REQUESTS`] requests on one instance (texts with replies, handshakes, health,
/// forged webhooks, in turn) and returns what it holds after each.
async fn serve_many(h: &Harness) -> (Vec<Sample>, String) {
    let mut instance = h.reused_instance().await.expect("instantiated");
    let first = instance.instance();
    let mut sizes = Vec::with_capacity(REQUESTS);
    let mut kinds = String::new();
    for n in 0..REQUESTS {
        let mut step = Step {
            h,
            instance: &mut instance,
        };
        match n % 6 {
            0..=2 => step.text(n).await,
            3 => step.handshake(n).await,
            4 => step.health(n).await,
            _ => step.forged(n).await,
        }
        let kinds_now = instance.live_resource_kinds();
        let options = count_of(&kinds_now, "request-options");
        assert_eq!(
            options,
            h.graph_requests().len(),
            "wasmtime-wasi-http 48 keeps each request's options (see below)"
        );
        sizes.push(Sample {
            memory: instance.memory().expect("alive"),
            resources: instance.live_resources().expect("alive") - options,
        });
        if n + 1 == WARM_UP {
            kinds = format!("after {WARM_UP}: {:?}", instance.live_resource_kinds());
        }
    }
    kinds.push_str(&format!(
        "; after {REQUESTS}: {:?}",
        instance.live_resource_kinds()
    ));
    assert_eq!(instance.instance(), first, "one instance served them all");
    assert_eq!(
        (instance.instances(), instance.served()),
        (1, REQUESTS as u64)
    );
    (sizes, kinds)
}

/// The memory after the warm-up is the memory after every later request, and so are the
/// tables and the host resources the instance holds.
#[track_caller]
fn assert_settled((samples, kinds): &(Vec<Sample>, String), what: &str) {
    let settled = samples[WARM_UP - 1];
    let grew: Vec<(usize, u64)> = samples
        .iter()
        .enumerate()
        .skip(WARM_UP)
        .filter(|(_, s)| s.memory.memory_bytes != settled.memory.memory_bytes)
        .map(|(n, s)| (n + 1, s.memory.memory_bytes))
        .collect();
    assert!(
        grew.is_empty(),
        "{what}: {} bytes after {WARM_UP} requests, then grew: (after request, bytes) {grew:?}",
        settled.memory.memory_bytes
    );
    assert_eq!(
        samples[REQUESTS - 1].memory.table_elements,
        settled.memory.table_elements,
        "{what}: tables grew"
    );
    let held: Vec<(usize, usize)> = samples
        .iter()
        .enumerate()
        .skip(WARM_UP)
        .filter(|(_, s)| s.resources != settled.resources)
        .map(|(n, s)| (n + 1, s.resources))
        .collect();
    assert!(
        held.is_empty(),
        "{what}: {} host resources held after {WARM_UP} requests, then: (after request, count) \
         {held:?}\nby kind: {kinds}",
        settled.resources
    );
    println!(
        "{what}: {} bytes of linear memory after request 1, {} after {WARM_UP}, {} after {REQUESTS}; \
         {} host resources held between requests",
        samples[0].memory.memory_bytes,
        settled.memory.memory_bytes,
        samples[REQUESTS - 1].memory.memory_bytes,
        settled.resources
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_instance_serving_500_requests_with_a_state_directory_stops_growing() {
    let dir = state_dir("reuse-memory");
    let h = harness().state_dir(&dir).on_message(echo);
    let served = serve_many(&h).await;
    assert_settled(&served, "with a state directory");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_instance_serving_500_requests_without_a_state_directory_stops_growing() {
    let h = harness().on_message(echo);
    let served = serve_many(&h).await;
    assert_settled(&served, "without a state directory");
}

/// The memory check can fail: an instance that keeps what it is sent grows. A request
/// body of 1 MiB makes the instance's memory at least that large (it reads the body
/// whole), and it is not given back: the high-water mark stays, as in any wasm instance.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_memory_figure_sees_an_instance_grow() {
    let h = harness();
    let mut instance = h.reused_instance().await.expect("instantiated");
    instance.get("/health").await.expect("health");
    let before = instance.memory().expect("alive").memory_bytes;
    let padded = format!(
        r#"{{"object":"whatsapp_business_account","entry":[],"pad":"{}"}}"#,
        "x".repeat(1 << 20)
    );
    let r = instance
        .request(signed(padded.as_bytes()))
        .await
        .expect("request");
    assert_eq!(r.status, 200, "{}", r.text());
    let after = instance.memory().expect("alive").memory_bytes;
    assert!(
        after >= before + (1 << 20),
        "{before} bytes, then {after} after a 1 MiB body"
    );
}

/// A fresh instance, as `wasmtime serve` makes one for every request by default, starts
/// with room for a webhook's heap (build.rs sets the initial memory): its first webhook,
/// journaled, marked read and answered with a 2.5 KB reply, does not grow its memory.
/// Each `memory.grow` of a fresh instance cost its request 20-25 us.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_instance_serves_a_replied_webhook_without_growing_its_memory() {
    let dir = state_dir("fresh-memory");
    let h = harness().state_dir(&dir).on_message(echo);
    let mut instance = h.reused_instance().await.expect("instantiated");
    let initial = instance.memory_after_instantiation();
    let r = instance
        .request(signed(&text_webhook(5)))
        .await
        .expect("request");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(sends(&h).len(), 1, "replied: {}", h.logs());
    let after = instance.memory().expect("alive");
    assert_eq!(
        (after.memory_bytes, after.memory_grows),
        (initial.memory_bytes, initial.memory_grows),
        "linear memory at instantiation, then after the first webhook"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redelivery_to_the_same_instance_is_dispatched_once() {
    let dir = state_dir("reuse-redelivery");
    let h = harness().state_dir(&dir).on_message(echo);
    let mut instance = h.reused_instance().await.expect("instantiated");
    let body = text_webhook(7);
    for _ in 0..3 {
        let r = instance.request(signed(&body)).await.expect("request");
        assert_eq!(r.status, 200);
    }
    let other = instance
        .request(signed(&text_webhook(8)))
        .await
        .expect("request");
    assert_eq!(other.status, 200);
    assert_eq!(h.message_attempts(&message_id(7)), vec![1], "{}", h.logs());
    assert_eq!(h.message_attempts(&message_id(8)), vec![1]);
    assert_eq!(sends(&h).len(), 2, "one reply each");
    assert_eq!(instance.instances(), 1);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A consumer that traps kills its instance (the request fails with the trap); the next
/// request gets a fresh one, which delivers the message again once its lease ended.
#[tokio::test(start_paused = true)]
async fn a_trap_costs_only_its_instance_and_the_message_is_delivered_again_once() {
    let dir = state_dir("reuse-trap");
    let h = harness()
        .state_dir(&dir)
        .env("WHATSAPP_DISPATCH_LEASE_SECS", "1")
        .on_message(echo)
        .trap_on_message(|m, attempt| m.text.contains("trap") && attempt == 1);
    let mut instance = h.reused_instance().await.expect("instantiated");
    // Warm: a few requests on the first instance.
    for n in 0..3 {
        let r = instance
            .request(signed(&text_webhook(n)))
            .await
            .expect("request");
        assert_eq!(r.status, 200);
    }
    let first = instance.instance();
    let trapping = serde_json::to_vec(&{
        let mut v: Value = serde_json::from_slice(&text_webhook(50)).expect("JSON");
        v["entry"][0]["changes"][0]["value"]["messages"][0]["text"]["body"] = json!("trap please");
        v
    })
    .expect("JSON");
    let err = instance
        .request(signed(&trapping))
        .await
        .expect_err("the consumer traps the instance");
    assert!(
        format!("{err:#}").contains("trapped"),
        "the request reports the trap: {err:#}"
    );
    assert!(!instance.alive(), "a trapped instance is not reused");

    tokio::time::sleep(Duration::from_millis(2100)).await;
    let r = instance.get("/health").await.expect("health");
    assert_eq!(r.status, 200);
    assert_ne!(instance.instance(), first, "a fresh instance");
    assert_eq!(instance.instances(), 2);
    assert_eq!(h.message_attempts(&message_id(50)), vec![1, 2]);
    // Later requests on the new instance neither dispatch it again nor lose others.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    for n in 60..63 {
        let r = instance
            .request(signed(&text_webhook(n)))
            .await
            .expect("request");
        assert_eq!(r.status, 200);
    }
    instance.get("/health").await.expect("health");
    assert_eq!(h.message_attempts(&message_id(50)), vec![1, 2]);
    let answered: Vec<String> = sends(&h)
        .iter()
        .map(|g| {
            g.json()["context"]["message_id"]
                .as_str()
                .unwrap_or("")
                .to_string()
        })
        .collect();
    let expected: Vec<String> = [0, 1, 2, 50, 60, 61, 62]
        .iter()
        .map(|&n| message_id(n))
        .collect();
    assert_eq!(answered, expected, "each message answered once, in order");
    let _ = std::fs::remove_dir_all(&dir);
}
