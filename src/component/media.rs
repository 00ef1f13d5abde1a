//! The exported `media` interface, and the wasi implementation of the media client's
//! transport: wasi:http for requests (a download streamed into the capped reader),
//! wasi:clocks for pauses, wasi:random for jitter and multipart boundaries.

use std::time::Duration;

use wasi::clocks::monotonic_clock;
use wasi::http::types::ErrorCode;

use super::http;
use crate::bindings::media::{Downloaded, FileUpload, Guest, MediaError, MediaInfo};
use crate::outbound::graph::GraphConfig;
use crate::outbound::media::{
    max_download_from_env, DownloadReader, Flow, MediaClient, MediaRequest, MediaTransport,
};
use crate::outbound::sender::HttpAnswer;

/// The media transport of a component instance.
pub struct WasiMediaTransport;

impl MediaTransport for WasiMediaTransport {
    fn send(&mut self, request: &MediaRequest) -> Result<HttpAnswer, ErrorCode> {
        let answer = http::send(
            request.method.as_str(),
            &request.url,
            &request.headers,
            request.body.as_deref(),
        )?;
        Ok(HttpAnswer {
            status: answer.status,
            content_type: answer.content_type,
            body: answer.body,
        })
    }

    fn fetch(
        &mut self,
        request: &MediaRequest,
        reader: &mut DownloadReader,
    ) -> Result<(), ErrorCode> {
        // Both callbacks feed the one reader, one after the other.
        let reader = std::cell::RefCell::new(reader);
        http::fetch(
            request.method.as_str(),
            &request.url,
            &request.headers,
            request.body.as_deref(),
            |head| {
                reader
                    .borrow_mut()
                    .head(head.status, head.content_type, head.content_length)
                    == Flow::Continue
            },
            |chunk| reader.borrow_mut().chunk(chunk) == Flow::Continue,
        )
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

/// A media client configured from the environment.
fn client() -> MediaClient<WasiMediaTransport> {
    MediaClient::new(
        GraphConfig::from_env(super::platform::env),
        max_download_from_env(super::platform::env),
        WasiMediaTransport,
    )
}

impl Guest for super::Component {
    fn look_up(media_id: String, phone_number_id: Option<String>) -> Result<MediaInfo, MediaError> {
        client().look_up(&media_id, phone_number_id.as_deref())
    }

    fn download(
        media_id: String,
        phone_number_id: Option<String>,
    ) -> Result<Downloaded, MediaError> {
        client().download(&media_id, phone_number_id.as_deref())
    }

    fn upload(file: FileUpload) -> Result<String, MediaError> {
        client().upload(&file)
    }

    fn delete(media_id: String, phone_number_id: Option<String>) -> Result<(), MediaError> {
        client().delete(&media_id, phone_number_id.as_deref())
    }
}
