use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use webdbc_relay::http::parse_http_target;
use webdbc_relay::token::{self, Verifier};
use webdbc_relay::{parse_target, Config};

/// WebSocket-to-TCP relay for webdbc. Deny by default: only the targets named here are reachable.
#[derive(Parser)]
#[command(version, args_conflicts_with_subcommands = true)]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// A reachable target, NAME=HOST:PORT (repeatable). Clients pick it with ?target=NAME or
    /// ?address=HOST:PORT (exact match).
    #[arg(long = "target", value_parser = parse_target)]
    targets: Vec<(String, String)>,
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
    /// A file of `NAME = HOST:PORT`, `NAME = http://HOST:PORT` and `allow-origin = ORIGIN` lines,
    /// added to the flags.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Serve the static files of this folder at / (e.g. the www/ SQL console).
    #[arg(long)]
    www: Option<PathBuf>,
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

#[tokio::main]
async fn main() {
    let args = Args::parse();
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
    let tokens = verifier(&args);
    let mut cfg = Config {
        tokens,
        targets: args.targets,
        http_targets: args.http_targets,
        allowed_origins: args.allowed_origins,
        hosts: args.hosts,
        connect_timeout: std::time::Duration::from_secs(args.connect_timeout),
        www: args.www,
        ..Config::default()
    };
    if let Some(path) = &args.config {
        let text = std::fs::read_to_string(path)
            .unwrap_or_else(|e| exit(&format!("cannot read {}: {e}", path.display())));
        cfg.add_lines(&text)
            .unwrap_or_else(|e| exit(&format!("{}: {e}", path.display())));
    }
    if cfg.tokens.is_some() {
        eprintln!("webdbc-relay: every connection needs a signed token");
    }
    if cfg.targets.is_empty() && cfg.http_targets.is_empty() {
        eprintln!("webdbc-relay: no targets configured; every connection will be refused");
    }
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .unwrap_or_else(|e| exit(&format!("cannot listen on {}: {e}", args.listen)));
    eprintln!(
        "webdbc-relay: listening on ws://{0}/v1/connect with {1} target(s), http://{0}/v1/http/NAME/ with {2} HTTP target(s)",
        args.listen,
        cfg.targets.len(),
        cfg.http_targets.len()
    );
    tokio::select! {
        r = webdbc_relay::serve(listener, cfg) => if let Err(e) = r { exit(&e.to_string()) },
        _ = tokio::signal::ctrl_c() => {}
    }
}

fn exit(msg: &str) -> ! {
    eprintln!("webdbc-relay: {msg}");
    std::process::exit(2)
}
