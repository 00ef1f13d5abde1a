//! The asterai build's consumers: the components named in
//! `WHATSAPP_INCOMING_HANDLER_COMPONENTS`, called one after another through asterai's host
//! API (`call-component-function`), each with the interface it implements. A consumer
//! that is missing or fails is logged and the next one still gets the event; one that
//! failed (trapped) is called again on a later attempt (see `delivery`).
//!
//! Also the asterai build's own exports: `wasi:cli/run` (the runtime calls it at start: it
//! checks the named consumers) and asterai's `api@0.1.0`, for asterai's senders.

use std::sync::OnceLock;

use crate::asterai::consumers::{
    component_name, describe_call_error, is_component_name, legacy_on_message_args, legacy_self,
    Interface, CURRENT_INTERFACE, LEGACY_INTERFACE, ON_MESSAGE, ON_STATUS, ON_UPDATE,
};
use crate::bindings::asterai::host::api::{self, CallError, CallErrorKind};
use crate::bindings::exports::asterai::whatsapp0_1_0::api::Guest as LegacyApi;
use crate::bindings::exports::asterai::whatsapp0_1_0::types::User as LegacyUser;
use crate::bindings::exports::wasi::cli::run::Guest as Run;
use crate::config::WebhookConfig;
use crate::log;
use crate::outbound::sender::describe_error;
use crate::types::{
    Action, Delivery, Message, StatusUpdate, TextFormat, TextMessage, WebhookUpdate,
};
use crate::wit_json::{self as json, WitJson};

use super::Outcome;
use super::{load_config, outgoing, Component};

/// A named consumer that can be called.
pub struct Consumer {
    /// `namespace:name`: how the runtime and the journal know it.
    pub name: String,
    /// ` of NAME`, for log lines.
    pub of: String,
    /// The interface it implements.
    interface: Interface,
}

/// Why nothing is dispatched, when nothing is: no consumer is named.
pub fn off(config: &WebhookConfig) -> Option<&'static str> {
    config.handler_components.is_empty().then_some(
        "no consumer is named in WHATSAPP_INCOMING_HANDLER_COMPONENTS (acknowledge only)",
    )
}

/// The named consumers that can be called, each with its interface, in the order they
/// are named. Asked of the runtime once per instance (a webhook request, here); those
/// that cannot be called are logged then, once.
pub fn consumers(config: &WebhookConfig) -> &'static [Consumer] {
    static CONSUMERS: OnceLock<Vec<Consumer>> = OnceLock::new();
    CONSUMERS.get_or_init(|| {
        let mut found = Vec::with_capacity(config.handler_components.len());
        for configured in &config.handler_components {
            match check(configured) {
                Ok((name, interface)) => found.push(Consumer {
                    of: format!(" of {name}"),
                    name,
                    interface,
                }),
                Err(why) => log(&format!("not dispatching to {why}")),
            }
        }
        found
    })
}

/// What the runtime says of one configured consumer: its name and interface, or why it
/// cannot be called (for a log line that starts with its name).
fn check(configured: &str) -> Result<(String, Interface), String> {
    let name = component_name(configured);
    if !is_component_name(name) {
        return Err(format!(
            "{name:?}: not a component name (namespace:name) in WHATSAPP_INCOMING_HANDLER_COMPONENTS"
        ));
    }
    let current = api::component_implements(name, CURRENT_INTERFACE);
    let legacy = !current && api::component_implements(name, LEGACY_INTERFACE);
    match Interface::pick(current, legacy) {
        Some(interface) => Ok((name.to_string(), interface)),
        None if api::get_component(name).is_none() => {
            Err(format!("{name}: it is not in the environment"))
        }
        None => Err(format!(
            "{name}: it implements neither {CURRENT_INTERFACE} nor {LEGACY_INTERFACE}"
        )),
    }
}

/// Calls `function` of `consumer`. A failure is logged (with `what` it was about); an
/// invocation that failed (the consumer trapped) is worth another attempt later, any
/// other failure (a missing function, arguments it does not take) would fail again.
fn call(consumer: &Consumer, function: &str, args: &str, what: &str) -> Outcome<String> {
    match api::call_component_function(&consumer.name, function, args) {
        Ok(output) => Outcome::Done(output),
        Err(CallError { kind, message }) => {
            log(&format!(
                "{} failed on {what}: {}",
                consumer.name,
                describe_call_error(kind_name(kind), &message)
            ));
            match kind {
                CallErrorKind::InvocationFailed => Outcome::Failed,
                _ => Outcome::Skipped,
            }
        }
    }
}

fn kind_name(kind: CallErrorKind) -> &'static str {
    match kind {
        CallErrorKind::ComponentNotFound => "component-not-found",
        CallErrorKind::FunctionNotFound => "function-not-found",
        CallErrorKind::InvalidArgs => "invalid-args",
        CallErrorKind::InvocationFailed => "invocation-failed",
        CallErrorKind::SerializationFailed => "serialization-failed",
    }
}

/// Hands `message` to `consumer`: its actions. A consumer of asterai's 0.1.0 interface
/// gets texts only and returns no action.
pub fn on_message(
    consumer: &Consumer,
    message: &Message,
    delivery: &Delivery,
) -> Outcome<Vec<Action>> {
    let what = format!("message {}", message.id);
    match consumer.interface {
        Interface::Current => {
            let args = json::args(&[message.to_json(), delivery.to_json()]);
            match call(consumer, ON_MESSAGE, &args, &what) {
                Outcome::Done(output) => match json::decode_output::<Vec<Action>>(&output) {
                    Ok(actions) => Outcome::Done(actions),
                    Err(e) => {
                        log(&format!(
                            "{} answered {what} with actions that cannot be read: {}",
                            consumer.name,
                            e.describe()
                        ));
                        Outcome::Skipped
                    }
                },
                Outcome::Skipped => Outcome::Skipped,
                Outcome::Failed => Outcome::Failed,
            }
        }
        Interface::Legacy => match legacy_on_message_args(message) {
            Some(args) => match call(consumer, ON_MESSAGE, &args, &what) {
                Outcome::Done(_) | Outcome::Skipped => Outcome::Done(Vec::new()),
                Outcome::Failed => Outcome::Failed,
            },
            None => Outcome::Skipped,
        },
    }
}

/// Hands a delivery status to `consumer`, when it implements this project's interface.
pub fn on_status(consumer: &Consumer, status: &StatusUpdate, delivery: &Delivery) -> Outcome<()> {
    quiet(consumer, ON_STATUS, status.to_json(), delivery, || {
        format!("a status of {}", status.message_id)
    })
}

/// Hands any other update to `consumer`, when it implements this project's interface.
pub fn on_update(consumer: &Consumer, update: &WebhookUpdate, delivery: &Delivery) -> Outcome<()> {
    quiet(consumer, ON_UPDATE, update.to_json(), delivery, || {
        format!("an update of field {:?}", update.field)
    })
}

/// A call that returns nothing, to a consumer of this project's interface.
fn quiet(
    consumer: &Consumer,
    function: &str,
    event: serde_json::Value,
    delivery: &Delivery,
    what: impl FnOnce() -> String,
) -> Outcome<()> {
    if consumer.interface != Interface::Current {
        return Outcome::Skipped;
    }
    let args = json::args(&[event, delivery.to_json()]);
    match call(consumer, function, &args, &what()) {
        Outcome::Done(_) => Outcome::Done(()),
        Outcome::Skipped => Outcome::Skipped,
        Outcome::Failed => Outcome::Failed,
    }
}

impl Run for Component {
    /// At start: says whom messages will reach, and which named consumers cannot be
    /// called. Never fails: a consumer added later is found by the next request.
    fn run() -> Result<(), ()> {
        let config = load_config();
        if let Some(why) = off(config) {
            log(&format!("ready: {why}"));
            return Ok(());
        }
        let mut ready = Vec::new();
        for configured in &config.handler_components {
            match check(configured) {
                Ok((name, Interface::Current)) => ready.push(name),
                Ok((name, Interface::Legacy)) => ready.push(format!("{name} (texts, 0.1.0)")),
                Err(why) => log(&format!("consumer {why}")),
            }
        }
        log(&format!(
            "ready: dispatching to {} of {} named consumers: {}",
            ready.len(),
            config.handler_components.len(),
            ready.join(", ")
        ));
        Ok(())
    }
}

impl LegacyApi for Component {
    /// The business number: its verified name and the number as displayed (empty when
    /// the Graph API cannot say; the reason is logged).
    fn get_self() -> LegacyUser {
        match outgoing::sender().get_self(None) {
            Ok(profile) => {
                let (name, phone) = legacy_self(&profile);
                LegacyUser { name, phone }
            }
            Err(e) => {
                log(&format!(
                    "get-self (api@0.1.0) failed: {}",
                    describe_error(&e)
                ));
                LegacyUser {
                    name: String::new(),
                    phone: String::new(),
                }
            }
        }
    }

    /// Sends `content` to `to` as `send-text` does (Markdown converted, split at 4096
    /// characters), from `WHATSAPP_PHONE_NUMBER_ID`. Returns the (first) message id, or
    /// `error: ` and the reason, as asterai's component does.
    fn send_message(content: String, to: String) -> String {
        let message = TextMessage {
            to,
            body: content,
            format: TextFormat::Markdown,
            preview_url: false,
            reply_to: None,
            phone_number_id: None,
            biz_opaque_callback_data: None,
        };
        match outgoing::sender().send_text(&message) {
            Ok(sent) => sent.message_ids.into_iter().next().unwrap_or_default(),
            Err(failure) => format!("error: {}", describe_error(&failure.error)),
        }
    }
}
