//! Shared state: the chat as both sides see it, recorded Graph requests, faults, page
//! visibility, and the event stream that pushes every change to open pages.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde_json::{json, Value};
use tokio::sync::{broadcast, watch};

use crate::config::Config;
use crate::faults::{Fault, GraphError};
use crate::http::Target;
use crate::wire;

/// Most Graph requests kept for `GET /_sandbox/requests`.
pub const MAX_REQUESTS: usize = 1000;
/// Most chat messages kept.
pub const MAX_CHAT: usize = 2000;

/// Demo users the page offers (name, WhatsApp id).
pub const USERS: [(&str, &str); 3] = [
    ("Alice Johnson", "16505551234"),
    ("Bruno Araújo", "5511987654321"),
    ("陈伟", "8613812345678"),
];

/// One pushed change, sent to pages as an SSE event.
#[derive(Clone, Debug)]
pub struct Event {
    /// SSE event name.
    pub name: &'static str,
    /// Its JSON data.
    pub data: Value,
}

/// One bubble of the chat.
#[derive(Clone, Debug)]
pub struct ChatMessage {
    /// Order of arrival.
    pub seq: u64,
    /// `wamid.*`.
    pub id: String,
    /// Written by the user in the page (true) or sent by the component (false).
    pub from_user: bool,
    /// The user's WhatsApp id: the chat this bubble belongs to.
    pub wa_id: String,
    /// The user's profile name, for user messages.
    pub name: Option<String>,
    /// When, in Unix milliseconds.
    pub ts_ms: u64,
    /// Meta's `type`.
    pub kind: String,
    /// The Graph request body (bot) or the webhook message object (user).
    pub payload: Value,
    /// User messages: `pending`, `delivered`, `read`, `failed`. Bot messages:
    /// `accepted`, `sent`, `delivered`, `read`, `failed`.
    pub status: String,
    /// Why the webhook refused it (user messages) or why it failed (bot messages).
    pub error: Option<String>,
    /// Reaction the user put on it.
    pub user_reaction: Option<String>,
    /// Reaction the business put on it.
    pub bot_reaction: Option<String>,
    /// Delivery details for the curious: webhook answers, status webhooks sent.
    pub detail: Value,
    /// The exact webhook bytes (user messages), to retry with the same signature.
    pub wire: Option<Bytes>,
}

impl ChatMessage {
    /// What pages receive.
    pub fn to_json(&self) -> Value {
        json!({
            "seq": self.seq,
            "id": self.id,
            "from": if self.from_user { "user" } else { "bot" },
            "wa_id": self.wa_id,
            "name": self.name,
            "ts": self.ts_ms,
            "type": self.kind,
            "payload": self.payload,
            "status": self.status,
            "error": self.error,
            "reactions": {"user": self.user_reaction, "bot": self.bot_reaction},
            "detail": self.detail,
        })
    }
}

/// What one open page shows.
#[derive(Clone, Debug, Default)]
struct View {
    visible: bool,
    wa_id: String,
}

/// Everything behind the lock.
#[derive(Default)]
pub struct Inner {
    pub requests: VecDeque<Value>,
    pub request_seq: u64,
    pub faults: VecDeque<Fault>,
    pub rate_limit: u32,
    pub pair_rate_secs: u64,
    pub recent_sends: VecDeque<Instant>,
    pub pair_last: HashMap<String, Instant>,
    pub chat: Vec<ChatMessage>,
    pub chat_seq: u64,
    views: HashMap<u64, View>,
    pub typing: HashMap<String, u64>,
    pub webhook_state: Value,
}

/// The sandbox.
pub struct App {
    /// Configuration.
    pub config: Config,
    /// Where webhooks go.
    pub webhook: Target,
    inner: Mutex<Inner>,
    events: broadcast::Sender<Event>,
    visibility: watch::Sender<u64>,
    next_client: AtomicU64,
}

impl App {
    /// A sandbox with an empty chat.
    pub fn new(config: Config) -> Result<Arc<App>, String> {
        let webhook = Target::parse(&config.webhook)?;
        let (events, _) = broadcast::channel(512);
        let (visibility, _) = watch::channel(0);
        Ok(Arc::new(App {
            config,
            webhook,
            inner: Mutex::new(Inner {
                webhook_state: json!({"state": "unknown"}),
                ..Inner::default()
            }),
            events,
            visibility,
            next_client: AtomicU64::new(1),
        }))
    }

    /// The state, even after a panic elsewhere poisoned the lock.
    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Pushes an event to every open page.
    pub fn emit(&self, name: &'static str, data: Value) {
        let _ = self.events.send(Event { name, data });
    }

    /// A new page: its id, and the stream of events from now on.
    pub fn subscribe(&self) -> (u64, broadcast::Receiver<Event>) {
        let rx = self.events.subscribe();
        let client = self.next_client.fetch_add(1, Ordering::Relaxed);
        self.lock().views.insert(client, View::default());
        (client, rx)
    }

    /// A page went away.
    pub fn unsubscribe(&self, client: u64) {
        self.lock().views.remove(&client);
        self.visibility.send_modify(|v| *v += 1);
    }

    /// A page says whether it is visible and whose chat it shows.
    pub fn set_view(&self, client: u64, visible: bool, wa_id: &str) {
        self.lock().views.insert(
            client,
            View {
                visible,
                wa_id: wa_id.to_string(),
            },
        );
        self.visibility.send_modify(|v| *v += 1);
    }

    /// True when some page shows `wa_id`'s chat and is visible.
    pub fn is_visible(&self, wa_id: &str) -> bool {
        self.lock()
            .views
            .values()
            .any(|v| v.visible && v.wa_id == wa_id)
    }

    /// Changes whenever a page's visibility does.
    pub fn visibility_changes(&self) -> watch::Receiver<u64> {
        self.visibility.subscribe()
    }

    /// Everything a page needs to draw itself.
    pub fn snapshot(&self, client: u64, base_url: &str) -> Value {
        let inner = self.lock();
        let now = wire::now_ms();
        let typing: serde_json::Map<String, Value> = inner
            .typing
            .iter()
            .filter(|(_, until)| **until > now)
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        let c = &self.config;
        json!({
            "client": client,
            "now": now,
            "business": {
                "name": c.business_name,
                "display_phone_number": wire::display_phone(&c.display_phone_number),
                "digits": c.display_phone_number,
                "phone_number_id": c.phone_number_id,
                "waba_id": c.waba_id,
            },
            "webhook": c.webhook,
            "graph_url": base_url,
            "verify_token_set": c.verify_token.is_some(),
            "users": USERS.iter().map(|(n, w)| json!({"name": n, "wa_id": w})).collect::<Vec<_>>(),
            "messages": inner.chat.iter().map(ChatMessage::to_json).collect::<Vec<_>>(),
            "typing": typing,
            "webhook_state": inner.webhook_state,
        })
    }

    /// Adds a bubble and pushes it.
    pub fn add_message(&self, mut message: ChatMessage) {
        let json = {
            let mut inner = self.lock();
            inner.chat_seq += 1;
            message.seq = inner.chat_seq;
            let json = message.to_json();
            inner.chat.push(message);
            if inner.chat.len() > MAX_CHAT {
                let excess = inner.chat.len() - MAX_CHAT;
                inner.chat.drain(..excess);
            }
            json
        };
        self.emit("message", json);
    }

    /// Changes the bubble with this id, if there is one, and pushes it. Returns whether
    /// it was found.
    pub fn update_message(&self, id: &str, change: impl FnOnce(&mut ChatMessage)) -> bool {
        let json = {
            let mut inner = self.lock();
            let Some(m) = inner.chat.iter_mut().rev().find(|m| m.id == id) else {
                return false;
            };
            change(m);
            m.to_json()
        };
        self.emit("message", json);
        true
    }

    /// A copy of the bubble with this id.
    pub fn message(&self, id: &str) -> Option<ChatMessage> {
        self.lock().chat.iter().rev().find(|m| m.id == id).cloned()
    }

    /// The business read `id`: it and every earlier user message in that chat turn
    /// read. Returns the chat's `wa_id` when the message is known.
    pub fn mark_read(&self, id: &str) -> Option<String> {
        let (wa_id, changed) = {
            let mut inner = self.lock();
            let position = inner.chat.iter().position(|m| m.id == id && m.from_user)?;
            let wa_id = inner.chat.get(position)?.wa_id.clone();
            let changed: Vec<Value> = inner
                .chat
                .iter_mut()
                .take(position + 1)
                .filter(|m| {
                    m.from_user
                        && m.wa_id == wa_id
                        && matches!(m.status.as_str(), "pending" | "delivered")
                })
                .map(|m| {
                    m.status = "read".to_string();
                    m.to_json()
                })
                .collect();
            (wa_id, changed)
        };
        for json in changed {
            self.emit("message", json);
        }
        Some(wa_id)
    }

    /// Shows or hides "typing…" in `wa_id`'s chat; on for [`crate::config::Timing::typing`].
    pub fn set_typing(self: &Arc<Self>, wa_id: &str, on: bool) {
        let until = if on {
            wire::now_ms() + u64::try_from(self.config.timing.typing.as_millis()).unwrap_or(25_000)
        } else {
            0
        };
        {
            let mut inner = self.lock();
            if on {
                inner.typing.insert(wa_id.to_string(), until);
            } else if inner.typing.remove(wa_id).is_none() {
                return;
            }
        }
        self.emit("typing", json!({"wa_id": wa_id, "on": on, "until": until}));
        if on {
            let app = Arc::clone(self);
            let wa_id = wa_id.to_string();
            let wait = self.config.timing.typing;
            tokio::spawn(async move {
                tokio::time::sleep(wait + Duration::from_millis(50)).await;
                let expired = {
                    let inner = app.lock();
                    inner
                        .typing
                        .get(&wa_id)
                        .is_some_and(|until| *until <= wire::now_ms())
                };
                if expired {
                    app.set_typing(&wa_id, false);
                }
            });
        }
    }

    /// Records one Graph request (already redacted) and tells pages.
    pub fn record(&self, mut entry: Value) {
        {
            let mut inner = self.lock();
            inner.request_seq += 1;
            let seq = inner.request_seq;
            if let Some(o) = entry.as_object_mut() {
                o.insert("seq".into(), json!(seq));
            }
            inner.requests.push_back(entry.clone());
            while inner.requests.len() > MAX_REQUESTS {
                inner.requests.pop_front();
            }
        }
        self.emit("request", entry);
    }

    /// Takes the fault that applies to the next Graph call, if any.
    pub fn take_fault(&self, is_send: bool) -> Option<Fault> {
        let mut inner = self.lock();
        let front = inner.faults.front_mut()?;
        if front.sends_only() && !is_send {
            return None;
        }
        front.remaining = front.remaining.saturating_sub(1);
        let taken = front.clone();
        if front.remaining == 0 {
            inner.faults.pop_front();
        }
        drop(inner);
        self.emit("faults", self.faults_json());
        Some(taken)
    }

    /// `GET /_sandbox/faults`.
    pub fn faults_json(&self) -> Value {
        let inner = self.lock();
        json!({
            "queue": inner.faults.iter().map(Fault::to_json).collect::<Vec<_>>(),
            "rate_limit": (inner.rate_limit > 0).then(|| json!({"per_second": inner.rate_limit})),
            "pair_rate": (inner.pair_rate_secs > 0).then(|| json!({"seconds": inner.pair_rate_secs})),
        })
    }

    /// Applies the rate limit modes to a send to `wa_id`; counts it when it passes.
    pub fn admit_send(&self, wa_id: &str) -> Result<(), GraphError> {
        let now = Instant::now();
        let mut inner = self.lock();
        if inner.rate_limit > 0 {
            while inner
                .recent_sends
                .front()
                .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
            {
                inner.recent_sends.pop_front();
            }
            if inner.recent_sends.len() >= inner.rate_limit as usize {
                return Err(GraphError::known(130429));
            }
        }
        if inner.pair_rate_secs > 0 {
            let window = Duration::from_secs(inner.pair_rate_secs);
            if inner
                .pair_last
                .get(wa_id)
                .is_some_and(|t| now.duration_since(*t) < window)
            {
                return Err(GraphError::known(131056));
            }
        }
        if inner.rate_limit > 0 {
            inner.recent_sends.push_back(now);
        }
        if inner.pair_rate_secs > 0 {
            inner.pair_last.insert(wa_id.to_string(), now);
        }
        Ok(())
    }

    /// Remembers how the webhook last answered and tells pages.
    pub fn set_webhook_state(&self, state: Value) {
        self.lock().webhook_state = state.clone();
        self.emit("webhook", state);
    }
}
