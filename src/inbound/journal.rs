//! The delivery journal: an inbound event is not lost when its dispatch dies.
//!
//! The component answers Meta 200 before it dispatches, and Meta never redelivers a
//! message it got a 200 for. So, before the 200, each new event is recorded as *pending*
//! ([`Journal::accept`]); once its dispatch finished it is *done* ([`Journal::finish`]:
//! the key goes to the [`DirStore`], which then drops redeliveries, and the entry is
//! removed). A pending entry whose dispatch did not finish within its lease (the consumer
//! trapped, the host died) is taken again by a later request ([`Journal::take_expired`],
//! or [`Journal::accept`] for a redelivery), with its attempt counted; past its limits it
//! goes to a dead-letter folder for an operator.
//!
//! What a consumer returned is recorded ([`Journal::record_consumer`]), so a later attempt
//! does not call it again, and every action is claimed before it is sent
//! ([`Journal::claim_action`]), so no action is sent twice. An action that failed
//! transiently is put back ([`Journal::unclaim_action`]) and the entry waits in the
//! *outbox* ([`Journal::postpone`]): it stays pending and later requests try again, until
//! the outbox TTL.
//!
//! Pure std: events and consumer results are opaque strings, times (Unix seconds) and
//! randomness come from the caller. Layout under the state directory `<state>` (the one
//! the [`DirStore`] uses):
//!
//! - `journal/pending/<64 hex of sha256(key)>/`, one directory per pending entry:
//!   - `key`: the key (no message content),
//!   - `event.json`: the event as the caller gave it,
//!   - exactly one lease file `lease.<attempt>.<until>` (empty; attempt starts at 1;
//!     the lease runs while `now < until`),
//!   - `consumer.<16 hex of sha256(consumer)>.json`: what that consumer returned,
//!   - `sent.<16 hex of sha256(consumer)>.<index>`: created before that action is sent,
//!   - `outbox.<since>`: present once an action of the entry failed transiently.
//! - `journal/dead/<64 hex>/`: dead-lettered entries, as they were.
//! - `journal/tmp/<now>.<nonce>/`: entries being built.
//! - `journal/trash/<now>.<nonce>/`: finished entries being removed.
//!
//! Several instances (processes or threads) share the directory; every step that two of
//! them could race on is one atomic rename or create-new:
//! - a new entry is built in `tmp/` and renamed to `pending/<hash>`; a directory rename
//!   onto an existing non-empty directory fails, so one of concurrent recorders wins;
//! - taking an entry renames its lease file to the next attempt's name; the source is
//!   gone for every other taker, so their rename fails;
//! - dead-lettering first takes the lease the same way (keeping the attempt), then
//!   renames the directory to `dead/`; finishing renames it to `trash/` and deletes it.
//!
//! Nothing read from disk can panic: a corrupt entry (no lease, a lease with a bad name,
//! no event) is skipped by [`Journal::take_expired`] and reported by [`Journal::accept`].
//! Nothing is fsynced: the journal survives a crash of the host process, not of the
//! machine.

use std::fs::{self, OpenOptions};
use std::io::{self, ErrorKind, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::dedup::DirStore;

/// Leftovers in `tmp/` and `trash/` older than this are removed by [`Journal::sweep`].
const LEFTOVER_SECS: u64 = 60 * 60;
/// How many nonces are tried when a temporary name is taken.
const NONCE_TRIES: u64 = 8;
const KEY_FILE: &str = "key";
const EVENT_FILE: &str = "event.json";
const LEASE_PREFIX: &str = "lease.";
const OUTBOX_PREFIX: &str = "outbox.";

/// The journal's limits and timings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalPolicy {
    /// How long a dispatch may take before another request takes the entry again
    /// (`WHATSAPP_DISPATCH_LEASE_SECS`, default 60).
    pub lease_secs: u64,
    /// Most attempts of an entry without an outbox; the take that would start attempt
    /// `max_attempts + 1` dead-letters it instead (`WHATSAPP_DISPATCH_ATTEMPTS`, default 5).
    pub max_attempts: u32,
    /// How long an entry may wait in the outbox, from its first transient send failure,
    /// before it is dead-lettered (`WHATSAPP_OUTBOX_TTL_SECS`, default 900).
    pub outbox_ttl_secs: u64,
    /// How soon a released or postponed entry may be taken again (default 5).
    pub retry_secs: u64,
    /// Most entries one [`Journal::take_expired`] returns (default 2).
    pub take_per_request: usize,
}

impl Default for JournalPolicy {
    fn default() -> Self {
        JournalPolicy {
            lease_secs: 60,
            max_attempts: 5,
            outbox_ttl_secs: 900,
            retry_secs: 5,
            take_per_request: 2,
        }
    }
}

/// How many entries the journal holds, for `/health`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JournalCounts {
    /// Entries in `pending/` (being dispatched, waiting to be taken again, or in the outbox).
    pub pending: usize,
    /// Entries in `dead/`.
    pub dead: usize,
}

/// The journal in `<state>/journal`.
#[derive(Debug, Clone)]
pub struct Journal {
    root: PathBuf,
    policy: JournalPolicy,
}

/// A pending entry this instance holds: it owns the lease. Consumed by
/// [`Journal::postpone`], [`Journal::release`] or [`Journal::finish`]; dropping it
/// leaves the entry to be taken again once the lease ends.
#[derive(Debug, PartialEq, Eq)]
pub struct Entry {
    /// The dedup key (like `m:wamid.X`).
    pub key: String,
    /// This attempt, from 1.
    pub attempt: u32,
    /// The event as first recorded.
    pub event_json: String,
    /// When an action of the entry first failed transiently, if one did (the entry is
    /// in the outbox).
    pub outbox_since: Option<u64>,
    /// `pending/<hash>`.
    dir: PathBuf,
    /// The name of the lease file this instance holds.
    lease: String,
}

/// What [`Journal::accept`] made of an event.
#[derive(Debug, PartialEq, Eq)]
pub enum Accepted {
    /// First sighting, recorded: dispatch it (attempt 1).
    New(Entry),
    /// A redelivery of a pending entry whose lease had ended: taken again (attempt + 1),
    /// with the event as first recorded. Dispatch it.
    Again(Entry),
    /// Finished earlier (the [`DirStore`] has it): drop.
    Done,
    /// Pending and its lease still runs (another instance has it): drop.
    InFlight,
    /// In `dead/`: drop.
    DeadLettered,
    /// A redelivery of a pending entry over its limits: moved to `dead/` just now (the
    /// caller logs one line). Drop.
    OverLimit {
        /// The attempts it had.
        attempts: u32,
        /// Whether it was in the outbox (the outbox TTL passed) rather than out of attempts.
        outbox: bool,
    },
    /// The store failed (an [`ErrorKind`] and what was done, or why the pending entry
    /// is unusable; never content): the caller dispatches anyway, unrecorded.
    Unavailable(String),
}

/// What [`Journal::take_expired`] took.
#[derive(Debug, PartialEq, Eq)]
pub enum Taken {
    /// An entry taken again (attempt + 1): dispatch it.
    Entry(Entry),
    /// An entry over its limits, moved to `dead/` just now.
    DeadLettered {
        /// Its key.
        key: String,
        /// The attempts it had.
        attempts: u32,
        /// Whether it was in the outbox (the outbox TTL passed) rather than out of attempts.
        outbox: bool,
    },
}

/// The state of a pending entry, from its file names.
#[derive(Debug)]
struct Lease {
    /// The lease file's name.
    name: String,
    attempt: u32,
    until: u64,
    /// The earliest `outbox.<since>`.
    outbox: Option<u64>,
}

/// Why a pending entry could not be read.
#[derive(Debug)]
enum Unreadable {
    /// There is no such entry.
    Absent,
    /// The entry is corrupt (what is wrong).
    Corrupt(&'static str),
    /// Reading it failed.
    Io(ErrorKind),
}

/// The outcome of trying to take one pending entry again.
#[derive(Debug)]
enum Retake {
    Absent,
    /// Its lease still runs.
    Running,
    /// Another instance took it (or removed it) first.
    Lost,
    /// Its key was done: the entry was removed.
    Done,
    Taken(Entry),
    Dead {
        key: String,
        attempts: u32,
        outbox: bool,
    },
    Corrupt(&'static str),
    Failed(String),
}

impl Journal {
    /// The journal in `<state_dir>/journal` (created on first use).
    pub fn new(state_dir: impl Into<PathBuf>, policy: JournalPolicy) -> Journal {
        Journal {
            root: state_dir.into().join("journal"),
            policy,
        }
    }

    /// The policy.
    pub fn policy(&self) -> &JournalPolicy {
        &self.policy
    }

    /// Before the 200: what to do with the event of `key`. A new key is recorded as
    /// pending ([`Accepted::New`]); a redelivery of a pending entry whose lease ended is
    /// taken again ([`Accepted::Again`], or [`Accepted::OverLimit`] past its limits).
    /// `done` is the [`DirStore`] of the same state directory.
    pub fn accept(
        &self,
        done: &DirStore,
        key: &str,
        event_json: &str,
        now: u64,
        nonce: u64,
    ) -> Accepted {
        self.accept_with(done, key, event_json, now, nonce, &mut || {})
    }

    /// [`Journal::accept`], calling `before_rename` between its checks and the rename
    /// that records the entry (tests put another instance's steps there).
    fn accept_with(
        &self,
        done: &DirStore,
        key: &str,
        event_json: &str,
        now: u64,
        nonce: u64,
        before_rename: &mut dyn FnMut(),
    ) -> Accepted {
        if done.is_recorded(key, now) {
            return Accepted::Done;
        }
        let hash = hex::encode(Sha256::digest(key.as_bytes()));
        match self.retake(done, &hash, now, nonce) {
            Retake::Absent => {}
            other => return accepted_of(other),
        }
        match fs::symlink_metadata(self.dead_dir().join(&hash)) {
            Ok(_) => return Accepted::DeadLettered,
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => {
                return Accepted::Unavailable(format!(
                    "cannot look into the journal's dead letters: {}",
                    e.kind()
                ))
            }
        }
        let built = match self.build(key, event_json, now, nonce) {
            Ok(built) => built,
            Err(reason) => return Accepted::Unavailable(reason),
        };
        before_rename();
        let pending = self.pending_dir().join(&hash);
        let renamed =
            fs::create_dir_all(self.pending_dir()).and_then(|()| fs::rename(&built.0, &pending));
        match renamed {
            Ok(()) => {}
            // Under WASI the error of a rename onto a non-empty directory may come back
            // uncategorized: the entry being there (or done by now: finished and removed
            // by its holder since) is what counts.
            Err(e)
                if is_exists(&e)
                    || fs::symlink_metadata(&pending).is_ok()
                    || done.is_recorded(key, now) =>
            {
                // Another instance recorded the key first.
                let _ = fs::remove_dir_all(&built.0);
                return match self.retake(done, &hash, now, nonce) {
                    Retake::Absent if done.is_recorded(key, now) => Accepted::Done,
                    Retake::Absent => Accepted::InFlight,
                    other => accepted_of(other),
                };
            }
            Err(e) => {
                let _ = fs::remove_dir_all(&built.0);
                return Accepted::Unavailable(format!(
                    "cannot move a new journal entry into pending: {}",
                    e.kind()
                ));
            }
        }
        // Another instance may have finished the same key between our check of `done`
        // and the rename: finishing records `done` before it removes its entry, so the
        // record is visible now.
        if done.is_recorded(key, now) {
            self.remove_entry(&pending, now, nonce);
            return Accepted::Done;
        }
        Accepted::New(Entry {
            key: key.to_string(),
            attempt: 1,
            event_json: event_json.to_string(),
            outbox_since: None,
            dir: pending,
            lease: built.1,
        })
    }

    /// After the 200: up to `take_per_request` pending entries whose lease ended, oldest
    /// lease first, each taken atomically (attempt + 1); an entry over its limits is moved
    /// to `dead/` instead (and counts toward the limit). An entry whose key `done` has
    /// (its finish was cut short) is removed, not taken. Corrupt entries are skipped.
    pub fn take_expired(&self, done: &DirStore, now: u64, nonce: u64) -> Vec<Taken> {
        let mut taken = Vec::new();
        if self.policy.take_per_request == 0 {
            return taken;
        }
        let Ok(listing) = fs::read_dir(self.pending_dir()) else {
            return taken;
        };
        let mut expired: Vec<(u64, String)> = listing
            .flatten()
            .filter_map(|item| {
                let hash = item.file_name().into_string().ok()?;
                if !is_hash(&hash) {
                    return None;
                }
                let lease = scan(&item.path()).ok()?;
                (lease.until <= now).then_some((lease.until, hash))
            })
            .collect();
        expired.sort();
        for (_, hash) in expired {
            if taken.len() >= self.policy.take_per_request {
                break;
            }
            match self.retake(done, &hash, now, nonce) {
                Retake::Taken(entry) => taken.push(Taken::Entry(entry)),
                Retake::Dead {
                    key,
                    attempts,
                    outbox,
                } => taken.push(Taken::DeadLettered {
                    key,
                    attempts,
                    outbox,
                }),
                _ => {}
            }
        }
        taken
    }

    /// What `consumer` returned for this entry, if it was recorded (by any attempt).
    pub fn consumer_result(&self, entry: &Entry, consumer: &str) -> Option<String> {
        fs::read_to_string(entry.dir.join(consumer_file(consumer))).ok()
    }

    /// Records what `consumer` returned, atomically (a temporary file in the entry,
    /// linked or renamed into place). A result already recorded is kept: the first one
    /// wins. Fails when the entry is gone (another instance finished or dead-lettered it).
    pub fn record_consumer(
        &self,
        entry: &Entry,
        consumer: &str,
        result_json: &str,
        nonce: u64,
    ) -> io::Result<()> {
        let target = entry.dir.join(consumer_file(consumer));
        if fs::symlink_metadata(&target).is_ok() {
            return Ok(());
        }
        let (temp, mut file) = create_unique(&entry.dir, "tmp.", nonce)?;
        let written = file.write_all(result_json.as_bytes());
        drop(file);
        if let Err(e) = written {
            let _ = fs::remove_file(&temp);
            return Err(e);
        }
        // A hard link fails when the target exists, so a concurrent record cannot be
        // overwritten; where links are unsupported, a rename after a check.
        let placed = match fs::hard_link(&temp, &target) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(()),
            Err(_) if fs::symlink_metadata(&target).is_ok() => Ok(()),
            Err(_) => fs::rename(&temp, &target),
        };
        let _ = fs::remove_file(&temp);
        placed
    }

    /// Claims action `index` of `consumer` before it is sent: true exactly once per
    /// (entry, consumer, index), across attempts and instances. False when it was claimed
    /// before, and also when the claim cannot be recorded (the entry is gone, an I/O
    /// error): an action is never sent twice, at the price of one unsent when the disk
    /// fails.
    pub fn claim_action(&self, entry: &Entry, consumer: &str, index: usize) -> bool {
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(entry.dir.join(sent_file(consumer, index)))
            .is_ok()
    }

    /// Gives back a claim: the send failed transiently and was not made, so a later
    /// attempt may send it again.
    pub fn unclaim_action(&self, entry: &Entry, consumer: &str, index: usize) {
        let _ = fs::remove_file(entry.dir.join(sent_file(consumer, index)));
    }

    /// Puts the entry in the outbox: it stays pending for a later request. Creates
    /// `outbox.<now>` unless an `outbox.*` exists (the first failure's time is kept), then
    /// re-leases the entry to end at `now + retry_secs`. Does nothing to the lease when
    /// another instance took the entry meanwhile.
    pub fn postpone(&self, entry: Entry, now: u64) {
        if outbox_of(&entry.dir).is_none() {
            let _ = OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(entry.dir.join(format!("{OUTBOX_PREFIX}{now}")));
        }
        self.relet(&entry, now.saturating_add(self.policy.retry_secs));
    }

    /// Extends the lease of an entry this instance holds to `now + lease_secs`, before
    /// each step of a long dispatch. False when it no longer holds it (its lease ended and
    /// another instance took the entry): then it must stop working on the entry, so that
    /// two instances never carry out its actions at the same time (or out of order).
    pub fn renew(&self, entry: &mut Entry, now: u64) -> bool {
        let next = lease_name(entry.attempt, now.saturating_add(self.policy.lease_secs));
        if next == entry.lease {
            return fs::symlink_metadata(entry.dir.join(&entry.lease)).is_ok();
        }
        match fs::rename(entry.dir.join(&entry.lease), entry.dir.join(&next)) {
            Ok(()) => {
                entry.lease = next;
                true
            }
            Err(_) => false,
        }
    }

    /// The dispatch did not finish (a consumer failed without trapping): the entry may be
    /// taken again from `now + retry_secs`.
    pub fn release(&self, entry: Entry, now: u64) {
        self.relet(&entry, now.saturating_add(self.policy.retry_secs));
    }

    /// The dispatch finished: records the key in `done` (so redeliveries are dropped for
    /// its TTL), then removes the entry (a rename to `trash/`, then a delete). The entry
    /// is removed even when `done` cannot be written.
    pub fn finish(&self, entry: Entry, done: &DirStore, now: u64, nonce: u64) {
        let _ = done.record(&entry.key, now);
        self.remove_entry(&entry.dir, now, nonce);
    }

    /// Whether the journal can record: its folders can be made, and a file can be created
    /// in them (a probe in `tmp/`, removed at once). For the health report.
    pub fn is_writable(&self, nonce: u64) -> bool {
        let tmp = self.root.join("tmp");
        if fs::create_dir_all(self.pending_dir()).is_err() || fs::create_dir_all(&tmp).is_err() {
            return false;
        }
        let probe = tmp.join(format!("probe.{nonce:016x}"));
        let created = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&probe)
            .is_ok();
        let _ = fs::remove_file(&probe);
        created
    }

    /// How many entries are pending and dead (0 for a directory that cannot be read).
    pub fn counts(&self) -> JournalCounts {
        JournalCounts {
            pending: count(&self.pending_dir()),
            dead: count(&self.dead_dir()),
        }
    }

    /// Removes leftovers in `tmp/` and `trash/` (a crash between building an entry and
    /// its rename, or during a removal) older than an hour, by the time in their names.
    /// Names it did not make are left alone.
    pub fn sweep(&self, now: u64) {
        for folder in [self.root.join("tmp"), self.root.join("trash")] {
            let Ok(listing) = fs::read_dir(&folder) else {
                continue;
            };
            for item in listing.flatten() {
                let name = item.file_name();
                let Some(made) = name
                    .to_str()
                    .and_then(|n| n.split_once('.'))
                    .and_then(|(secs, _)| secs.parse::<u64>().ok())
                else {
                    continue;
                };
                if now.saturating_sub(made) <= LEFTOVER_SECS {
                    continue;
                }
                let path = item.path();
                let _ = match item.file_type() {
                    Ok(kind) if kind.is_dir() => fs::remove_dir_all(&path),
                    _ => fs::remove_file(&path),
                };
            }
        }
    }

    fn pending_dir(&self) -> PathBuf {
        self.root.join("pending")
    }

    fn dead_dir(&self) -> PathBuf {
        self.root.join("dead")
    }

    /// Builds a new entry in `tmp/`: its path and lease file's name.
    fn build(
        &self,
        key: &str,
        event_json: &str,
        now: u64,
        nonce: u64,
    ) -> Result<(PathBuf, String), String> {
        let tmp = self.root.join("tmp");
        fs::create_dir_all(&tmp)
            .map_err(|e| format!("cannot create the journal's tmp directory: {}", e.kind()))?;
        let mut made = Err(io::Error::from(ErrorKind::AlreadyExists));
        for i in 0..NONCE_TRIES {
            let path = tmp.join(format!("{now}.{:016x}", nonce.wrapping_add(i)));
            made = fs::create_dir(&path).map(|()| path);
            if !matches!(&made, Err(e) if e.kind() == ErrorKind::AlreadyExists) {
                break;
            }
        }
        let dir =
            made.map_err(|e| format!("cannot create a journal entry in tmp: {}", e.kind()))?;
        let lease = lease_name(1, now.saturating_add(self.policy.lease_secs));
        let filled = fs::write(dir.join(KEY_FILE), key)
            .and_then(|()| fs::write(dir.join(EVENT_FILE), event_json))
            .and_then(|()| fs::write(dir.join(&lease), b""));
        match filled {
            Ok(()) => Ok((dir, lease)),
            Err(e) => {
                let _ = fs::remove_dir_all(&dir);
                Err(format!("cannot write a journal entry: {}", e.kind()))
            }
        }
    }

    /// Takes the pending entry `hash` again if its lease ended: the next attempt, or
    /// `dead/` past its limits.
    fn retake(&self, done: &DirStore, hash: &str, now: u64, nonce: u64) -> Retake {
        let dir = self.pending_dir().join(hash);
        let lease = match scan(&dir) {
            Ok(lease) => lease,
            Err(Unreadable::Absent) => return Retake::Absent,
            Err(Unreadable::Corrupt(why)) => return Retake::Corrupt(why),
            Err(Unreadable::Io(kind)) => {
                return Retake::Failed(format!("cannot read a pending journal entry: {kind}"))
            }
        };
        self.take_scanned(done, hash, lease, now, nonce)
    }

    /// [`Journal::retake`] with the lease as scanned earlier (it may be stale by now:
    /// then the rename of its lease file fails and another instance has the entry).
    fn take_scanned(
        &self,
        done: &DirStore,
        hash: &str,
        lease: Lease,
        now: u64,
        nonce: u64,
    ) -> Retake {
        let dir = self.pending_dir().join(hash);
        if lease.until > now {
            return Retake::Running;
        }
        let (key, event_json) = match load(&dir, hash) {
            Ok(loaded) => loaded,
            Err(Unreadable::Absent) => return Retake::Lost,
            Err(Unreadable::Corrupt(why)) => return Retake::Corrupt(why),
            Err(Unreadable::Io(kind)) => {
                return Retake::Failed(format!("cannot read a pending journal entry: {kind}"))
            }
        };
        let over = match lease.outbox {
            Some(since) => now.saturating_sub(since) > self.policy.outbox_ttl_secs,
            None => lease.attempt >= self.policy.max_attempts,
        };
        // Dead-lettering takes the lease too (keeping the attempt), so exactly one
        // instance moves the entry, and never while another one holds it.
        let attempt = if over {
            lease.attempt
        } else {
            lease.attempt.saturating_add(1)
        };
        let next = lease_name(attempt, now.saturating_add(self.policy.lease_secs));
        if let Err(e) = fs::rename(dir.join(&lease.name), dir.join(&next)) {
            return if e.kind() == ErrorKind::NotFound {
                Retake::Lost
            } else {
                Retake::Failed(format!("cannot take a journal entry's lease: {}", e.kind()))
            };
        }
        // Its holder may have finished it after its lease ended: `done` is written before
        // the entry is removed.
        if done.is_recorded(&key, now) {
            self.remove_entry(&dir, now, nonce);
            return Retake::Done;
        }
        if over {
            return match self.move_to_dead(&dir, hash, now, nonce) {
                Ok(()) => Retake::Dead {
                    key,
                    attempts: lease.attempt,
                    outbox: lease.outbox.is_some(),
                },
                Err(e) if e.kind() == ErrorKind::NotFound => Retake::Lost,
                Err(e) => {
                    Retake::Failed(format!("cannot move a journal entry to dead: {}", e.kind()))
                }
            };
        }
        Retake::Taken(Entry {
            key,
            attempt,
            event_json,
            outbox_since: lease.outbox,
            dir,
            lease: next,
        })
    }

    fn move_to_dead(&self, dir: &Path, hash: &str, now: u64, nonce: u64) -> io::Result<()> {
        let dead = self.dead_dir();
        fs::create_dir_all(&dead)?;
        let target = dead.join(hash);
        match fs::rename(dir, &target) {
            // Dead before (only a race makes a key pending again): keep both. (Under WASI
            // the error of a rename onto a non-empty directory may be uncategorized.)
            Err(e) if is_exists(&e) || fs::symlink_metadata(&target).is_ok() => {
                fs::rename(dir, dead.join(format!("{hash}.{now}.{nonce:016x}")))
            }
            other => other,
        }
    }

    /// Renames the entry's lease to end at `until`, if this instance still holds it.
    fn relet(&self, entry: &Entry, until: u64) {
        let next = lease_name(entry.attempt, until);
        let _ = fs::rename(entry.dir.join(&entry.lease), entry.dir.join(next));
    }

    /// Removes an entry: renamed to `trash/` (gone from `pending/` at once), then deleted.
    /// Where the rename fails, deleted in place.
    fn remove_entry(&self, dir: &Path, now: u64, nonce: u64) {
        let trash = self.root.join("trash");
        let target = trash.join(format!("{now}.{nonce:016x}"));
        match fs::create_dir_all(&trash).and_then(|()| fs::rename(dir, &target)) {
            Ok(()) => {
                let _ = fs::remove_dir_all(&target);
            }
            Err(e) if e.kind() == ErrorKind::NotFound && fs::symlink_metadata(dir).is_err() => {}
            Err(_) => {
                let _ = fs::remove_dir_all(dir);
            }
        }
    }
}

fn accepted_of(retake: Retake) -> Accepted {
    match retake {
        Retake::Absent | Retake::Running | Retake::Lost => Accepted::InFlight,
        Retake::Done => Accepted::Done,
        Retake::Taken(entry) => Accepted::Again(entry),
        Retake::Dead {
            attempts, outbox, ..
        } => Accepted::OverLimit { attempts, outbox },
        Retake::Corrupt(why) => Accepted::Unavailable(format!("a corrupt pending entry: {why}")),
        Retake::Failed(why) => Accepted::Unavailable(why),
    }
}

/// A rename failed because its target exists (a non-empty directory: `ENOTEMPTY` or
/// `EEXIST` depending on the system).
fn is_exists(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::AlreadyExists | ErrorKind::DirectoryNotEmpty
    )
}

fn is_hash(name: &str) -> bool {
    name.len() == 64 && name.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn lease_name(attempt: u32, until: u64) -> String {
    format!("{LEASE_PREFIX}{attempt}.{until}")
}

/// The first 16 hex digits of the SHA-256 of a consumer's name.
fn consumer_tag(consumer: &str) -> String {
    let mut tag = hex::encode(Sha256::digest(consumer.as_bytes()));
    tag.truncate(16);
    tag
}

fn consumer_file(consumer: &str) -> String {
    format!("consumer.{}.json", consumer_tag(consumer))
}

fn sent_file(consumer: &str, index: usize) -> String {
    format!("sent.{}.{index}", consumer_tag(consumer))
}

/// The lease and outbox of a pending entry, from its file names. A lease file renamed by
/// its holder (a renewal) while the directory is listed may show under neither name or
/// under both: an entry that looks corrupt is listed again, a few times, before it is
/// called corrupt.
fn scan(dir: &Path) -> Result<Lease, Unreadable> {
    let mut scanned = scan_once(dir);
    for _ in 0..8 {
        if !matches!(scanned, Err(Unreadable::Corrupt(_))) {
            break;
        }
        scanned = scan_once(dir);
    }
    scanned
}

/// One listing of [`scan`].
fn scan_once(dir: &Path) -> Result<Lease, Unreadable> {
    let listing = fs::read_dir(dir).map_err(|e| match e.kind() {
        ErrorKind::NotFound => Unreadable::Absent,
        kind => Unreadable::Io(kind),
    })?;
    let mut lease: Option<(String, u32, u64)> = None;
    let mut outbox: Option<u64> = None;
    for item in listing.flatten() {
        let Ok(name) = item.file_name().into_string() else {
            continue;
        };
        if let Some(rest) = name.strip_prefix(LEASE_PREFIX) {
            if lease.is_some() {
                return Err(Unreadable::Corrupt("more than one lease file"));
            }
            let (attempt, until) = rest
                .split_once('.')
                .and_then(|(a, u)| Some((a.parse::<u32>().ok()?, u.parse::<u64>().ok()?)))
                .ok_or(Unreadable::Corrupt("a lease file with a bad name"))?;
            lease = Some((name, attempt, until));
        } else if let Some(since) = name
            .strip_prefix(OUTBOX_PREFIX)
            .and_then(|s| s.parse::<u64>().ok())
        {
            outbox = Some(outbox.map_or(since, |o| o.min(since)));
        }
    }
    let (name, attempt, until) = lease.ok_or(Unreadable::Corrupt("no lease file"))?;
    Ok(Lease {
        name,
        attempt,
        until,
        outbox,
    })
}

/// The key and event of a pending entry; its key must hash to its directory's name.
fn load(dir: &Path, hash: &str) -> Result<(String, String), Unreadable> {
    let read = |name: &str, missing: &'static str| {
        fs::read_to_string(dir.join(name)).map_err(|e| match e.kind() {
            // The entry itself gone (taken and finished meanwhile) or only this file.
            ErrorKind::NotFound if fs::symlink_metadata(dir).is_err() => Unreadable::Absent,
            ErrorKind::NotFound | ErrorKind::InvalidData => Unreadable::Corrupt(missing),
            kind => Unreadable::Io(kind),
        })
    };
    let key = read(KEY_FILE, "no readable key")?;
    if hex::encode(Sha256::digest(key.as_bytes())) != hash {
        return Err(Unreadable::Corrupt("the key does not match the entry"));
    }
    let event = read(EVENT_FILE, "no readable event.json")?;
    Ok((key, event))
}

/// The earliest `outbox.<since>` of an entry.
fn outbox_of(dir: &Path) -> Option<u64> {
    fs::read_dir(dir)
        .ok()?
        .flatten()
        .filter_map(|item| {
            item.file_name()
                .to_str()?
                .strip_prefix(OUTBOX_PREFIX)?
                .parse::<u64>()
                .ok()
        })
        .min()
}

/// Creates a new file `<prefix><nonce hex>` in `dir`, trying a few nonces.
fn create_unique(dir: &Path, prefix: &str, nonce: u64) -> io::Result<(PathBuf, fs::File)> {
    let mut last = io::Error::from(ErrorKind::AlreadyExists);
    for i in 0..NONCE_TRIES {
        let path = dir.join(format!("{prefix}{:016x}", nonce.wrapping_add(i)));
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(file) => return Ok((path, file)),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => last = e,
            Err(e) => return Err(e),
        }
    }
    Err(last)
}

fn count(dir: &Path) -> usize {
    fs::read_dir(dir).map_or(0, |listing| listing.flatten().count())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Barrier};

    /// A scratch state directory, removed when dropped.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Scratch {
            static NEXT: AtomicUsize = AtomicUsize::new(0);
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let dir = std::env::temp_dir().join(format!(
                "whatsapp-journal-{name}-{}-{n}",
                std::process::id()
            ));
            let _ = fs::remove_dir_all(&dir);
            Scratch(dir)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
            let _ = fs::remove_file(&self.0);
        }
    }

    fn setup(name: &str, policy: JournalPolicy) -> (Scratch, Journal, DirStore) {
        let scratch = Scratch::new(name);
        let journal = Journal::new(&scratch.0, policy);
        let done = DirStore::new(&scratch.0, 10_000);
        (scratch, journal, done)
    }

    fn new_entry(journal: &Journal, done: &DirStore, key: &str, now: u64) -> Entry {
        match journal.accept(done, key, &format!("{{\"key\":\"{key}\"}}"), now, 1) {
            Accepted::New(entry) => entry,
            other => panic!("expected New, got {other:?}"),
        }
    }

    fn take_one(journal: &Journal, done: &DirStore, now: u64) -> Entry {
        let mut taken = journal.take_expired(done, now, 2);
        assert_eq!(taken.len(), 1, "{taken:?}");
        match taken.pop() {
            Some(Taken::Entry(entry)) => entry,
            other => panic!("expected an entry, got {other:?}"),
        }
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .map(|l| {
                l.flatten()
                    .filter_map(|i| i.file_name().into_string().ok())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }

    #[test]
    fn a_new_event_is_new_then_in_flight_then_done_then_new_after_the_done_ttl() {
        let scratch = Scratch::new("lifecycle");
        let journal = Journal::new(&scratch.0, JournalPolicy::default());
        let done = DirStore::new(&scratch.0, 100);
        let entry = match journal.accept(&done, "m:wamid.1", r#"{"n":1}"#, 1000, 7) {
            Accepted::New(entry) => entry,
            other => panic!("{other:?}"),
        };
        assert_eq!(entry.attempt, 1);
        assert_eq!(entry.key, "m:wamid.1");
        assert_eq!(entry.event_json, r#"{"n":1}"#);
        assert_eq!(entry.outbox_since, None);
        assert_eq!(
            journal.accept(&done, "m:wamid.1", r#"{"n":1}"#, 1059, 8),
            Accepted::InFlight
        );
        journal.finish(entry, &done, 1010, 9);
        assert_eq!(journal.counts(), JournalCounts::default());
        assert_eq!(
            names(&scratch.0.join("journal/trash")),
            Vec::<String>::new()
        );
        assert_eq!(
            journal.accept(&done, "m:wamid.1", r#"{"n":1}"#, 1110, 10),
            Accepted::Done
        );
        // The done record is 101 s old: past the DirStore's TTL of 100.
        assert!(matches!(
            journal.accept(&done, "m:wamid.1", r#"{"n":1}"#, 1111, 11),
            Accepted::New(Entry { attempt: 1, .. })
        ));
    }

    #[test]
    fn a_redelivery_after_the_lease_is_taken_again_with_the_recorded_event() {
        let (_s, journal, done) = setup("again", JournalPolicy::default());
        let first = new_entry(&journal, &done, "m:wamid.A", 1000);
        drop(first); // the instance died mid-dispatch
        match journal.accept(&done, "m:wamid.A", "other bytes", 1060, 3) {
            Accepted::Again(entry) => {
                assert_eq!(entry.attempt, 2);
                assert_eq!(entry.event_json, r#"{"key":"m:wamid.A"}"#);
                assert_eq!(entry.key, "m:wamid.A");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            journal.accept(&done, "m:wamid.A", "other bytes", 1061, 4),
            Accepted::InFlight
        );
    }

    #[test]
    fn take_expired_takes_nothing_before_the_lease_ends_then_the_entry_once() {
        let (_s, journal, done) = setup("take", JournalPolicy::default());
        let _ = new_entry(&journal, &done, "m:wamid.T", 1000);
        assert_eq!(journal.take_expired(&done, 1059, 1), Vec::new());
        let entry = take_one(&journal, &done, 1060);
        assert_eq!(entry.attempt, 2);
        assert_eq!(entry.key, "m:wamid.T");
        assert_eq!(entry.event_json, r#"{"key":"m:wamid.T"}"#);
        // Taken just now: its new lease runs.
        assert_eq!(journal.take_expired(&done, 1060, 3), Vec::new());
        assert_eq!(journal.take_expired(&done, 1119, 3), Vec::new());
        assert_eq!(take_one(&journal, &done, 1120).attempt, 3);
    }

    #[test]
    fn take_expired_takes_at_most_take_per_request_entries() {
        let (_s, journal, done) = setup("per-request", JournalPolicy::default());
        for i in 0..5 {
            let _ = new_entry(&journal, &done, &format!("m:wamid.{i}"), 1000 + i);
        }
        let lens: Vec<usize> = (0..4)
            .map(|i| journal.take_expired(&done, 2000, i).len())
            .collect();
        assert_eq!(lens, [2, 2, 1, 0]);
        assert_eq!(journal.counts().pending, 5);
    }

    #[test]
    fn take_expired_takes_the_oldest_lease_first() {
        let (_s, journal, done) = setup("oldest", JournalPolicy::default());
        let _ = new_entry(&journal, &done, "m:late", 1010);
        let _ = new_entry(&journal, &done, "m:early", 1000);
        let _ = new_entry(&journal, &done, "m:middle", 1005);
        let keys: Vec<String> = journal
            .take_expired(&done, 2000, 1)
            .into_iter()
            .map(|t| match t {
                Taken::Entry(e) => e.key,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(keys, ["m:early", "m:middle"]);
    }

    #[test]
    fn exactly_one_of_many_concurrent_recorders_gets_new() {
        let (scratch, _journal, _done) = setup("race-accept", JournalPolicy::default());
        let barrier = Arc::new(Barrier::new(16));
        let handles: Vec<_> = (0..16u64)
            .map(|i| {
                let journal = Journal::new(&scratch.0, JournalPolicy::default());
                let done = DirStore::new(&scratch.0, 10_000);
                let barrier = Arc::clone(&barrier);
                std::thread::spawn(move || {
                    barrier.wait();
                    journal.accept(&done, "m:wamid.race", "{}", 1000, i)
                })
            })
            .collect();
        let outcomes: Vec<Accepted> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let new = outcomes
            .iter()
            .filter(|a| matches!(a, Accepted::New(_)))
            .count();
        let in_flight = outcomes
            .iter()
            .filter(|a| **a == Accepted::InFlight)
            .count();
        assert_eq!((new, in_flight), (1, 15), "{outcomes:?}");
        assert_eq!(names(&scratch.0.join("journal/tmp")), Vec::<String>::new());
    }

    #[test]
    fn exactly_one_of_many_concurrent_takers_gets_the_entry() {
        let (scratch, journal, done) = setup("race-take", JournalPolicy::default());
        let _ = new_entry(&journal, &done, "m:wamid.take", 1000);
        let barrier = Arc::new(Barrier::new(16));
        let handles: Vec<_> = (0..16u64)
            .map(|i| {
                let journal = Journal::new(&scratch.0, JournalPolicy::default());
                let done = DirStore::new(&scratch.0, 10_000);
                let barrier = Arc::clone(&barrier);
                std::thread::spawn(move || {
                    barrier.wait();
                    journal.take_expired(&done, 1060, i)
                })
            })
            .collect();
        let taken: Vec<Taken> = handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect();
        assert_eq!(taken.len(), 1, "{taken:?}");
        assert!(matches!(&taken[0], Taken::Entry(Entry { attempt: 2, .. })));
    }

    #[test]
    fn exactly_one_of_many_concurrent_takers_dead_letters_an_entry() {
        let policy = JournalPolicy {
            max_attempts: 1,
            ..JournalPolicy::default()
        };
        let (scratch, journal, done) = setup("race-dead", policy.clone());
        let _ = new_entry(&journal, &done, "m:wamid.dead", 1000);
        let barrier = Arc::new(Barrier::new(16));
        let handles: Vec<_> = (0..16u64)
            .map(|i| {
                let journal = Journal::new(&scratch.0, policy.clone());
                let done = DirStore::new(&scratch.0, 10_000);
                let barrier = Arc::clone(&barrier);
                std::thread::spawn(move || {
                    barrier.wait();
                    journal.take_expired(&done, 1060, i)
                })
            })
            .collect();
        let taken: Vec<Taken> = handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect();
        assert_eq!(
            taken,
            [Taken::DeadLettered {
                key: "m:wamid.dead".into(),
                attempts: 1,
                outbox: false
            }]
        );
        assert_eq!(
            journal.counts(),
            JournalCounts {
                pending: 0,
                dead: 1
            }
        );
    }

    #[test]
    fn of_two_takers_that_saw_the_same_lease_only_the_first_gets_the_entry() {
        let (scratch, journal, done) = setup("stale-view", JournalPolicy::default());
        let _ = new_entry(&journal, &done, "m:wamid.V", 1000);
        let hash = hex::encode(Sha256::digest(b"m:wamid.V"));
        let dir = scratch.0.join("journal/pending").join(&hash);
        let (first, second) = (scan(&dir).unwrap(), scan(&dir).unwrap());
        assert!(matches!(
            journal.take_scanned(&done, &hash, first, 1060, 1),
            Retake::Taken(Entry { attempt: 2, .. })
        ));
        assert!(matches!(
            journal.take_scanned(&done, &hash, second, 1060, 2),
            Retake::Lost
        ));
        let leases: Vec<String> = names(&dir)
            .into_iter()
            .filter(|n| n.starts_with("lease."))
            .collect();
        assert_eq!(leases, ["lease.2.1120"]);
    }

    #[test]
    fn of_two_recorders_that_both_saw_no_entry_only_the_first_gets_new() {
        let (scratch, journal, done) = setup("two-recorders", JournalPolicy::default());
        let other = Journal::new(&scratch.0, JournalPolicy::default());
        let mut theirs = None;
        let ours = journal.accept_with(&done, "m:wamid.W", "{}", 1000, 1, &mut || {
            theirs = Some(other.accept(&done, "m:wamid.W", "{}", 1000, 2));
        });
        assert!(matches!(theirs, Some(Accepted::New(_))), "{theirs:?}");
        assert_eq!(ours, Accepted::InFlight);
        assert_eq!(journal.counts().pending, 1);
        assert_eq!(names(&scratch.0.join("journal/tmp")), Vec::<String>::new());
    }

    #[test]
    fn exactly_one_of_many_concurrent_claimers_gets_the_action() {
        let (_s, journal, done) = setup("race-claim", JournalPolicy::default());
        let entry = Arc::new(new_entry(&journal, &done, "m:wamid.claim", 1000));
        let journal = Arc::new(journal);
        let barrier = Arc::new(Barrier::new(16));
        let handles: Vec<_> = (0..16)
            .map(|_| {
                let (journal, entry, barrier) = (
                    Arc::clone(&journal),
                    Arc::clone(&entry),
                    Arc::clone(&barrier),
                );
                std::thread::spawn(move || {
                    barrier.wait();
                    journal.claim_action(&entry, "bot", 0)
                })
            })
            .collect();
        let wins = handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .filter(|won| *won)
            .count();
        assert_eq!(wins, 1);
    }

    #[test]
    fn an_entry_out_of_attempts_is_dead_lettered_counted_and_its_redelivery_dropped() {
        let policy = JournalPolicy {
            max_attempts: 3,
            ..JournalPolicy::default()
        };
        let (scratch, journal, done) = setup("attempts", policy);
        let _ = new_entry(&journal, &done, "m:wamid.D", 1000);
        assert_eq!(take_one(&journal, &done, 1060).attempt, 2);
        assert_eq!(take_one(&journal, &done, 1120).attempt, 3);
        assert_eq!(
            journal.take_expired(&done, 1180, 1),
            [Taken::DeadLettered {
                key: "m:wamid.D".into(),
                attempts: 3,
                outbox: false
            }]
        );
        assert_eq!(
            journal.counts(),
            JournalCounts {
                pending: 0,
                dead: 1
            }
        );
        assert_eq!(
            journal.accept(&done, "m:wamid.D", "{}", 1200, 1),
            Accepted::DeadLettered
        );
        // Kept as it was, for an operator.
        let hash = hex::encode(Sha256::digest(b"m:wamid.D"));
        let kept = names(&scratch.0.join("journal/dead").join(hash));
        assert!(kept.contains(&"event.json".to_string()), "{kept:?}");
        assert!(kept.iter().any(|n| n.starts_with("lease.3.")), "{kept:?}");
        assert_eq!(journal.take_expired(&done, 5000, 1), Vec::new());
    }

    #[test]
    fn a_redelivery_out_of_attempts_is_dead_lettered_by_accept() {
        let policy = JournalPolicy {
            max_attempts: 2,
            ..JournalPolicy::default()
        };
        let (_s, journal, done) = setup("accept-limit", policy);
        let _ = new_entry(&journal, &done, "m:wamid.L", 1000);
        assert!(matches!(
            journal.accept(&done, "m:wamid.L", "{}", 1060, 1),
            Accepted::Again(Entry { attempt: 2, .. })
        ));
        assert_eq!(
            journal.accept(&done, "m:wamid.L", "{}", 1120, 1),
            Accepted::OverLimit {
                attempts: 2,
                outbox: false
            }
        );
        assert_eq!(
            journal.accept(&done, "m:wamid.L", "{}", 1121, 1),
            Accepted::DeadLettered
        );
    }

    #[test]
    fn an_outbox_entry_is_not_limited_by_attempts_but_by_the_outbox_ttl() {
        let policy = JournalPolicy {
            max_attempts: 2,
            outbox_ttl_secs: 100,
            retry_secs: 5,
            ..JournalPolicy::default()
        };
        let (_s, journal, done) = setup("outbox-ttl", policy);
        let entry = new_entry(&journal, &done, "m:wamid.O", 0);
        journal.postpone(entry, 10);
        let mut now = 15;
        let mut attempt = 1;
        // Attempts go past max_attempts while the outbox is younger than its TTL.
        while now - 10 <= 100 {
            let entry = take_one(&journal, &done, now);
            attempt += 1;
            assert_eq!(entry.attempt, attempt);
            assert_eq!(entry.outbox_since, Some(10));
            journal.postpone(entry, now);
            now += 5;
        }
        assert!(attempt > 2);
        assert_eq!(
            journal.take_expired(&done, now, 1),
            [Taken::DeadLettered {
                key: "m:wamid.O".into(),
                attempts: attempt,
                outbox: true
            }]
        );
        assert_eq!(
            journal.counts(),
            JournalCounts {
                pending: 0,
                dead: 1
            }
        );
    }

    #[test]
    fn a_consumer_result_is_recorded_once_and_read_back_on_a_later_attempt() {
        let (scratch, journal, done) = setup("consumer", JournalPolicy::default());
        let entry = new_entry(&journal, &done, "m:wamid.C", 1000);
        assert_eq!(journal.consumer_result(&entry, "bot"), None);
        journal
            .record_consumer(&entry, "bot", r#"{"actions":[1]}"#, 1)
            .unwrap();
        journal
            .record_consumer(&entry, "bot", r#"{"actions":[2]}"#, 2)
            .unwrap();
        assert_eq!(
            journal.consumer_result(&entry, "bot").as_deref(),
            Some(r#"{"actions":[1]}"#)
        );
        assert_eq!(journal.consumer_result(&entry, "other"), None);
        // No temporary file is left behind.
        let hash = hex::encode(Sha256::digest(b"m:wamid.C"));
        let files = names(&scratch.0.join("journal/pending").join(hash));
        assert!(!files.iter().any(|n| n.starts_with("tmp.")), "{files:?}");
        journal.release(entry, 1001);
        let later = take_one(&journal, &done, 1006);
        assert_eq!(later.attempt, 2);
        assert_eq!(
            journal.consumer_result(&later, "bot").as_deref(),
            Some(r#"{"actions":[1]}"#)
        );
    }

    #[test]
    fn an_action_is_claimed_once_across_attempts_and_again_after_an_unclaim() {
        let (_s, journal, done) = setup("actions", JournalPolicy::default());
        let entry = new_entry(&journal, &done, "m:wamid.S", 1000);
        assert!(journal.claim_action(&entry, "bot", 0));
        assert!(!journal.claim_action(&entry, "bot", 0));
        assert!(journal.claim_action(&entry, "bot", 1));
        assert!(journal.claim_action(&entry, "other", 0));
        journal.unclaim_action(&entry, "bot", 1);
        journal.release(entry, 1000);
        let later = take_one(&journal, &done, 1005);
        assert!(!journal.claim_action(&later, "bot", 0));
        assert!(journal.claim_action(&later, "bot", 1));
        assert!(!journal.claim_action(&later, "bot", 1));
    }

    #[test]
    fn postpone_keeps_the_entry_sets_the_outbox_once_and_waits_retry_secs() {
        let (scratch, journal, done) = setup("postpone", JournalPolicy::default());
        let entry = new_entry(&journal, &done, "m:wamid.P", 1000);
        let hash = hex::encode(Sha256::digest(b"m:wamid.P"));
        let dir = scratch.0.join("journal/pending").join(hash);
        journal.postpone(entry, 1010);
        assert_eq!(journal.counts().pending, 1);
        assert_eq!(journal.take_expired(&done, 1014, 1), Vec::new());
        let entry = take_one(&journal, &done, 1015);
        assert_eq!(entry.attempt, 2);
        assert_eq!(entry.outbox_since, Some(1010));
        journal.postpone(entry, 1020);
        let outboxes: Vec<String> = names(&dir)
            .into_iter()
            .filter(|n| n.starts_with("outbox."))
            .collect();
        assert_eq!(outboxes, ["outbox.1010"]);
        assert_eq!(journal.take_expired(&done, 1024, 1), Vec::new());
        let entry = take_one(&journal, &done, 1025);
        assert_eq!((entry.attempt, entry.outbox_since), (3, Some(1010)));
        // A redelivery while it waits in the outbox is in flight.
        journal.postpone(entry, 1030);
        assert_eq!(
            journal.accept(&done, "m:wamid.P", "{}", 1031, 1),
            Accepted::InFlight
        );
    }

    #[test]
    fn a_journal_in_a_directory_that_cannot_be_made_is_not_writable() {
        let (scratch, journal, _done) = setup("writable", JournalPolicy::default());
        assert!(journal.is_writable(1));
        assert_eq!(
            names(&scratch.0.join("journal/tmp")),
            Vec::<String>::new(),
            "no probe left"
        );
        let file = Scratch::new("not-a-dir");
        fs::write(&file.0, b"x").unwrap();
        assert!(!Journal::new(&file.0, JournalPolicy::default()).is_writable(2));
    }

    #[test]
    fn a_redelivery_during_lease_renewals_is_in_flight_never_unavailable() {
        let (_s, journal, done) = setup("renewals", JournalPolicy::default());
        let mut entry = new_entry(&journal, &done, "m:wamid.RN", 1000);
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let renewer = {
            let journal = journal.clone();
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let mut now = 1000;
                while !stop.load(Ordering::Relaxed) {
                    now += 1;
                    assert!(journal.renew(&mut entry, now));
                }
            })
        };
        for i in 0..2000 {
            match journal.accept(&done, "m:wamid.RN", "{}", 1000, i) {
                Accepted::InFlight => {}
                other => panic!("redelivery {i} during renewals: {other:?}"),
            }
        }
        stop.store(true, Ordering::Relaxed);
        renewer.join().unwrap();
    }

    #[test]
    fn a_renewed_lease_keeps_the_entry_and_a_lost_one_says_so() {
        let (_s, journal, done) = setup("renew", JournalPolicy::default());
        let mut entry = new_entry(&journal, &done, "m:wamid.N", 1000);
        // Renewed before its end (60 s): not taken when the first lease would have ended.
        assert!(journal.renew(&mut entry, 1050));
        assert_eq!(journal.take_expired(&done, 1070, 2), Vec::new());
        assert!(
            journal.renew(&mut entry, 1050),
            "renewing in the same second again"
        );
        // Let it lapse: another instance takes it, and the first one learns it lost it.
        let other = take_one(&journal, &done, 1111);
        assert_eq!(other.attempt, 2);
        assert!(!journal.renew(&mut entry, 1112));
        journal.finish(other, &done, 1113, 3);
        assert_eq!(journal.counts().pending, 0);
    }

    #[test]
    fn release_makes_the_entry_available_after_retry_secs_with_attempt_plus_one() {
        let (_s, journal, done) = setup("release", JournalPolicy::default());
        let entry = new_entry(&journal, &done, "m:wamid.R", 1000);
        journal.release(entry, 1002);
        assert_eq!(journal.take_expired(&done, 1006, 1), Vec::new());
        let entry = take_one(&journal, &done, 1007);
        assert_eq!(entry.attempt, 2);
        assert_eq!(entry.outbox_since, None);
        journal.release(entry, 1008);
        assert_eq!(take_one(&journal, &done, 1013).attempt, 3);
    }

    #[test]
    fn a_stale_holder_cannot_move_a_lease_it_lost() {
        let (_s, journal, done) = setup("stale", JournalPolicy::default());
        let stale = new_entry(&journal, &done, "m:wamid.X", 1000);
        let fresh = take_one(&journal, &done, 1060);
        // The first holder, past its lease, gives up: the new holder's lease stays.
        journal.release(stale, 1061);
        assert_eq!(journal.take_expired(&done, 1119, 1), Vec::new());
        journal.finish(fresh, &done, 1100, 5);
        assert_eq!(journal.counts().pending, 0);
    }

    #[test]
    fn a_key_finished_between_the_done_check_and_the_rename_is_done_and_leaves_no_entry() {
        // Another instance held the key and finished it after our `done` and pending
        // checks but before our rename: its `done` record appears, its entry is gone.
        // The hook runs exactly there and writes that record.
        let (scratch, journal, done) = setup("finish-race", JournalPolicy::default());
        let other = DirStore::new(&scratch.0, 10_000);
        let outcome = journal.accept_with(&done, "m:wamid.F", "{}", 1000, 1, &mut || {
            other.record("m:wamid.F", 1000).unwrap();
        });
        assert_eq!(outcome, Accepted::Done);
        assert_eq!(journal.counts(), JournalCounts::default());
        assert_eq!(
            names(&scratch.0.join("journal/pending")),
            Vec::<String>::new()
        );
        assert_eq!(names(&scratch.0.join("journal/tmp")), Vec::<String>::new());
        assert_eq!(
            names(&scratch.0.join("journal/trash")),
            Vec::<String>::new()
        );
        // Without the record, the same steps record the key.
        let outcome = journal.accept_with(&done, "m:wamid.G", "{}", 1000, 2, &mut || {});
        assert!(matches!(outcome, Accepted::New(_)));
    }

    #[test]
    fn an_entry_whose_finish_was_cut_short_is_removed_not_taken() {
        let (_s, journal, done) = setup("cut-finish", JournalPolicy::default());
        let _ = new_entry(&journal, &done, "m:wamid.K", 1000);
        // The holder wrote `done`, then died before removing the entry.
        done.record("m:wamid.K", 1030).unwrap();
        assert_eq!(
            journal.accept(&done, "m:wamid.K", "{}", 1031, 1),
            Accepted::Done
        );
        assert_eq!(journal.take_expired(&done, 1060, 1), Vec::new());
        assert_eq!(journal.counts(), JournalCounts::default());
    }

    #[test]
    fn a_finished_entry_refuses_claims_and_records_of_a_late_holder() {
        let (_s, journal, done) = setup("late-holder", JournalPolicy::default());
        let late = new_entry(&journal, &done, "m:wamid.Z", 1000);
        let fresh = take_one(&journal, &done, 1060);
        assert!(journal.claim_action(&fresh, "bot", 0));
        journal.finish(fresh, &done, 1070, 3);
        assert!(!journal.claim_action(&late, "bot", 0));
        assert!(!journal.claim_action(&late, "bot", 1));
        assert!(journal.record_consumer(&late, "bot", "{}", 4).is_err());
        journal.finish(late, &done, 1071, 4);
        assert_eq!(journal.counts(), JournalCounts::default());
    }

    #[test]
    fn counts_pending_and_dead() {
        let policy = JournalPolicy {
            max_attempts: 1,
            take_per_request: 10,
            ..JournalPolicy::default()
        };
        let (_s, journal, done) = setup("counts", policy);
        assert_eq!(journal.counts(), JournalCounts::default());
        for i in 0..3 {
            let _ = new_entry(&journal, &done, &format!("m:old{i}"), 1000);
        }
        let _ = new_entry(&journal, &done, "m:fresh", 1100);
        assert_eq!(
            journal.counts(),
            JournalCounts {
                pending: 4,
                dead: 0
            }
        );
        assert_eq!(journal.take_expired(&done, 1060, 1).len(), 3);
        assert_eq!(
            journal.counts(),
            JournalCounts {
                pending: 1,
                dead: 3
            }
        );
    }

    #[test]
    fn an_unwritable_state_dir_is_unavailable_not_a_panic() {
        let scratch = Scratch::new("notadir");
        fs::write(&scratch.0, b"x").unwrap();
        let journal = Journal::new(&scratch.0, JournalPolicy::default());
        let done = DirStore::new(&scratch.0, 100);
        assert!(matches!(
            journal.accept(&done, "m:wamid.U", "{}", 1000, 1),
            Accepted::Unavailable(_)
        ));
        assert_eq!(journal.take_expired(&done, 2000, 1), Vec::new());
        assert_eq!(journal.counts(), JournalCounts::default());
        journal.sweep(10_000);

        // A file where journal/tmp should be: the entry cannot be built.
        let (scratch, journal, done) = setup("tmp-file", JournalPolicy::default());
        fs::create_dir_all(scratch.0.join("journal")).unwrap();
        fs::write(scratch.0.join("journal/tmp"), b"x").unwrap();
        match journal.accept(&done, "m:wamid.V", "{\"secret\":1}", 1000, 1) {
            Accepted::Unavailable(why) => {
                assert!(!why.contains("secret") && !why.contains("wamid"), "{why}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn corrupt_entries_are_skipped_not_a_panic() {
        let policy = JournalPolicy {
            take_per_request: 10,
            ..JournalPolicy::default()
        };
        let (scratch, journal, done) = setup("corrupt", policy);
        let pending = scratch.0.join("journal/pending");
        let dir_of = |key: &str| pending.join(hex::encode(Sha256::digest(key.as_bytes())));
        let lease_of = |key: &str| {
            names(&dir_of(key))
                .into_iter()
                .find(|n| n.starts_with("lease."))
                .unwrap()
        };
        for key in [
            "m:nolease",
            "m:badlease",
            "m:noevent",
            "m:twoleases",
            "m:good",
        ] {
            let _ = new_entry(&journal, &done, key, 1000);
        }
        fs::remove_file(dir_of("m:nolease").join(lease_of("m:nolease"))).unwrap();
        fs::rename(
            dir_of("m:badlease").join(lease_of("m:badlease")),
            dir_of("m:badlease").join("lease.x.1"),
        )
        .unwrap();
        fs::remove_file(dir_of("m:noevent").join("event.json")).unwrap();
        fs::write(dir_of("m:twoleases").join("lease.1.1"), b"").unwrap();
        // Strangers in pending/: a file, a directory that is not a hash, an empty entry.
        fs::write(pending.join("stray"), b"x").unwrap();
        fs::create_dir(pending.join("not-a-hash")).unwrap();
        fs::create_dir(pending.join("0".repeat(64))).unwrap();

        let taken = journal.take_expired(&done, 2000, 1);
        assert!(
            matches!(&taken[..], [Taken::Entry(Entry { key, attempt: 2, .. })] if key == "m:good"),
            "{taken:?}"
        );
        assert_eq!(journal.take_expired(&done, 2000, 2), Vec::new());
        for key in ["m:nolease", "m:badlease", "m:noevent", "m:twoleases"] {
            assert!(
                matches!(
                    journal.accept(&done, key, "{}", 2000, 3),
                    Accepted::Unavailable(_)
                ),
                "{key}"
            );
        }
    }

    #[test]
    fn sweep_removes_only_old_tmp_and_trash_leftovers() {
        let (scratch, journal, done) = setup("sweep", JournalPolicy::default());
        let _ = new_entry(&journal, &done, "m:kept", 1000);
        let root = scratch.0.join("journal");
        for folder in ["tmp", "trash"] {
            let old = root.join(folder).join("1000.00000000000000aa");
            fs::create_dir_all(&old).unwrap();
            fs::write(old.join("event.json"), b"{}").unwrap();
            fs::create_dir_all(root.join(folder).join("4000.00000000000000bb")).unwrap();
            fs::write(root.join(folder).join("unknown"), b"").unwrap();
        }
        journal.sweep(4601);
        for folder in ["tmp", "trash"] {
            assert_eq!(
                names(&root.join(folder)),
                ["4000.00000000000000bb", "unknown"],
                "{folder}"
            );
        }
        assert_eq!(journal.counts().pending, 1);
    }

    #[test]
    fn rename_of_a_missing_source_fails_with_not_found() {
        let scratch = Scratch::new("rename-missing");
        fs::create_dir_all(&scratch.0).unwrap();
        let err =
            fs::rename(scratch.0.join("lease.1.60"), scratch.0.join("lease.2.120")).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert!(!scratch.0.join("lease.2.120").exists());
    }

    #[test]
    fn rename_of_a_directory_onto_a_non_empty_directory_fails() {
        let scratch = Scratch::new("rename-onto");
        let (from, onto) = (scratch.0.join("from"), scratch.0.join("onto"));
        fs::create_dir_all(&from).unwrap();
        fs::create_dir_all(&onto).unwrap();
        fs::write(from.join("key"), b"mine").unwrap();
        fs::write(onto.join("key"), b"theirs").unwrap();
        let err = fs::rename(&from, &onto).unwrap_err();
        assert!(is_exists(&err), "{:?}", err.kind());
        assert_eq!(fs::read(onto.join("key")).unwrap(), b"theirs");
        assert_eq!(fs::read(from.join("key")).unwrap(), b"mine");
    }
}
