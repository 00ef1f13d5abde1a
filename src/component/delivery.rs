//! Delivery: what becomes of a verified webhook's events, from before the 200 until
//! their consumers returned and the actions they asked for were sent.
//!
//! With a state directory, every new event is recorded in the journal
//! ([`crate::inbound::journal`]) before the acknowledgement, dispatched after it, and
//! marked done only when every consumer returned and its actions were carried out. A
//! dispatch that does not finish (the consumer trapped, the host died) leaves the entry
//! pending: a later request (a webhook POST or `GET /health`, after its own answer) takes
//! it again once its lease ended, and the consumer is told the attempt. What a consumer
//! returned is recorded as the messages its actions become ([`crate::outbound::plan`]:
//! one per part of a long text), so it is not called again once it returned; each
//! message is claimed before it is sent, so it is never sent twice. A message that still
//! fails with a transient error after the retry budget waits in the entry (the outbox)
//! with the ones after it, and later requests send them, in order.
//!
//! Without a state directory, events are dispatched once, as they come: at most once.

use wasi::http::types::ErrorCode;

use crate::config::WebhookConfig;
use crate::inbound::allowlist::{describe_user, is_from_business};
use crate::inbound::dedup::{message_key, status_key, update_key, DirStore, Seen};
use crate::inbound::journal::{Accepted, Entry, Journal, JournalPolicy, Taken};
use crate::inbound::payload::{self, Event, Skipped};
use crate::inbound::stored;
use crate::log;
use crate::outbound::graph_error::{describe_error, send_error_retryable};
use crate::outbound::plan::{self, plan_action, Planned};
use crate::outbound::sender::PreparedRequest;
use crate::types::{
    Action, Delivery as Attempt, DeliveryStatus, Message, ReadReceipt, UpdateDetails,
};

use super::consumer::{self, Consumer};
use super::http::{self, InFlight};
use super::outgoing::{self, WasiSender};
use super::platform::now_secs;
use super::Outcome;

/// How far the dispatch of one event got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Progress {
    /// Every consumer returned, every action was carried out (or failed for good).
    Finished,
    /// A consumer failed: dispatch again after a pause.
    Unfinished,
    /// An action met a transient failure: it and the ones after it wait in the outbox.
    Postponed,
    /// The lease ended and another instance took the entry: leave it to that one.
    Lost,
}

/// An event to dispatch, and the journal entry that holds it (none without a store).
pub struct Pending {
    event: Event,
    entry: Option<Entry>,
}

/// The journal and the record of finished events, in the state directory.
struct Store {
    journal: Journal,
    done: DirStore,
}

/// One request's delivery work.
pub struct Delivery<'c> {
    config: &'c WebhookConfig,
    store: Option<Store>,
    seen: Seen,
    sender: Option<WasiSender>,
    /// The read receipt of the message being dispatched, while its round trip runs.
    receipt: Option<ReceiptInFlight>,
    warned: bool,
}

/// An automatic read receipt sent before the message's consumers run, and awaited
/// before the first action goes out (so the typing indicator lands before the reply) or
/// when the message's dispatch ends.
struct ReceiptInFlight {
    message_id: String,
    prepared: PreparedRequest,
    sent: Result<InFlight, ErrorCode>,
}

impl<'c> Delivery<'c> {
    /// The delivery of `config`: with its state directory, durable.
    pub fn new(config: &'c WebhookConfig) -> Self {
        let store = config.state_dir.as_ref().map(|dir| Store {
            journal: Journal::new(
                dir,
                JournalPolicy {
                    lease_secs: config.dispatch_lease_secs,
                    max_attempts: config.dispatch_attempts,
                    outbox_ttl_secs: config.outbox_ttl_secs,
                    // A failed or postponed dispatch waits no longer than a lease.
                    retry_secs: JournalPolicy::default()
                        .retry_secs
                        .min(config.dispatch_lease_secs),
                    ..JournalPolicy::default()
                },
            ),
            done: DirStore::new(dir, config.dedup_ttl_secs),
        });
        Delivery {
            config,
            store,
            seen: Seen::default(),
            sender: None,
            receipt: None,
            warned: false,
        }
    }

    /// Pending and dead-lettered entries, for `/health`; `None` without a store, or with
    /// one that cannot be written (then delivery is as without one).
    pub fn counts(&self) -> Option<(usize, usize)> {
        let journal = &self.store.as_ref()?.journal;
        if !journal.is_writable(random()) {
            return None;
        }
        let counts = journal.counts();
        Some((counts.pending, counts.dead))
    }

    /// Before the acknowledgement: the events of `batch` to dispatch, each new one
    /// recorded in the journal. Echoes, senders outside the allowlist, duplicates and
    /// redeliveries of what was done (or is being done) are logged and left out.
    pub fn accept(&mut self, batch: payload::Batch) -> Vec<Pending> {
        for skipped in &batch.skipped {
            match skipped {
                Skipped::NoField => {
                    log("a change without a field name was acknowledged and skipped")
                }
                Skipped::NoId(what) => log(&format!(
                    "a {what} without an id was acknowledged and skipped"
                )),
                Skipped::BadValue => log("a messages change without a value object was skipped"),
            }
        }
        let now = if self.store.is_some() { now_secs() } else { 0 };
        let mut pending = Vec::with_capacity(batch.events.len());
        for event in batch.events {
            let Some(key) = self.admit(&event) else {
                continue;
            };
            if let Some(p) = self.record(key, event, now) {
                pending.push(p);
            }
        }
        pending
    }

    /// Whether `event` is for the consumers at all; its journal key when it is.
    fn admit(&mut self, event: &Event) -> Option<String> {
        let key = match event {
            Event::Message(message) => {
                if is_from_business(&message.sender, &message.display_phone_number) {
                    log(&format!(
                        "message {} from the business number itself was not dispatched",
                        message.id
                    ));
                    return None;
                }
                if !self.config.allowlist.allows(&message.sender) {
                    log(&format!(
                        "message {} from {} dropped: not in WHATSAPP_PHONE_ALLOWLIST",
                        message.id,
                        describe_user(&message.sender)
                    ));
                    return None;
                }
                message_key(&message.id)
            }
            Event::Status(status) => {
                let recipient = status
                    .recipient
                    .user_id
                    .as_deref()
                    .or(status.recipient.phone.as_deref())
                    .unwrap_or("");
                status_key(&status.message_id, status_name(&status.status), recipient)
            }
            Event::Update(update) => {
                if let UpdateDetails::Errors(errors) = &update.details {
                    let codes: Vec<i64> = errors.iter().map(|e| e.code).collect();
                    log(&format!(
                        "Meta reported errors for a change: codes {codes:?}"
                    ));
                }
                update_key(
                    &update.business_account_id,
                    &update.field,
                    update.timestamp,
                    &update.raw_json,
                )
            }
        };
        if !self.seen.first(&key) {
            log(&format!(
                "{} was already dispatched; redelivery ignored",
                describe(event)
            ));
            return None;
        }
        if let Some(why) = consumer::off(self.config) {
            if let Event::Message(message) = event {
                log(&format!("message {} acknowledged; {why}", message.id));
            }
            return None;
        }
        Some(key)
    }

    /// Records `event` under `key` in the journal, unless it is known there.
    fn record(&mut self, key: String, event: Event, now: u64) -> Option<Pending> {
        let Some(store) = &self.store else {
            return Some(Pending { event, entry: None });
        };
        let accepted =
            store
                .journal
                .accept(&store.done, &key, &stored::to_json(&event), now, random());
        let what = describe(&event);
        match accepted {
            Accepted::New(entry) | Accepted::Again(entry) => Some(Pending {
                event,
                entry: Some(entry),
            }),
            Accepted::Done => {
                log(&format!(
                    "{what} was already dispatched; redelivery ignored"
                ));
                None
            }
            Accepted::InFlight => {
                log(&format!("{what} is being dispatched; redelivery ignored"));
                None
            }
            Accepted::DeadLettered => {
                log(&format!(
                    "{what} is in the dead-letter folder; redelivery ignored"
                ));
                None
            }
            Accepted::OverLimit { attempts, outbox } => {
                log(&dead_letter_line(&what, attempts, outbox));
                None
            }
            Accepted::Unavailable(reason) => {
                if !self.warned {
                    log(&format!(
                        "delivery journal unavailable, dispatching without a record: {reason}"
                    ));
                    self.warned = true;
                }
                Some(Pending { event, entry: None })
            }
        }
    }

    /// After the acknowledgement: dispatches what [`Delivery::accept`] returned.
    pub fn dispatch(&mut self, pending: Vec<Pending>) {
        for p in pending {
            self.deliver(&p.event, p.entry);
        }
    }

    /// After the request's own work: takes up to a few entries whose dispatch did not
    /// finish within their lease (or that wait in the outbox) and dispatches them again;
    /// dead-letters those over their limits. Keeps the store's folders bounded.
    pub fn recover(&mut self) {
        let Some(store) = &self.store else {
            return;
        };
        let now = now_secs();
        let taken = store.journal.take_expired(&store.done, now, random());
        store.journal.sweep(now);
        // Keep the done records bounded: sweep one of 256 shards per request.
        store.done.sweep((random() & 0xff) as u8, now);
        for taken in taken {
            match taken {
                Taken::Entry(entry) => match stored::from_json(&entry.event_json) {
                    Ok(event) => {
                        log(&format!(
                            "{} dispatched again (attempt {})",
                            describe(&event),
                            entry.attempt
                        ));
                        self.deliver(&event, Some(entry));
                    }
                    Err(e) => {
                        log(&format!(
                            "a journal entry ({}) cannot be read: {}; released",
                            entry.key,
                            e.describe()
                        ));
                        if let Some(store) = &self.store {
                            store.journal.release(entry, now);
                        }
                    }
                },
                Taken::DeadLettered {
                    key,
                    attempts,
                    outbox,
                } => log(&dead_letter_line(&describe_key(&key), attempts, outbox)),
            }
        }
    }

    /// Hands `event` to every consumer (those that returned in an earlier attempt are
    /// not called again), carries out the actions not sent yet, and settles the entry.
    fn deliver(&mut self, event: &Event, mut entry: Option<Entry>) {
        let attempt = Attempt {
            attempt: entry.as_ref().map_or(1, |e| e.attempt),
        };
        let progress = match event {
            Event::Message(message) => {
                let progress = self.deliver_message(message, &attempt, entry.as_mut());
                self.settle_read_receipt();
                progress
            }
            Event::Status(status) => {
                self.deliver_quiet(entry.as_mut(), |c| consumer::on_status(c, status, &attempt))
            }
            Event::Update(update) => {
                self.deliver_quiet(entry.as_mut(), |c| consumer::on_update(c, update, &attempt))
            }
        };
        let (Some(store), Some(entry)) = (&self.store, entry) else {
            return;
        };
        let now = now_secs();
        match progress {
            Progress::Finished => store.journal.finish(entry, &store.done, now, random()),
            Progress::Unfinished => store.journal.release(entry, now),
            Progress::Postponed => store.journal.postpone(entry, now),
            Progress::Lost => log(&format!(
                "{} was taken by another instance after its lease ended; left to it \
                 (WHATSAPP_DISPATCH_LEASE_SECS is shorter than this dispatch)",
                describe(event)
            )),
        }
    }

    /// A message: the read receipt (when a consumer is called), each consumer, then its
    /// actions, before the next consumer. The lease is renewed before each step.
    fn deliver_message(
        &mut self,
        message: &Message,
        attempt: &Attempt,
        mut entry: Option<&mut Entry>,
    ) -> Progress {
        let mut marked = false;
        let mut progress = Progress::Finished;
        for consumer in consumer::consumers(self.config) {
            if !self.renew(entry.as_deref_mut()) {
                return Progress::Lost;
            }
            let plan = match self.recorded(entry.as_deref(), consumer) {
                Some(plan) => plan,
                None => {
                    if !marked {
                        self.start_read_receipt(message);
                        marked = true;
                    }
                    match consumer::on_message(consumer, message, attempt) {
                        Outcome::Done(actions) => {
                            let plan = plan_actions(message, consumer, actions);
                            self.remember(entry.as_deref(), consumer, || plan::to_json(&plan));
                            plan
                        }
                        Outcome::Skipped => {
                            self.remember(entry.as_deref(), consumer, || "[]".into());
                            continue;
                        }
                        Outcome::Failed => {
                            progress = Progress::Unfinished;
                            continue;
                        }
                    }
                }
            };
            match self.act(message, entry.as_deref_mut(), consumer, plan) {
                Progress::Finished | Progress::Unfinished => {}
                stopped => return stopped,
            }
        }
        progress
    }

    /// A status or another update: each consumer once; nothing to send.
    fn deliver_quiet(
        &mut self,
        mut entry: Option<&mut Entry>,
        call: impl Fn(&Consumer) -> Outcome<()>,
    ) -> Progress {
        let mut progress = Progress::Finished;
        for consumer in consumer::consumers(self.config) {
            if self.recorded(entry.as_deref(), consumer).is_some() {
                continue;
            }
            if !self.renew(entry.as_deref_mut()) {
                return Progress::Lost;
            }
            match call(consumer) {
                Outcome::Done(()) | Outcome::Skipped => {
                    self.remember(entry.as_deref(), consumer, || "[]".into())
                }
                Outcome::Failed => progress = Progress::Unfinished,
            }
        }
        progress
    }

    /// Extends the lease on `entry` before a step that may take a while; false when this
    /// instance lost it. Always true without a journal entry.
    fn renew(&self, entry: Option<&mut Entry>) -> bool {
        match (&self.store, entry) {
            (Some(store), Some(entry)) => store.journal.renew(entry, now_secs()),
            _ => true,
        }
    }

    /// The messages of what `consumer` returned in an earlier attempt at `entry`, if it
    /// did.
    fn recorded(&self, entry: Option<&Entry>, consumer: &Consumer) -> Option<Vec<Planned>> {
        let (Some(store), Some(entry)) = (&self.store, entry) else {
            return None;
        };
        let json = store.journal.consumer_result(entry, &consumer.name)?;
        match plan::from_json(&json) {
            Ok(plan) => Some(plan),
            Err(e) => {
                log(&format!(
                    "the recorded answer of {} for {} cannot be read ({}); its actions are skipped",
                    consumer.name,
                    entry.key,
                    e.describe()
                ));
                Some(Vec::new())
            }
        }
    }

    /// Records what `consumer` returned, so a later attempt does not call it again.
    /// (`json` is built only when there is an entry to record it in.)
    fn remember(&self, entry: Option<&Entry>, consumer: &Consumer, json: impl FnOnce() -> String) {
        let (Some(store), Some(entry)) = (&self.store, entry) else {
            return;
        };
        if let Err(e) = store
            .journal
            .record_consumer(entry, &consumer.name, &json(), random())
        {
            log(&format!(
                "the answer of {} for {} could not be recorded ({}): a later attempt may call it again",
                consumer.name,
                entry.key,
                e.kind()
            ));
        }
    }

    /// Sends the messages of `consumer`'s actions in order, each at most once across
    /// attempts; stops at the first one worth sending again later (it and the rest wait),
    /// or when this instance lost the entry's lease. A message that failed for good is
    /// logged, and the rest of its action (the next parts of a text) is not sent.
    fn act(
        &mut self,
        message: &Message,
        mut entry: Option<&mut Entry>,
        consumer: &Consumer,
        plan: Vec<Planned>,
    ) -> Progress {
        let mut failed_action = None;
        for (index, planned) in plan.iter().enumerate() {
            if !self.renew(entry.as_deref_mut()) {
                return Progress::Lost;
            }
            if let (Some(store), Some(entry)) = (&self.store, entry.as_deref()) {
                if !store.journal.claim_action(entry, &consumer.name, index) {
                    continue; // sent (or given up) by an earlier attempt
                }
            }
            if failed_action == Some(planned.action) {
                // Claimed all the same: a later attempt does not send it either.
                continue;
            }
            self.settle_read_receipt();
            let sender = self.sender.get_or_insert_with(outgoing::sender);
            let Err(e) = sender.send_planned(planned) else {
                continue;
            };
            let what = describe_planned(planned, consumer, message);
            if let (Some(store), Some(entry)) = (&self.store, entry.as_deref()) {
                if send_error_retryable(&e) {
                    store.journal.unclaim_action(entry, &consumer.name, index);
                    log(&format!(
                        "{what} failed, kept in the outbox for a later request: {}",
                        describe_error(&e)
                    ));
                    return Progress::Postponed;
                }
            }
            log(&format!("{what} failed: {}", describe_error(&e)));
            failed_action = Some(planned.action);
        }
        Progress::Finished
    }

    /// Sends the automatic read receipt (from the number that received the message)
    /// without waiting for its answer: its round trip overlaps the consumer's work.
    fn start_read_receipt(&mut self, message: &Message) {
        if !self.config.mark_read {
            return;
        }
        self.settle_read_receipt(); // at most one in flight
        let receipt = ReadReceipt {
            message_id: message.id.clone(),
            typing: self.config.typing_indicator,
            phone_number_id: Some(message.phone_number_id.clone()).filter(|p| !p.is_empty()),
        };
        let sender = self.sender.get_or_insert_with(outgoing::sender);
        match sender.prepare_mark_read(&receipt) {
            Ok(prepared) => {
                let request = prepared.request();
                let sent = http::begin(
                    request.method.as_str(),
                    &request.url,
                    &request.headers,
                    request.body.as_deref(),
                );
                self.receipt = Some(ReceiptInFlight {
                    message_id: message.id.clone(),
                    prepared,
                    sent,
                });
            }
            Err(e) => log(&format!(
                "marking {} read failed: {}",
                message.id,
                describe_error(&e)
            )),
        }
    }

    /// Waits for the read receipt in flight, if any; retries it within the retry
    /// budget when its first attempt failed transiently, and logs a failure.
    fn settle_read_receipt(&mut self) {
        let Some(receipt) = self.receipt.take() else {
            return;
        };
        let first = receipt.sent.and_then(InFlight::answer).map(Into::into);
        let sender = self.sender.get_or_insert_with(outgoing::sender);
        if let Err(e) = sender.finish_mark_read(&receipt.prepared, first) {
            log(&format!(
                "marking {} read failed: {}",
                receipt.message_id,
                describe_error(&e)
            ));
        }
    }
}

/// The messages of `consumer`'s `actions` for `message`; an action that cannot be sent
/// (an invalid request) is logged and left out.
fn plan_actions(message: &Message, consumer: &Consumer, actions: Vec<Action>) -> Vec<Planned> {
    let mut plan = Vec::new();
    for (action, number) in actions.into_iter().zip(1..) {
        let kind = plan::describe_action(&action);
        match plan_action(message, number, action) {
            Ok(planned) => plan.extend(planned),
            Err(e) => log(&format!(
                "action {number}{} ({kind}) for message {} failed: {e}",
                consumer.of, message.id
            )),
        }
    }
    plan
}

/// A planned message, for a log line: its action, kind and part, never its content.
fn describe_planned(planned: &Planned, consumer: &Consumer, message: &Message) -> String {
    let part = if planned.parts > 1 {
        format!(", part {} of {}", planned.part, planned.parts)
    } else {
        String::new()
    };
    format!(
        "action {}{} ({}{part}) for message {}",
        planned.action, consumer.of, planned.kind, message.id
    )
}

/// An event, for a log line: its kind and id, never its content.
fn describe(event: &Event) -> String {
    match event {
        Event::Message(message) => format!("message {}", message.id),
        Event::Status(status) => format!(
            "status {} of {}",
            status_name(&status.status),
            status.message_id
        ),
        Event::Update(update) => format!("update of field {:?}", update.field),
    }
}

/// A journal key, for a log line: `m:ID` is message ID, `s:ID:STATUS:RECIPIENT` the
/// status (without the recipient), `u:DIGEST` an update.
fn describe_key(key: &str) -> String {
    if let Some(id) = key.strip_prefix("m:") {
        return format!("message {id}");
    }
    if let Some(rest) = key.strip_prefix("s:") {
        let mut parts = rest.splitn(3, ':');
        let id = parts.next().unwrap_or("");
        let status = parts.next().unwrap_or("");
        return format!("status {status} of {id}");
    }
    "an update".to_string()
}

/// The one line of a dead-lettered event.
fn dead_letter_line(what: &str, attempts: u32, outbox: bool) -> String {
    let why = if outbox {
        "its actions met a Graph outage longer than WHATSAPP_OUTBOX_TTL_SECS".to_string()
    } else {
        format!("its dispatch did not finish in {attempts} attempts")
    };
    format!("{what} moved to the dead-letter folder (journal/dead/ of the state directory): {why}")
}

fn status_name(status: &DeliveryStatus) -> &str {
    match status {
        DeliveryStatus::Sent => "sent",
        DeliveryStatus::Delivered => "delivered",
        DeliveryStatus::Read => "read",
        DeliveryStatus::Failed => "failed",
        DeliveryStatus::Deleted => "deleted",
        DeliveryStatus::Other(other) => other.as_str(),
    }
}

fn random() -> u64 {
    wasi::random::random::get_random_u64()
}
