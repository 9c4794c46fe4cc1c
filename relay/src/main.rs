use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;
use webdbc_relay::http::parse_http_target;
use webdbc_relay::{parse_target, Config};

/// WebSocket-to-TCP relay for webdbc. Deny by default: only the targets named here are reachable.
#[derive(Parser)]
#[command(version)]
struct Args {
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
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let mut cfg = Config {
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
