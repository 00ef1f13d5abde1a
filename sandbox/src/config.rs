//! Command line and environment: `--flag value` (or `--flag=value`) first, then
//! `SANDBOX_*`, then the component's own `WHATSAPP_*` names, then a default that works
//! out of the box on loopback.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use crate::http::Target;

/// Everything the sandbox needs. Not `Debug`: it holds the app secret and the token.
#[derive(Clone)]
pub struct Config {
    /// Where the sandbox listens (chat page and Graph API stand-in).
    pub listen: SocketAddr,
    /// The component's webhook URL (plain `http://`).
    pub webhook: String,
    /// The App Secret the webhook POSTs are signed with.
    pub app_secret: String,
    /// The bearer token the Graph API stand-in accepts.
    pub access_token: String,
    /// The business phone number id (`WHATSAPP_PHONE_NUMBER_ID` of the component).
    pub phone_number_id: String,
    /// The business number, digits only, as webhook `metadata` carries it.
    pub display_phone_number: String,
    /// The verify token for Meta's GET handshake, when the webhook has one.
    pub verify_token: Option<String>,
    /// The verified business name shown in the chat header.
    pub business_name: String,
    /// The WhatsApp Business Account id (`entry[].id`).
    pub waba_id: String,
    /// A second number of the same account, whose updates go to the same webhook;
    /// `None` with `--second-phone-number-id off`.
    pub second: Option<BusinessNumber>,
    /// Delays and timeouts.
    pub timing: Timing,
}

/// One business phone number of the account: what webhooks carry in `metadata` and
/// what `GET /<version>/<phone-number-id>` describes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BusinessNumber {
    /// The phone number id (`metadata.phone_number_id`, the Graph path segment).
    pub phone_number_id: String,
    /// The number, digits only (`metadata.display_phone_number`).
    pub display_phone_number: String,
    /// Its verified business name.
    pub name: String,
}

/// How fast the sandbox plays Meta.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    /// From an accepted send to its `sent` status webhook.
    pub sent: Duration,
    /// From `sent` to `delivered`.
    pub delivered: Duration,
    /// From `delivered` (with the chat open and visible) to `read`.
    pub read: Duration,
    /// How long a webhook POST may take before it counts as failed.
    pub webhook_timeout: Duration,
    /// How long a typing indicator shows at most.
    pub typing: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            sent: Duration::from_millis(300),
            delivered: Duration::from_millis(900),
            read: Duration::from_millis(1200),
            webhook_timeout: Duration::from_secs(20),
            typing: Duration::from_secs(25),
        }
    }
}

/// Default values: loopback, and secrets that only mean something to this sandbox.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8081";
pub const DEFAULT_WEBHOOK: &str = "http://127.0.0.1:8080/";
pub const DEFAULT_APP_SECRET: &str = "sandbox-app-secret";
pub const DEFAULT_ACCESS_TOKEN: &str = "sandbox-access-token";
pub const DEFAULT_PHONE_NUMBER_ID: &str = "100000000000001";
pub const DEFAULT_DISPLAY_PHONE_NUMBER: &str = "15550100";
pub const DEFAULT_BUSINESS_NAME: &str = "Sandbox Business";
pub const DEFAULT_WABA_ID: &str = "100000000000000";
pub const DEFAULT_SECOND_PHONE_NUMBER_ID: &str = "100000000000002";
pub const DEFAULT_SECOND_DISPLAY_PHONE_NUMBER: &str = "15550101";
pub const DEFAULT_SECOND_BUSINESS_NAME: &str = "Sandbox Support";
/// The second number's id when the first one already uses
/// [`DEFAULT_SECOND_PHONE_NUMBER_ID`] and no second id was given.
const FALLBACK_SECOND_PHONE_NUMBER_ID: &str = "100000000000003";

/// Flag name and the environment variables read for it, in order.
const OPTIONS: &[(&str, &[&str])] = &[
    ("listen", &["SANDBOX_LISTEN"]),
    ("webhook", &["SANDBOX_WEBHOOK"]),
    ("app-secret", &["SANDBOX_APP_SECRET", "WHATSAPP_APP_SECRET"]),
    (
        "access-token",
        &["SANDBOX_ACCESS_TOKEN", "WHATSAPP_ACCESS_TOKEN"],
    ),
    (
        "phone-number-id",
        &["SANDBOX_PHONE_NUMBER_ID", "WHATSAPP_PHONE_NUMBER_ID"],
    ),
    ("display-phone-number", &["SANDBOX_DISPLAY_PHONE_NUMBER"]),
    (
        "verify-token",
        &[
            "SANDBOX_VERIFY_TOKEN",
            "WHATSAPP_WEBHOOK_VERIFY_TOKEN",
            "WHATSAPP_VERIFY_TOKEN",
        ],
    ),
    ("business-name", &["SANDBOX_BUSINESS_NAME"]),
    ("waba-id", &["SANDBOX_WABA_ID"]),
    (
        "second-phone-number-id",
        &["SANDBOX_SECOND_PHONE_NUMBER_ID"],
    ),
    (
        "second-display-phone-number",
        &["SANDBOX_SECOND_DISPLAY_PHONE_NUMBER"],
    ),
    ("second-business-name", &["SANDBOX_SECOND_BUSINESS_NAME"]),
];

/// `--help` text.
pub const USAGE: &str = "\
sandbox: a local stand-in for Meta's WhatsApp Cloud API (loopback only).

Usage: sandbox [options]

  --listen ADDR                where to serve the chat page and the Graph API
                               [default: 127.0.0.1:8081]
  --webhook URL                the component's webhook (plain http)
                               [default: http://127.0.0.1:8080/]
  --app-secret S               App Secret used to sign webhooks (X-Hub-Signature-256)
                               [default: sandbox-app-secret]
  --access-token T             bearer token the Graph API accepts
                               [default: sandbox-access-token]
  --phone-number-id ID         business phone number id [default: 100000000000001]
  --display-phone-number N     business number, digits [default: 15550100]
  --verify-token V             run Meta's GET verification handshake against the webhook
  --business-name NAME         verified name shown in the chat [default: Sandbox Business]
  --waba-id ID                 WhatsApp Business Account id [default: 100000000000000]
  --second-phone-number-id ID  a second business number of the same account, with the
                               same webhook; `off` for none [default: 100000000000002]
  --second-display-phone-number N
                               its number, digits [default: 15550101]
  --second-business-name NAME  its verified name [default: Sandbox Support]
  -h, --help                   this text

Every option can also come from the environment: SANDBOX_LISTEN, SANDBOX_WEBHOOK,
SANDBOX_APP_SECRET, SANDBOX_ACCESS_TOKEN, SANDBOX_PHONE_NUMBER_ID,
SANDBOX_DISPLAY_PHONE_NUMBER, SANDBOX_VERIFY_TOKEN, SANDBOX_BUSINESS_NAME, SANDBOX_WABA_ID,
SANDBOX_SECOND_PHONE_NUMBER_ID, SANDBOX_SECOND_DISPLAY_PHONE_NUMBER,
SANDBOX_SECOND_BUSINESS_NAME.
The component's own WHATSAPP_APP_SECRET, WHATSAPP_ACCESS_TOKEN, WHATSAPP_PHONE_NUMBER_ID
and WHATSAPP_WEBHOOK_VERIFY_TOKEN are used when the SANDBOX_ ones are not set.

Run the component with WHATSAPP_GRAPH_API_URL=http://<listen> and the same secret,
token and phone number id.
";

/// What the command line asks for.
pub enum Command {
    /// Serve with this configuration.
    Run(Box<Config>),
    /// Print [`USAGE`].
    Help,
}

impl Config {
    /// The defaults, as `sandbox` with no options and no environment would use.
    pub fn defaults() -> Config {
        Config {
            listen: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 8081),
            webhook: DEFAULT_WEBHOOK.to_string(),
            app_secret: DEFAULT_APP_SECRET.to_string(),
            access_token: DEFAULT_ACCESS_TOKEN.to_string(),
            phone_number_id: DEFAULT_PHONE_NUMBER_ID.to_string(),
            display_phone_number: DEFAULT_DISPLAY_PHONE_NUMBER.to_string(),
            verify_token: None,
            business_name: DEFAULT_BUSINESS_NAME.to_string(),
            waba_id: DEFAULT_WABA_ID.to_string(),
            second: Some(BusinessNumber {
                phone_number_id: DEFAULT_SECOND_PHONE_NUMBER_ID.to_string(),
                display_phone_number: DEFAULT_SECOND_DISPLAY_PHONE_NUMBER.to_string(),
                name: DEFAULT_SECOND_BUSINESS_NAME.to_string(),
            }),
            timing: Timing::default(),
        }
    }

    /// The configured number (`--phone-number-id`).
    pub fn first(&self) -> BusinessNumber {
        BusinessNumber {
            phone_number_id: self.phone_number_id.clone(),
            display_phone_number: self.display_phone_number.clone(),
            name: self.business_name.clone(),
        }
    }

    /// Every business number, the configured one first.
    pub fn numbers(&self) -> Vec<BusinessNumber> {
        std::iter::once(self.first())
            .chain(self.second.clone())
            .collect()
    }

    /// The business number with this phone number id.
    pub fn number(&self, phone_number_id: &str) -> Option<BusinessNumber> {
        self.numbers()
            .into_iter()
            .find(|n| n.phone_number_id == phone_number_id)
    }

    /// Reads the command line (without the program name) and the environment.
    pub fn parse(
        args: impl IntoIterator<Item = String>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Command, String> {
        let mut given: Vec<(&'static str, String)> = Vec::new();
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            if arg == "-h" || arg == "--help" {
                return Ok(Command::Help);
            }
            let Some(flag) = arg.strip_prefix("--") else {
                return Err(format!("unexpected argument `{arg}` (see --help)"));
            };
            let (name, inline) = match flag.split_once('=') {
                Some((name, value)) => (name, Some(value.to_string())),
                None => (flag, None),
            };
            let Some((known, _)) = OPTIONS.iter().find(|(n, _)| *n == name) else {
                return Err(format!("unknown option `--{name}` (see --help)"));
            };
            let value = match inline {
                Some(value) => value,
                None => args
                    .next()
                    .ok_or_else(|| format!("option `--{name}` needs a value"))?,
            };
            given.push((known, value));
        }
        let lookup = |name: &str| -> Option<String> {
            if let Some((_, v)) = given.iter().rev().find(|(n, _)| *n == name) {
                return Some(v.trim().to_string());
            }
            let (_, vars) = OPTIONS.iter().find(|(n, _)| *n == name)?;
            vars.iter()
                .filter_map(|var| env(var))
                .map(|v| v.trim().to_string())
                .find(|v| !v.is_empty())
        };

        let mut config = Config::defaults();
        if let Some(listen) = lookup("listen") {
            config.listen = parse_listen(&listen)?;
        }
        if let Some(webhook) = lookup("webhook") {
            config.webhook = webhook;
        }
        Target::parse(&config.webhook).map_err(|e| format!("--webhook: {e}"))?;
        if let Some(v) = lookup("app-secret") {
            config.app_secret = v;
        }
        if let Some(v) = lookup("access-token") {
            config.access_token = v;
        }
        if let Some(v) = lookup("phone-number-id") {
            config.phone_number_id = v;
        }
        if config.phone_number_id.is_empty()
            || !config.phone_number_id.bytes().all(|b| b.is_ascii_digit())
        {
            return Err("--phone-number-id must be digits".to_string());
        }
        if let Some(v) = lookup("display-phone-number") {
            config.display_phone_number = v.chars().filter(char::is_ascii_digit).collect();
        }
        if config.display_phone_number.is_empty() {
            return Err("--display-phone-number must contain digits".to_string());
        }
        config.verify_token = lookup("verify-token");
        if let Some(v) = lookup("business-name") {
            config.business_name = v;
        }
        if let Some(v) = lookup("waba-id") {
            config.waba_id = v;
        }
        config.second = second_number(&config, &lookup)?;
        Ok(Command::Run(Box::new(config)))
    }
}

/// The second number from `--second-*`: `None` with `off`; an error when it is not
/// digits or is the first number. Left at its default, it steps aside when the first
/// number already has the default id.
fn second_number(
    config: &Config,
    lookup: &impl Fn(&str) -> Option<String>,
) -> Result<Option<BusinessNumber>, String> {
    let id = match lookup("second-phone-number-id") {
        Some(v) if matches!(v.to_ascii_lowercase().as_str(), "off" | "none" | "no") => {
            return Ok(None)
        }
        Some(v) => v,
        None if config.phone_number_id == DEFAULT_SECOND_PHONE_NUMBER_ID => {
            FALLBACK_SECOND_PHONE_NUMBER_ID.to_string()
        }
        None => DEFAULT_SECOND_PHONE_NUMBER_ID.to_string(),
    };
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err("--second-phone-number-id must be digits (or `off`)".to_string());
    }
    if id == config.phone_number_id {
        return Err(format!(
            "--second-phone-number-id {id} is already --phone-number-id; choose another (or `off`)"
        ));
    }
    let display: String = lookup("second-display-phone-number")
        .unwrap_or_else(|| DEFAULT_SECOND_DISPLAY_PHONE_NUMBER.to_string())
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    if display.is_empty() {
        return Err("--second-display-phone-number must contain digits".to_string());
    }
    Ok(Some(BusinessNumber {
        phone_number_id: id,
        display_phone_number: display,
        name: lookup("second-business-name")
            .unwrap_or_else(|| DEFAULT_SECOND_BUSINESS_NAME.to_string()),
    }))
}

/// `127.0.0.1:8081`, `[::1]:8081`, `localhost:8081` or a bare port (on 127.0.0.1).
fn parse_listen(value: &str) -> Result<SocketAddr, String> {
    if let Ok(port) = value.parse::<u16>() {
        return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port));
    }
    if let Some(port) = value.strip_prefix("localhost:") {
        if let Ok(port) = port.parse::<u16>() {
            return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port));
        }
    }
    value
        .parse::<SocketAddr>()
        .map_err(|_| format!("--listen: `{value}` is not an address like 127.0.0.1:8081"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str], env: &[(&str, &str)]) -> Result<Config, String> {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        match Config::parse(args.iter().map(|s| s.to_string()), |name| {
            env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })? {
            Command::Run(c) => Ok(*c),
            Command::Help => Err("help".into()),
        }
    }

    #[test]
    fn defaults_are_loopback() {
        let c = parse(&[], &[]).unwrap();
        assert_eq!(c.listen.to_string(), DEFAULT_LISTEN);
        assert_eq!(c.webhook, DEFAULT_WEBHOOK);
        assert!(c.verify_token.is_none());
    }

    #[test]
    fn flags_beat_env_and_env_beats_defaults() {
        let c = parse(
            &["--listen", "9000", "--app-secret=S", "--verify-token", "V"],
            &[
                ("SANDBOX_APP_SECRET", "env-secret"),
                ("WHATSAPP_ACCESS_TOKEN", "T"),
                ("SANDBOX_DISPLAY_PHONE_NUMBER", "+1 555-0199"),
            ],
        )
        .unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:9000");
        assert_eq!(c.app_secret, "S");
        assert_eq!(c.access_token, "T");
        assert_eq!(c.display_phone_number, "15550199");
        assert_eq!(c.verify_token.as_deref(), Some("V"));
    }

    #[test]
    fn a_second_number_by_default_and_on_demand() {
        let c = parse(&[], &[]).unwrap();
        let ids: Vec<String> = c.numbers().into_iter().map(|n| n.phone_number_id).collect();
        assert_eq!(
            ids,
            [DEFAULT_PHONE_NUMBER_ID, DEFAULT_SECOND_PHONE_NUMBER_ID]
        );
        assert_eq!(
            c.number(DEFAULT_SECOND_PHONE_NUMBER_ID).map(|n| n.name),
            Some(DEFAULT_SECOND_BUSINESS_NAME.to_string())
        );

        let c = parse(
            &[
                "--second-phone-number-id",
                "200",
                "--second-business-name=Two",
            ],
            &[("SANDBOX_SECOND_DISPLAY_PHONE_NUMBER", "+1 555-0177")],
        )
        .unwrap();
        assert_eq!(
            c.second,
            Some(BusinessNumber {
                phone_number_id: "200".into(),
                display_phone_number: "15550177".into(),
                name: "Two".into(),
            })
        );

        assert_eq!(
            parse(&["--second-phone-number-id", "off"], &[])
                .unwrap()
                .numbers()
                .len(),
            1
        );
        // The default steps aside for a first number that already has its id ...
        let c = parse(&["--phone-number-id", DEFAULT_SECOND_PHONE_NUMBER_ID], &[]).unwrap();
        assert_eq!(
            c.second.map(|n| n.phone_number_id).as_deref(),
            Some(FALLBACK_SECOND_PHONE_NUMBER_ID)
        );
        // ... but the same id asked for twice is an error.
        assert!(parse(
            &["--phone-number-id", "7", "--second-phone-number-id", "7"],
            &[]
        )
        .is_err());
        assert!(parse(&["--second-phone-number-id", "x1"], &[]).is_err());
    }

    #[test]
    fn bad_input_is_an_error() {
        assert!(parse(&["--nope", "1"], &[]).is_err());
        assert!(parse(&["--listen"], &[]).is_err());
        assert!(parse(&["--webhook", "https://example.com/"], &[]).is_err());
        assert!(parse(&["--phone-number-id", "abc"], &[]).is_err());
        assert!(parse(&["stray"], &[]).is_err());
        assert_eq!(parse(&["--help"], &[]).err().as_deref(), Some("help"));
    }
}
