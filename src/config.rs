//! Configuration of the webhook half, read from environment variables, and the health
//! report. Values are never logged or reported; only which names are missing.

use std::path::PathBuf;

use crate::inbound::allowlist::Allowlist;
use crate::inbound::dedup::DEFAULT_TTL_SECS;
use crate::inbound::signature::AppSecret;

/// The guest path a host directory is preopened at for dedup, used when
/// `WHATSAPP_STATE_DIR` is not set and that directory exists.
pub const DEFAULT_STATE_DIR: &str = "/state";

/// Default of `WHATSAPP_DISPATCH_LEASE_SECS`.
pub const DEFAULT_DISPATCH_LEASE_SECS: u64 = 60;
/// Default of `WHATSAPP_DISPATCH_ATTEMPTS`.
pub const DEFAULT_DISPATCH_ATTEMPTS: u32 = 5;
/// Default of `WHATSAPP_OUTBOX_TTL_SECS`.
pub const DEFAULT_OUTBOX_TTL_SECS: u64 = 900;

/// Largest webhook body accepted (Meta's payloads are at most 3 MB).
pub const MAX_BODY_BYTES: usize = 3 * 1024 * 1024;

/// Where inbound updates go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dispatch {
    /// To the composed consumer (the imported `incoming-handler`).
    Consumer,
    /// Nowhere: acknowledge only (`WHATSAPP_INCOMING_HANDLER_COMPONENTS=none`).
    Off,
}

/// Everything the webhook needs.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    /// `WHATSAPP_APP_SECRET`, as the key that checks every POST's signature; without it
    /// every POST is refused.
    pub app_secret: Option<AppSecret>,
    /// `WHATSAPP_WEBHOOK_VERIFY_TOKEN` (alias `WHATSAPP_VERIFY_TOKEN`); without it no
    /// handshake succeeds.
    pub verify_token: Option<String>,
    /// `WHATSAPP_PHONE_ALLOWLIST`.
    pub allowlist: Allowlist,
    /// Dedup directory: `WHATSAPP_STATE_DIR`, else `/state` when preopened.
    pub state_dir: Option<PathBuf>,
    /// `WHATSAPP_DEDUP_TTL_SECS`, default 8 days.
    pub dedup_ttl_secs: u64,
    /// `WHATSAPP_MARK_READ` (default on): mark every dispatched message read.
    pub mark_read: bool,
    /// `WHATSAPP_TYPING_INDICATOR` (default off): show "typing..." with the read mark.
    pub typing_indicator: bool,
    /// `WHATSAPP_DISPATCH_LEASE_SECS` (default 60): how long a dispatch may take before a
    /// later request dispatches the event again.
    pub dispatch_lease_secs: u64,
    /// `WHATSAPP_DISPATCH_ATTEMPTS` (default 5): dispatches of one event before it goes
    /// to the dead-letter folder.
    pub dispatch_attempts: u32,
    /// `WHATSAPP_OUTBOX_TTL_SECS` (default 900): how long an action that met a Graph
    /// outage is tried again by later requests before it is dead-lettered.
    pub outbox_ttl_secs: u64,
    /// `WHATSAPP_INCOMING_HANDLER_COMPONENTS`.
    pub dispatch: Dispatch,
    /// The components named in `WHATSAPP_INCOMING_HANDLER_COMPONENTS` (comma-separated,
    /// in order, without blanks): whom the asterai build dispatches to. The composed
    /// build has its one consumer and needs no names.
    pub handler_components: Vec<String>,
}

impl WebhookConfig {
    /// Reads the configuration through `get` (the environment) and `dir_exists`.
    pub fn from_env(
        get: impl Fn(&str) -> Option<String>,
        dir_exists: impl Fn(&str) -> bool,
    ) -> Self {
        Self::read(&get, &dir_exists)
    }

    /// [`WebhookConfig::from_env`]. Generic, not through trait objects: a call through a
    /// `dyn Fn` is an indirect call, and a fresh instance's first one faults in a page of
    /// its function table (a page fault, and a page to reset, on every request under
    /// `wasmtime serve`). The component's look-ups are not inlined
    /// (`platform::env` is `#[inline(never)]`): one call per variable, not a copy of the
    /// look-up at each (5 KB of wasm).
    fn read<G, D>(get: &G, dir_exists: &D) -> Self
    where
        G: Fn(&str) -> Option<String>,
        D: Fn(&str) -> bool,
    {
        let non_empty = |name: &str| get(name).filter(|v| !v.trim().is_empty());
        let state_dir = match non_empty("WHATSAPP_STATE_DIR") {
            Some(dir) if matches!(dir.trim(), "off" | "none") => None,
            Some(dir) => Some(PathBuf::from(dir.trim())),
            None => match asterai_state_dir(get("ASTERAI_ALLOWED_DIRS").as_deref()) {
                Some(dir) => Some(dir),
                None if dir_exists(DEFAULT_STATE_DIR) => Some(PathBuf::from(DEFAULT_STATE_DIR)),
                None => None,
            },
        };
        let handlers = get("WHATSAPP_INCOMING_HANDLER_COMPONENTS");
        let dispatch = match handlers.as_deref().map(str::trim) {
            Some("" | "none") => Dispatch::Off,
            _ => Dispatch::Consumer,
        };
        let handler_components = match dispatch {
            Dispatch::Off => Vec::new(),
            Dispatch::Consumer => handlers
                .as_deref()
                .unwrap_or("")
                .split(',')
                .map(str::trim)
                .filter(|name| !name.is_empty())
                .map(String::from)
                .collect(),
        };
        WebhookConfig {
            app_secret: get("WHATSAPP_APP_SECRET").and_then(|v| AppSecret::new(v.as_bytes())),
            verify_token: verify_token(get),
            allowlist: Allowlist::parse(get("WHATSAPP_PHONE_ALLOWLIST").as_deref()),
            state_dir,
            dedup_ttl_secs: non_empty("WHATSAPP_DEDUP_TTL_SECS")
                .and_then(|v| v.trim().parse().ok())
                .filter(|v| *v > 0)
                .unwrap_or(DEFAULT_TTL_SECS),
            dispatch_lease_secs: positive(non_empty("WHATSAPP_DISPATCH_LEASE_SECS"))
                .unwrap_or(DEFAULT_DISPATCH_LEASE_SECS),
            dispatch_attempts: positive(non_empty("WHATSAPP_DISPATCH_ATTEMPTS"))
                .and_then(|n| u32::try_from(n).ok())
                .unwrap_or(DEFAULT_DISPATCH_ATTEMPTS),
            outbox_ttl_secs: positive(non_empty("WHATSAPP_OUTBOX_TTL_SECS"))
                .unwrap_or(DEFAULT_OUTBOX_TTL_SECS),
            mark_read: flag(non_empty("WHATSAPP_MARK_READ").as_deref(), true),
            typing_indicator: flag(non_empty("WHATSAPP_TYPING_INDICATOR").as_deref(), false),
            dispatch,
            handler_components,
        }
    }

    /// Names of the webhook's required variables that are not set.
    pub fn missing(&self) -> Vec<&'static str> {
        let mut missing = Vec::new();
        if self.app_secret.is_none() {
            missing.push("WHATSAPP_APP_SECRET");
        }
        if self.verify_token.is_none() {
            missing.push("WHATSAPP_WEBHOOK_VERIFY_TOKEN");
        }
        missing
    }
}

/// `WHATSAPP_WEBHOOK_VERIFY_TOKEN`, else its alias `WHATSAPP_VERIFY_TOKEN` (empty counts as
/// unset): all the GET handshake needs, read without the rest of [`WebhookConfig`].
pub fn verify_token(get: impl Fn(&str) -> Option<String>) -> Option<String> {
    get("WHATSAPP_WEBHOOK_VERIFY_TOKEN")
        .filter(|v| !v.is_empty())
        .or_else(|| get("WHATSAPP_VERIFY_TOKEN").filter(|v| !v.is_empty()))
}

/// A whole number above zero, else `None` (the default applies).
fn positive(value: Option<String>) -> Option<u64> {
    value
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|n| *n > 0)
}

/// The state directory on the asterai runtime: a `whatsapp` folder in the first directory
/// of `ASTERAI_ALLOWED_DIRS` (the `--allow-dir` folders, `:`-separated, preopened at the
/// same path), created on first use.
fn asterai_state_dir(allowed: Option<&str>) -> Option<PathBuf> {
    let first = allowed?.split(':').map(str::trim).find(|d| !d.is_empty())?;
    Some(PathBuf::from(first).join("whatsapp"))
}

/// `1/true/yes/on` and `0/false/no/off`, any case; anything else is the default.
fn flag(value: Option<&str>, default: bool) -> bool {
    match value.map(|v| v.trim().to_ascii_lowercase()) {
        Some(v) if matches!(v.as_str(), "1" | "true" | "yes" | "on") => true,
        Some(v) if matches!(v.as_str(), "0" | "false" | "no" | "off") => false,
        _ => default,
    }
}

/// The health report: HTTP status (200 when nothing is missing, else 503) and a JSON
/// body naming missing variables and the dedup mode, never any value.
///
/// `journal` is the delivery journal's pending and dead-lettered counts, when there is a
/// state directory: delivery is then at least once; without one, at most once.
pub fn health(
    config: &WebhookConfig,
    outgoing_missing: &[String],
    journal: Option<(usize, usize)>,
) -> (u16, String) {
    let mut missing: Vec<String> = config.missing().into_iter().map(String::from).collect();
    missing.extend(outgoing_missing.iter().cloned());
    let body = serde_json::json!({
        "status": if missing.is_empty() { "ok" } else { "incomplete" },
        "missing": missing,
        "dedup": if journal.is_some() { "persistent" } else { "per-request" },
        "state_dir": match (&config.state_dir, journal) {
            (None, _) => "none",
            (Some(_), Some(_)) => "writable",
            (Some(_), None) => "unwritable",
        },
        "allowlist": config.allowlist.len(),
        "mark_read": config.mark_read,
        "dispatch": match config.dispatch { Dispatch::Consumer => "consumer", Dispatch::Off => "off" },
        "consumers": config.handler_components,
        "delivery": if journal.is_some() { "at-least-once" } else { "at-most-once" },
        "pending": journal.map(|(pending, _)| pending),
        "dead_letter": journal.map(|(_, dead)| dead),
    });
    (if missing.is_empty() { 200 } else { 503 }, body.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)], state_exists: bool) -> WebhookConfig {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        WebhookConfig::from_env(|k: &str| map.get(k).cloned(), |_: &str| state_exists)
    }

    #[test]
    fn defaults_are_secure_and_useful() {
        let c = config(&[], false);
        assert!(c.app_secret.is_none() && c.verify_token.is_none());
        assert_eq!(
            c.missing(),
            vec!["WHATSAPP_APP_SECRET", "WHATSAPP_WEBHOOK_VERIFY_TOKEN"]
        );
        assert!(c.mark_read && !c.typing_indicator);
        assert_eq!(c.dispatch, Dispatch::Consumer);
        assert!(c.state_dir.is_none());
        assert_eq!(c.dedup_ttl_secs, DEFAULT_TTL_SECS);
    }

    #[test]
    fn the_verify_token_alias_is_accepted() {
        assert_eq!(
            config(&[("WHATSAPP_VERIFY_TOKEN", "t")], false)
                .verify_token
                .as_deref(),
            Some("t")
        );
        let both = config(
            &[
                ("WHATSAPP_VERIFY_TOKEN", "alias"),
                ("WHATSAPP_WEBHOOK_VERIFY_TOKEN", "main"),
            ],
            false,
        );
        assert_eq!(both.verify_token.as_deref(), Some("main"));
    }

    #[test]
    fn the_handshake_reads_the_same_verify_token_alone() {
        let cases: &[&[(&str, &str)]] = &[
            &[],
            &[("WHATSAPP_VERIFY_TOKEN", "alias")],
            &[("WHATSAPP_WEBHOOK_VERIFY_TOKEN", "main")],
            &[
                ("WHATSAPP_WEBHOOK_VERIFY_TOKEN", ""),
                ("WHATSAPP_VERIFY_TOKEN", "alias"),
            ],
            &[
                ("WHATSAPP_WEBHOOK_VERIFY_TOKEN", ""),
                ("WHATSAPP_VERIFY_TOKEN", ""),
            ],
        ];
        for vars in cases {
            let map: HashMap<String, String> = vars
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            assert_eq!(
                verify_token(|k: &str| map.get(k).cloned()),
                config(vars, false).verify_token,
                "{vars:?}"
            );
        }
    }

    #[test]
    fn empty_secrets_count_as_missing() {
        let c = config(
            &[
                ("WHATSAPP_APP_SECRET", ""),
                ("WHATSAPP_WEBHOOK_VERIFY_TOKEN", ""),
            ],
            false,
        );
        assert_eq!(c.missing().len(), 2);
    }

    #[test]
    fn the_state_dir_is_found_or_set_or_turned_off() {
        assert_eq!(config(&[], true).state_dir, Some(PathBuf::from("/state")));
        assert_eq!(
            config(&[("WHATSAPP_STATE_DIR", "/data")], false).state_dir,
            Some(PathBuf::from("/data"))
        );
        assert_eq!(
            config(&[("WHATSAPP_STATE_DIR", "off")], true).state_dir,
            None
        );
    }

    #[test]
    fn on_asterai_the_state_dir_is_a_folder_of_the_first_allowed_dir() {
        let allowed = [("ASTERAI_ALLOWED_DIRS", "/srv/data:/srv/other")];
        assert_eq!(
            config(&allowed, true).state_dir,
            Some(PathBuf::from("/srv/data/whatsapp"))
        );
        let both = [
            ("ASTERAI_ALLOWED_DIRS", "/srv/data"),
            ("WHATSAPP_STATE_DIR", "/mine"),
        ];
        assert_eq!(config(&both, true).state_dir, Some(PathBuf::from("/mine")));
        assert_eq!(
            config(&[("ASTERAI_ALLOWED_DIRS", " : ")], true).state_dir,
            Some(PathBuf::from("/state"))
        );
        assert_eq!(
            config(&[("ASTERAI_ALLOWED_DIRS", "")], false).state_dir,
            None
        );
    }

    #[test]
    fn delivery_limits_have_defaults_and_can_be_set() {
        let c = config(&[], false);
        assert_eq!(
            (
                c.dispatch_lease_secs,
                c.dispatch_attempts,
                c.outbox_ttl_secs
            ),
            (60, 5, 900)
        );
        let c = config(
            &[
                ("WHATSAPP_DISPATCH_LEASE_SECS", "2"),
                ("WHATSAPP_DISPATCH_ATTEMPTS", "3"),
                ("WHATSAPP_OUTBOX_TTL_SECS", "30"),
            ],
            false,
        );
        assert_eq!(
            (
                c.dispatch_lease_secs,
                c.dispatch_attempts,
                c.outbox_ttl_secs
            ),
            (2, 3, 30)
        );
        let bad = config(
            &[
                ("WHATSAPP_DISPATCH_LEASE_SECS", "0"),
                ("WHATSAPP_DISPATCH_ATTEMPTS", "99999999999"),
                ("WHATSAPP_OUTBOX_TTL_SECS", "soon"),
            ],
            false,
        );
        assert_eq!(
            (
                bad.dispatch_lease_secs,
                bad.dispatch_attempts,
                bad.outbox_ttl_secs
            ),
            (60, 5, 900)
        );
    }

    #[test]
    fn handler_components_are_named_in_order_without_blanks() {
        let c = config(
            &[(
                "WHATSAPP_INCOMING_HANDLER_COMPONENTS",
                " me:bot-a , ,me:bot-b@1.0.0,",
            )],
            false,
        );
        assert_eq!(c.dispatch, Dispatch::Consumer);
        assert_eq!(c.handler_components, vec!["me:bot-a", "me:bot-b@1.0.0"]);
        let off = config(&[("WHATSAPP_INCOMING_HANDLER_COMPONENTS", "none")], false);
        assert!(off.handler_components.is_empty());
        assert!(config(&[], false).handler_components.is_empty());
    }

    #[test]
    fn flags_and_dispatch_are_parsed() {
        let c = config(
            &[
                ("WHATSAPP_MARK_READ", "off"),
                ("WHATSAPP_TYPING_INDICATOR", "TRUE"),
                ("WHATSAPP_INCOMING_HANDLER_COMPONENTS", "none"),
            ],
            false,
        );
        assert!(!c.mark_read && c.typing_indicator);
        assert_eq!(c.dispatch, Dispatch::Off);
        let c = config(
            &[("WHATSAPP_INCOMING_HANDLER_COMPONENTS", "my-bot,other")],
            false,
        );
        assert_eq!(c.dispatch, Dispatch::Consumer);
        assert_eq!(
            config(&[("WHATSAPP_DEDUP_TTL_SECS", "60")], false).dedup_ttl_secs,
            60
        );
        assert_eq!(
            config(&[("WHATSAPP_DEDUP_TTL_SECS", "x")], false).dedup_ttl_secs,
            DEFAULT_TTL_SECS
        );
    }

    #[test]
    fn health_names_what_is_missing_without_values() {
        let c = config(&[("WHATSAPP_APP_SECRET", "s3cr3t-value")], false);
        let (status, body) = health(&c, &["WHATSAPP_ACCESS_TOKEN".to_string()], None);
        assert_eq!(status, 503);
        assert!(
            body.contains("WHATSAPP_WEBHOOK_VERIFY_TOKEN")
                && body.contains("WHATSAPP_ACCESS_TOKEN")
        );
        assert!(!body.contains("s3cr3t-value"));
        let c = config(
            &[("WHATSAPP_APP_SECRET", "s"), ("WHATSAPP_VERIFY_TOKEN", "t")],
            true,
        );
        let (status, body) = health(&c, &[], Some((2, 1)));
        assert_eq!(status, 200);
        assert!(body.contains("\"persistent\""));
        let report: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(report["delivery"], "at-least-once");
        assert_eq!(
            (report["pending"].as_u64(), report["dead_letter"].as_u64()),
            (Some(2), Some(1))
        );
        let (_, body) = health(&c, &[], None);
        let report: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(report["delivery"], "at-most-once");
        assert!(report["pending"].is_null());
        assert_eq!(
            report["state_dir"], "unwritable",
            "configured, but no journal"
        );
        assert_eq!(report["dedup"], "per-request");
    }
}
