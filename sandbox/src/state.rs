//! Shared state: the chat as both sides see it, recorded Graph requests, faults, page
//! visibility, and the event stream that pushes every change to open pages.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde_json::{json, Value};
use tokio::sync::{broadcast, watch};

use crate::config::{BusinessNumber, Config};
use crate::faults::{Fault, GraphError};
use crate::http::Target;
use crate::media::{self, Stored};
use crate::users::{self, User};
use crate::wire;

/// Most Graph requests kept for `GET /_sandbox/requests`.
pub const MAX_REQUESTS: usize = 1000;
/// Most chat messages kept.
pub const MAX_CHAT: usize = 2000;
/// Most users met through `/_sandbox/send` (besides the demo ones) remembered.
pub const MAX_USERS: usize = 500;
/// Most media ids of what users sent from the chat remembered.
pub const MAX_USER_MEDIA: usize = 1000;

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
    /// The business number the user wrote to, or the component sent from: with
    /// [`User::chat`], the chat this bubble belongs to.
    pub phone_number_id: String,
    /// The user who wrote it, or whom the component sent it to.
    pub user: User,
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
    /// Business media sent by `id`: what the id stood for (see
    /// [`crate::media::Resolved::page_json`]), with the URL the page shows it from.
    pub media: Option<Value>,
}

impl ChatMessage {
    /// What pages receive.
    pub fn to_json(&self) -> Value {
        json!({
            "seq": self.seq,
            "id": self.id,
            "from": if self.from_user { "user" } else { "bot" },
            "phone_number_id": self.phone_number_id,
            "chat": self.user.chat(),
            "wa_id": self.user.phone,
            "user_id": self.user.user_id,
            "name": self.user.name,
            "ts": self.ts_ms,
            "type": self.kind,
            "payload": self.payload,
            "status": self.status,
            "error": self.error,
            "reactions": {"user": self.user_reaction, "bot": self.bot_reaction},
            "detail": self.detail,
            "media": self.media,
        })
    }

    /// True when this bubble is in `phone_number_id`'s chat with `chat`.
    pub fn is_in(&self, phone_number_id: &str, chat: &str) -> bool {
        self.phone_number_id == phone_number_id && self.user.chat() == chat
    }
}

/// What one open page shows: whether it is visible, and which chat (business number,
/// user) it has open.
#[derive(Clone, Debug, Default)]
struct View {
    visible: bool,
    phone_number_id: String,
    chat: String,
}

/// What a read receipt did.
#[derive(Debug, PartialEq, Eq)]
pub enum ReadOutcome {
    /// No user message with that id: nothing changes (Meta answers success anyway).
    Unknown,
    /// The message was written to this other business number: nothing changes.
    OtherNumber(String),
    /// The message and the earlier ones of its chat are read; the chat's user.
    Read(User),
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
    /// Until when "typing…" shows, by (business phone number id, chat).
    pub typing: HashMap<(String, String), u64>,
    pub webhook_state: Value,
    /// Users met through `/_sandbox/send` who are not demo users, oldest first.
    pub users: VecDeque<User>,
    /// Media the business uploaded, oldest first (see [`media::MAX_UPLOADS`]).
    pub uploads: VecDeque<Stored>,
    /// Media ids of what users sent from the chat, with Meta's type (`image`,
    /// `audio`), oldest first.
    pub user_media: VecDeque<(String, String)>,
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

    /// A page says whether it is visible and which chat it shows: the one of business
    /// number `phone_number_id` with `chat` (see [`User::chat`]).
    pub fn set_view(&self, client: u64, visible: bool, phone_number_id: &str, chat: &str) {
        self.lock().views.insert(
            client,
            View {
                visible,
                phone_number_id: phone_number_id.to_string(),
                chat: chat.to_string(),
            },
        );
        self.visibility.send_modify(|v| *v += 1);
    }

    /// True when some page shows this chat of this business number and is visible.
    pub fn is_visible(&self, phone_number_id: &str, chat: &str) -> bool {
        self.lock()
            .views
            .values()
            .any(|v| v.visible && v.phone_number_id == phone_number_id && v.chat == chat)
    }

    /// Every user the sandbox knows: the demo users, then those met since.
    pub fn users(&self) -> Vec<User> {
        let mut all = users::demo();
        all.extend(self.lock().users.iter().cloned());
        all
    }

    /// The known user with this phone number.
    pub fn user_by_phone(&self, phone: &str) -> Option<User> {
        self.users()
            .into_iter()
            .find(|u| u.phone.as_deref() == Some(phone))
    }

    /// The known user with this user id or parent user id.
    pub fn user_by_id(&self, id: &str) -> Option<User> {
        self.users().into_iter().find(|u| u.has_id(id))
    }

    /// Remembers a user met through `/_sandbox/send` (replacing an earlier one with the
    /// same chat); demo users need no remembering.
    pub fn remember(&self, user: &User) {
        if users::demo().contains(user) {
            return;
        }
        let mut inner = self.lock();
        inner.users.retain(|u| u.chat() != user.chat());
        inner.users.push_back(user.clone());
        while inner.users.len() > MAX_USERS {
            inner.users.pop_front();
        }
    }

    /// Keeps an upload, dropping the oldest beyond [`media::MAX_UPLOADS`] uploads or
    /// [`media::MAX_UPLOAD_BYTES`] bytes in all (the newest is always kept).
    pub fn store_upload(&self, stored: Stored) {
        let mut inner = self.lock();
        inner.uploads.push_back(stored);
        loop {
            let total: usize = inner.uploads.iter().map(|u| u.bytes.len()).sum();
            if inner.uploads.len() <= 1
                || (inner.uploads.len() <= media::MAX_UPLOADS && total <= media::MAX_UPLOAD_BYTES)
            {
                break;
            }
            inner.uploads.pop_front();
        }
    }

    /// The kept upload with this id (deleted or not).
    pub fn upload(&self, id: &str) -> Option<Stored> {
        self.lock()
            .uploads
            .iter()
            .rev()
            .find(|u| u.id == id)
            .cloned()
    }

    /// Deletes a live upload: Graph forgets it; its bytes stay only while a chat shows
    /// it. False when there is no live upload with this id.
    pub fn delete_upload(&self, id: &str) -> bool {
        let mut inner = self.lock();
        let Some(u) = inner
            .uploads
            .iter_mut()
            .rev()
            .find(|u| u.id == id && !u.deleted)
        else {
            return false;
        };
        u.deleted = true;
        if !u.shown {
            u.bytes = Bytes::new();
        }
        true
    }

    /// A chat shows the upload with this id: its bytes outlive a delete.
    pub fn mark_upload_shown(&self, id: &str) {
        if let Some(u) = self.lock().uploads.iter_mut().rev().find(|u| u.id == id) {
            u.shown = true;
        }
    }

    /// Remembers the media id of something a user sent from the chat.
    pub fn remember_user_media(&self, id: &str, kind: &str) {
        let mut inner = self.lock();
        inner
            .user_media
            .push_back((id.to_string(), kind.to_string()));
        while inner.user_media.len() > MAX_USER_MEDIA {
            inner.user_media.pop_front();
        }
    }

    /// The type (`image`, `audio`) of media a user sent with this id.
    pub fn user_media(&self, id: &str) -> Option<String> {
        self.lock()
            .user_media
            .iter()
            .rev()
            .find(|(m, _)| m == id)
            .map(|(_, kind)| kind.clone())
    }

    /// What a media id the Graph API is asked about stands for: a live upload, a voice
    /// note the chat sent, else a generated picture (for any id, as before uploads were
    /// kept). `None` for a deleted upload.
    pub fn media_for_graph(&self, id: &str) -> Option<media::Resolved> {
        if let Some(stored) = self.upload(id) {
            return (!stored.deleted).then(|| media::from_stored(stored));
        }
        Some(media::generated(self.user_media(id).as_deref(), id))
    }

    /// What the page shows for `key`: an upload (even deleted, while a chat shows it), a
    /// voice note, or a generated picture. `None` for a deleted upload whose bytes are gone.
    pub fn media_for_page(&self, key: &str) -> Option<media::Resolved> {
        if let Some(stored) = self.upload(key) {
            return (!stored.deleted || stored.shown).then(|| media::from_stored(stored));
        }
        Some(media::generated(self.user_media(key).as_deref(), key))
    }

    /// True when a business may send media by this id: a live upload, or media a user sent.
    pub fn is_sendable_media(&self, id: &str) -> bool {
        match self.upload(id) {
            Some(stored) => !stored.deleted,
            None => self.user_media(id).is_some(),
        }
    }

    /// Changes whenever a page's visibility does.
    pub fn visibility_changes(&self) -> watch::Receiver<u64> {
        self.visibility.subscribe()
    }

    /// Everything a page needs to draw itself.
    pub fn snapshot(&self, client: u64, base_url: &str) -> Value {
        let inner = self.lock();
        let now = wire::now_ms();
        let typing: Vec<Value> = inner
            .typing
            .iter()
            .filter(|(_, until)| **until > now)
            .map(|((number, chat), until)| {
                json!({"phone_number_id": number, "chat": chat, "until": until})
            })
            .collect();
        let c = &self.config;
        let mut users: Vec<Value> = users::demo().iter().map(User::to_json).collect();
        users.extend(inner.users.iter().map(User::to_json));
        let mut business = number_json(&c.first());
        business["waba_id"] = json!(c.waba_id);
        json!({
            "client": client,
            "now": now,
            "business": business,
            "numbers": c.numbers().iter().map(number_json).collect::<Vec<_>>(),
            "webhook": c.webhook,
            "graph_url": base_url,
            "verify_token_set": c.verify_token.is_some(),
            "users": users,
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

    /// The business numbers the user of `chat` has written to, in the order first seen.
    pub fn numbers_written_to(&self, chat: &str) -> Vec<String> {
        let mut numbers: Vec<String> = Vec::new();
        for m in self.lock().chat.iter() {
            if m.from_user && m.user.chat() == chat && !numbers.contains(&m.phone_number_id) {
                numbers.push(m.phone_number_id.clone());
            }
        }
        numbers
    }

    /// A copy of the bubble with this id.
    pub fn message(&self, id: &str) -> Option<ChatMessage> {
        self.lock().chat.iter().rev().find(|m| m.id == id).cloned()
    }

    /// Business number `phone_number_id` read `id`: it and every earlier user message
    /// of that chat turn read, when the user wrote it to that number.
    pub fn mark_read(&self, id: &str, phone_number_id: &str) -> ReadOutcome {
        let (outcome, changed) = {
            let mut inner = self.lock();
            let Some(position) = inner.chat.iter().position(|m| m.id == id && m.from_user) else {
                return ReadOutcome::Unknown;
            };
            let Some(target) = inner.chat.get(position) else {
                return ReadOutcome::Unknown;
            };
            if target.phone_number_id != phone_number_id {
                return ReadOutcome::OtherNumber(target.phone_number_id.clone());
            }
            let user = target.user.clone();
            let chat = user.chat();
            let changed: Vec<Value> = inner
                .chat
                .iter_mut()
                .take(position + 1)
                .filter(|m| {
                    m.from_user
                        && m.is_in(phone_number_id, &chat)
                        && matches!(m.status.as_str(), "pending" | "delivered")
                })
                .map(|m| {
                    m.status = "read".to_string();
                    m.to_json()
                })
                .collect();
            (ReadOutcome::Read(user), changed)
        };
        for json in changed {
            self.emit("message", json);
        }
        outcome
    }

    /// Shows or hides "typing…" in business number `phone_number_id`'s chat with
    /// `user`; on for [`crate::config::Timing::typing`].
    pub fn set_typing(self: &Arc<Self>, phone_number_id: &str, user: &User, on: bool) {
        let key = (phone_number_id.to_string(), user.chat());
        let until = if on {
            wire::now_ms() + u64::try_from(self.config.timing.typing.as_millis()).unwrap_or(25_000)
        } else {
            0
        };
        {
            let mut inner = self.lock();
            if on {
                inner.typing.insert(key.clone(), until);
            } else if inner.typing.remove(&key).is_none() {
                return;
            }
        }
        self.emit(
            "typing",
            json!({"phone_number_id": key.0, "chat": key.1, "wa_id": user.phone,
                   "on": on, "until": until}),
        );
        if on {
            let app = Arc::clone(self);
            let user = user.clone();
            let wait = self.config.timing.typing;
            tokio::spawn(async move {
                tokio::time::sleep(wait + Duration::from_millis(50)).await;
                let expired = {
                    let inner = app.lock();
                    inner
                        .typing
                        .get(&key)
                        .is_some_and(|until| *until <= wire::now_ms())
                };
                if expired {
                    app.set_typing(&key.0, &user, false);
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

    /// Applies the rate limit modes to a send to `pair` (business number and user);
    /// counts it when it passes.
    pub fn admit_send(&self, pair: &str) -> Result<(), GraphError> {
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
                .get(pair)
                .is_some_and(|t| now.duration_since(*t) < window)
            {
                return Err(GraphError::known(131056));
            }
        }
        if inner.rate_limit > 0 {
            inner.recent_sends.push_back(now);
        }
        if inner.pair_rate_secs > 0 {
            inner.pair_last.insert(pair.to_string(), now);
        }
        Ok(())
    }

    /// Remembers how the webhook last answered and tells pages.
    pub fn set_webhook_state(&self, state: Value) {
        self.lock().webhook_state = state.clone();
        self.emit("webhook", state);
    }
}

/// A business number as pages see it.
fn number_json(number: &BusinessNumber) -> Value {
    json!({
        "name": number.name,
        "display_phone_number": wire::display_phone(&number.display_phone_number),
        "digits": number.display_phone_number,
        "phone_number_id": number.phone_number_id,
    })
}
