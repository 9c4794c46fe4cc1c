use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};
use webdbc_relay::http::parse_http_target;
use webdbc_relay::limits::Limits;
use webdbc_relay::token::{self, Verifier};
use webdbc_relay::{log, parse_target, Config};

/// WebSocket-to-TCP relay for webdbc. Deny by default: only the targets named here are reachable.
#[derive(Parser)]
#[command(
    version,
    args_conflicts_with_subcommands = true,
    args_override_self = true
)]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// A reachable target, NAME=HOST:PORT (repeatable). Clients pick it with ?target=NAME or
    /// ?address=HOST:PORT (exact match). TLS towards it:
    /// NAME=HOST:PORT?tls=require|verify-full[&ca=FILE][&starttls=postgres][&server-name=NAME]
    /// (require: encrypted, certificate unchecked; verify-full: the chain leads to the CA file,
    /// or to Mozilla's roots without one, and names the host; starttls=postgres: PostgreSQL's
    /// SSLRequest first, else TLS from the first byte as Ignite 3 speaks it).
    #[arg(long = "target", value_parser = parse_target)]
    targets: Vec<webdbc_relay::Target>,
    /// An HTTP target for forwarding at /v1/http/NAME/…, NAME=http://HOST:PORT (repeatable).
    #[arg(long = "http-target", value_parser = parse_http_target)]
    http_targets: Vec<(String, String)>,
    /// A page origin allowed in, e.g. https://app.example, or * for any (repeatable). Once one is
    /// given, pages of other origins are refused WebSockets too. Without one, browsers cannot use
    /// HTTP forwarding.
    #[arg(long = "allow-origin")]
    allowed_origins: Vec<String>,
    /// A host name this relay is reached by, for HTTP forwarding (repeatable). IP addresses and
    /// localhost need none; other names are refused, which stops DNS-rebinding pages.
    #[arg(long = "host")]
    hosts: Vec<String>,
    /// A TOML file of settings named as these flags are (sections [targets], [http-targets],
    /// [tokens] key/public-key, [tls] cert/key, [limits]; see the README). A flag given here
    /// wins over the file; lists add up. Files of old `NAME = HOST:PORT` lines still work.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Serve the static files of this folder at / (e.g. the www/ SQL console).
    #[arg(long)]
    www: Option<PathBuf>,
    /// Log lines as text for people, or as one JSON object a line for log collectors (fields:
    /// ts, event, msg, peer, target, status, reason, code, up, down, sub).
    #[arg(long, value_enum, default_value = "text")]
    log_format: LogFormat,
    /// Seconds to wait for a backend TCP connection.
    #[arg(long, default_value_t = 10)]
    connect_timeout: u64,
    /// Require tokens signed with this HMAC key (HS256; a file of at least 32 bytes). Every
    /// WebSocket (subprotocol webdbc.token.<jwt>, or ?token=) and every forwarded HTTP request
    /// (header X-Webdbc-Relay-Token) then needs one that is unexpired and names its target.
    #[arg(long, value_name = "FILE")]
    token_key: Option<PathBuf>,
    /// Require tokens signed with the private half of this public key (PEM: Ed25519 or P-256).
    /// With --token-key too, either signature is accepted.
    #[arg(long, value_name = "FILE")]
    token_public_key: Option<PathBuf>,
    /// WebSocket connections open at once, in all (more: 503 before the upgrade).
    #[arg(long, default_value_t = 10_000)]
    max_connections: usize,
    /// WebSocket connections open at once from one client address (more: 429).
    #[arg(long, default_value_t = 256)]
    max_connections_per_ip: usize,
    /// WebSocket connections open at once to one target (more: 503).
    #[arg(long, default_value_t = 2_000)]
    max_connections_per_target: usize,
    /// Connection attempts a second from one client address (more: 429).
    #[arg(long, default_value_t = 50)]
    attempts_per_ip_per_second: u32,
    /// Seconds without a byte either way before a connection is closed with 1001 (0: never).
    #[arg(long, default_value_t = 900)]
    idle_timeout: u64,
    /// Seconds a connection may stay open before it is closed with 1001 (0: no limit).
    #[arg(long, default_value_t = 86_400)]
    max_lifetime: u64,
    /// The largest WebSocket message a client may send, in bytes (a larger one ends the
    /// connection).
    #[arg(long, default_value_t = 16 << 20)]
    max_message_size: usize,
    /// The largest request body HTTP forwarding takes, in bytes (larger: 413).
    #[arg(long, default_value_t = 64 << 20)]
    max_http_body: usize,
    /// On SIGTERM, SIGINT or SIGHUP: seconds open connections may go on (no new ones are taken)
    /// before they are closed with 1001 and the relay exits.
    #[arg(long, default_value_t = 10)]
    drain_grace: u64,
    /// Serve TLS (wss://, https://) with this certificate chain (PEM); needs --tls-key.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The private key (PEM) of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Seconds a client may take to complete its TLS handshake.
    #[arg(long, default_value_t = 10)]
    handshake_timeout: u64,
}

#[derive(Subcommand)]
enum Command {
    /// Prints a token for development and tests, signed with an HMAC key file or an Ed25519 /
    /// P-256 private key (PEM).
    Token {
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        /// A target name or HOST:PORT the token allows (repeatable).
        #[arg(long = "target", required = true)]
        targets: Vec<String>,
        /// Seconds until it expires.
        #[arg(long, default_value_t = 300)]
        ttl: u64,
        /// Who it is for (logged by the relay).
        #[arg(long)]
        sub: Option<String>,
    },
}

fn read(path: &PathBuf) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| exit(&format!("cannot read {}: {e}", path.display())))
}

/// The token keys the flags name, if any.
fn verifier(args: &Args) -> Option<Verifier> {
    let hmac = args.token_key.as_ref().map(|p| {
        Verifier::hmac(&read(p)).unwrap_or_else(|e| exit(&format!("{}: {e}", p.display())))
    });
    let public = args.token_public_key.as_ref().map(|p| {
        Verifier::public(&read(p)).unwrap_or_else(|e| exit(&format!("{}: {e}", p.display())))
    });
    match (hmac, public) {
        (Some(a), Some(b)) => Some(a.and(b)),
        (a, b) => a.or(b),
    }
}

/// The arguments, with a config file's settings placed before the command line's; and the lines
/// of an old-form config file, if that is what it is.
fn arguments() -> (Args, Option<String>) {
    use clap::CommandFactory;
    let argv: Vec<String> = std::env::args().collect();
    let args = Args::parse_from(&argv);
    // As early as can be: what reading the config file says is logged in the chosen form.
    webdbc_relay::log::use_json(matches!(args.log_format, LogFormat::Json));
    let Some(path) = args.config.clone().filter(|_| args.command.is_none()) else {
        return (args, None);
    };
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| exit(&format!("cannot read {}: {e}", path.display())));
    let command = Args::command();
    let known: Vec<&str> = command
        .get_arguments()
        .filter_map(|a| a.get_long())
        .collect();
    match webdbc_relay::config_file::to_args(&text, &known) {
        Ok(file_args) => {
            let all = argv[..1]
                .iter()
                .cloned()
                .chain(file_args)
                .chain(argv[1..].iter().cloned());
            let args = Args::try_parse_from(all)
                .unwrap_or_else(|e| exit(&format!("{}: {e}", path.display())));
            (args, None)
        }
        // Not TOML: the old `NAME = HOST:PORT` lines, if that is what they are.
        Err(toml_error) => match Config::default().add_lines(&text) {
            Ok(()) => {
                log!("config", file = path.display().to_string();
                    "{} has the old NAME = HOST:PORT form; it still works, and the TOML \
                     form (see --help) takes every setting",
                    path.display()
                );
                (args, Some(text))
            }
            Err(_) => exit(&format!("{}: {toml_error}", path.display())),
        },
    }
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[tokio::main]
async fn main() {
    let (args, old_lines) = arguments();
    if let Some(Command::Token {
        key,
        targets,
        ttl,
        sub,
    }) = &args.command
    {
        match token::mint(&read(key), targets.clone(), *ttl, sub.clone()) {
            Ok(t) => println!("{t}"),
            Err(e) => exit(&e),
        }
        return;
    }
    webdbc_relay::log::use_json(matches!(args.log_format, LogFormat::Json));
    let tokens = verifier(&args);
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => {
            Some(webdbc_relay::tls::server_config(cert, key).unwrap_or_else(|e| exit(&e)))
        }
        _ => None,
    };
    let scheme = if tls.is_some() {
        ("wss", "https")
    } else {
        ("ws", "http")
    };
    let mut cfg = Config {
        tokens,
        targets: args.targets,
        http_targets: args.http_targets,
        allowed_origins: args.allowed_origins,
        hosts: args.hosts,
        connect_timeout: Duration::from_secs(args.connect_timeout),
        limits: Limits {
            max_connections: args.max_connections,
            max_connections_per_ip: args.max_connections_per_ip,
            max_connections_per_target: args.max_connections_per_target,
            attempts_per_ip_per_second: args.attempts_per_ip_per_second,
        },
        idle_timeout: Duration::from_secs(args.idle_timeout),
        max_lifetime: Duration::from_secs(args.max_lifetime),
        max_message_size: args.max_message_size,
        max_http_body: args.max_http_body,
        drain_grace: Duration::from_secs(args.drain_grace),
        www: args.www,
        tls,
        handshake_timeout: Duration::from_secs(args.handshake_timeout),
    };
    if let Some(text) = old_lines {
        cfg.add_lines(&text).unwrap_or_else(|e| exit(&e));
    }
    for target in cfg
        .targets
        .iter()
        .filter(|t| t.tls.as_ref().is_some_and(|t| !t.verifies()))
    {
        log!("config", target = &target.name;
            "target {}: tls=require encrypts but checks no certificate, so it does not stop an interceptor; tls=verify-full does",
            target.name);
    }
    if cfg.tokens.is_some() {
        log!("config"; "every connection needs a signed token");
    }
    if cfg.targets.is_empty() && cfg.http_targets.is_empty() {
        log!("config"; "no targets configured; every connection will be refused");
    }
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .unwrap_or_else(|e| exit(&format!("cannot listen on {}: {e}", args.listen)));
    log!("listening", listen = args.listen.to_string(), targets = cfg.targets.len(), http_targets = cfg.http_targets.len();
        "listening on {3}://{0}/v1/connect with {1} target(s), {4}://{0}/v1/http/NAME/ with {2} HTTP target(s)",
        args.listen,
        cfg.targets.len(),
        cfg.http_targets.len(),
        scheme.0,
        scheme.1
    );
    if let Err(e) = webdbc_relay::serve_until(listener, cfg, stop_signal()).await {
        exit(&e.to_string());
    }
    log!("stopped"; "stopped");
}

/// SIGTERM (a service manager), SIGINT (Ctrl-C) or SIGHUP (a closed terminal).
async fn stop_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).unwrap_or_else(|e| exit(&e.to_string()));
    let mut hup = signal(SignalKind::hangup()).unwrap_or_else(|e| exit(&e.to_string()));
    tokio::select! {
        _ = term.recv() => {}
        _ = hup.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}

fn exit(msg: &str) -> ! {
    log!("error"; "{msg}");
    std::process::exit(2)
}
