//! Media bot: an example of the `bot` world. It receives messages as a consumer does, and
//! calls `outgoing` and `media` itself — from a second instance of the `whatsapp`
//! component (see `examples/bot.wac`), since composition is acyclic — so it can use what
//! a call returns:
//!
//! - a photo: it downloads it (`media.download`, checked against Meta's SHA-256), answers
//!   with its type, size and SHA-256 quoting the photo, sends the same photo back by
//!   uploading it (`media.upload`, then `outgoing.send-media` by the new id), and reacts
//!   to its own answer with the message id `outgoing.send-text` returned;
//! - a text: one line saying what it does (a returned action, as simple consumers do);
//! - anything else: nothing.
//!
//! Everything goes to the chat of the message (its group, else its sender), from the
//! number that received it. On a retry (`delivery.attempt` above 1, after an earlier
//! dispatch did not finish) it does the same again: the component cannot know what a bot
//! sent by itself, so a bot that must not repeat itself checks the attempt.

wit_bindgen::generate!({
    world: "bot",
    path: "../../wit",
});

use asterai::whatsapp::media::{self, FileUpload};
use asterai::whatsapp::outgoing;
use asterai::whatsapp::types::{
    Action, Content, Delivery, Media, MediaKind, MediaMessage, MediaSource, Message,
    ReactionMessage, Reply, StatusUpdate, TextFormat, TextMessage, WebhookUpdate,
};
use exports::asterai::whatsapp::incoming_handler::Guest;

/// What the bot says to a text.
pub const HELP: &str =
    "Send me a photo: I download it, tell you its type, size and SHA-256, and send it back.";
/// The caption of the photo sent back.
pub const CAPTION: &str = "Here is your photo back.";
/// The reaction to its own answer.
pub const REACTION: &str = "📸";

/// The component.
struct MediaBot;

impl Guest for MediaBot {
    fn on_message(message: Message, _delivery: Delivery) -> Vec<Action> {
        match &message.content {
            Content::Image(photo) => {
                answer_photo(&message, photo);
                Vec::new()
            }
            Content::Text(_) => vec![Action::Reply(Reply {
                body: HELP.to_string(),
                quote: false,
                format: TextFormat::Raw,
                preview_url: false,
                biz_opaque_callback_data: None,
            })],
            _ => Vec::new(),
        }
    }

    fn on_status(_status: StatusUpdate, _delivery: Delivery) {}

    fn on_update(_update: WebhookUpdate, _delivery: Delivery) {}
}

/// Download, describe, send back, react.
fn answer_photo(message: &Message, photo: &Media) {
    let to = chat_of(message);
    let from = Some(message.phone_number_id.clone()).filter(|p| !p.is_empty());
    let text = |body: String| TextMessage {
        to: to.clone(),
        body,
        format: TextFormat::Markdown,
        preview_url: false,
        reply_to: Some(message.id.clone()),
        phone_number_id: from.clone(),
        biz_opaque_callback_data: None,
    };
    let downloaded = match media::download(&photo.id, from.as_deref()) {
        Ok(downloaded) => downloaded,
        Err(e) => {
            eprintln!("media-bot: download of {} failed: {e:?}", photo.id);
            let _ =
                outgoing::send_text(&text("Sorry, I could not download your photo.".to_string()));
            return;
        }
    };
    let answer = describe(
        &downloaded.info.mime_type,
        downloaded.bytes.len(),
        &downloaded.info.sha256,
    );
    let sent = outgoing::send_text(&text(answer));
    let upload = FileUpload {
        bytes: downloaded.bytes,
        mime_type: downloaded.info.mime_type.clone(),
        filename: filename_for(&downloaded.info.mime_type),
        phone_number_id: from.clone(),
    };
    match media::upload(&upload) {
        Ok(id) => {
            let back = MediaMessage {
                to: to.clone(),
                kind: MediaKind::Image,
                source: MediaSource::Id(id),
                caption: Some(CAPTION.to_string()),
                filename: None,
                reply_to: None,
                phone_number_id: from.clone(),
                biz_opaque_callback_data: None,
            };
            if let Err(e) = outgoing::send_media(&back) {
                eprintln!("media-bot: sending the photo back failed: {e:?}");
            }
        }
        Err(e) => eprintln!("media-bot: upload failed: {e:?}"),
    }
    // React to its own answer, by the id `send-text` returned.
    if let Some(answer_id) = sent.ok().and_then(|s| s.message_ids.into_iter().next()) {
        let reaction = ReactionMessage {
            to,
            message_id: answer_id,
            emoji: REACTION.to_string(),
            phone_number_id: from,
            biz_opaque_callback_data: None,
        };
        if let Err(e) = outgoing::react(&reaction) {
            eprintln!("media-bot: reacting failed: {e:?}");
        }
    }
}

/// Where an answer goes: the message's group, else its sender's phone number, else their
/// user id.
pub fn chat_of(message: &Message) -> String {
    if let Some(group) = &message.group_id {
        return format!("group:{group}");
    }
    message
        .sender
        .phone
        .clone()
        .or_else(|| message.sender.user_id.clone())
        .unwrap_or_default()
}

/// The answer to a photo: its type, size and SHA-256.
pub fn describe(mime_type: &str, size: usize, sha256: &str) -> String {
    format!("Got your photo: *{mime_type}*, {size} bytes, SHA-256 `{sha256}`.")
}

/// A file name for the photo sent back.
pub fn filename_for(mime_type: &str) -> String {
    let extension = match mime_type.split(';').next().unwrap_or("").trim() {
        "image/png" => "png",
        "image/jpeg" => "jpg",
        "image/webp" => "webp",
        _ => "bin",
    };
    format!("photo.{extension}")
}

export!(MediaBot);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_photo_is_described_by_type_size_and_hash() {
        assert_eq!(
            describe("image/png", 1234, "ab12"),
            "Got your photo: *image/png*, 1234 bytes, SHA-256 `ab12`."
        );
    }

    #[test]
    fn the_photo_sent_back_is_named_for_its_type() {
        assert_eq!(filename_for("image/png"), "photo.png");
        assert_eq!(filename_for("image/jpeg; charset=x"), "photo.jpg");
        assert_eq!(filename_for("application/x"), "photo.bin");
    }
}
