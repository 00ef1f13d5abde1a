//! The exported `media` interface through the real component: the exact requests of a
//! look-up, a download, an upload and a deletion (method, URL, headers, multipart body),
//! where the access token goes and where it must not, the download's size cap and
//! checksum, Meta's upload limits, and the typed errors.

mod outgoing_support;

use host_test::*;
use outgoing_support::*;
use serde_json::json;
use sha2::Digest;

const MEDIA_ID: &str = "1037543291543636";
const LOOK_UP_URL: &str = "https://graph.facebook.com/v25.0/1037543291543636";
const CDN_URL: &str =
    "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1037543291543636&ext=1&hash=ATu";
const UPLOAD_URL: &str = "https://graph.facebook.com/v25.0/106540352242922/media";

fn sha_hex(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

fn sha_base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let digest = sha2::Sha256::digest(bytes);
    let mut out = String::new();
    for chunk in digest.chunks(3) {
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

/// Meta's answer to a look-up.
fn info_json(url: &str, sha256: &str, file_size: u64) -> GraphResponse {
    GraphResponse::json(
        200,
        json!({
            "messaging_product": "whatsapp",
            "url": url,
            "mime_type": "image/jpeg",
            "sha256": sha256,
            "file_size": file_size,
            "id": MEDIA_ID
        }),
    )
}

/// A harness whose Graph API answers the look-up with `info` and the download URL with
/// `bytes`.
fn serving(info: GraphResponse, bytes: Vec<u8>) -> Harness {
    harness().graph(move |req| {
        if req.authority == "graph.facebook.com" {
            info.clone()
        } else {
            GraphResponse::bytes(200, "image/jpeg", bytes.clone())
        }
    })
}

fn info(url: &str, sha256: &str, file_size: u64) -> MediaInfo {
    MediaInfo {
        id: MEDIA_ID.into(),
        url: url.into(),
        mime_type: "image/jpeg".into(),
        sha256: sha256.into(),
        file_size,
    }
}

#[track_caller]
fn assert_bearer(request: &GraphRequest) {
    assert_eq!(
        request.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str()),
        "authorization of {} {}",
        request.method,
        request.url
    );
}

fn file(bytes: &[u8], mime_type: &str, filename: &str) -> FileUpload {
    FileUpload {
        bytes: bytes.to_vec(),
        mime_type: mime_type.into(),
        filename: filename.into(),
        phone_number_id: None,
    }
}

#[track_caller]
fn invalid_media(result: Result<impl std::fmt::Debug, MediaError>) -> InvalidRequest {
    match result {
        Err(MediaError::InvalidRequest(i)) => i,
        other => panic!("expected an invalid request, got {other:?}"),
    }
}

#[track_caller]
fn graph_failure(result: Result<impl std::fmt::Debug, MediaError>) -> GraphError {
    match result {
        Err(MediaError::Graph(g)) => g,
        other => panic!("expected a Graph error, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------- look-up

#[tokio::test]
async fn look_up_gets_the_media_object_with_the_bearer_token() -> anyhow::Result<()> {
    let bytes = b"jpeg".to_vec();
    let h = serving(info_json(CDN_URL, &sha_hex(&bytes), 4), bytes.clone());
    let found = h.media().look_up(MEDIA_ID, None).await?;
    assert_eq!(found, Ok(info(CDN_URL, &sha_hex(&bytes), 4)));
    let request = only_request(&h);
    assert_eq!(request.method, "GET");
    assert_eq!(request.url, LOOK_UP_URL);
    assert_eq!(request.query, None);
    assert_bearer(&request);
    assert!(request.body.is_empty());
    Ok(())
}

#[tokio::test]
async fn look_up_naming_a_number_asks_meta_to_check_it() -> anyhow::Result<()> {
    let h = serving(info_json(CDN_URL, "x", 1), vec![]);
    h.media()
        .look_up(" 1037543291543636 ", Some("555000111"))
        .await?
        .expect("found");
    let request = only_request(&h);
    assert_eq!(
        request.url,
        format!("{LOOK_UP_URL}?phone_number_id=555000111")
    );
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn look_up_retries_a_meta_outage_like_a_send() -> anyhow::Result<()> {
    let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = calls.clone();
    let h = harness().graph(move |_| {
        if seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
            GraphResponse::meta_error(503, 2, "OAuthException", "Service temporarily unavailable")
        } else {
            info_json(CDN_URL, "x", 1)
        }
    });
    h.media().look_up(MEDIA_ID, None).await?.expect("found");
    assert_eq!(h.graph_requests().len(), 2);
    Ok(())
}

// ---------------------------------------------------------------------------- download

#[tokio::test]
async fn download_checks_a_hex_sha256_and_returns_the_bytes() -> anyhow::Result<()> {
    let bytes: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    let h = serving(info_json(CDN_URL, &sha_hex(&bytes), 70_000), bytes.clone());
    let downloaded = h
        .media()
        .download(MEDIA_ID, None)
        .await?
        .expect("downloaded");
    assert_eq!(downloaded.bytes, bytes);
    assert_eq!(downloaded.info, info(CDN_URL, &sha_hex(&bytes), 70_000));
    let requests = h.graph_requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(
        (requests[0].method.as_str(), requests[0].url.as_str()),
        ("GET", LOOK_UP_URL)
    );
    assert_eq!(
        (requests[1].method.as_str(), requests[1].url.as_str()),
        ("GET", CDN_URL)
    );
    assert_bearer(&requests[0]);
    assert_bearer(&requests[1]);
    Ok(())
}

#[tokio::test]
async fn download_accepts_a_base64_or_uppercase_hex_sha256() -> anyhow::Result<()> {
    let bytes = b"voice note".to_vec();
    for sha256 in [sha_base64(&bytes), sha_hex(&bytes).to_uppercase()] {
        let h = serving(info_json(CDN_URL, &sha256, 10), bytes.clone());
        let downloaded = h.media().download(MEDIA_ID, None).await?;
        assert_eq!(downloaded.map(|d| d.bytes), Ok(bytes.clone()), "{sha256}");
    }
    Ok(())
}

#[tokio::test]
async fn download_with_a_wrong_checksum_is_a_typed_error() -> anyhow::Result<()> {
    let h = serving(
        info_json(CDN_URL, &sha_hex(b"the real file"), 8),
        b"tampered".to_vec(),
    );
    let result = h.media().download(MEDIA_ID, None).await?;
    assert_eq!(
        result,
        Err(MediaError::ChecksumMismatch(ChecksumMismatch {
            expected: sha_hex(b"the real file"),
            actual_hex: sha_hex(b"tampered"),
        }))
    );
    Ok(())
}

#[tokio::test]
async fn download_announced_over_the_cap_is_refused_without_fetching() -> anyhow::Result<()> {
    let h = serving(info_json(CDN_URL, "x", 1001), vec![0; 1001])
        .env("WHATSAPP_MEDIA_MAX_BYTES", "1000");
    let result = h.media().download(MEDIA_ID, None).await?;
    assert_eq!(
        result,
        Err(MediaError::TooLarge(TooLarge {
            size: Some(1001),
            limit: 1000
        }))
    );
    assert_eq!(only_request(&h).url, LOOK_UP_URL);
    Ok(())
}

#[tokio::test]
async fn download_over_the_default_cap_of_16_mib_is_refused() -> anyhow::Result<()> {
    let h = serving(info_json(CDN_URL, "x", 16 * 1024 * 1024 + 1), vec![]);
    let result = h.media().download(MEDIA_ID, None).await?;
    assert_eq!(
        result,
        Err(MediaError::TooLarge(TooLarge {
            size: Some(16_777_217),
            limit: 16_777_216
        }))
    );
    assert_eq!(h.graph_requests().len(), 1);
    Ok(())
}

#[tokio::test]
async fn a_body_longer_than_announced_is_refused_at_the_cap() -> anyhow::Result<()> {
    let big = vec![7u8; 5000];
    let h = serving(info_json(CDN_URL, &sha_hex(&big), 10), big)
        .env("WHATSAPP_MEDIA_MAX_BYTES", "1000");
    let result = h.media().download(MEDIA_ID, None).await?;
    assert_eq!(
        result,
        Err(MediaError::TooLarge(TooLarge {
            size: None,
            limit: 1000
        }))
    );
    assert_eq!(h.graph_requests().len(), 2);
    Ok(())
}

#[tokio::test]
async fn an_untrusted_download_host_gets_no_request_and_no_token() -> anyhow::Result<()> {
    for url in [
        "https://evil.example/steal",
        "http://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1",
        "https://lookaside.fbsbx.com.evil.example/x",
        "https://lookaside.fbsbx.com@evil.example/x",
    ] {
        let h = serving(info_json(url, "x", 1), b"x".to_vec());
        let error = invalid_media(h.media().download(MEDIA_ID, None).await?);
        assert_eq!(error.field, "url", "{url}");
        assert!(!error.reason.contains(TOKEN), "{}", error.reason);
        assert!(error.reason.contains("not sent"), "{}", error.reason);
        assert_eq!(only_request(&h).url, LOOK_UP_URL, "{url}: only the look-up");
    }
    Ok(())
}

#[tokio::test]
async fn the_configured_graph_api_origin_may_serve_downloads() -> anyhow::Result<()> {
    let bytes = b"from the sandbox".to_vec();
    let sha = sha_hex(&bytes);
    let served = bytes.clone();
    let h = harness()
        .env("WHATSAPP_GRAPH_API_URL", "http://127.0.0.1:8080/")
        .graph(move |req| {
            if req.path.starts_with("/v25.0/") {
                info_json("http://127.0.0.1:8080/files/1", &sha, 16)
            } else {
                GraphResponse::bytes(200, "text/plain", served.clone())
            }
        });
    let downloaded = h.media().download(MEDIA_ID, None).await?;
    assert_eq!(downloaded.map(|d| d.bytes), Ok(bytes));
    let requests = h.graph_requests();
    assert_eq!(
        requests[0].url,
        "http://127.0.0.1:8080/v25.0/1037543291543636"
    );
    assert_eq!(requests[1].url, "http://127.0.0.1:8080/files/1");
    assert_bearer(&requests[1]);
    // Another port of the same host is another origin.
    let h = harness()
        .env("WHATSAPP_GRAPH_API_URL", "http://127.0.0.1:8080")
        .graph(|_| info_json("http://127.0.0.1:9999/files/1", "x", 1));
    assert_eq!(
        invalid_media(h.media().download(MEDIA_ID, None).await?).field,
        "url"
    );
    assert_eq!(h.graph_requests().len(), 1);
    Ok(())
}

#[tokio::test]
async fn a_download_url_error_answer_is_a_typed_error() -> anyhow::Result<()> {
    let h = harness().graph(|req| {
        if req.authority == "graph.facebook.com" {
            info_json(CDN_URL, "x", 1)
        } else {
            GraphResponse::text(404, "Not Found")
        }
    });
    match h.media().download(MEDIA_ID, None).await? {
        Err(MediaError::BadResponse(b)) => assert_eq!(b.http_status, 404),
        other => panic!("{other:?}"),
    }
    Ok(())
}

// ---------------------------------------------------------------------------- upload

#[tokio::test]
async fn upload_posts_the_exact_multipart_body() -> anyhow::Result<()> {
    let h = harness()
        .random_bytes(vec![0])
        .graph(|_| GraphResponse::json(200, json!({"id": "4490709327384033"})));
    let id = h
        .media()
        .upload(&file(
            b"%PDF-1.7\r\n\x00\xff",
            "Application/PDF",
            "Menu \"v2\".pdf",
        ))
        .await?;
    assert_eq!(id, Ok("4490709327384033".to_string()));
    let request = only_request(&h);
    assert_eq!(request.method, "POST");
    assert_eq!(request.url, UPLOAD_URL);
    assert_bearer(&request);
    let boundary = "whatsapp-media-0000000000000000";
    assert_eq!(
        request.header("content-type"),
        Some(format!("multipart/form-data; boundary={boundary}").as_str())
    );
    let mut want = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"messaging_product\"\r\n\r\nwhatsapp\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"type\"\r\n\r\napplication/pdf\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"Menu \\\"v2\\\".pdf\"\r\n\
         Content-Type: application/pdf\r\n\r\n"
    )
    .into_bytes();
    want.extend_from_slice(b"%PDF-1.7\r\n\x00\xff");
    want.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    assert_eq!(request.body, want, "body sent:\n{}", request.body_text());
    Ok(())
}

#[tokio::test]
async fn upload_goes_to_the_number_it_names() -> anyhow::Result<()> {
    let h = harness().without_env("WHATSAPP_PHONE_NUMBER_ID");
    let mut upload = file(b"hi", "text/plain", "a.txt");
    upload.phone_number_id = Some("555000111".into());
    let id = h.media().upload(&upload).await?;
    assert_eq!(id, Ok("sandbox-media-1".to_string()));
    assert_eq!(
        only_request(&h).url,
        "https://graph.facebook.com/v25.0/555000111/media"
    );
    Ok(())
}

#[tokio::test]
async fn upload_over_its_kinds_limit_is_refused_with_no_request() -> anyhow::Result<()> {
    let h = harness();
    for (mime_type, limit) in [
        ("image/png", 5 * 1024 * 1024),
        ("image/webp", 500 * 1024),
        ("audio/ogg", 16 * 1024 * 1024),
        ("video/mp4", 16 * 1024 * 1024),
    ] {
        let result = h
            .media()
            .upload(&file(&vec![1u8; limit + 1], mime_type, "f"))
            .await?;
        assert_eq!(
            result,
            Err(MediaError::TooLarge(TooLarge {
                size: Some(limit as u64 + 1),
                limit: limit as u64
            })),
            "{mime_type}"
        );
    }
    assert!(h.graph_requests().is_empty());
    Ok(())
}

#[tokio::test]
async fn unsupported_types_empty_files_and_paths_are_refused() -> anyhow::Result<()> {
    let h = harness();
    let cases = [
        (file(b"GIF89a", "image/gif", "a.gif"), "mime-type"),
        (file(b"", "text/plain", "a.txt"), "bytes"),
        (file(b"x", "text/plain", ""), "filename"),
        (file(b"x", "text/plain", "../secrets.txt"), "filename"),
        (file(b"x", "text/plain", "C:\\a.txt"), "filename"),
        (file(b"x", "text/plain", "a\r\nX-Evil: 1"), "filename"),
    ];
    for (upload, field) in cases {
        let error = invalid_media(h.media().upload(&upload).await?);
        assert_eq!(error.field, field, "{upload:?}");
    }
    let error = invalid_media(
        h.media()
            .upload(&file(b"GIF89a", "image/gif", "a.gif"))
            .await?,
    );
    assert_eq!(
        error.reason,
        "image/gif is not a type Meta accepts for upload"
    );
    assert!(h.graph_requests().is_empty());
    Ok(())
}

// ---------------------------------------------------------------------------- delete

#[tokio::test]
async fn delete_sends_a_delete_with_the_bearer_token() -> anyhow::Result<()> {
    let h = harness().graph(|_| GraphResponse::json(200, json!({"success": true})));
    assert_eq!(h.media().delete(MEDIA_ID, None).await?, Ok(()));
    let request = only_request(&h);
    assert_eq!(request.method, "DELETE");
    assert_eq!(request.url, LOOK_UP_URL);
    assert_bearer(&request);
    assert!(request.body.is_empty());
    let h = harness().graph(|_| GraphResponse::json(200, json!({"success": false})));
    match h.media().delete(MEDIA_ID, Some("555")).await? {
        Err(MediaError::BadResponse(b)) => assert_eq!(b.reason, "success is false"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        only_request(&h).url,
        format!("{LOOK_UP_URL}?phone_number_id=555")
    );
    Ok(())
}

// ---------------------------------------------------------------------------- errors

#[tokio::test]
async fn graph_errors_are_typed_and_final() -> anyhow::Result<()> {
    let h = harness().graph(|_| {
        GraphResponse::meta_error(400, 100, "OAuthException", "(#100) Invalid parameter")
    });
    let g = graph_failure(h.media().look_up(MEDIA_ID, None).await?);
    assert_eq!(
        (g.http_status, g.code, g.kind.as_str()),
        (400, 100, "OAuthException")
    );
    assert!(!g.retryable);
    assert_eq!(h.graph_requests().len(), 1);

    let h = harness().graph(|_| {
        GraphResponse::meta_error(
            400,
            131009,
            "OAuthException",
            "(#131009) Parameter value is not valid",
        )
    });
    let g = graph_failure(h.media().upload(&file(b"x", "text/plain", "a.txt")).await?);
    assert_eq!(g.code, 131009);
    assert_eq!(h.graph_requests().len(), 1);

    let h = harness().graph(|_| {
        GraphResponse::meta_error(
            401,
            190,
            "OAuthException",
            &format!("Malformed access token {TOKEN}"),
        )
    });
    let g = graph_failure(h.media().delete(MEDIA_ID, None).await?);
    assert_eq!((g.http_status, g.code), (401, 190));
    assert!(!g.message.contains(TOKEN), "{}", g.message);
    assert_eq!(h.graph_requests().len(), 1);

    // A download whose look-up fails does not download.
    let h = harness()
        .graph(|_| GraphResponse::meta_error(404, 100, "GraphMethodException", "no such media"));
    assert_eq!(
        graph_failure(h.media().download(MEDIA_ID, None).await?).code,
        100
    );
    assert_eq!(h.graph_requests().len(), 1);
    Ok(())
}

#[tokio::test]
async fn missing_configuration_is_named_and_nothing_is_sent() -> anyhow::Result<()> {
    let h = Harness::new()?;
    let token_only = MediaError::MissingConfig(vec!["WHATSAPP_ACCESS_TOKEN".into()]);
    assert_eq!(
        h.media().look_up(MEDIA_ID, None).await?,
        Err(token_only.clone())
    );
    assert_eq!(
        h.media().delete(MEDIA_ID, None).await?,
        Err(token_only.clone())
    );
    assert_eq!(h.media().download(MEDIA_ID, None).await?, Err(token_only));
    assert_eq!(
        h.media().upload(&file(b"x", "text/plain", "a.txt")).await?,
        Err(MediaError::MissingConfig(vec![
            "WHATSAPP_ACCESS_TOKEN".into(),
            "WHATSAPP_PHONE_NUMBER_ID".into()
        ]))
    );
    let h = Harness::new()?.env("WHATSAPP_ACCESS_TOKEN", TOKEN);
    assert_eq!(
        h.media().upload(&file(b"x", "text/plain", "a.txt")).await?,
        Err(MediaError::MissingConfig(vec![
            "WHATSAPP_PHONE_NUMBER_ID".into()
        ]))
    );
    assert!(h.graph_requests().is_empty());
    Ok(())
}

#[tokio::test]
async fn a_blank_media_id_is_refused() -> anyhow::Result<()> {
    let h = harness();
    assert_eq!(
        invalid_media(h.media().look_up("  ", None).await?).field,
        "media-id"
    );
    assert_eq!(
        invalid_media(h.media().delete("", None).await?).field,
        "media-id"
    );
    assert!(h.graph_requests().is_empty());
    Ok(())
}

#[tokio::test]
async fn the_sandbox_answers_uploads_and_downloads() -> anyhow::Result<()> {
    let h = harness();
    let id = h
        .media()
        .upload(&file(b"hello", "text/plain", "hello.txt"))
        .await?
        .expect("uploaded");
    let downloaded = h.media().download(&id, None).await?.expect("downloaded");
    assert_eq!(downloaded.bytes, sandbox_media_bytes(&id));
    assert_eq!(downloaded.info.id, id);
    assert_eq!(h.graph_requests()[2].authority, SANDBOX_MEDIA_HOST);
    assert_eq!(h.media().delete(&id, None).await?, Ok(()));
    Ok(())
}
