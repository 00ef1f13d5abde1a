//! The exported `media` interface. The media client goes out through the component's
//! Graph API transport ([`WasiTransport`]: wasi:http, wasi:clocks for pauses, wasi:random
//! for jitter and multipart boundaries), with downloads streamed into the capped reader.

use wasi::http::types::ErrorCode;

use super::http;
use super::outgoing::WasiTransport;
use crate::bindings::media::{Downloaded, FileUpload, Guest, MediaError, MediaInfo};
use crate::outbound::graph::{GraphConfig, GraphRequest};
use crate::outbound::media::{
    max_download_from_env, DownloadReader, Flow, MediaClient, MediaTransport,
};

/// Downloads stream through the component's Graph API transport.
impl MediaTransport for WasiTransport {
    fn fetch(
        &mut self,
        request: &GraphRequest,
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
}

/// A media client configured from the environment.
fn client() -> MediaClient<WasiTransport> {
    MediaClient::new(
        GraphConfig::from_env(super::platform::env),
        max_download_from_env(super::platform::env),
        WasiTransport,
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
