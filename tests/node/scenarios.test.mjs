// The end-to-end scenarios in Node, through the npm package in pkg/ (scripts/build-pkg.sh).
// Run under webdbc-testenv, with a global WebSocket (Node 20: --experimental-websocket).
import { test } from "node:test";
import * as webdbc from "../../pkg/node.js";
import { all } from "../scenarios/index.js";

const env = {
  relay: process.env.WEBDBC_TEST_RELAY,
  pg: process.env.WEBDBC_TEST_PG,
  pgMd5: process.env.WEBDBC_TEST_PG_MD5,
  pgSaslprep: process.env.WEBDBC_TEST_PG_SASLPREP,
  pgCleartext: process.env.WEBDBC_TEST_PG_CLEARTEXT,
  pgWrongPassword: process.env.WEBDBC_TEST_PG_WRONG_PASSWORD,
  pgCut: process.env.WEBDBC_TEST_PG_CUT,
  pgGarbage: process.env.WEBDBC_TEST_PG_GARBAGE,
  pgHostile: process.env.WEBDBC_TEST_PG_HOSTILE,
  pgDead: process.env.WEBDBC_TEST_PG_DEAD,
  pgDenied: process.env.WEBDBC_TEST_PG_DENIED,
  crate: process.env.WEBDBC_TEST_CRATE,
  crateHttp: process.env.WEBDBC_TEST_CRATE_HTTP,
  crateDead: process.env.WEBDBC_TEST_CRATE_DEAD,
  crateNoCors: process.env.WEBDBC_TEST_CRATE_NO_CORS,
  databend: process.env.WEBDBC_TEST_DATABEND,
  questdb: process.env.WEBDBC_TEST_QUESTDB,
  databricks: process.env.WEBDBC_TEST_DATABRICKS,
  ignite: process.env.WEBDBC_TEST_IGNITE,
  igniteSecure: process.env.WEBDBC_TEST_IGNITE_SECURE,
  igniteCut: process.env.WEBDBC_TEST_IGNITE_CUT,
  pgCrate: process.env.WEBDBC_TEST_PG_CRATE,
  pgQuest: process.env.WEBDBC_TEST_PG_QUEST,
  tokenRelay: process.env.WEBDBC_TEST_TOKEN_RELAY,
  token: process.env.WEBDBC_TEST_TOKEN,
  tokenExpired: process.env.WEBDBC_TEST_TOKEN_EXPIRED,
  tokenOther: process.env.WEBDBC_TEST_TOKEN_OTHER,
  pgTls: process.env.WEBDBC_TEST_PG_TLS,
  igniteTls: process.env.WEBDBC_TEST_IGNITE_TLS,
};
if (!env.relay || !env.pg) throw new Error("WEBDBC_TEST_* not set: run under webdbc-testenv (see README)");

for (const [name, scenario] of Object.entries(all)) {
  test(name, { timeout: 120_000 }, () => scenario(webdbc, env));
}
