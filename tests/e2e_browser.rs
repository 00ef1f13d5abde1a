//! A real browser on the sandbox's chat page: headless Chromium (Debian's `chromium` and
//! `chromium-driver` packages) driven over WebDriver with fantoccini. The page talks to
//! the real `sandbox`, which signs and POSTs webhooks to the echo bot under the real
//! `wasmtime serve`; the bot's replies come back through the Graph stand-in into the
//! page. Types a message, sees the echo; asks for the menu, taps a reply button, sees
//! the answer; saves a screenshot to `target/e2e-chat.png`.
//!
//! Needs `make compose sandbox browser-deps` (`make test` runs them first).

mod e2e_support;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use e2e_support::*;
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Map, Value};

/// How long the bot's answer may take to show in the page.
const SHOW_WITHIN: Duration = Duration::from_secs(20);
/// The whole browser scenario, so that a hung WebDriver call fails instead of hanging.
const SCENARIO_WITHIN: Duration = Duration::from_secs(90);

fn program(candidates: &[&str]) -> PathBuf {
    candidates
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .or_else(|| {
            let name = candidates[0].rsplit('/').next().unwrap_or_default();
            find_program(name, &[])
        })
        .unwrap_or_else(|| {
            panic!(
                "{} is missing: run `make test` (its `browser-deps` step installs Debian's \
                 chromium and chromium-driver)",
                candidates[0]
            )
        })
}

/// chromedriver (in a process group of its own, with the Chromium it starts) and the
/// WebDriver session. Dropping it ends the session, then kills the group.
struct Browser {
    driver: Proc,
    addr: SocketAddr,
    session: Option<String>,
    // Declared after `driver`: removed once Chromium is gone.
    profile: TempDir,
}

impl Browser {
    async fn start() -> (Browser, Client) {
        let chromium = program(&["/usr/bin/chromium", "/usr/bin/chromium-browser"]);
        let chromedriver = program(&["/usr/bin/chromedriver"]);
        let profile = TempDir::new("chromium-profile");
        let mut last = String::new();
        for _ in 0..3 {
            let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, free_port()));
            let mut command = Command::new(&chromedriver);
            command.arg(format!("--port={}", addr.port()));
            let mut driver = Proc::spawn_group("chromedriver", command);
            match driver.wait_listening(addr).await {
                Ok(()) => {}
                Err(e) => {
                    last = e;
                    continue;
                }
            }
            let mut browser = Browser {
                driver,
                addr,
                session: None,
                profile,
            };
            let client = browser.connect(&chromium).await;
            return (browser, client);
        }
        panic!("chromedriver did not start: {last}")
    }

    async fn connect(&mut self, chromium: &std::path::Path) -> Client {
        let args = vec![
            "--headless".to_string(),
            "--no-sandbox".to_string(),
            "--disable-gpu".to_string(),
            "--disable-quic".to_string(),
            "--no-first-run".to_string(),
            "--disable-background-networking".to_string(),
            "--disable-component-update".to_string(),
            "--disable-sync".to_string(),
            format!("--user-data-dir={}", self.profile.path().display()),
            "--window-size=440,900".to_string(),
        ];
        let mut capabilities = Map::new();
        capabilities.insert("browserName".into(), json!("chrome"));
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({"binary": chromium.display().to_string(), "args": args}),
        );
        let connecting = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://{}", self.addr))
            .await;
        let client = connecting.unwrap_or_else(|e| {
            panic!(
                "no WebDriver session with {}: {e}\n{}",
                chromium.display(),
                self.driver.output()
            )
        });
        self.session = client.session_id().await.ok().flatten();
        client
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Ask chromedriver to quit Chromium (the async client cannot do it while a
        // failing test unwinds); the driver's guard then kills whatever is left.
        if let Some(session) = self.session.take() {
            blocking_delete(self.addr, &format!("/session/{session}"));
        }
    }
}

/// The texts of the elements matching `css`.
async fn texts(client: &Client, css: &str) -> Vec<String> {
    let mut out = Vec::new();
    let elements: Vec<Element> = client.find_all(Locator::Css(css)).await.unwrap_or_default();
    for element in elements {
        if let Ok(text) = element.text().await {
            out.push(text);
        }
    }
    out
}

/// Waits until a bot bubble's text satisfies `matches`; returns that text.
async fn wait_bot_bubble(
    client: &Client,
    stack: &Stack,
    what: &str,
    matches: impl Fn(&str) -> bool,
) -> String {
    let found = eventually(SHOW_WITHIN, || async {
        texts(client, "[data-testid=bot-message]")
            .await
            .into_iter()
            .find(|t| matches(t))
    })
    .await;
    if let Some(text) = found {
        return text;
    }
    let bubbles = texts(client, "[data-testid=bot-message]").await;
    let shot = save_screenshot(client).await;
    panic!(
        "{what}: no such bot bubble within {SHOW_WITHIN:?}; bubbles: {bubbles:?} (screenshot {})\n{}",
        shot.display(),
        stack.logs()
    )
}

/// The sandbox's second business number and its username-only demo user (defaults).
const SECOND_PHONE_NUMBER_ID: &str = "100000000000002";
const USERNAME_ONLY_USER_ID: &str = "CN.13491208655302741918";

/// Clicks the element `css` selects once it is shown. The page redraws its sheets when
/// the state changes (a status arrives), which can replace the element between finding and
/// clicking it: then it is found again.
async fn click(client: &Client, css: &str) {
    let clicked = eventually(SHOW_WITHIN, || async {
        let element = client.find(Locator::Css(css)).await.ok()?;
        element.click().await.ok()
    })
    .await;
    if clicked.is_none() {
        panic!("{css} was not shown and clickable within {SHOW_WITHIN:?}");
    }
}

async fn type_and_send(client: &Client, text: &str) {
    let input = client
        .find(Locator::Css("[data-testid=chat-input]"))
        .await
        .expect("the message input");
    input.send_keys(text).await.expect("typing");
    client
        .find(Locator::Css("[data-testid=send-button]"))
        .await
        .expect("the send button")
        .click()
        .await
        .expect("clicking send");
}

async fn save_screenshot(client: &Client) -> PathBuf {
    let png = client.screenshot().await.expect("a screenshot");
    let path = root().join("target/e2e-chat.png");
    std::fs::write(&path, png).expect("writing the screenshot");
    path
}

async fn scenario(client: &Client, stack: &Stack) {
    let page = get(&format!("{}/", stack.sandbox.url())).await.text();
    assert!(
        page.contains("data-testid=\"chat-input\""),
        "target/release/sandbox serves a chat page without the test hooks: it is older than \
         sandbox/static; run `make test` (or `make sandbox`)"
    );
    client
        .goto(&format!("{}/", stack.sandbox.url()))
        .await
        .expect("opening the chat page");

    // The page is ready once the event stream's snapshot has told it who the user is.
    let ready = eventually(Duration::from_secs(15), || async {
        let name = texts(client, "#who-name").await.pop()?;
        (name.contains(USER_NAME)).then_some(name)
    })
    .await;
    assert!(
        ready.is_some(),
        "the chat page did not connect\n{}",
        stack.logs()
    );

    // 1. A text: the sandbox signs it, the component answers with a quoted echo.
    type_and_send(client, "hello e2e").await;
    let started = Instant::now();
    let echo = wait_bot_bubble(client, stack, "the echo", |t| {
        t.contains("You said") && t.contains("hello e2e")
    })
    .await;
    let echo_after = started.elapsed();
    let mine = texts(client, "[data-testid=user-message]").await;
    assert!(mine.iter().any(|t| t.contains("hello e2e")), "{mine:?}");
    // The quote block of the reply shows the user's message it answers.
    assert!(echo.contains("You"), "{echo}");

    // 2. "menu": three reply buttons under the bot's message; tap one.
    type_and_send(client, "menu").await;
    // The page redraws a bubble when its status changes, so the buttons are found again
    // by their title for the tap (see `click`).
    let title = eventually(SHOW_WITHIN, || async {
        let found = client
            .find_all(Locator::Css("[data-testid=reply-button]"))
            .await
            .ok()?;
        if found.len() < 3 {
            return None;
        }
        found.first()?.attr("data-title").await.ok()?
    })
    .await
    .unwrap_or_else(|| panic!("no reply buttons shown\n{}", stack.logs()));
    click(
        client,
        &format!("[data-testid=reply-button][data-title={title:?}]"),
    )
    .await;
    let tapped = wait_bot_bubble(client, stack, "the answer to the tap", |t| {
        t.contains("You tapped") && t.contains(&title)
    })
    .await;
    assert!(tapped.contains("echo:"), "the button's id: {tapped}");

    // What the page showed is what reached the Graph stand-in.
    let requests = stack.sandbox.requests().await;
    let bodies: Vec<&str> = requests
        .iter()
        .filter(|r| is_send(r))
        .filter_map(|r| r["body"]["text"]["body"].as_str())
        .collect();
    assert!(bodies.iter().any(|b| b.contains("hello e2e")), "{bodies:?}");
    assert!(
        bodies.iter().any(|b| b.contains(&format!("*{title}*"))),
        "{bodies:?}"
    );
    assert!(requests
        .iter()
        .any(|r: &Value| is_send(r) && r["body"]["type"] == "interactive"));

    // 3. Another business number, as a user with no phone number (only a user id and a
    // username): the answer comes from that number, addressed to the user id, and shows in
    // that chat.
    click(client, "[data-testid=number-switcher]").await;
    click(
        client,
        &format!("[data-number=\"{SECOND_PHONE_NUMBER_ID}\"]"),
    )
    .await;
    click(client, "[data-testid=user-switcher]").await;
    click(client, &format!("[data-user=\"{USERNAME_ONLY_USER_ID}\"]")).await;
    type_and_send(client, "hello from a username").await;
    wait_bot_bubble(client, stack, "the echo to the username-only user", |t| {
        t.contains("You said") && t.contains("hello from a username")
    })
    .await;
    let requests = stack.sandbox.requests().await;
    let answer = requests
        .iter()
        .find(|r| {
            is_send(r)
                && r["body"]["text"]["body"]
                    .as_str()
                    .is_some_and(|b| b.contains("hello from a username"))
        })
        .unwrap_or_else(|| panic!("no send of the echo: {requests:?}"));
    assert_eq!(answer["phone_number_id"], SECOND_PHONE_NUMBER_ID);
    assert_eq!(answer["body"]["recipient"], USERNAME_ONLY_USER_ID);
    // The first chat does not show it.
    click(client, "[data-testid=number-switcher]").await;
    click(client, &format!("[data-number=\"{PHONE_NUMBER_ID}\"]")).await;
    let first_chat = texts(client, "[data-testid=bot-message]").await;
    assert!(
        !first_chat
            .iter()
            .any(|t| t.contains("hello from a username")),
        "{first_chat:?}"
    );

    let path = save_screenshot(client).await;
    eprintln!(
        "e2e_browser: echo shown {echo_after:?} after send; screenshot {}",
        path.display()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chat_page_shows_the_bots_replies_in_headless_chromium() {
    let stack = Stack::start("browser", "echo.wasm").await;
    let (mut browser, client) = Browser::start().await;
    let outcome = tokio::time::timeout(SCENARIO_WITHIN, scenario(&client, &stack)).await;
    if outcome.is_err() {
        let _ = tokio::time::timeout(Duration::from_secs(10), save_screenshot(&client)).await;
        panic!(
            "the browser scenario did not finish within {SCENARIO_WITHIN:?}\n{}\n{}",
            stack.logs(),
            browser.driver.output()
        );
    }
    if tokio::time::timeout(Duration::from_secs(10), client.close())
        .await
        .is_ok_and(|closed| closed.is_ok())
    {
        browser.session = None;
    }
}

/// The media bot's scenario: the sample photo from the 📎 menu, the bot's answer with the
/// photo's size, and the photo sent back, shown as a picture that loaded.
async fn media_scenario(client: &Client, stack: &Stack) {
    client
        .goto(&format!("{}/", stack.sandbox.url()))
        .await
        .expect("opening the chat page");
    click(client, "#attach-btn").await;
    click(client, "button[data-attach=image]").await;
    let answer = wait_bot_bubble(client, stack, "the bot's answer with the size", |t| {
        t.contains("Got your photo") && t.contains("bytes")
    })
    .await;
    // The size the bot read is the size of the picture the sandbox serves for the photo.
    let requests = stack.sandbox.requests().await;
    let size = requests
        .iter()
        .find_map(|r| r["response"]["body"]["file_size"].as_u64())
        .expect("the bot looked the photo up");
    assert!(answer.contains(&format!("{size} bytes")), "{answer}");
    // The photo sent back: a bot bubble with the uploaded picture, loaded.
    let loaded = eventually(SHOW_WITHIN, || async {
        let shown = client
            .execute(
                "return Array.from(document.querySelectorAll('[data-testid=bot-message] img'))\
                   .filter((i) => i.src.includes('/_sandbox/media/') && i.complete && i.naturalWidth > 0)\
                   .length;",
                vec![],
            )
            .await
            .ok()?;
        shown.as_u64().filter(|n| *n > 0)
    })
    .await;
    if loaded.is_none() {
        let shot = save_screenshot(client).await;
        panic!(
            "the photo sent back was not shown (screenshot {})\n{}",
            shot.display(),
            stack.logs()
        );
    }
    wait_bot_bubble(client, stack, "the photo's caption", |t| {
        t.contains("Here is your photo back")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chat_page_shows_the_media_bots_answer_and_the_photo_sent_back() {
    let stack = Stack::start("browser-media", "media.wasm").await;
    let (mut browser, client) = Browser::start().await;
    let outcome = tokio::time::timeout(SCENARIO_WITHIN, media_scenario(&client, &stack)).await;
    if outcome.is_err() {
        let _ = tokio::time::timeout(Duration::from_secs(10), save_screenshot(&client)).await;
        panic!(
            "the media scenario did not finish within {SCENARIO_WITHIN:?}\n{}\n{}",
            stack.logs(),
            browser.driver.output()
        );
    }
    if tokio::time::timeout(Duration::from_secs(10), client.close())
        .await
        .is_ok_and(|closed| closed.is_ok())
    {
        browser.session = None;
    }
}
