//! How the release build links the component (build.rs, scripts/), checked on the built
//! `whatsapp.wasm` (`make build` first): what it carries and what it leaves out.

use host_test::*;

/// The names of the component's top-level custom sections, in order.
fn custom_sections(bytes: &[u8]) -> Vec<String> {
    fn leb(bytes: &[u8], at: &mut usize) -> usize {
        let (mut value, mut shift) = (0usize, 0);
        loop {
            let byte = bytes[*at];
            *at += 1;
            value |= usize::from(byte & 0x7f) << shift;
            shift += 7;
            if byte & 0x80 == 0 {
                return value;
            }
        }
    }
    assert_eq!(
        &bytes[..8],
        b"\0asm\x0d\0\x01\0",
        "a component (version 0x0d, layer 1)"
    );
    let (mut names, mut at) = (Vec::new(), 8);
    while at < bytes.len() {
        let id = bytes[at];
        at += 1;
        let size = leb(bytes, &mut at);
        let end = at + size;
        if id == 0 {
            let mut name_at = at;
            let length = leb(bytes, &mut name_at);
            names.push(String::from_utf8_lossy(&bytes[name_at..name_at + length]).into_owned());
        }
        at = end;
    }
    assert_eq!(at, bytes.len(), "the sections end with the file");
    names
}

#[tokio::test]
async fn the_component_leaves_out_its_item_names_and_still_serves() {
    let path = default_component_path();
    let bytes = std::fs::read(&path).expect("component built (`make build`)");
    let sections = custom_sections(&bytes);
    assert!(
        !sections.iter().any(|s| s == "component-name"),
        "{}: custom sections {sections:?}",
        path.display()
    );
    let h = Harness::new().expect("the component loads");
    let r = h.get("/health").await.expect("health ran");
    assert!(r.json().is_object(), "{}", r.text());
}
