//! Shared helpers of the webhook tests: fixtures, a configured harness and the people and
//! numbers of `tests/fixtures/README.md`.
#![allow(dead_code)]

use host_test::*;

/// The App Secret the tests sign with.
pub const SECRET: &str = "test-app-secret";
/// The verify token the tests configure.
pub const VERIFY_TOKEN: &str = "test-verify-token";

/// The WhatsApp Business Account of every fixture (`entry[].id`).
pub const WABA: &str = "104583920176234";
/// The business number of most fixtures, and `WHATSAPP_PHONE_NUMBER_ID`.
pub const BUSINESS_PHONE_ID: &str = "106540352242922";
/// How that number is displayed (`metadata.display_phone_number`).
pub const BUSINESS_DISPLAY: &str = "15550100";
/// The account's second business number.
pub const SECOND_PHONE_ID: &str = "106540352242977";
/// How the second number is displayed.
pub const SECOND_DISPLAY: &str = "15550199";

/// Alice Johnson's phone number, user id and parent user id.
pub const ALICE: &str = "16505551234";
pub const ALICE_USER_ID: &str = "US.10483920571635284017";
pub const ALICE_PARENT_ID: &str = "US.ENT.10958371640298316452";
/// Bruno Araújo's.
pub const BRUNO: &str = "5511987654321";
pub const BRUNO_USER_ID: &str = "BR.20571946385012743698";
pub const BRUNO_PARENT_ID: &str = "BR.ENT.20837461950284736159";
/// Dana Kim adopted the username `dana.k`: Meta gives no phone number for her.
pub const DANA_USER_ID: &str = "US.40817365920471836250";
pub const DANA_PARENT_ID: &str = "US.ENT.40592817364019283746";
pub const DANA_USERNAME: &str = "dana.k";
/// The group of `group_text.json` and `status_group_read.json`.
pub const GROUP_ID: &str = "Y2FwaV9ncm91cDoxNTU1MDEwMDoxMjAzNjM0MDQ2OTQyMzM4MjA";

/// The bytes of `tests/fixtures/webhook/<name>`.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/webhook/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {path}: {e}"))
}

/// A fixture parsed as JSON.
pub fn fixture_json(name: &str) -> serde_json::Value {
    serde_json::from_slice(&fixture(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

/// The `value` of `entry[entry].changes[change]` of a fixture.
pub fn change_value(name: &str, entry: usize, change: usize) -> serde_json::Value {
    fixture_json(name)["entry"][entry]["changes"][change]["value"].clone()
}

/// A harness with the webhook configured and the Graph API stand-in answering.
pub fn harness() -> Harness {
    Harness::new()
        .expect("component built (`make build`)")
        .env("WHATSAPP_APP_SECRET", SECRET)
        .env("WHATSAPP_WEBHOOK_VERIFY_TOKEN", VERIFY_TOKEN)
        .env("WHATSAPP_ACCESS_TOKEN", "test-access-token")
        .env("WHATSAPP_PHONE_NUMBER_ID", BUSINESS_PHONE_ID)
}

/// A POST of `body` signed as Meta signs it.
pub fn signed(body: &[u8]) -> HttpRequest {
    HttpRequest::signed_post("/", SECRET.as_bytes(), body)
}

/// Posts a fixture, signed, and asserts the 200 acknowledgement.
pub async fn deliver(h: &Harness, name: &str) -> Response {
    deliver_bytes(h, name, &fixture(name)).await
}

/// Posts `body`, signed, and asserts the 200 acknowledgement (`what` names it in failures).
pub async fn deliver_bytes(h: &Harness, what: &str, body: &[u8]) -> Response {
    let r = h.request(signed(body)).await.expect("request ran");
    assert_eq!(r.status, 200, "{what}: {}\n{}", r.text(), h.logs());
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

/// A user with these identities.
pub fn user(
    phone: Option<&str>,
    user_id: Option<&str>,
    parent_user_id: Option<&str>,
    username: Option<&str>,
    name: Option<&str>,
) -> User {
    User {
        phone: phone.map(Into::into),
        user_id: user_id.map(Into::into),
        parent_user_id: parent_user_id.map(Into::into),
        username: username.map(Into::into),
        name: name.map(Into::into),
    }
}

/// A user known only by a phone number and, optionally, a profile name.
pub fn phone_user(phone: &str, name: Option<&str>) -> User {
    user(Some(phone), None, None, None, name)
}

/// Dana as the contacts of a message give her: no phone, both ids, username and name.
pub fn dana() -> User {
    user(
        None,
        Some(DANA_USER_ID),
        Some(DANA_PARENT_ID),
        Some(DANA_USERNAME),
        Some("Dana Kim"),
    )
}

/// The business phone number id a Graph request goes out from: the path must be
/// `/<version>/<phone-number-id>/messages`, with a version like `v25.0` (asserted on
/// its shape only, so a change of the default version does not matter here).
#[track_caller]
pub fn sending_number(request: &GraphRequest) -> String {
    let parts: Vec<&str> = request.path.trim_start_matches('/').split('/').collect();
    match parts.as_slice() {
        [version, number, "messages"]
            if version.starts_with('v')
                && version[1..].split('.').all(|p| p.parse::<u32>().is_ok()) =>
        {
            number.to_string()
        }
        _ => panic!("not a messages POST path: {}", request.path),
    }
}

/// The read receipts among the Graph requests (`"status": "read"`), in order.
pub fn read_receipts(h: &Harness) -> Vec<GraphRequest> {
    h.graph_requests()
        .into_iter()
        .filter(|r| r.json()["status"] == "read")
        .collect()
}

/// The message sends among the Graph requests (not read receipts), in order.
pub fn sends(h: &Harness) -> Vec<GraphRequest> {
    h.graph_requests()
        .into_iter()
        .filter(|r| r.json()["status"] != "read")
        .collect()
}

/// A plain reply in the chat, not quoted.
pub fn reply(body: &str) -> Action {
    Action::Reply(Reply {
        body: body.into(),
        quote: false,
        format: TextFormat::Raw,
        preview_url: false,
        biz_opaque_callback_data: None,
    })
}
