//! Media in and out, as Meta has it: uploads (multipart/form-data) are kept, looked up,
//! downloaded with the token, sent by id, shown in the chat and deleted; what the chat
//! sends (a photo, a voice note) is looked up and downloaded with the right type.

mod common;

use std::net::SocketAddr;

use bytes::Bytes;
use common::*;
use hyper::Method;
use serde_json::{json, Value};
use sha2::Digest;

/// Bytes no UTF-8 or line-based parser would get right: a PNG signature, CRLFs, a NUL,
/// and something that looks like a boundary but is not one.
fn tricky_bytes() -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n\0\xff\xfe".to_vec();
    b.extend_from_slice(b"\r\n--sandbox-boundar\r\n\r\n");
    b.extend((0..=255u8).cycle().take(3000));
    b.extend_from_slice(b"\r\n");
    b
}

/// A multipart/form-data body with these text fields and, when given, a file part.
fn multipart(boundary: &str, fields: &[(&str, &str)], file: Option<(&str, &str, &[u8])>) -> Bytes {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    if let Some((filename, content_type, bytes)) = file {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: {content_type}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    Bytes::from(body)
}

/// `POST /v24.0/<PHONE_ID>/media` with the token.
async fn upload(addr: SocketAddr, content_type: &str, body: Bytes) -> Answer {
    let auth = bearer();
    call_bytes(
        addr,
        Method::POST,
        &format!("/v24.0/{PHONE_ID}/media"),
        &[("authorization", &auth), ("content-type", content_type)],
        body,
    )
    .await
    .unwrap()
}

/// Uploads `bytes` as `mime` and returns the new id.
async fn upload_file(addr: SocketAddr, filename: &str, mime: &str, bytes: &[u8]) -> String {
    let r = upload(
        addr,
        "multipart/form-data; boundary=\"sandbox-boundary\"",
        multipart(
            "sandbox-boundary",
            &[("messaging_product", "whatsapp"), ("type", mime)],
            Some((filename, "application/octet-stream", bytes)),
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r);
    r.json()["id"].as_str().expect("an id").to_string()
}

async fn get(addr: SocketAddr, path: &str, auth: bool) -> Answer {
    let token = bearer();
    let headers: Vec<(&str, &str)> = if auth {
        vec![("authorization", &token)]
    } else {
        vec![]
    };
    call(addr, Method::GET, path, &headers, "").await.unwrap()
}

/// The path of a URL the sandbox handed out.
fn path_of(addr: SocketAddr, url: &str) -> String {
    url.strip_prefix(&format!("http://{addr}"))
        .unwrap_or_else(|| panic!("{url} is not on the sandbox"))
        .to_string()
}

fn assert_graph_error(r: &Answer, code: i64) -> Value {
    assert_eq!(r.status, 400, "{:?}", r);
    let e = r.json()["error"].clone();
    assert_eq!(e["code"], code, "{e}");
    assert!(
        e["message"].is_string() && e["fbtrace_id"].is_string(),
        "{e}"
    );
    e
}

#[tokio::test]
async fn an_upload_is_looked_up_and_downloaded_with_the_same_bytes() {
    let (sbx, _hook) = start().await;
    let bytes = tricky_bytes();
    let id = upload_file(sbx.addr, "photo.png", "image/png", &bytes).await;
    assert!(
        !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()),
        "{id}"
    );

    let r = get(sbx.addr, &format!("/v24.0/{id}"), true).await;
    assert_eq!(r.status, 200, "{:?}", r);
    let info = r.json();
    assert_eq!(info["id"], id.as_str());
    assert_eq!(info["messaging_product"], "whatsapp");
    assert_eq!(info["mime_type"], "image/png");
    assert_eq!(info["file_size"], bytes.len());
    assert_eq!(info["sha256"], hex::encode(sha2::Sha256::digest(&bytes)));

    let path = path_of(sbx.addr, info["url"].as_str().unwrap());
    let file = get(sbx.addr, &path, true).await;
    assert_eq!(file.status, 200);
    assert_eq!(file.content_type, "image/png");
    assert_eq!(&file.body[..], &bytes[..]);
    // As with Meta, the download needs the token.
    assert_eq!(get(sbx.addr, &path, false).await.status, 401);
}

#[tokio::test]
async fn an_upload_without_type_takes_the_file_content_type() {
    let (sbx, _hook) = start().await;
    let r = upload(
        sbx.addr,
        "multipart/form-data; boundary=b0",
        multipart(
            "b0",
            &[("messaging_product", "whatsapp")],
            Some(("notes.pdf", "application/pdf", b"%PDF-1.4 sandbox")),
        ),
    )
    .await;
    let id = r.json()["id"].as_str().unwrap().to_string();
    let info = get(sbx.addr, &format!("/v24.0/{id}"), true).await.json();
    assert_eq!(info["mime_type"], "application/pdf");
    assert_eq!(info["file_size"], 16);
}

#[tokio::test]
async fn a_bad_upload_is_a_graph_error_100() {
    let (sbx, _hook) = start().await;
    let ct = "multipart/form-data; boundary=xx";
    let product = ("messaging_product", "whatsapp");
    let kind = ("type", "image/png");
    let file = Some(("a.png", "image/png", &b"\x89PNG"[..]));
    let cases: Vec<(&str, Bytes, &str)> = vec![
        (ct, multipart("xx", &[product, kind], None), "file"),
        (ct, multipart("xx", &[kind], file), "messaging_product"),
        (
            ct,
            multipart("xx", &[product, kind], Some(("a.png", "image/png", b""))),
            "empty",
        ),
        (
            "application/json",
            Bytes::from_static(b"{\"messaging_product\":\"whatsapp\"}"),
            "multipart/form-data",
        ),
        (
            ct,
            Bytes::from_static(
                b"--xx\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nno end",
            ),
            "malformed",
        ),
    ];
    for (content_type, body, what) in cases {
        let r = upload(sbx.addr, content_type, body).await;
        let e = assert_graph_error(&r, 100);
        assert_eq!(e["type"], "OAuthException");
        assert!(e.to_string().contains(what), "{what}: {e}");
    }
    // An unknown phone number id stays Meta's unknown-object error.
    let auth = bearer();
    let r = call_bytes(
        sbx.addr,
        Method::POST,
        "/v24.0/999/media",
        &[("authorization", &auth), ("content-type", ct)],
        multipart("xx", &[product, kind], file),
    )
    .await
    .unwrap();
    assert_eq!(assert_graph_error(&r, 100)["error_subcode"], 33);
}

#[tokio::test]
async fn a_deleted_upload_is_no_longer_found() {
    let (sbx, _hook) = start().await;
    let id = upload_file(sbx.addr, "a.txt", "text/plain", b"bye").await;
    let url = get(sbx.addr, &format!("/v24.0/{id}"), true).await.json()["url"]
        .as_str()
        .unwrap()
        .to_string();
    let auth = bearer();
    let item = format!("/v24.0/{id}");
    let headers = [("authorization", auth.as_str())];
    let delete = || call(sbx.addr, Method::DELETE, &item, &headers, "");
    let r = delete().await.unwrap();
    assert_eq!((r.status, r.json()), (200, json!({"success": true})));

    let e = assert_graph_error(&get(sbx.addr, &format!("/v24.0/{id}"), true).await, 100);
    assert!(e["message"].as_str().unwrap().contains(&id), "{e}");
    assert_graph_error(&get(sbx.addr, &path_of(sbx.addr, &url), true).await, 100);
    // Deleting it again, or an id that was never uploaded, is no object.
    let e = assert_graph_error(&delete().await.unwrap(), 100);
    assert!(e["message"]
        .as_str()
        .unwrap()
        .starts_with("Unsupported delete request"));
    let r = call(
        sbx.addr,
        Method::DELETE,
        "/v24.0/1234567890",
        &[("authorization", &auth)],
        "",
    )
    .await
    .unwrap();
    assert_graph_error(&r, 100);
}

#[tokio::test]
async fn an_upload_is_recorded_without_its_bytes() {
    let (sbx, _hook) = start().await;
    let marker = b"SECRET-FILE-CONTENT-0123456789";
    upload_file(sbx.addr, "secret.bin", "application/octet-stream", marker).await;
    let list = requests(sbx.addr).await;
    let entry = list.last().unwrap();
    assert_eq!(entry["method"], "POST");
    assert_eq!(entry["path"], format!("/v24.0/{PHONE_ID}/media"));
    assert_eq!(entry["phone_number_id"], PHONE_ID);
    assert_eq!(entry["body"]["messaging_product"], "whatsapp");
    assert_eq!(entry["body"]["type"], "application/octet-stream");
    assert_eq!(entry["body"]["file"]["filename"], "secret.bin");
    assert_eq!(entry["body"]["file"]["file_size"], marker.len());
    assert_eq!(entry["response"]["status"], 200);
    let text = serde_json::to_string(&list).unwrap();
    assert!(
        !text.contains("SECRET-FILE-CONTENT"),
        "bytes leaked: {text}"
    );
    assert!(!text.contains(TOKEN));
}

#[tokio::test]
async fn a_business_image_sent_by_an_uploaded_id_shows_in_the_chat() {
    let (sbx, _hook) = start().await;
    let bytes = tricky_bytes();
    let id = upload_file(sbx.addr, "photo.png", "image/png", &bytes).await;
    let r = graph_post(
        sbx.addr,
        &json!({"messaging_product": "whatsapp", "to": ALICE, "type": "image",
                "image": {"id": id, "caption": "back to you"}}),
    )
    .await
    .unwrap();
    assert_eq!(r.status, 200, "{:?}", r);
    let wamid = sent_id(&r);

    let state = state(sbx.addr).await;
    let m = state["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == wamid.as_str())
        .expect("the image is in the chat")
        .clone();
    assert_eq!(m["from"], "bot");
    assert_eq!(m["type"], "image");
    assert_eq!(m["media"]["id"], id.as_str());
    assert_eq!(m["media"]["mime_type"], "image/png");
    assert_eq!(m["media"]["file_size"], bytes.len());
    let url = m["media"]["url"].as_str().unwrap().to_string();
    assert_eq!(url, format!("/_sandbox/media/{id}"));
    let shown = get(sbx.addr, &url, false).await;
    assert_eq!(
        (shown.status, shown.content_type.as_str()),
        (200, "image/png")
    );
    assert_eq!(&shown.body[..], &bytes[..]);

    // The business may delete it once sent: the chat keeps showing it, Graph forgets it.
    let auth = bearer();
    let r = call(
        sbx.addr,
        Method::DELETE,
        &format!("/v24.0/{id}"),
        &[("authorization", &auth)],
        "",
    )
    .await
    .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(&get(sbx.addr, &url, false).await.body[..], &bytes[..]);
    assert_graph_error(&get(sbx.addr, &format!("/v24.0/{id}"), true).await, 100);

    // A deleted or unknown id cannot be sent.
    for unknown in [id.as_str(), "1234567890123456"] {
        let r = graph_post(
            sbx.addr,
            &json!({"messaging_product": "whatsapp", "to": ALICE, "type": "image",
                    "image": {"id": unknown}}),
        )
        .await
        .unwrap();
        let e = assert_graph_error(&r, 100);
        assert!(e.to_string().contains("image['id']"), "{e}");
    }
}

#[tokio::test]
async fn a_business_document_sent_by_an_uploaded_id_has_its_name_and_size() {
    let (sbx, _hook) = start().await;
    let id = upload_file(sbx.addr, "report.pdf", "application/pdf", b"%PDF-1.7 tiny").await;
    let r = graph_post(
        sbx.addr,
        &json!({"messaging_product": "whatsapp", "to": ALICE, "type": "document",
                "document": {"id": id}}),
    )
    .await
    .unwrap();
    let wamid = sent_id(&r);
    let state = state(sbx.addr).await;
    let m = state["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == wamid.as_str())
        .unwrap()
        .clone();
    assert_eq!(m["media"]["filename"], "report.pdf");
    assert_eq!(m["media"]["file_size"], 13);
    let file = get(sbx.addr, m["media"]["url"].as_str().unwrap(), false).await;
    assert_eq!(file.content_type, "application/pdf");
    assert_eq!(&file.body[..], b"%PDF-1.7 tiny");
}

#[tokio::test]
async fn a_voice_note_from_the_chat_is_ogg_opus_audio() {
    let (sbx, hook) = start().await;
    let r = sandbox_post(sbx.addr, "/_sandbox/send", &json!({"type": "audio"})).await;
    assert_eq!(r.status, 200, "{:?}", r);
    let value = hook.next_message_value().await;
    let m = &value["messages"][0];
    assert_eq!(m["type"], "audio");
    assert_eq!(m["audio"]["voice"], true);
    assert_eq!(m["audio"]["mime_type"], "audio/ogg; codecs=opus");
    let id = m["audio"]["id"].as_str().unwrap();

    let info = get(sbx.addr, &format!("/v24.0/{id}"), true).await.json();
    assert_eq!(info["mime_type"], "audio/ogg; codecs=opus");
    let file = get(
        sbx.addr,
        &path_of(sbx.addr, info["url"].as_str().unwrap()),
        true,
    )
    .await;
    assert_eq!(file.status, 200);
    assert!(
        file.content_type.starts_with("audio/ogg"),
        "{}",
        file.content_type
    );
    assert!(file.body.starts_with(b"OggS"));
    assert_eq!(info["file_size"], file.body.len());
    assert_eq!(
        info["sha256"],
        hex::encode(sha2::Sha256::digest(&file.body))
    );
    // The webhook's sha256 (base64, as Meta's) is of the same bytes.
    assert_eq!(
        m["audio"]["sha256"],
        sandbox::wire::base64(&sandbox::wire::sha256(&file.body))
    );

    // The business may send it back by its id.
    let r = graph_post(
        sbx.addr,
        &json!({"messaging_product": "whatsapp", "to": ALICE, "type": "audio", "audio": {"id": id}}),
    )
    .await
    .unwrap();
    assert_eq!(r.status, 200, "{:?}", r);
}

#[tokio::test]
async fn the_sample_photo_from_the_chat_still_looks_up_as_a_png() {
    let (sbx, hook) = start().await;
    let r = sandbox_post(sbx.addr, "/_sandbox/send", &json!({"type": "image"})).await;
    assert_eq!(r.status, 200);
    let value = hook.next_message_value().await;
    let image = &value["messages"][0]["image"];
    let id = image["id"].as_str().unwrap();
    let info = get(sbx.addr, &format!("/v24.0/{id}"), true).await.json();
    assert_eq!(info["mime_type"], "image/png");
    let file = get(
        sbx.addr,
        &path_of(sbx.addr, info["url"].as_str().unwrap()),
        true,
    )
    .await;
    assert!(file.body.starts_with(b"\x89PNG\r\n\x1a\n"));
    assert_eq!(info["file_size"], file.body.len());
    assert_eq!(
        image["sha256"],
        sandbox::wire::base64(&sandbox::wire::sha256(&file.body))
    );
}
