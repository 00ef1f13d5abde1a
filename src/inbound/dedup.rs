//! Dedup of redelivered webhooks.
//!
//! Meta redelivers an update until it gets a 200, for up to seven days, and every
//! subscribed app gets its own copy, so the same message id arrives more than once.
//! `wasmtime serve` gives every request a fresh instance, so memory cannot remember what
//! was seen: the [`DirStore`] keeps one small file per seen key in a directory that
//! outlives the instance (a preopened `--dir`). Creating a file with create-new
//! semantics is atomic, so of several concurrent instances exactly one claims a key.
//!
//! Without a directory, [`Seen`] still drops duplicates inside one POST.

use std::collections::BTreeSet;
use std::fs::{self, OpenOptions};
use std::io::{ErrorKind, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// Default time a key is remembered: Meta retries for up to 7 days; one more day of margin.
pub const DEFAULT_TTL_SECS: u64 = 8 * 24 * 60 * 60;

/// The dedup key of an inbound message: its id.
pub fn message_key(message_id: &str) -> String {
    ["m:", message_id].concat()
}

/// The dedup key of a status update: the message id, the status (one message legitimately
/// gets `sent`, `delivered` and `read`) and the recipient it is about (a message sent to a
/// group gets a `read` from every participant, often in one POST): its user id, else its
/// phone number, empty for a status that names neither.
pub fn status_key(message_id: &str, status: &str, recipient: &str) -> String {
    ["s:", message_id, ":", status, ":", recipient].concat()
}

/// The dedup key of a webhook update of another field (or of a change's errors): a digest
/// of the account, the field, the time Meta gives the entry and the change's value as Meta
/// sent it, since such changes carry no id of their own. The same change redelivered has
/// the same key; the same event sent again later (a number flagged a second time) has not.
pub fn update_key(business_account_id: &str, field: &str, time: u64, raw_json: &str) -> String {
    let mut hasher = Sha256::new();
    let time = time.to_string();
    for part in [business_account_id, field, time.as_str(), raw_json] {
        hasher.update(part.len().to_le_bytes());
        hasher.update(part.as_bytes());
    }
    ["u:", &hex::encode(hasher.finalize())].concat()
}

/// The outcome of claiming a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// First sighting (or the earlier one expired): dispatch it.
    New,
    /// Seen before, within the TTL: do not dispatch again.
    Duplicate,
    /// The store failed; the reason (an I/O error kind, no content). The caller
    /// dispatches anyway: a possible duplicate is better than a lost message.
    Unavailable(String),
}

/// Keys seen within one request. A `BTreeSet`, not a `HashSet`: std's hasher seeds itself
/// from the host (`wasi:random/insecure-seed`), one host call per instance for a set of
/// a few keys.
#[derive(Debug, Default)]
pub struct Seen(BTreeSet<String>);

impl Seen {
    /// True the first time a key is offered.
    pub fn first(&mut self, key: &str) -> bool {
        self.0.insert(key.to_string())
    }
}

/// A dedup store in a directory: `<dir>/<2 hex>/<62 hex>` per key (the SHA-256 of the
/// key, so ids never become paths), holding the Unix second it was first seen.
#[derive(Debug, Clone)]
pub struct DirStore {
    dir: PathBuf,
    ttl_secs: u64,
}

impl DirStore {
    /// A store rooted at `dir` (created on first use) remembering keys for `ttl_secs`.
    pub fn new(dir: impl Into<PathBuf>, ttl_secs: u64) -> Self {
        DirStore {
            dir: dir.into(),
            ttl_secs,
        }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path_of(&self, key: &str) -> PathBuf {
        let digest = hex::encode(Sha256::digest(key.as_bytes()));
        let (shard, rest) = digest.split_at(2);
        self.dir.join("dedup").join(shard).join(rest)
    }

    /// Claims `key` at time `now` (Unix seconds). Exactly one of several concurrent
    /// claimers of a new key gets [`Claim::New`].
    pub fn claim(&self, key: &str, now: u64) -> Claim {
        let path = self.path_of(key);
        if let Some(parent) = path.parent() {
            if let Err(e) = fs::create_dir_all(parent) {
                return Claim::Unavailable(format!(
                    "cannot create {}: {}",
                    parent.display(),
                    e.kind()
                ));
            }
        }
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(mut file) => {
                // A failed write leaves an empty file, which reads as "seen now".
                let _ = file.write_all(now.to_string().as_bytes());
                Claim::New
            }
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                if self.expired(&path, now) {
                    // Rewrite the timestamp; the original delivery is older than the
                    // TTL, so Meta has stopped redelivering it.
                    match OpenOptions::new().write(true).truncate(true).open(&path) {
                        Ok(mut file) => {
                            let _ = file.write_all(now.to_string().as_bytes());
                            Claim::New
                        }
                        Err(e) => Claim::Unavailable(format!(
                            "cannot refresh a dedup entry: {}",
                            e.kind()
                        )),
                    }
                } else {
                    Claim::Duplicate
                }
            }
            Err(e) => Claim::Unavailable(format!(
                "cannot create a dedup entry in {}: {}",
                self.dir.display(),
                e.kind()
            )),
        }
    }

    /// True when `key` is recorded and not expired at `now`. Claims nothing. A record
    /// being written right now (empty or unreadable) counts; a store that cannot be read
    /// (missing, not a directory) has nothing recorded.
    pub fn is_recorded(&self, key: &str, now: u64) -> bool {
        let path = self.path_of(key);
        fs::symlink_metadata(&path).is_ok() && !self.expired(&path, now)
    }

    /// Records `key` as seen at `now`, whether or not it was recorded before (an older
    /// record is refreshed, so the key is remembered for the TTL from `now`).
    pub fn record(&self, key: &str, now: u64) -> std::io::Result<()> {
        let path = self.path_of(key);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        // Not atomic: a concurrent reader may see an empty file, which reads as fresh.
        let mut file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)?;
        file.write_all(now.to_string().as_bytes())
    }

    /// An entry is expired when its recorded time is older than the TTL. An entry being
    /// written right now (empty or unreadable) is fresh.
    fn expired(&self, path: &Path, now: u64) -> bool {
        let mut text = String::new();
        let read = OpenOptions::new()
            .read(true)
            .open(path)
            .and_then(|mut f| f.read_to_string(&mut text));
        match (read, text.trim().parse::<u64>()) {
            (Ok(_), Ok(seen)) => now.saturating_sub(seen) > self.ttl_secs,
            _ => false,
        }
    }

    /// Removes expired entries from one shard (`shard` modulo 256), so the directory
    /// stays bounded. Returns how many were removed. Cheap enough to run for one shard
    /// per request.
    pub fn sweep(&self, shard: u8, now: u64) -> usize {
        let dir = self.dir.join("dedup").join(format!("{shard:02x}"));
        let Ok(entries) = fs::read_dir(&dir) else {
            return 0;
        };
        let mut removed = 0;
        for entry in entries.flatten() {
            let path = entry.path();
            if self.expired(&path, now) && fs::remove_file(&path).is_ok() {
                removed += 1;
            }
        }
        removed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Barrier};

    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("whatsapp-dedup-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn a_key_is_new_once_then_duplicate() {
        let store = DirStore::new(temp_dir("once"), 100);
        assert_eq!(store.claim("m:wamid.1", 1000), Claim::New);
        assert_eq!(store.claim("m:wamid.1", 1001), Claim::Duplicate);
        assert_eq!(store.claim("m:wamid.2", 1001), Claim::New);
    }

    #[test]
    fn a_key_is_new_again_after_the_ttl() {
        let store = DirStore::new(temp_dir("ttl"), 100);
        assert_eq!(store.claim("k", 1000), Claim::New);
        assert_eq!(store.claim("k", 1100), Claim::Duplicate);
        assert_eq!(store.claim("k", 1101), Claim::New);
        assert_eq!(store.claim("k", 1102), Claim::Duplicate);
    }

    #[test]
    fn survives_a_new_store_on_the_same_directory() {
        let dir = temp_dir("restart");
        assert_eq!(DirStore::new(&dir, 100).claim("k", 5), Claim::New);
        assert_eq!(DirStore::new(&dir, 100).claim("k", 6), Claim::Duplicate);
    }

    #[test]
    fn exactly_one_of_many_concurrent_claimers_wins() {
        let dir = temp_dir("race");
        let barrier = Arc::new(Barrier::new(16));
        let handles: Vec<_> = (0..16)
            .map(|_| {
                let store = DirStore::new(&dir, 100);
                let barrier = Arc::clone(&barrier);
                std::thread::spawn(move || {
                    barrier.wait();
                    store.claim("m:wamid.race", 7)
                })
            })
            .collect();
        let wins = handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .filter(|c| *c == Claim::New)
            .count();
        assert_eq!(wins, 1);
    }

    #[test]
    fn an_unwritable_directory_is_unavailable_not_a_panic() {
        let file = temp_dir("notadir");
        fs::write(&file, b"x").unwrap();
        let store = DirStore::new(&file, 100);
        assert!(matches!(store.claim("k", 1), Claim::Unavailable(_)));
    }

    #[test]
    fn sweep_removes_only_expired_entries() {
        let store = DirStore::new(temp_dir("sweep"), 10);
        for i in 0..300 {
            store.claim(&format!("old{i}"), 100);
        }
        store.claim("fresh", 200);
        let removed: usize = (0..=255u8).map(|s| store.sweep(s, 200)).sum();
        assert_eq!(removed, 300);
        assert_eq!(store.claim("fresh", 201), Claim::Duplicate);
        assert_eq!(store.claim("old1", 201), Claim::New);
    }

    #[test]
    fn a_recorded_key_is_recorded_until_the_ttl_and_blocks_claims() {
        let store = DirStore::new(temp_dir("record"), 100);
        assert!(!store.is_recorded("k", 1000));
        assert!(!store.is_recorded("k", 1000), "checking claims nothing");
        store.record("k", 1000).unwrap();
        assert!(store.is_recorded("k", 1100));
        assert!(!store.is_recorded("k", 1101));
        assert_eq!(store.claim("k", 1050), Claim::Duplicate);
        // Recording again refreshes the time.
        store.record("k", 1200).unwrap();
        assert!(store.is_recorded("k", 1300));
        // A claimed key is recorded too.
        assert_eq!(store.claim("c", 5), Claim::New);
        assert!(store.is_recorded("c", 6));
    }

    #[test]
    fn an_unwritable_directory_records_nothing_and_fails_to_record() {
        let file = temp_dir("record-notadir");
        fs::write(&file, b"x").unwrap();
        let store = DirStore::new(&file, 100);
        assert!(!store.is_recorded("k", 1));
        assert!(store.record("k", 1).is_err());
    }

    #[test]
    fn keys_distinguish_statuses() {
        assert_ne!(status_key("w", "sent", "1"), status_key("w", "read", "1"));
        assert_ne!(message_key("w"), status_key("w", "", ""));
        let mut seen = Seen::default();
        assert!(seen.first("a"));
        assert!(!seen.first("a"));
    }

    #[test]
    fn read_receipts_of_different_group_participants_are_different_keys() {
        let alice = status_key("wamid.G", "read", "US.111");
        let bruno = status_key("wamid.G", "read", "US.222");
        assert_ne!(alice, bruno);
        assert_eq!(alice, status_key("wamid.G", "read", "US.111"));
        let mut seen = Seen::default();
        assert!(seen.first(&alice) && seen.first(&bruno));
        assert!(!seen.first(&alice));
    }

    #[test]
    fn update_keys_follow_the_content() {
        let approved = update_key(
            "WABA",
            "message_template_status_update",
            7,
            r#"{"event":"APPROVED"}"#,
        );
        assert_eq!(
            approved,
            update_key(
                "WABA",
                "message_template_status_update",
                7,
                r#"{"event":"APPROVED"}"#
            )
        );
        assert_ne!(
            approved,
            update_key(
                "WABA",
                "message_template_status_update",
                7,
                r#"{"event":"REJECTED"}"#
            )
        );
        assert_ne!(
            approved,
            update_key(
                "WABA2",
                "message_template_status_update",
                7,
                r#"{"event":"APPROVED"}"#
            )
        );
        // Field and value cannot trade bytes: lengths are part of the digest.
        assert_ne!(update_key("a", "bc", 0, "d"), update_key("a", "b", 0, "cd"));
        // A later sending of the same event is another update.
        assert_ne!(
            update_key("W", "phone_number_quality_update", 1, "{}"),
            update_key("W", "phone_number_quality_update", 2, "{}")
        );
        assert!(approved.starts_with("u:") && approved.len() == 66);
    }
}
