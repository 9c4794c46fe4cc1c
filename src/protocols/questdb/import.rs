//! CSV loads through QuestDB's `POST /imp`.

use serde_json::Value as Json;

use super::response::reply_error;
use super::session::QuestSession;
use crate::core::error::{Error, ErrorKind, Result};
use crate::core::http::{encode_component, parse_json, HttpClient, Request};
use crate::core::sql;

impl<H: HttpClient> QuestSession<H> {
    /// `POST /imp`: loads CSV into `table` (created when missing). `options` are /imp's URL
    /// parameters; `schema` its optional schema part. Returns the server's JSON report.
    pub async fn import_csv(
        &mut self,
        table: &str,
        csv: &[u8],
        options: &[(String, String)],
        schema: Option<String>,
    ) -> Result<Json> {
        self.open = None;
        let boundary = "webdbc-imp-7d1f0c2a9b8e4f6c";
        let mut body = Vec::with_capacity(csv.len() + 512);
        if let Some(s) = schema {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"schema\"\r\nContent-Type: application/json\r\n\r\n{s}\r\n")
                    .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"data\"; filename=\"data.csv\"\r\nContent-Type: text/csv\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(csv);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let mut url = format!(
            "{}/imp?fmt=json&name={}",
            self.cfg.base_url,
            encode_component(table)
        );
        for (k, v) in options {
            url.push_str(&format!("&{}={}", encode_component(k), encode_component(v)));
        }
        let mut headers = self.cfg.headers();
        headers.push((
            "Content-Type".into(),
            format!("multipart/form-data; boundary={boundary}"),
        ));
        let resp = self
            .http
            .send(Request {
                method: "POST",
                url,
                headers,
                body: Some(body),
                timeout_ms: None,
            })
            .await?;
        // The report is handed on as it is: its shape is the server's.
        let reply = parse_json(&resp).ok();
        let status = reply
            .as_ref()
            .and_then(|r| r["status"].as_str())
            .unwrap_or("");
        if resp.status == 401 {
            return Err(reply_error(
                &resp,
                &sql::scan("", sql::ParamStyle::Positional)?,
                self.cfg.user.as_deref(),
            ));
        }
        if resp.status != 200 || status != "OK" {
            let why = if status.is_empty() {
                resp.excerpt()
            } else {
                status.to_string()
            };
            return Err(Error::server(
                ErrorKind::Database,
                None,
                format!("CSV import into {table} failed: {why}"),
            ));
        }
        Ok(reply.unwrap_or(Json::Null))
    }
}
