//! The exported `outgoing` interface, and the wasi implementation of the sender's
//! transport (wasi:http for requests, wasi:clocks for pauses, wasi:random for jitter).

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use wasi::clocks::monotonic_clock;
use wasi::http::types::ErrorCode;

use super::http;
use crate::bindings::outgoing::Guest;
use crate::outbound::graph::{GraphConfig, GraphRequest};
use crate::outbound::sender::{ContentType, HttpAnswer, Sender, Transport};
use crate::types::{
    BlockResult, BusinessProfile, BusinessProfileDetails, BusinessProfileUpdate, ButtonsMessage,
    ContactsMessage, CtaUrlMessage, FlowMessage, ListMessage, LocationMessage,
    LocationRequestMessage, MediaMessage, ReactionMessage, ReadReceipt, SendError, Sent,
    TemplateMessage, TextFailure, TextMessage, VoiceMessage,
};

/// The transport of a component instance.
pub struct WasiTransport;

impl Transport for WasiTransport {
    fn send(&mut self, request: &GraphRequest) -> Result<HttpAnswer, ErrorCode> {
        http::send(
            request.method.as_str(),
            &request.url,
            &request.headers,
            request.body.as_deref(),
        )
        .map(Into::into)
    }

    fn sleep(&mut self, pause: Duration) {
        let nanos = u64::try_from(pause.as_nanos()).unwrap_or(u64::MAX);
        monotonic_clock::subscribe_duration(nanos).block();
    }

    fn random(&mut self) -> u64 {
        wasi::random::random::get_random_u64()
    }

    fn now(&mut self) -> Duration {
        Duration::from_nanos(monotonic_clock::now())
    }
}

impl From<http::Answer> for HttpAnswer {
    fn from(mut answer: http::Answer) -> Self {
        HttpAnswer {
            status: answer.status,
            body: std::mem::take(&mut answer.body),
            // Read only for an error that reports it.
            content_type: ContentType::OnDemand(Box::new(move || answer.content_type())),
        }
    }
}

/// The sender every call uses: configuration from the environment.
pub type WasiSender = Sender<WasiTransport>;

/// A sender configured from the environment: `WHATSAPP_ACCESS_TOKEN` is required, and
/// `WHATSAPP_PHONE_NUMBER_ID` is the number of requests that name none. The configuration
/// is read on first use, then kept for the instance (its environment does not change while
/// it lives), as the webhook's is: a host that reuses instances reads it once.
pub fn sender() -> WasiSender {
    static CONFIG: OnceLock<Result<Arc<GraphConfig>, Vec<String>>> = OnceLock::new();
    let config = CONFIG.get_or_init(|| GraphConfig::from_env(super::platform::env).map(Arc::new));
    Sender::shared(config.clone(), WasiTransport)
}

impl Guest for super::Component {
    fn send_text(message: TextMessage) -> Result<Sent, TextFailure> {
        sender().send_text(&message)
    }

    fn send_media(message: MediaMessage) -> Result<Sent, SendError> {
        sender().send_media(&message)
    }

    fn send_location(message: LocationMessage) -> Result<Sent, SendError> {
        sender().send_location(&message)
    }

    fn send_contacts(message: ContactsMessage) -> Result<Sent, SendError> {
        sender().send_contacts(&message)
    }

    fn send_buttons(message: ButtonsMessage) -> Result<Sent, SendError> {
        sender().send_buttons(&message)
    }

    fn send_list(message: ListMessage) -> Result<Sent, SendError> {
        sender().send_list(&message)
    }

    fn send_cta_url(message: CtaUrlMessage) -> Result<Sent, SendError> {
        sender().send_cta_url(&message)
    }

    fn send_template(message: TemplateMessage) -> Result<Sent, SendError> {
        sender().send_template(&message)
    }

    fn react(reaction: ReactionMessage) -> Result<Sent, SendError> {
        sender().react(&reaction)
    }

    fn mark_read(receipt: ReadReceipt) -> Result<(), SendError> {
        sender().mark_read(&receipt)
    }

    fn get_self(phone_number_id: Option<String>) -> Result<BusinessProfile, SendError> {
        sender().get_self(phone_number_id.as_deref())
    }

    fn send_voice(message: VoiceMessage) -> Result<Sent, SendError> {
        sender().send_voice(&message)
    }

    fn send_location_request(message: LocationRequestMessage) -> Result<Sent, SendError> {
        sender().send_location_request(&message)
    }

    fn send_flow(message: FlowMessage) -> Result<Sent, SendError> {
        sender().send_flow(&message)
    }

    fn block_users(
        users: Vec<String>,
        phone_number_id: Option<String>,
    ) -> Result<BlockResult, SendError> {
        sender().block_users(&users, phone_number_id.as_deref(), true)
    }

    fn unblock_users(
        users: Vec<String>,
        phone_number_id: Option<String>,
    ) -> Result<BlockResult, SendError> {
        sender().block_users(&users, phone_number_id.as_deref(), false)
    }

    fn get_business_profile(
        phone_number_id: Option<String>,
    ) -> Result<BusinessProfileDetails, SendError> {
        sender().get_business_profile(phone_number_id.as_deref())
    }

    fn update_business_profile(update: BusinessProfileUpdate) -> Result<(), SendError> {
        sender().update_business_profile(&update)
    }
}
