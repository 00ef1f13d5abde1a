//! The media bot (examples/media-bot, world `bot`) end to end: composed with
//! `examples/bot.wac` (the bot calls `outgoing` and `media` of a second `whatsapp`
//! instance) under the real `wasmtime serve`, and on the real asterai runtime next to the
//! asterai build, with the sandbox as Meta. The chat's sample photo is downloaded,
//! described, uploaded and sent back, and the bot reacts to its own answer by the id that
//! `outgoing` returned.
//!
//! Needs `make compose asterai asterai-cli sandbox` (`make test` runs them first).

mod e2e_support;

use e2e_support::asterai::{Runtime, Setup};
use e2e_support::*;
use serde_json::{json, Value};

/// The sandbox's recorded calls, and what to look for in them.
struct Seen<'a>(&'a [Value]);

impl<'a> Seen<'a> {
    fn find(&self, want: impl Fn(&Value) -> bool) -> Option<&'a Value> {
        self.0.iter().find(|r| want(r))
    }

    /// The bot's text answer quoting the photo.
    fn answer(&self, photo: &str) -> Option<&'a Value> {
        self.find(|r| {
            is_send(r) && r["body"]["type"] == "text" && r["body"]["context"]["message_id"] == photo
        })
    }

    /// The photo sent back, by the id of an upload.
    fn photo_back(&self) -> Option<&'a Value> {
        self.find(|r| {
            is_send(r) && r["body"]["type"] == "image" && r["body"]["image"]["id"].is_string()
        })
    }

    fn reaction(&self) -> Option<&'a Value> {
        self.find(|r| is_send(r) && r["body"]["type"] == "reaction")
    }

    fn upload(&self) -> Option<&'a Value> {
        self.find(|r| {
            r["method"] == "POST" && r["path"].as_str().is_some_and(|p| p.ends_with("/media"))
        })
    }

    /// The look-up of a media id (`GET /<version>/<id>` answered with its size).
    fn look_up(&self) -> Option<&'a Value> {
        self.find(|r| r["method"] == "GET" && r["response"]["body"]["file_size"].is_u64())
    }
}

/// What every run must show: described, sent back by the uploaded id, and the reaction
/// on the answer's own id.
fn check(requests: &[Value], photo: &str) {
    let seen = Seen(requests);
    let look_up = seen.look_up().expect("the bot looked the photo up");
    let info = &look_up["response"]["body"];
    let answer = seen.answer(photo).expect("the bot's answer");
    let text = answer["body"]["text"]["body"].as_str().unwrap_or_default();
    let size = info["file_size"].as_u64().expect("file_size");
    let sha256 = info["sha256"].as_str().expect("sha256");
    assert!(
        text.contains(&format!("{size} bytes"))
            && text.contains(sha256)
            && text.contains("image/png"),
        "type, size and SHA-256 in: {text}"
    );
    let upload = seen.upload().expect("the bot uploaded the photo");
    let uploaded_id = upload["response"]["body"]["id"]
        .as_str()
        .expect("the upload's id");
    let back = seen.photo_back().expect("the photo sent back");
    assert_eq!(
        back["body"]["image"]["id"], uploaded_id,
        "sent back by the uploaded id"
    );
    assert_eq!(back["body"]["to"], USER);
    let answer_id = answer["response"]["body"]["messages"][0]["id"]
        .as_str()
        .expect("the answer's id");
    let reaction = seen.reaction().expect("the reaction");
    assert_eq!(
        reaction["body"]["reaction"]["message_id"], answer_id,
        "on its own answer"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_wasmtime_serve_the_bot_describes_the_photo_sends_it_back_and_reacts() {
    let stack = Stack::start("media-bot", "media.wasm").await;
    let sent = stack.sandbox.act(json!({"type": "image"})).await;
    assert_eq!(sent.status, 200, "{}", sent.text());
    let photo = sent.json()["id"]
        .as_str()
        .expect("the photo's id")
        .to_string();
    let requests = stack
        .wait_requests(
            "the bot's answer, the photo back and the reaction",
            SOON * 2,
            |r| {
                let seen = Seen(r);
                seen.answer(&photo).is_some()
                    && seen.photo_back().is_some()
                    && seen.reaction().is_some()
            },
        )
        .await;
    check(&requests, &photo);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_asterai_the_same_bot_works_next_to_the_asterai_build() {
    let setup = Setup::bare()
        .consumer("media-bot", "media_bot")
        .handlers("local:media-bot");
    let runtime = Runtime::start("media-bot", setup).await;
    let sent = runtime.sandbox.act(json!({"type": "image"})).await;
    assert_eq!(sent.status, 200, "{}", sent.text());
    let photo = sent.json()["id"]
        .as_str()
        .expect("the photo's id")
        .to_string();
    let requests = runtime
        .wait_requests(
            "the bot's answer, the photo back and the reaction",
            SOON * 2,
            |r| {
                let seen = Seen(r);
                seen.answer(&photo).is_some()
                    && seen.photo_back().is_some()
                    && seen.reaction().is_some()
            },
        )
        .await;
    check(&requests, &photo);
}
