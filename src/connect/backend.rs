//! The backends a connection can have, as one type for the core.

use crate::core::{Backend, Batch, Outcome, Params, Result};
use crate::protocols::cratedb::CrateSession;
use crate::protocols::databend::DatabendSession;
use crate::protocols::databricks::DatabricksSession;
use crate::protocols::ignite::IgniteSession;
use crate::protocols::pg::PgSession;
use crate::protocols::questdb::QuestSession;
use crate::web::fetch::FetchClient;
use crate::web::websocket::WsTransport;

pub enum AnyBackend {
    Pg(PgSession<WsTransport>),
    Crate(CrateSession<FetchClient>),
    Databend(Box<DatabendSession<FetchClient>>),
    Quest(QuestSession<FetchClient>),
    Databricks(Box<DatabricksSession<FetchClient>>),
    Ignite(Box<IgniteSession<WsTransport>>),
}

/// Calls the same method on whichever backend this is.
macro_rules! each {
    ($self:ident, $b:ident => $e:expr) => {
        match $self {
            AnyBackend::Pg($b) => $e,
            AnyBackend::Crate($b) => $e,
            AnyBackend::Databend($b) => $e,
            AnyBackend::Quest($b) => $e,
            AnyBackend::Databricks($b) => $e,
            AnyBackend::Ignite($b) => $e,
        }
    };
}

impl Backend for AnyBackend {
    async fn execute(&mut self, sql: &str, params: Params) -> Result<Outcome> {
        each!(self, b => b.execute(sql, params).await)
    }
    async fn execute_many(&mut self, sql: &str, param_sets: Vec<Params>) -> Result<i64> {
        each!(self, b => b.execute_many(sql, param_sets).await)
    }
    async fn fetch(&mut self) -> Result<Batch> {
        each!(self, b => b.fetch().await)
    }
    async fn discard(&mut self) -> Result<()> {
        each!(self, b => b.discard().await)
    }
    async fn commit(&mut self) -> Result<()> {
        each!(self, b => b.commit().await)
    }
    async fn rollback(&mut self) -> Result<()> {
        each!(self, b => b.rollback().await)
    }
    fn autocommit(&self) -> bool {
        each!(self, b => b.autocommit())
    }
    fn set_autocommit(&mut self, on: bool) -> Result<()> {
        each!(self, b => b.set_autocommit(on))
    }
    async fn close(&mut self) {
        each!(self, b => b.close().await)
    }
    fn keep_alive_interval_ms(&self) -> Option<u32> {
        each!(self, b => b.keep_alive_interval_ms())
    }
    async fn keep_alive(&mut self) -> Result<()> {
        each!(self, b => b.keep_alive().await)
    }
}
