//! Media on Meta's servers (the exported `media` interface): look-up, download, upload
//! and deletion, without any I/O.
//!
//! - Requests: `GET`/`DELETE <base>/<version>/<media-id>` (with `?phone_number_id=` when
//!   the caller names a number), `POST <base>/<version>/<phone-number-id>/media` as
//!   `multipart/form-data` ([`multipart_body`], whose boundary comes from the caller's
//!   randomness and never occurs in the body).
//! - Limits: an upload's MIME type picks its kind and Meta's size limit ([`upload_limit`]),
//!   checked with the file name ([`validate_upload`]) before any request. A download is
//!   capped by `WHATSAPP_MEDIA_MAX_BYTES` ([`max_download_from_env`]): refused before
//!   fetching when Meta's `file_size` or the answer's `content-length` is over, and while
//!   reading when the body runs over ([`DownloadReader`], which never holds more than the
//!   cap).
//! - Safety: the access token goes to a download URL only when [`trusted_download_url`]
//!   says so (Meta's hosts over https, or the origin of the configured Graph API root);
//!   the bytes are returned only when their SHA-256 matches Meta's, given in hex or
//!   base64 ([`verify_sha256`]).
//! - Answers and failures map to the same errors as `outgoing` (the mapping of
//!   [`crate::outbound::graph_error`]), retried with the same [`RetryPolicy`], and then
//!   become a [`MediaError`]. No error text holds the token or the file's bytes.
//!
//! I/O goes through [`MediaTransport`], implemented by the component with wasi:http and
//! by the tests with a scripted stand-in.

use crate::json::Value;
use sha2::{Digest, Sha256};
use wasi::http::types::ErrorCode;

use crate::bindings::media::{
    ChecksumMismatch, Downloaded, FileUpload, MediaError, MediaInfo, TooLarge,
};
use crate::outbound::graph::{self, encode_path_segment, GraphConfig, GraphRequest, HttpMethod};
use crate::outbound::graph_error::{
    bad_response, json_answer, parse_mark_read_response, redact_error, transport_error,
};
use crate::outbound::retry::RetryPolicy;
use crate::outbound::sender::{describe_error, exchange, Transport};
use crate::types::{InvalidRequest, SendError};

/// Environment variable capping the size of a download, in bytes.
pub const ENV_MEDIA_MAX_BYTES: &str = "WHATSAPP_MEDIA_MAX_BYTES";
/// The download cap when `WHATSAPP_MEDIA_MAX_BYTES` is not set: 16 MiB.
pub const DEFAULT_MAX_DOWNLOAD: u64 = 16 * 1024 * 1024;
/// The most of an error answer's body kept from a download URL (to read Meta's error).
pub const ERROR_BODY_MAX: usize = 64 * 1024;

const KIB: u64 = 1024;
const MIB: u64 = 1024 * 1024;

/// Hosts (suffixes, leading dot included) a download URL may have to get the token:
/// Meta's CDNs and the Graph API.
pub const TRUSTED_HOST_SUFFIXES: &[&str] =
    &[".fbsbx.com", ".facebook.com", ".fbcdn.net", ".whatsapp.net"];

/// What kind of media a MIME type is, for Meta's upload limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MediaKind {
    /// `image/jpeg`, `image/png`: 5 MiB.
    Image,
    /// `audio/aac`, `audio/amr`, `audio/mpeg`, `audio/mp4`, `audio/ogg`: 16 MiB.
    Audio,
    /// `video/mp4`, `video/3gpp`: 16 MiB.
    Video,
    /// `text/plain`, `application/pdf`, Word, Excel, PowerPoint: 100 MiB.
    Document,
    /// `image/webp`: 500 KiB (Meta's limit for animated stickers; a static sticker over
    /// Meta's 100 KB is left for Meta to refuse).
    Sticker,
}

/// The MIME types Meta accepts for upload, with their kind.
pub const MIME_TYPES: &[(&str, MediaKind)] = &[
    ("image/jpeg", MediaKind::Image),
    ("image/png", MediaKind::Image),
    ("image/webp", MediaKind::Sticker),
    ("audio/aac", MediaKind::Audio),
    ("audio/amr", MediaKind::Audio),
    ("audio/mpeg", MediaKind::Audio),
    ("audio/mp4", MediaKind::Audio),
    ("audio/ogg", MediaKind::Audio),
    ("video/mp4", MediaKind::Video),
    ("video/3gpp", MediaKind::Video),
    ("text/plain", MediaKind::Document),
    ("application/pdf", MediaKind::Document),
    ("application/msword", MediaKind::Document),
    (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        MediaKind::Document,
    ),
    ("application/vnd.ms-excel", MediaKind::Document),
    (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        MediaKind::Document,
    ),
    ("application/vnd.ms-powerpoint", MediaKind::Document),
    (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        MediaKind::Document,
    ),
];

impl MediaKind {
    /// Meta's upload limit for this kind, in bytes (MB read as MiB, so that nothing Meta
    /// accepts is refused here).
    pub fn limit(self) -> u64 {
        match self {
            MediaKind::Image => 5 * MIB,
            MediaKind::Audio | MediaKind::Video => 16 * MIB,
            MediaKind::Document => 100 * MIB,
            MediaKind::Sticker => 500 * KIB,
        }
    }

    /// The kind's name, for error texts.
    pub fn name(self) -> &'static str {
        match self {
            MediaKind::Image => "image",
            MediaKind::Audio => "audio",
            MediaKind::Video => "video",
            MediaKind::Document => "document",
            MediaKind::Sticker => "sticker",
        }
    }
}

/// A MIME type's essence: before any `;`, trimmed, lowercase.
pub fn mime_essence(mime_type: &str) -> String {
    mime_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// The kind of a MIME type (parameters and case ignored); `None` when Meta does not
/// accept it.
pub fn media_kind(mime_type: &str) -> Option<MediaKind> {
    let essence = mime_essence(mime_type);
    MIME_TYPES
        .iter()
        .find(|(name, _)| *name == essence)
        .map(|(_, kind)| *kind)
}

/// The upload limit for a MIME type, in bytes; `None` when Meta does not accept it.
pub fn upload_limit(mime_type: &str) -> Option<u64> {
    media_kind(mime_type).map(MediaKind::limit)
}

fn invalid(field: &str, reason: impl Into<String>) -> MediaError {
    MediaError::InvalidRequest(InvalidRequest {
        field: field.into(),
        reason: reason.into(),
    })
}

/// Checks an upload before anything is sent: a supported MIME type, a body that is not
/// empty and within its kind's limit, a bare file name. Gives the MIME type's essence.
pub fn validate_upload(upload: &FileUpload) -> Result<String, MediaError> {
    let essence = mime_essence(&upload.mime_type);
    let Some(kind) = media_kind(&essence) else {
        return Err(invalid(
            "mime-type",
            if essence.is_empty() {
                "must not be empty".to_string()
            } else {
                format!("{essence} is not a type Meta accepts for upload")
            },
        ));
    };
    if upload.bytes.is_empty() {
        return Err(invalid("bytes", "must not be empty"));
    }
    let size = u64::try_from(upload.bytes.len()).unwrap_or(u64::MAX);
    if size > kind.limit() {
        return Err(MediaError::TooLarge(TooLarge {
            size: Some(size),
            limit: kind.limit(),
        }));
    }
    validate_filename(&upload.filename)?;
    Ok(essence)
}

/// A file name is not empty, has no directory (`/`, `\`), no control characters, and is
/// not `.` or `..`.
pub fn validate_filename(filename: &str) -> Result<(), MediaError> {
    if filename.trim().is_empty() {
        return Err(invalid("filename", "must not be empty"));
    }
    if filename.contains(['/', '\\']) || matches!(filename.trim(), "." | "..") {
        return Err(invalid(
            "filename",
            "must be a file name without a directory",
        ));
    }
    if filename.chars().any(char::is_control) {
        return Err(invalid("filename", "must not contain control characters"));
    }
    Ok(())
}

/// A multipart boundary from a random number.
pub fn boundary(random: u64) -> String {
    format!("whatsapp-media-{random:016x}")
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// A file name inside a quoted header parameter: `"` and `\` escaped.
fn quoted(filename: &str) -> String {
    filename.replace('\\', "\\\\").replace('"', "\\\"")
}

/// The `multipart/form-data` body of an upload and its `Content-Type`: the fields
/// `messaging_product=whatsapp`, `type=<mime type>` and `file` (file name, content type,
/// bytes). The boundary is [`boundary`] of the next `random()` whose `--boundary` occurs
/// nowhere in the file or its name (a counter is added if, against all odds, a few
/// random ones all do).
pub fn multipart_body(
    bytes: &[u8],
    mime_type: &str,
    filename: &str,
    mut random: impl FnMut() -> u64,
) -> (String, Vec<u8>) {
    let filename = quoted(filename);
    let mut attempt: u32 = 0;
    let boundary = loop {
        let candidate = if attempt < 8 {
            boundary(random())
        } else {
            format!("{}-{attempt}", boundary(random()))
        };
        let marker = format!("--{candidate}");
        if !contains(bytes, marker.as_bytes()) && !filename.contains(&marker) {
            break candidate;
        }
        attempt = attempt.saturating_add(1);
    };
    let mut body = Vec::with_capacity(bytes.len() + 512);
    let field = |body: &mut Vec<u8>, name: &str, value: &str| {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    };
    field(&mut body, "messaging_product", "whatsapp");
    field(&mut body, "type", mime_type);
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: {mime_type}\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

// ---------------------------------------------------------------------- checksum

/// Standard base64 (padding optional); `None` for anything else.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let text = text.trim_end_matches('=');
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for byte in text.bytes() {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        buffer = (buffer << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((buffer >> bits) & 0xff).unwrap_or(0));
        }
    }
    // Leftover bits must be zero padding, and a lone sextet is not base64.
    if bits >= 6 || buffer & ((1 << bits) - 1) != 0 {
        return None;
    }
    Some(out)
}

/// The digest a SHA-256 text stands for: 64 hex digits (either case) or standard base64
/// of 32 bytes; `None` for anything else.
pub fn parse_sha256(text: &str) -> Option<[u8; 32]> {
    let text = text.trim();
    let bytes = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        hex::decode(text).ok()?
    } else {
        base64_decode(text)?
    };
    bytes.try_into().ok()
}

/// Checks `bytes` against the SHA-256 Meta gave (`expected`, hex or base64). An
/// expected value that is neither is a mismatch too: the bytes cannot be vouched for.
pub fn verify_sha256(expected: &str, bytes: &[u8]) -> Result<(), ChecksumMismatch> {
    let actual: [u8; 32] = Sha256::digest(bytes).into();
    if parse_sha256(expected) == Some(actual) {
        Ok(())
    } else {
        Err(ChecksumMismatch {
            expected: expected.to_string(),
            actual_hex: hex::encode(actual),
        })
    }
}

// ---------------------------------------------------------------------- download URL

/// A URL's scheme (lowercase), host (lowercase) and port (the scheme's default when
/// absent). `None` for anything but a plain `http(s)://host[:port]/...` URL: user
/// information, backslashes, whitespace and control characters make it unusable.
pub fn url_origin(url: &str) -> Option<(String, String, u16)> {
    if url.contains(|c: char| c == '\\' || c.is_whitespace() || c.is_control()) {
        return None;
    }
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "https" => 443,
        "http" => 80,
        _ => return None,
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (inside, after) = v6.split_once(']')?;
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':')?),
        };
        (format!("[{inside}]"), port)
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host.to_string(), Some(port)),
            None => (authority.to_string(), None),
        }
    };
    let port = match port {
        None | Some("") => default_port,
        Some(p) if p.bytes().all(|b| b.is_ascii_digit()) => p.parse().ok()?,
        Some(_) => return None,
    };
    if host.is_empty() {
        return None;
    }
    Some((scheme, host.to_ascii_lowercase(), port))
}

/// Whether the access token may go to this download URL: https to a host under one of
/// [`TRUSTED_HOST_SUFFIXES`] on the default port, or the same scheme, host and port as
/// the configured Graph API root (`base_url`: the sandbox, the tests). Anything else is
/// an invalid request on `url`, naming the scheme and host only.
pub fn trusted_download_url(url: &str, base_url: &str) -> Result<(), InvalidRequest> {
    let refuse = |reason: String| InvalidRequest {
        field: "url".into(),
        reason,
    };
    let Some(origin) = url_origin(url) else {
        return Err(refuse(
            "not a plain http(s) URL; the token is not sent to it".into(),
        ));
    };
    let (scheme, host, port) = &origin;
    let meta = scheme == "https"
        && *port == 443
        && TRUSTED_HOST_SUFFIXES
            .iter()
            .any(|suffix| host.ends_with(suffix));
    if meta || url_origin(base_url).as_ref() == Some(&origin) {
        return Ok(());
    }
    Err(refuse(format!(
        "{scheme}://{host}:{port} is neither a Meta host over https nor the Graph API URL; the token is not sent to it"
    )))
}

// ---------------------------------------------------------------------- download cap

/// The download cap from `WHATSAPP_MEDIA_MAX_BYTES` (a positive number of bytes), else
/// [`DEFAULT_MAX_DOWNLOAD`]; a value that is not one is logged and ignored.
pub fn max_download_from_env(get: impl Fn(&str) -> Option<String>) -> u64 {
    let Some(value) = get(ENV_MEDIA_MAX_BYTES) else {
        return DEFAULT_MAX_DOWNLOAD;
    };
    match value.trim().parse::<u64>() {
        Ok(limit) if limit > 0 => limit,
        _ if value.trim().is_empty() => DEFAULT_MAX_DOWNLOAD,
        _ => {
            crate::log(&format!(
                "{ENV_MEDIA_MAX_BYTES} is not a positive number of bytes; using {DEFAULT_MAX_DOWNLOAD}"
            ));
            DEFAULT_MAX_DOWNLOAD
        }
    }
}

/// Whether the transport should read on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// Read the next chunk.
    Continue,
    /// Stop reading: the answer is decided.
    Stop,
}

/// The answer of a download URL, read in chunks within a cap: the transport calls
/// [`DownloadReader::head`] once, then [`DownloadReader::chunk`] for each chunk until it
/// says [`Flow::Stop`] or the body ends, then the client calls
/// [`DownloadReader::finish`].
///
/// A success answer is refused at once when its `content-length` is over the cap, and
/// as soon as a chunk would take it over: what is held never exceeds the cap (the chunk
/// in hand aside). An error answer keeps at most [`ERROR_BODY_MAX`] bytes, enough for
/// Meta's error object.
#[derive(Debug)]
pub struct DownloadReader {
    limit: u64,
    status: u16,
    content_type: Option<String>,
    body: Vec<u8>,
    too_large: Option<TooLarge>,
}

/// The answer a [`DownloadReader`] read.
#[derive(Debug)]
pub struct DownloadAnswer {
    /// Status code.
    pub status: u16,
    /// `content-type`, when given.
    pub content_type: Option<String>,
    /// The body (of an error answer: its first [`ERROR_BODY_MAX`] bytes).
    pub body: Vec<u8>,
}

impl DownloadReader {
    /// A reader refusing success bodies over `limit` bytes.
    pub fn new(limit: u64) -> Self {
        DownloadReader {
            limit,
            status: 0,
            content_type: None,
            body: Vec::new(),
            too_large: None,
        }
    }

    fn success(&self) -> bool {
        (200..=299).contains(&self.status)
    }

    /// The answer's status and headers.
    pub fn head(
        &mut self,
        status: u16,
        content_type: Option<String>,
        content_length: Option<u64>,
    ) -> Flow {
        self.status = status;
        self.content_type = content_type;
        match content_length {
            Some(length) if self.success() && length > self.limit => {
                self.too_large = Some(TooLarge {
                    size: Some(length),
                    limit: self.limit,
                });
                Flow::Stop
            }
            _ => Flow::Continue,
        }
    }

    /// One chunk of the body.
    pub fn chunk(&mut self, chunk: Vec<u8>) -> Flow {
        if self.too_large.is_some() {
            return Flow::Stop;
        }
        let held = u64::try_from(self.body.len()).unwrap_or(u64::MAX);
        let more = u64::try_from(chunk.len()).unwrap_or(u64::MAX);
        if !self.success() {
            let room = ERROR_BODY_MAX.saturating_sub(self.body.len());
            self.body
                .extend_from_slice(chunk.get(..room.min(chunk.len())).unwrap_or_default());
            return if self.body.len() >= ERROR_BODY_MAX {
                Flow::Stop
            } else {
                Flow::Continue
            };
        }
        if held.saturating_add(more) > self.limit {
            self.too_large = Some(TooLarge {
                size: None,
                limit: self.limit,
            });
            self.body = Vec::new();
            return Flow::Stop;
        }
        if self.body.is_empty() {
            self.body = chunk;
        } else {
            self.body.extend_from_slice(&chunk);
        }
        Flow::Continue
    }

    /// How many body bytes are held.
    pub fn held(&self) -> usize {
        self.body.len()
    }

    /// The answer, or the size error.
    pub fn finish(self) -> Result<DownloadAnswer, MediaError> {
        if let Some(too_large) = self.too_large {
            return Err(MediaError::TooLarge(too_large));
        }
        Ok(DownloadAnswer {
            status: self.status,
            content_type: self.content_type,
            body: self.body,
        })
    }
}

// ---------------------------------------------------------------------- requests

/// A media id: trimmed, not empty.
fn media_id(id: &str) -> Result<&str, MediaError> {
    let id = id.trim();
    if id.is_empty() {
        Err(invalid("media-id", "must not be empty"))
    } else {
        Ok(id)
    }
}

/// `<base>/<version>/<media-id>`, with `?phone_number_id=` when a number is named.
pub fn media_url(config: &GraphConfig, media_id: &str, phone_number_id: Option<&str>) -> String {
    let mut url = config.url(media_id, "");
    if let Some(number) = graph::requested_phone_number_id(phone_number_id) {
        url.push_str("?phone_number_id=");
        url.push_str(&encode_path_segment(number));
    }
    url
}

/// The look-up request (`GET <base>/<version>/<media-id>`).
pub fn look_up_request(
    config: &GraphConfig,
    media_id: &str,
    phone_number_id: Option<&str>,
) -> GraphRequest {
    GraphRequest {
        method: HttpMethod::Get,
        url: media_url(config, media_id, phone_number_id),
        headers: vec![config.authorization()],
        body: None,
    }
}

/// The deletion request (`DELETE <base>/<version>/<media-id>`).
pub fn delete_request(
    config: &GraphConfig,
    media_id: &str,
    phone_number_id: Option<&str>,
) -> GraphRequest {
    GraphRequest {
        method: HttpMethod::Delete,
        url: media_url(config, media_id, phone_number_id),
        headers: vec![config.authorization()],
        body: None,
    }
}

/// The upload request (`POST <base>/<version>/<phone-number-id>/media`, multipart), of
/// an upload [`validate_upload`] accepted (`mime_type` is the essence it gave).
pub fn upload_request(
    config: &GraphConfig,
    phone_number_id: &str,
    upload: &FileUpload,
    mime_type: &str,
    random: impl FnMut() -> u64,
) -> GraphRequest {
    let (content_type, body) = multipart_body(&upload.bytes, mime_type, &upload.filename, random);
    GraphRequest {
        method: HttpMethod::Post,
        url: config.url(phone_number_id, "/media"),
        headers: vec![
            config.authorization(),
            ("Content-Type".to_string(), content_type.into_bytes()),
        ],
        body: Some(body),
    }
}

/// The download request: `GET url` with the bearer token, when [`trusted_download_url`]
/// allows it.
pub fn download_request(config: &GraphConfig, url: &str) -> Result<GraphRequest, MediaError> {
    trusted_download_url(url, &config.base_url).map_err(MediaError::InvalidRequest)?;
    Ok(GraphRequest {
        method: HttpMethod::Get,
        url: url.to_string(),
        headers: vec![config.authorization()],
        body: None,
    })
}

// ---------------------------------------------------------------------- answers

/// A string field: a non-empty string, or a number written out.
fn string_field(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.trim().is_empty() => Some(s.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A size: a non-negative JSON integer or a string holding one.
fn size_field(value: Option<&Value>) -> Option<u64> {
    match value? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Reads the answer to a look-up: `url` is required; `id` defaults to the one asked
/// for, `mime_type` and `sha256` to empty, `file_size` to 0.
pub fn parse_media_info(
    requested_id: &str,
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<MediaInfo, SendError> {
    let json = json_answer(status, content_type, body)?;
    let Some(url) = string_field(json.get("url")) else {
        return Err(bad_response(status, content_type, "no media url"));
    };
    Ok(MediaInfo {
        id: string_field(json.get("id")).unwrap_or_else(|| requested_id.to_string()),
        url,
        mime_type: string_field(json.get("mime_type")).unwrap_or_default(),
        sha256: string_field(json.get("sha256")).unwrap_or_default(),
        file_size: size_field(json.get("file_size")).unwrap_or(0),
    })
}

/// Reads the answer to an upload: `{"id": "<media id>"}`.
pub fn parse_upload_response(
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<String, SendError> {
    let json = json_answer(status, content_type, body)?;
    string_field(json.get("id")).ok_or_else(|| bad_response(status, content_type, "no media id"))
}

/// Reads the answer to a deletion: `{"success": true}`.
pub fn parse_delete_response(
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<(), SendError> {
    parse_mark_read_response(status, content_type, body)
}

/// A send error as a media error (the cases they share).
pub fn media_error(error: SendError) -> MediaError {
    match error {
        SendError::MissingConfig(names) => MediaError::MissingConfig(names),
        SendError::InvalidRequest(i) => MediaError::InvalidRequest(i),
        SendError::Graph(g) => MediaError::Graph(g),
        SendError::Transport(t) => MediaError::Transport(t),
        SendError::BadResponse(b) => MediaError::BadResponse(b),
    }
}

/// A one-line description of a media error, for logs: never the token or the bytes.
pub fn describe_media_error(error: &MediaError) -> String {
    let send = |e: SendError| describe_error(&e);
    match error {
        MediaError::MissingConfig(n) => send(SendError::MissingConfig(n.clone())),
        MediaError::InvalidRequest(i) => send(SendError::InvalidRequest(i.clone())),
        MediaError::Graph(g) => send(SendError::Graph(g.clone())),
        MediaError::Transport(t) => send(SendError::Transport(t.clone())),
        MediaError::BadResponse(b) => send(SendError::BadResponse(b.clone())),
        MediaError::TooLarge(t) => match t.size {
            Some(size) => format!("too large: {size} bytes, over {}", t.limit),
            None => format!("too large: over {} bytes", t.limit),
        },
        MediaError::ChecksumMismatch(c) => format!(
            "checksum mismatch: Meta gave {:?}, the bytes hash to {}",
            c.expected, c.actual_hex
        ),
    }
}

// ---------------------------------------------------------------------- client

/// What the media client needs from the outside world.
pub trait MediaTransport: Transport {
    /// Sends a download request and hands the answer to `reader` (head, then chunks
    /// until it says stop or the body ends).
    fn fetch(
        &mut self,
        request: &GraphRequest,
        reader: &mut DownloadReader,
    ) -> Result<(), ErrorCode>;
}

type Parse<R> = Box<dyn Fn(u16, Option<&str>, &[u8]) -> Result<R, SendError>>;

/// The media API with one configuration and transport.
pub struct MediaClient<T: MediaTransport> {
    config: Result<GraphConfig, Vec<String>>,
    max_download: u64,
    transport: T,
    policy: RetryPolicy,
}

impl<T: MediaTransport> MediaClient<T> {
    /// A client; `config` as [`GraphConfig::from_env`] gives it, `max_download` the
    /// download cap ([`max_download_from_env`]).
    pub fn new(config: Result<GraphConfig, Vec<String>>, max_download: u64, transport: T) -> Self {
        MediaClient {
            config,
            max_download,
            transport,
            policy: RetryPolicy::default(),
        }
    }

    /// Replaces the retry policy.
    pub fn with_policy(mut self, policy: RetryPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// The transport (tests read what it recorded).
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// The configuration, for a call that needs no phone number id.
    fn config(&self) -> Result<GraphConfig, MediaError> {
        match &self.config {
            Ok(config) => Ok(config.clone()),
            Err(names) => Err(MediaError::MissingConfig(
                names
                    .iter()
                    .filter(|name| *name != graph::ENV_PHONE_NUMBER_ID)
                    .cloned()
                    .collect(),
            )),
        }
    }

    /// The configuration and number of an upload naming `requested` (or no number),
    /// with the senders' rules for what is missing.
    fn route(&self, requested: Option<&str>) -> Result<(GraphConfig, String), MediaError> {
        graph::route(&self.config, requested).map_err(MediaError::MissingConfig)
    }

    /// Sends one request, retrying transient failures as the sender does; transport
    /// failures that may have reached Meta are retried only for an `idempotent` one.
    fn exchange<R>(
        &mut self,
        request: &GraphRequest,
        token: &str,
        idempotent: bool,
        parse: Parse<R>,
    ) -> Result<R, MediaError> {
        exchange(
            &mut self.transport,
            &self.policy,
            request,
            token,
            idempotent,
            parse,
        )
        .map_err(media_error)
    }

    /// Describes a media object.
    pub fn look_up(
        &mut self,
        id: &str,
        phone_number_id: Option<&str>,
    ) -> Result<MediaInfo, MediaError> {
        let config = self.config()?;
        let id = media_id(id)?.to_string();
        let request = look_up_request(&config, &id, phone_number_id);
        let parse: Parse<MediaInfo> =
            Box::new(move |status, ct, body| parse_media_info(&id, status, ct, body));
        self.exchange(&request, &config.access_token, true, parse)
    }

    /// Looks a media object up and downloads it: within the cap, from a trusted URL
    /// only, checked against Meta's SHA-256. The download itself is one attempt (its
    /// URL is short-lived, and a retry would fetch the whole file again).
    pub fn download(
        &mut self,
        id: &str,
        phone_number_id: Option<&str>,
    ) -> Result<Downloaded, MediaError> {
        let config = self.config()?;
        let info = self.look_up(id, phone_number_id)?;
        if info.file_size > self.max_download {
            return Err(MediaError::TooLarge(TooLarge {
                size: Some(info.file_size),
                limit: self.max_download,
            }));
        }
        let request = download_request(&config, &info.url)?;
        let token = config.access_token.as_str();
        let mut reader = DownloadReader::new(self.max_download);
        self.transport
            .fetch(&request, &mut reader)
            .map_err(|code| MediaError::Transport(transport_error(&code, token)))?;
        let answer = reader.finish()?;
        if !(200..=299).contains(&answer.status) {
            let error =
                match json_answer(answer.status, answer.content_type.as_deref(), &answer.body) {
                    Err(error) => error,
                    Ok(_) => bad_response(
                        answer.status,
                        answer.content_type.as_deref(),
                        "unexpected answer",
                    ),
                };
            return Err(media_error(redact_error(error, token)));
        }
        verify_sha256(&info.sha256, &answer.body).map_err(MediaError::ChecksumMismatch)?;
        Ok(Downloaded {
            info,
            bytes: answer.body,
        })
    }

    /// Uploads a file and gives its media id. Not retried after a failure that may have
    /// reached Meta (it could store the file twice), like a message send.
    pub fn upload(&mut self, upload: &FileUpload) -> Result<String, MediaError> {
        let (config, number) = self.route(upload.phone_number_id.as_deref())?;
        let mime_type = validate_upload(upload)?;
        let transport = &mut self.transport;
        let request = upload_request(&config, &number, upload, &mime_type, || transport.random());
        self.exchange(
            &request,
            &config.access_token,
            false,
            Box::new(parse_upload_response),
        )
    }

    /// Deletes a media object.
    pub fn delete(&mut self, id: &str, phone_number_id: Option<&str>) -> Result<(), MediaError> {
        let config = self.config()?;
        let id = media_id(id)?;
        let request = delete_request(&config, id, phone_number_id);
        self.exchange(
            &request,
            &config.access_token,
            true,
            Box::new(parse_delete_response),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outbound::sender::HttpAnswer;
    use std::collections::VecDeque;
    use std::fmt;
    use std::time::Duration;

    const TOKEN: &str = "EAAGsecretMEDIAtoken42";
    const PNID: &str = "106540352242922";
    const JSON: Option<&str> = Some("application/json");

    fn config() -> GraphConfig {
        GraphConfig::new(PNID, TOKEN)
    }

    fn upload(bytes: &[u8], mime_type: &str, filename: &str) -> FileUpload {
        FileUpload {
            bytes: bytes.to_vec(),
            mime_type: mime_type.into(),
            filename: filename.into(),
            phone_number_id: None,
        }
    }

    fn sha_hex(bytes: &[u8]) -> String {
        hex::encode(Sha256::digest(bytes))
    }

    fn base64(bytes: &[u8]) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    fn invalid_field(result: Result<impl fmt::Debug, MediaError>) -> (String, String) {
        match result {
            Err(MediaError::InvalidRequest(i)) => (i.field, i.reason),
            other => panic!("expected an invalid request, got {other:?}"),
        }
    }

    // ------------------------------------------------------------ limits

    #[test]
    fn kinds_and_limits() {
        assert_eq!(upload_limit("image/jpeg"), Some(5 * 1024 * 1024));
        assert_eq!(upload_limit("IMAGE/PNG"), Some(5 * 1024 * 1024));
        assert_eq!(
            upload_limit("audio/ogg; codecs=opus"),
            Some(16 * 1024 * 1024)
        );
        assert_eq!(upload_limit("video/3gpp"), Some(16 * 1024 * 1024));
        assert_eq!(upload_limit("application/pdf"), Some(100 * 1024 * 1024));
        assert_eq!(
            upload_limit(
                "application/vnd.openxmlformats-officedocument.presentationml.presentation"
            ),
            Some(100 * 1024 * 1024)
        );
        assert_eq!(upload_limit("image/webp"), Some(500 * 1024));
        for unsupported in [
            "image/gif",
            "video/quicktime",
            "application/zip",
            "",
            "text",
        ] {
            assert_eq!(upload_limit(unsupported), None, "{unsupported}");
        }
        assert_eq!(media_kind("image/webp"), Some(MediaKind::Sticker));
    }

    #[test]
    fn uploads_are_checked_before_sending() {
        assert_eq!(
            validate_upload(&upload(b"x", " Image/PNG ; q=1", "a.png"))
                .ok()
                .as_deref(),
            Some("image/png")
        );
        assert_eq!(
            invalid_field(validate_upload(&upload(b"x", "image/gif", "a.gif"))),
            (
                "mime-type".into(),
                "image/gif is not a type Meta accepts for upload".into()
            )
        );
        assert_eq!(
            invalid_field(validate_upload(&upload(b"x", "  ", "a"))).0,
            "mime-type"
        );
        assert_eq!(
            invalid_field(validate_upload(&upload(b"", "text/plain", "a.txt"))),
            ("bytes".into(), "must not be empty".into())
        );
        let big = vec![0u8; 500 * 1024 + 1];
        match validate_upload(&upload(&big, "image/webp", "s.webp")) {
            Err(MediaError::TooLarge(t)) => {
                assert_eq!((t.size, t.limit), (Some(500 * 1024 + 1), 500 * 1024))
            }
            other => panic!("{other:?}"),
        }
        let exact = vec![0u8; 500 * 1024];
        assert!(validate_upload(&upload(&exact, "image/webp", "s.webp")).is_ok());
    }

    #[test]
    fn file_names_are_bare() {
        for ok in ["a.pdf", "Menu \"today\".pdf", "résumé.docx", ".hidden"] {
            assert!(validate_filename(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "  ",
            "../etc/passwd",
            "dir/a.pdf",
            "C:\\a.pdf",
            ".",
            "..",
            "a\r\nb",
            "a\0",
        ] {
            let error = validate_filename(bad).unwrap_err();
            assert!(
                matches!(&error, MediaError::InvalidRequest(i) if i.field == "filename"),
                "{bad:?}: {error:?}"
            );
        }
    }

    // ------------------------------------------------------------ multipart

    #[test]
    fn multipart_exact_body() {
        let (content_type, body) =
            multipart_body(b"hello", "text/plain", "Menu \"v2\".txt", || 0xab);
        assert_eq!(
            content_type,
            "multipart/form-data; boundary=whatsapp-media-00000000000000ab"
        );
        let want = "--whatsapp-media-00000000000000ab\r\n\
            Content-Disposition: form-data; name=\"messaging_product\"\r\n\r\nwhatsapp\r\n\
            --whatsapp-media-00000000000000ab\r\n\
            Content-Disposition: form-data; name=\"type\"\r\n\r\ntext/plain\r\n\
            --whatsapp-media-00000000000000ab\r\n\
            Content-Disposition: form-data; name=\"file\"; filename=\"Menu \\\"v2\\\".txt\"\r\n\
            Content-Type: text/plain\r\n\r\nhello\r\n\
            --whatsapp-media-00000000000000ab--\r\n";
        assert_eq!(String::from_utf8_lossy(&body), want);
    }

    #[test]
    fn the_boundary_never_occurs_in_the_file() {
        let clash = format!("x--{}y", boundary(1));
        let mut randoms = vec![1u64, 1, 2].into_iter();
        let (content_type, body) = multipart_body(clash.as_bytes(), "text/plain", "a.txt", || {
            randoms.next().unwrap_or(9)
        });
        assert!(content_type.ends_with(&boundary(2)), "{content_type}");
        assert_eq!(
            String::from_utf8_lossy(&body)
                .matches(&format!("--{}", boundary(2)))
                .count(),
            4
        );
        // A stuck random source still ends, with a counter.
        let stuck = format!("--{}", boundary(7));
        let (content_type, _) = multipart_body(stuck.as_bytes(), "text/plain", "a.txt", || 7);
        assert!(
            content_type.ends_with(&format!("{}-8", boundary(7))),
            "{content_type}"
        );
    }

    #[test]
    fn upload_request_shape() {
        let u = upload(b"%PDF", "application/pdf", "a.pdf");
        let r = upload_request(&config(), "1/2", &u, "application/pdf", || 0);
        assert_eq!(r.method, HttpMethod::Post);
        assert_eq!(r.url, "https://graph.facebook.com/v25.0/1%2F2/media");
        assert_eq!(
            r.headers[0],
            (
                "Authorization".into(),
                format!("Bearer {TOKEN}").into_bytes()
            )
        );
        assert_eq!(
            r.headers[1].1,
            b"multipart/form-data; boundary=whatsapp-media-0000000000000000"
        );
        let debug = format!("{r:?}");
        assert!(!debug.contains(TOKEN) && !debug.contains("%PDF"), "{debug}");
    }

    #[test]
    fn media_urls() {
        let c = config();
        assert_eq!(
            look_up_request(&c, " 1037543291543636 ", None).url,
            "https://graph.facebook.com/v25.0/1037543291543636"
        );
        assert_eq!(
            delete_request(&c, "a/b?c", Some(" 42 ")).url,
            "https://graph.facebook.com/v25.0/a%2Fb%3Fc?phone_number_id=42"
        );
        assert_eq!(
            delete_request(&c, "1", Some("  ")).method,
            HttpMethod::Delete
        );
        assert_eq!(
            delete_request(&c, "1", Some("  ")).url,
            "https://graph.facebook.com/v25.0/1"
        );
        // The root and version are read as the messages endpoint's are: a bare version
        // gets its `v`, a blank root is the default.
        let sloppy = GraphConfig {
            base_url: " / ".into(),
            version: " 25.0/ ".into(),
            ..config()
        };
        assert_eq!(
            look_up_request(&sloppy, "7", None).url,
            "https://graph.facebook.com/v25.0/7"
        );
        assert_eq!(
            upload_request(
                &sloppy,
                " 42 ",
                &upload(b"x", "image/png", "x.png"),
                "image/png",
                || 1
            )
            .url,
            "https://graph.facebook.com/v25.0/42/media"
        );
    }

    // ------------------------------------------------------------ checksum

    #[test]
    fn sha256_in_hex_or_base64() {
        let bytes = b"the file";
        let digest: [u8; 32] = Sha256::digest(bytes).into();
        assert_eq!(parse_sha256(&sha_hex(bytes)), Some(digest));
        assert_eq!(parse_sha256(&sha_hex(bytes).to_uppercase()), Some(digest));
        assert_eq!(parse_sha256(&base64(&digest)), Some(digest));
        assert_eq!(
            parse_sha256(base64(&digest).trim_end_matches('=')),
            Some(digest)
        );
        assert_eq!(
            parse_sha256(&format!(" {} ", base64(&digest))),
            Some(digest)
        );
        for bad in ["", "abc", "zz", &sha_hex(bytes)[..62], "not base64 at all!"] {
            assert_eq!(parse_sha256(bad), None, "{bad}");
        }
        assert!(verify_sha256(&sha_hex(bytes), bytes).is_ok());
        assert!(verify_sha256(&base64(&digest), bytes).is_ok());
        let mismatch = verify_sha256(&sha_hex(b"other"), bytes).unwrap_err();
        assert_eq!(mismatch.expected, sha_hex(b"other"));
        assert_eq!(mismatch.actual_hex, sha_hex(bytes));
        assert!(verify_sha256("", bytes).is_err());
    }

    #[test]
    fn base64_rejects_non_canonical() {
        assert_eq!(base64_decode("TWFu").as_deref(), Some(&b"Man"[..]));
        assert_eq!(base64_decode("TWE=").as_deref(), Some(&b"Ma"[..]));
        assert_eq!(base64_decode("TQ==").as_deref(), Some(&b"M"[..]));
        assert_eq!(base64_decode("TR=="), None, "non-zero padding bits");
        assert_eq!(base64_decode("T"), None);
        assert_eq!(base64_decode("TW-u"), None);
    }

    // ------------------------------------------------------------ URL trust

    #[test]
    fn meta_hosts_over_https_are_trusted() {
        let base = "https://graph.facebook.com";
        for ok in [
            "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1&ext=2&hash=3",
            "https://LOOKASIDE.FBSBX.COM/x",
            "https://scontent.xx.fbcdn.net/v/t1",
            "https://mmg.whatsapp.net/d/f/x.enc",
            "https://graph.facebook.com/v25.0/x",
            "https://lookaside.fbsbx.com:443/x",
            "https://lookaside.fbsbx.com?x",
        ] {
            assert!(trusted_download_url(ok, base).is_ok(), "{ok}");
        }
        for bad in [
            "http://lookaside.fbsbx.com/x",
            "https://fbsbx.com/x",
            "https://evilfbsbx.com/x",
            "https://lookaside.fbsbx.com.evil.example/x",
            "https://lookaside.fbsbx.com@evil.example/x",
            "https://evil.example/lookaside.fbsbx.com",
            "https://evil.example\\@lookaside.fbsbx.com/",
            "https://lookaside.fbsbx.com:8443/x",
            "ftp://lookaside.fbsbx.com/x",
            "//lookaside.fbsbx.com/x",
            "https:// lookaside.fbsbx.com/x",
            "",
        ] {
            let error = trusted_download_url(bad, base).unwrap_err();
            assert_eq!(error.field, "url", "{bad}");
        }
        let error = trusted_download_url("https://evil.example/steal?x=1", base).unwrap_err();
        assert_eq!(
            error.reason,
            "https://evil.example:443 is neither a Meta host over https nor the Graph API URL; the token is not sent to it"
        );
    }

    #[test]
    fn the_graph_api_origin_is_trusted() {
        let base = "http://127.0.0.1:8080";
        assert!(trusted_download_url("http://127.0.0.1:8080/media/1", base).is_ok());
        assert!(trusted_download_url("HTTP://127.0.0.1:8080", base).is_ok());
        assert!(trusted_download_url("http://127.0.0.1:8081/media/1", base).is_err());
        assert!(trusted_download_url("https://127.0.0.1:8080/media/1", base).is_err());
        assert!(trusted_download_url("http://localhost:8080/media/1", base).is_err());
        assert!(trusted_download_url("http://sandbox/m", "http://sandbox:80/").is_ok());
        assert!(trusted_download_url("http://[::1]:9/m", "http://[::1]:9").is_ok());
        assert!(trusted_download_url("http://[::1]:9/m", "http://[::1]:8").is_err());
    }

    // ------------------------------------------------------------ download cap

    #[test]
    fn max_download_from_the_environment() {
        let env = |value: Option<&'static str>| move |_: &str| value.map(str::to_string);
        assert_eq!(max_download_from_env(env(None)), 16_777_216);
        assert_eq!(max_download_from_env(env(Some(" 1000 "))), 1000);
        for bad in ["", "0", "-1", "16MB", "1e6"] {
            assert_eq!(
                max_download_from_env(env(Some(bad))),
                DEFAULT_MAX_DOWNLOAD,
                "{bad}"
            );
        }
    }

    #[test]
    fn reader_refuses_an_announced_size_over_the_cap() {
        let mut r = DownloadReader::new(10);
        assert_eq!(r.head(200, None, Some(11)), Flow::Stop);
        assert_eq!(r.chunk(vec![0; 1]), Flow::Stop);
        match r.finish() {
            Err(MediaError::TooLarge(t)) => assert_eq!((t.size, t.limit), (Some(11), 10)),
            other => panic!("{other:?}"),
        }
        let mut r = DownloadReader::new(10);
        assert_eq!(r.head(200, None, Some(10)), Flow::Continue);
        assert_eq!(r.chunk(vec![1; 10]), Flow::Continue);
        assert_eq!(r.finish().map(|a| a.body.len()).ok(), Some(10));
    }

    #[test]
    fn reader_never_holds_more_than_the_cap() {
        for chunk_size in [1usize, 3, 7, 10, 64] {
            let mut r = DownloadReader::new(10);
            r.head(200, Some("image/jpeg".into()), None);
            let mut stopped = false;
            for _ in 0..100 {
                if r.chunk(vec![7; chunk_size]) == Flow::Stop {
                    stopped = true;
                    break;
                }
                assert!(r.held() <= 10, "{chunk_size}: {}", r.held());
            }
            assert!(stopped, "{chunk_size}");
            assert_eq!(r.held(), 0, "nothing kept of a refused body");
            match r.finish() {
                Err(MediaError::TooLarge(t)) => assert_eq!((t.size, t.limit), (None, 10)),
                other => panic!("{chunk_size}: {other:?}"),
            }
        }
    }

    #[test]
    fn reader_keeps_the_start_of_an_error_answer() {
        let mut r = DownloadReader::new(4);
        r.head(404, JSON.map(str::to_string), Some(1 << 40));
        assert_eq!(r.chunk(vec![b'x'; 40 * 1024]), Flow::Continue);
        assert_eq!(r.chunk(vec![b'x'; 40 * 1024]), Flow::Stop);
        let answer = r.finish().expect("an error answer");
        assert_eq!((answer.status, answer.body.len()), (404, ERROR_BODY_MAX));
    }

    // ------------------------------------------------------------ answers

    #[test]
    fn look_up_answers() {
        let info = parse_media_info(
            "1",
            200,
            JSON,
            br#"{"messaging_product":"whatsapp","url":"https://lookaside.fbsbx.com/x","mime_type":"image/jpeg","sha256":"abc","file_size":"303833","id":"1037543291543636"}"#,
        )
        .expect("info");
        assert_eq!(info.id, "1037543291543636");
        assert_eq!(info.url, "https://lookaside.fbsbx.com/x");
        assert_eq!(
            (info.mime_type.as_str(), info.sha256.as_str()),
            ("image/jpeg", "abc")
        );
        assert_eq!(info.file_size, 303833);
        let info = parse_media_info("7", 200, None, br#"{"url":"u"}"#).expect("info");
        assert_eq!((info.id.as_str(), info.file_size), ("7", 0));
        match parse_media_info("7", 200, JSON, br#"{"id":"7"}"#) {
            Err(SendError::BadResponse(b)) => assert_eq!(b.reason, "no media url"),
            other => panic!("{other:?}"),
        }
        match parse_media_info(
            "7",
            400,
            JSON,
            br#"{"error":{"message":"(#100) Invalid parameter","type":"OAuthException","code":100,"error_subcode":33,"fbtrace_id":"T"}}"#,
        ) {
            Err(SendError::Graph(g)) => {
                assert_eq!((g.http_status, g.code, g.subcode), (400, 100, Some(33)));
                assert!(!g.retryable);
            }
            other => panic!("{other:?}"),
        }
        match parse_media_info("7", 200, JSON, br#"{"error":{"code":2,"message":"x"}}"#) {
            Err(SendError::Graph(g)) => assert!(g.retryable),
            other => panic!("{other:?}"),
        }
        match parse_media_info("7", 502, Some("text/html"), b"<html>") {
            Err(SendError::BadResponse(b)) => assert_eq!(b.http_status, 502),
            other => panic!("{other:?}"),
        }
        match parse_media_info("7", 200, Some("text/html"), b"<html>") {
            Err(SendError::BadResponse(b)) => assert_eq!(b.reason, "not JSON"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn upload_and_delete_answers() {
        assert_eq!(
            parse_upload_response(200, JSON, br#"{"id":"4490709327384033"}"#)
                .ok()
                .as_deref(),
            Some("4490709327384033")
        );
        assert_eq!(
            parse_upload_response(200, JSON, br#"{"id":4490709327384033}"#)
                .ok()
                .as_deref(),
            Some("4490709327384033")
        );
        assert!(matches!(
            parse_upload_response(200, JSON, br#"{}"#),
            Err(SendError::BadResponse(b)) if b.reason == "no media id"
        ));
        assert!(parse_delete_response(200, JSON, br#"{"success":true}"#).is_ok());
        assert!(parse_delete_response(200, JSON, br#"{"success":false}"#).is_err());
    }

    // ------------------------------------------------------------ client

    /// What the scripted download URL answers: status, content length, chunks.
    type Fetched = Result<(u16, Option<u64>, Vec<Vec<u8>>), ErrorCode>;

    #[derive(Default)]
    struct Scripted {
        answers: VecDeque<Result<HttpAnswer, ErrorCode>>,
        fetches: VecDeque<Fetched>,
        requests: Vec<GraphRequest>,
        /// Chunks handed to the reader per fetch.
        chunks_read: Vec<usize>,
        sleeps: Vec<Duration>,
        clock: Duration,
        random: u64,
    }

    impl Transport for Scripted {
        fn send(&mut self, request: &GraphRequest) -> Result<HttpAnswer, ErrorCode> {
            self.requests.push(request.clone());
            self.answers
                .pop_front()
                .unwrap_or_else(|| Ok(json(200, r#"{"success":true}"#)))
        }
        fn sleep(&mut self, pause: Duration) {
            self.sleeps.push(pause);
            self.clock += pause;
        }
        fn random(&mut self) -> u64 {
            self.random = self.random.wrapping_add(1);
            self.random
        }
        fn now(&mut self) -> Duration {
            self.clock
        }
    }

    impl MediaTransport for Scripted {
        fn fetch(
            &mut self,
            request: &GraphRequest,
            reader: &mut DownloadReader,
        ) -> Result<(), ErrorCode> {
            self.requests.push(request.clone());
            let (status, length, chunks) = self.fetches.pop_front().expect("a scripted fetch")?;
            let mut read = 0;
            if reader.head(status, None, length) == Flow::Continue {
                for chunk in chunks {
                    read += 1;
                    if reader.chunk(chunk) == Flow::Stop {
                        break;
                    }
                }
            }
            self.chunks_read.push(read);
            Ok(())
        }
    }

    fn json(status: u16, body: &str) -> HttpAnswer {
        HttpAnswer {
            status,
            content_type: crate::outbound::sender::ContentType::Read(Some(
                "application/json".into(),
            )),
            body: body.as_bytes().to_vec(),
        }
    }

    fn client(
        answers: Vec<Result<HttpAnswer, ErrorCode>>,
        fetches: Vec<Fetched>,
    ) -> MediaClient<Scripted> {
        MediaClient::new(
            Ok(config()),
            100,
            Scripted {
                answers: answers.into(),
                fetches: fetches.into(),
                ..Default::default()
            },
        )
    }

    fn info_answer(url: &str, sha256: &str, size: u64) -> Result<HttpAnswer, ErrorCode> {
        Ok(json(
            200,
            &serde_json::json!({"url": url, "mime_type": "text/plain", "sha256": sha256, "file_size": size, "id": "M1"})
                .to_string(),
        ))
    }

    const CDN: &str = "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=M1";

    #[test]
    fn download_checks_and_returns_the_bytes() {
        let bytes = b"hello media".to_vec();
        let mut c = client(
            vec![info_answer(CDN, &sha_hex(&bytes), 11)],
            vec![Ok((
                200,
                Some(11),
                vec![bytes[..5].to_vec(), bytes[5..].to_vec()],
            ))],
        );
        let d = c.download("M1", None).expect("downloaded");
        assert_eq!(d.bytes, bytes);
        assert_eq!(d.info.file_size, 11);
        let requests = &c.transport().requests;
        assert_eq!(requests.len(), 2);
        assert_eq!(requests[0].url, "https://graph.facebook.com/v25.0/M1");
        assert_eq!(requests[1].url, CDN);
        assert_eq!(
            requests[1].headers,
            vec![(
                "Authorization".into(),
                format!("Bearer {TOKEN}").into_bytes()
            )]
        );
    }

    #[test]
    fn download_refusals() {
        // Announced over the cap: no download.
        let mut c = client(vec![info_answer(CDN, "x", 101)], vec![]);
        assert!(matches!(
            c.download("M1", None),
            Err(MediaError::TooLarge(TooLarge {
                size: Some(101),
                limit: 100
            }))
        ));
        assert_eq!(c.transport().requests.len(), 1);
        // Untrusted host: no download, no token anywhere in the error.
        let mut c = client(vec![info_answer("https://evil.example/x", "x", 1)], vec![]);
        let (field, reason) = invalid_field(c.download("M1", None));
        assert_eq!(field, "url");
        assert!(!reason.contains(TOKEN));
        assert_eq!(c.transport().requests.len(), 1);
        // A body that runs over: refused while reading, the rest not read.
        let mut c = client(
            vec![info_answer(CDN, "x", 10)],
            vec![Ok((200, None, vec![vec![0; 60], vec![0; 60], vec![0; 60]]))],
        );
        assert!(matches!(
            c.download("M1", None),
            Err(MediaError::TooLarge(TooLarge {
                size: None,
                limit: 100
            }))
        ));
        assert_eq!(c.transport().chunks_read, vec![2]);
        // Wrong bytes.
        let mut c = client(
            vec![info_answer(CDN, &sha_hex(b"right"), 5)],
            vec![Ok((200, None, vec![b"wrong".to_vec()]))],
        );
        match c.download("M1", None) {
            Err(MediaError::ChecksumMismatch(m)) => {
                assert_eq!(m.expected, sha_hex(b"right"));
                assert_eq!(m.actual_hex, sha_hex(b"wrong"));
            }
            other => panic!("{other:?}"),
        }
        // The CDN's error answer, and a transport failure: not retried.
        let mut c = client(
            vec![info_answer(CDN, "x", 5)],
            vec![Ok((404, None, vec![b"Not Found".to_vec()]))],
        );
        assert!(matches!(
            c.download("M1", None),
            Err(MediaError::BadResponse(b)) if b.http_status == 404
        ));
        let mut c = client(
            vec![info_answer(CDN, "x", 5)],
            vec![Err(ErrorCode::ConnectionRefused)],
        );
        assert!(matches!(
            c.download("M1", None),
            Err(MediaError::Transport(_))
        ));
        assert!(c.transport().sleeps.is_empty());
    }

    #[test]
    fn look_up_retries_like_the_sender() {
        let mut c = client(
            vec![
                Err(ErrorCode::ConnectionReadTimeout),
                Ok(json(503, "{}")),
                info_answer(CDN, "x", 1),
            ],
            vec![],
        );
        assert_eq!(c.look_up("M1", Some("42")).expect("info").url, CDN);
        assert_eq!(c.transport().requests.len(), 3);
        assert_eq!(c.transport().sleeps.len(), 2);
        assert_eq!(
            c.transport().requests[0].url,
            "https://graph.facebook.com/v25.0/M1?phone_number_id=42"
        );
    }

    #[test]
    fn upload_is_not_retried_after_it_may_have_reached_meta() {
        let mut c = client(vec![Err(ErrorCode::ConnectionReadTimeout)], vec![]);
        assert!(matches!(
            c.upload(&upload(b"hi", "text/plain", "a.txt")),
            Err(MediaError::Transport(_))
        ));
        assert_eq!(c.transport().requests.len(), 1);
        let mut c = client(
            vec![
                Err(ErrorCode::ConnectionRefused),
                Ok(json(200, r#"{"id":"M9"}"#)),
            ],
            vec![],
        );
        assert_eq!(
            c.upload(&upload(b"hi", "text/plain", "a.txt"))
                .ok()
                .as_deref(),
            Some("M9")
        );
        // The boundary took the first random number, jitter the next ones.
        let requests = &c.transport().requests;
        assert!(requests[0].headers[1].1.ends_with(boundary(1).as_bytes()));
        assert_eq!(requests[0], requests[1]);
    }

    #[test]
    fn invalid_uploads_send_nothing() {
        let mut c = client(vec![], vec![]);
        let big = vec![1u8; 5 * 1024 * 1024 + 1];
        assert!(matches!(
            c.upload(&upload(&big, "image/png", "a.png")),
            Err(MediaError::TooLarge(_))
        ));
        assert_eq!(
            invalid_field(c.upload(&upload(b"x", "image/gif", "a.gif"))).0,
            "mime-type"
        );
        assert_eq!(invalid_field(c.delete(" ", None)).0, "media-id");
        assert!(c.transport().requests.is_empty());
    }

    #[test]
    fn missing_configuration() {
        let missing = vec![
            graph::ENV_ACCESS_TOKEN.to_string(),
            graph::ENV_PHONE_NUMBER_ID.to_string(),
        ];
        let mut c = MediaClient::new(Err(missing.clone()), 100, Scripted::default());
        for error in [
            c.look_up("1", None).err(),
            c.delete("1", None).err(),
            c.download("1", None).err(),
        ] {
            assert!(
                matches!(&error, Some(MediaError::MissingConfig(n)) if *n == vec![graph::ENV_ACCESS_TOKEN.to_string()]),
                "{error:?}"
            );
        }
        assert!(matches!(
            c.upload(&upload(b"x", "text/plain", "a")),
            Err(MediaError::MissingConfig(n)) if n == missing
        ));
        let mut c = MediaClient::new(Ok(GraphConfig::new("", TOKEN)), 100, Scripted::default());
        assert!(matches!(
            c.upload(&upload(b"x", "text/plain", "a")),
            Err(MediaError::MissingConfig(n)) if n == vec![graph::ENV_PHONE_NUMBER_ID.to_string()]
        ));
        assert!(c.transport().requests.is_empty());
    }

    #[test]
    fn errors_never_hold_the_token() {
        let body = format!(
            r#"{{"error":{{"message":"Invalid OAuth access token {TOKEN}","type":"OAuthException","code":190,"fbtrace_id":"F"}}}}"#
        );
        let mut c = client(vec![Ok(json(401, &body))], vec![]);
        match c.delete("1", None) {
            Err(MediaError::Graph(g)) => {
                assert_eq!(g.code, 190);
                assert!(!g.message.contains(TOKEN), "{}", g.message);
            }
            other => panic!("{other:?}"),
        }
        let leaky = ErrorCode::InternalError(Some(format!("Bearer {TOKEN}")));
        let mut c = client(vec![info_answer(CDN, "x", 1)], vec![Err(leaky)]);
        let error = c.download("1", None).unwrap_err();
        assert!(!describe_media_error(&error).contains(TOKEN));
    }
}
