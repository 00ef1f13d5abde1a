//! Fault injection: queued faults hit the next Graph calls in order, then normal
//! answers resume; rate-limit modes answer 130429 and 131056.

mod common;

use std::time::{Duration, Instant};

use common::*;
use hyper::Method;
use serde_json::json;

async fn faults(addr: std::net::SocketAddr) -> serde_json::Value {
    call(addr, Method::GET, "/_sandbox/faults", &[], "")
        .await
        .unwrap()
        .json()
}

#[tokio::test]
async fn queued_faults_apply_in_order_and_then_clear() {
    let (sbx, _hook) = start().await;
    let r = sandbox_post(
        sbx.addr,
        "/_sandbox/faults",
        &json!([
            {"kind": "graph_error", "status": 400, "code": 130429, "count": 2},
            {"kind": "http_status", "status": 503},
            {"kind": "non_json", "status": 502},
            {"kind": "close"},
            {"kind": "graph_error", "code": 131047}
        ]),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r);
    assert_eq!(r.json()["queue"].as_array().unwrap().len(), 5);
    assert_eq!(r.json()["queue"][0]["remaining"], 2);

    let send = text_to("16505551234", "hi");
    for _ in 0..2 {
        let r = graph_post(sbx.addr, &send).await.unwrap();
        assert_eq!(r.status, 400);
        let e = &r.json()["error"];
        assert_eq!(e["code"], 130429);
        assert_eq!(e["type"], "OAuthException");
        assert_eq!(e["error_data"]["messaging_product"], "whatsapp");
    }
    let r = graph_post(sbx.addr, &send).await.unwrap();
    assert_eq!(r.status, 503);
    assert!(serde_json::from_slice::<serde_json::Value>(&r.body).is_err());

    // Faults hit any Graph call, not only sends.
    let auth = bearer();
    let r = call(
        sbx.addr,
        Method::GET,
        &format!("/v24.0/{PHONE_ID}"),
        &[("authorization", &auth)],
        "",
    )
    .await
    .unwrap();
    assert_eq!(r.status, 502);
    assert!(r.content_type.starts_with("text/html"));
    assert!(serde_json::from_slice::<serde_json::Value>(&r.body).is_err());

    let closed = graph_post(sbx.addr, &send).await;
    assert!(
        closed.is_err(),
        "the connection should close without an answer: {closed:?}"
    );

    let r = graph_post(sbx.addr, &send).await.unwrap();
    assert_eq!(
        (r.status, r.json()["error"]["code"].clone()),
        (400, json!(131047))
    );

    assert_eq!(faults(sbx.addr).await["queue"], json!([]));
    let r = graph_post(sbx.addr, &send).await.unwrap();
    assert_eq!(r.status, 200);

    // DELETE drops what is still queued.
    sandbox_post(
        sbx.addr,
        "/_sandbox/faults",
        &json!({"kind": "http_status", "status": 500, "count": 5}),
    )
    .await;
    let r = call(sbx.addr, Method::DELETE, "/_sandbox/faults", &[], "")
        .await
        .unwrap();
    assert_eq!(r.json()["queue"], json!([]));
    assert_eq!(graph_post(sbx.addr, &send).await.unwrap().status, 200);

    // Every call was recorded, the faulted ones with their fault.
    let recorded = call(sbx.addr, Method::GET, "/_sandbox/requests", &[], "")
        .await
        .unwrap()
        .json();
    let with_fault = recorded
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r.get("fault").is_some())
        .count();
    assert_eq!(with_fault, 6);
}

#[tokio::test]
async fn a_delay_fault_holds_the_answer() {
    let (sbx, _hook) = start().await;
    sandbox_post(
        sbx.addr,
        "/_sandbox/faults",
        &json!({"kind": "delay_ms", "ms": 300}),
    )
    .await;
    let started = Instant::now();
    let r = graph_post(sbx.addr, &text_to("16505551234", "slow"))
        .await
        .unwrap();
    let took = started.elapsed();
    assert_eq!(r.status, 200, "a delay answers normally afterwards");
    assert!(took >= Duration::from_millis(300), "{took:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");
}

#[tokio::test]
async fn bad_fault_specs_are_refused() {
    let (sbx, _hook) = start().await;
    for spec in [
        json!({"kind": "nope"}),
        json!({"status": 500}),
        json!({"kind": "delay_ms"}),
        json!({"kind": "http_status", "status": 1000}),
        json!([{"kind": "close"}, {"kind": "bogus"}]),
    ] {
        let r = sandbox_post(sbx.addr, "/_sandbox/faults", &spec).await;
        assert_eq!(r.status, 400, "{spec}");
        assert!(r.json()["error"].is_string());
    }
    assert_eq!(
        faults(sbx.addr).await["queue"],
        json!([]),
        "nothing half-applied"
    );
}

#[tokio::test]
async fn rate_limit_mode_answers_130429_beyond_n_per_second() {
    let (sbx, _hook) = start().await;
    sandbox_post(
        sbx.addr,
        "/_sandbox/faults",
        &json!({"kind": "rate_limit", "per_second": 2}),
    )
    .await;
    assert_eq!(
        faults(sbx.addr).await["rate_limit"],
        json!({"per_second": 2})
    );
    let mut statuses = Vec::new();
    for i in 0..3 {
        let r = graph_post(sbx.addr, &text_to(&format!("1650555000{i}"), "x"))
            .await
            .unwrap();
        statuses.push((r.status, r.json()["error"]["code"].clone()));
    }
    assert_eq!(statuses[0].0, 200);
    assert_eq!(statuses[1].0, 200);
    assert_eq!(statuses[2], (400, json!(130429)));
    // Read receipts are not throttled.
    let r = graph_post(
        sbx.addr,
        &json!({"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.A"}),
    )
    .await
    .unwrap();
    assert_eq!(r.status, 200);
    call(sbx.addr, Method::DELETE, "/_sandbox/faults", &[], "")
        .await
        .unwrap();
    assert_eq!(
        graph_post(sbx.addr, &text_to("16505550009", "x"))
            .await
            .unwrap()
            .status,
        200
    );
}

#[tokio::test]
async fn pair_rate_mode_answers_131056_for_the_same_user() {
    let (sbx, _hook) = start().await;
    sandbox_post(sbx.addr, "/_sandbox/faults", &json!({"kind": "pair_rate"})).await;
    assert_eq!(faults(sbx.addr).await["pair_rate"], json!({"seconds": 6}));
    assert_eq!(
        graph_post(sbx.addr, &text_to("16505551234", "1"))
            .await
            .unwrap()
            .status,
        200
    );
    let r = graph_post(sbx.addr, &text_to("16505551234", "2"))
        .await
        .unwrap();
    assert_eq!(
        (r.status, r.json()["error"]["code"].clone()),
        (400, json!(131056))
    );
    assert_eq!(
        graph_post(sbx.addr, &text_to("5511987654321", "other user"))
            .await
            .unwrap()
            .status,
        200
    );
    sandbox_post(
        sbx.addr,
        "/_sandbox/faults",
        &json!({"kind": "pair_rate", "enabled": false}),
    )
    .await;
    assert_eq!(
        graph_post(sbx.addr, &text_to("16505551234", "3"))
            .await
            .unwrap()
            .status,
        200
    );
}

#[tokio::test]
async fn a_status_failed_fault_accepts_then_reports_failed() {
    let (sbx, hook) = start().await;
    sandbox_post(
        sbx.addr,
        "/_sandbox/faults",
        &json!({"kind": "status_failed", "code": 131026}),
    )
    .await;
    // Not consumed by calls that are not sends.
    let auth = bearer();
    let r = call(
        sbx.addr,
        Method::GET,
        &format!("/v24.0/{PHONE_ID}"),
        &[("authorization", &auth)],
        "",
    )
    .await
    .unwrap();
    assert_eq!(r.status, 200);
    let r = graph_post(sbx.addr, &text_to("16505551234", "doomed"))
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    let id = r.json()["messages"][0]["id"].as_str().unwrap().to_string();
    let (_, status) = hook.next_status().await;
    assert_eq!(status["id"], id.as_str());
    assert_eq!(status["status"], "failed");
    assert_eq!(status["errors"][0]["code"], 131026);
    assert!(status["errors"][0]["error_data"]["details"].is_string());
}
