//! One error type for every backend. Its kind is the PEP 249 class; the fields are the server's own.

use std::fmt;

/// The PEP 249 exception class an error belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// Misuse of the driver itself: bad URL, unknown option, closed object.
    Interface,
    /// A database error that fits no narrower class.
    Database,
    /// A value that does not fit: out of range, not representable, malformed.
    Data,
    /// The connection or the server's operation: unreachable, refused login, broken
    /// connection, cancelled or timed-out statement.
    Operational,
    /// A constraint violated: unique, foreign key, not null, check.
    Integrity,
    /// The server's internal state: a transaction or cursor in the wrong state.
    Internal,
    /// The statement itself: a syntax error, an unknown table or column, wrong parameters.
    Programming,
    /// What this database (or this driver) does not do.
    NotSupported,
}

impl ErrorKind {
    /// The class name, as PEP 249 spells it.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Interface => "InterfaceError",
            ErrorKind::Database => "DatabaseError",
            ErrorKind::Data => "DataError",
            ErrorKind::Operational => "OperationalError",
            ErrorKind::Integrity => "IntegrityError",
            ErrorKind::Internal => "InternalError",
            ErrorKind::Programming => "ProgrammingError",
            ErrorKind::NotSupported => "NotSupportedError",
        }
    }

    /// PostgreSQL SQLSTATE class onto PEP 249, by class, as psycopg maps them.
    pub fn from_sqlstate(code: &str) -> ErrorKind {
        match code.get(..2).unwrap_or("") {
            "0A" => ErrorKind::NotSupported,
            "22" => ErrorKind::Data,
            "23" => ErrorKind::Integrity,
            "20" | "21" | "26" | "34" | "3D" | "3F" | "42" | "44" | "P0" => ErrorKind::Programming,
            "24" | "25" | "2B" | "2D" | "XX" => ErrorKind::Internal,
            "08" | "27" | "28" | "2F" | "38" | "39" | "3B" | "40" | "53" | "54" | "55" | "57"
            | "58" | "72" | "F0" | "HV" => ErrorKind::Operational,
            _ => ErrorKind::Database,
        }
    }
}

/// Where an error came from, so a caller can tell a refusal from a broken network or a server
/// that sent garbage without reading messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// The caller or this driver: a bad URL or option, a value that cannot be sent or held.
    Client,
    /// The server, with its own code and message.
    Server,
    /// The network: a connection that could not be made or broke.
    Network,
    /// webdbc-relay refused or could not reach the database.
    Relay,
    /// The server sent bytes or a reply that do not follow its protocol.
    Malformed,
    /// A deadline of this driver passed.
    Timeout,
    /// The statement was cancelled (by `cancel()`, an AbortSignal, or a timeout on the server).
    Cancelled,
}

impl Origin {
    /// The name JavaScript and Python see (`error.origin`).
    pub fn name(self) -> &'static str {
        match self {
            Origin::Client => "client",
            Origin::Server => "server",
            Origin::Network => "network",
            Origin::Relay => "relay",
            Origin::Malformed => "malformed",
            Origin::Timeout => "timeout",
            Origin::Cancelled => "cancelled",
        }
    }
}

/// An error with the server's own fields where the server gave them. Boxed: results stay small.
/// The one error type. Its fields are [`Details`]' (`e.kind`, `e.code`, `e.message`, …,
/// through `Deref`); `Display` gives the message and, when there is one, the server's code.
///
/// ```
/// # use webdbc::{Error, ErrorKind};
/// let e = Error::programming("no column named \"x\"");
/// assert_eq!((e.kind, e.kind.name()), (ErrorKind::Programming, "ProgrammingError"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error(Box<Details>);

/// What an [`Error`] says: its class, its origin, its message and, from a server, the
/// server's own fields (PostgreSQL's ErrorResponse fields; other servers fill what they have).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Details {
    /// The PEP 249 class.
    pub kind: ErrorKind,
    /// Where the error came from.
    pub origin: Origin,
    /// The message: the server's own for a server error.
    pub message: String,
    /// The server's error code: SQLSTATE for PostgreSQL.
    pub code: Option<String>,
    /// The server's severity (`ERROR`, `FATAL`).
    pub severity: Option<String>,
    /// The server's detail.
    pub detail: Option<String>,
    /// The server's hint.
    pub hint: Option<String>,
    /// 1-based character position in the statement text.
    pub position: Option<u32>,
    /// Where in the server's code (a PL/pgSQL context).
    pub where_: Option<String>,
    /// The schema the error concerns.
    pub schema: Option<String>,
    /// The table the error concerns.
    pub table: Option<String>,
    /// The column the error concerns.
    pub column: Option<String>,
    /// The data type the error concerns.
    pub data_type: Option<String>,
    /// The constraint violated.
    pub constraint: Option<String>,
}

impl Error {
    /// An error of this driver (origin [`Origin::Client`]).
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error(Box::new(Details {
            kind,
            origin: Origin::Client,
            message: message.into(),
            code: None,
            severity: None,
            detail: None,
            hint: None,
            position: None,
            where_: None,
            schema: None,
            table: None,
            column: None,
            data_type: None,
            constraint: None,
        }))
    }

    /// An [`ErrorKind::Interface`] error.
    pub fn interface(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Interface, message)
    }

    /// An [`ErrorKind::Operational`] error.
    pub fn operational(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Operational, message)
    }

    /// An [`ErrorKind::Programming`] error.
    pub fn programming(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Programming, message)
    }

    /// An [`ErrorKind::Data`] error.
    pub fn data(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Data, message)
    }

    /// An [`ErrorKind::NotSupported`] error.
    pub fn not_supported(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::NotSupported, message)
    }

    /// The same error from another origin.
    pub fn from_origin(mut self, origin: Origin) -> Error {
        self.origin = origin;
        self
    }

    /// An error the server reported, with its code when it gave one.
    pub fn server(kind: ErrorKind, code: Option<String>, message: impl Into<String>) -> Error {
        let mut e = Error::new(kind, message).from_origin(Origin::Server);
        e.code = code;
        e
    }

    /// The server sent bytes that do not follow its protocol.
    pub fn malformed(what: impl fmt::Display) -> Error {
        Error::new(
            ErrorKind::Operational,
            format!("malformed reply from server: {what}"),
        )
        .from_origin(Origin::Malformed)
    }

    /// The connection to the database (or relay) broke.
    pub fn connection_lost(why: impl fmt::Display) -> Error {
        Error::new(ErrorKind::Operational, format!("connection lost: {why}"))
            .from_origin(Origin::Network)
    }

    /// The network failed before the server could answer.
    pub fn network(message: impl Into<String>) -> Error {
        Error::operational(message).from_origin(Origin::Network)
    }

    /// webdbc-relay refused, or could not reach the database.
    pub fn relay(message: impl Into<String>) -> Error {
        Error::operational(message).from_origin(Origin::Relay)
    }

    /// `what` did not finish within `ms` milliseconds.
    pub fn timeout(what: &str, ms: u64) -> Error {
        Error::operational(format!("{what} timed out after {ms} ms")).from_origin(Origin::Timeout)
    }

    /// The statement was cancelled; SQLSTATE 57014 (query_canceled), as PostgreSQL reports it.
    pub fn cancelled(message: impl Into<String>) -> Error {
        let mut e = Error::operational(message).from_origin(Origin::Cancelled);
        e.code = Some("57014".into());
        e
    }

    /// Using a closed connection or cursor.
    pub fn closed(what: &str) -> Error {
        Error::interface(format!("{what} is closed"))
    }
}

impl std::ops::Deref for Error {
    type Target = Details;
    fn deref(&self) -> &Details {
        &self.0
    }
}

impl std::ops::DerefMut for Error {
    fn deref_mut(&mut self) -> &mut Details {
        &mut self.0
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.code {
            Some(code) => write!(f, "{} [{}]: {}", self.kind.name(), code, self.message),
            None => write!(f, "{}: {}", self.kind.name(), self.message),
        }
    }
}

impl std::error::Error for Error {}

/// The crate's result: [`Error`] by default.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlstate_classes_map_onto_pep249() {
        assert_eq!(ErrorKind::from_sqlstate("23505"), ErrorKind::Integrity);
        assert_eq!(ErrorKind::from_sqlstate("42601"), ErrorKind::Programming);
        assert_eq!(ErrorKind::from_sqlstate("22012"), ErrorKind::Data);
        assert_eq!(ErrorKind::from_sqlstate("08006"), ErrorKind::Operational);
        assert_eq!(ErrorKind::from_sqlstate("53300"), ErrorKind::Operational);
        assert_eq!(ErrorKind::from_sqlstate("57014"), ErrorKind::Operational);
        assert_eq!(ErrorKind::from_sqlstate("28P01"), ErrorKind::Operational);
        assert_eq!(ErrorKind::from_sqlstate("0A000"), ErrorKind::NotSupported);
        assert_eq!(ErrorKind::from_sqlstate("XX000"), ErrorKind::Internal);
        assert_eq!(ErrorKind::from_sqlstate("00000"), ErrorKind::Database);
    }
}
