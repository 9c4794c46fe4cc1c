// The end-to-end scenarios, one file per backend, written once and run in Node
// (tests/node/scenarios.test.mjs) and in headless Chromium (tests/browser.rs, wasm-bindgen-test),
// both of which take the list from `all`. Each scenario takes `api` (connect, the error classes,
// wasmMemoryBytes) and `env` (URLs from webdbc-testenv) and throws on failure.

import { booklist, authMethods, typesRoundTrip, valueOptions, streaming, boundedMemory, transactions, resultSets, serverErrors, connectFailures, killedMidResult, cancel, closeWhileRunning, hostileServer, parameterFidelity } from "./postgres.js";
import { crateSeedFlow, crateBooklist, crateTypes, crateStreaming, crateErrors, crateConnectFailures, crateCancel, crateThroughRelay } from "./cratedb.js";
import { databendSeedFlow, databendTypes, databendPaging, databendTransactions, databendErrors, databendCancel } from "./databend.js";
import { questdbSeedFlow, questdbTypes, questdbInjection, questdbPaging, questdbErrors, questdbImport, questdbCancel } from "./questdb.js";
import { databricksSeedFlow, databricksTypes, databricksChunks, databricksErrors, databricksAsync } from "./databricks.js";
import { igniteSeedFlow, igniteTypes, ignitePaging, igniteErrors, igniteCancel } from "./ignite.js";
import { pgCrateDialect, pgQuestDialect } from "./dialects.js";
import { relayTokens, relayTlsToDatabases } from "./relay.js";

export const all = {
  booklist, authMethods, typesRoundTrip, valueOptions, streaming, boundedMemory, transactions, resultSets, serverErrors, connectFailures, killedMidResult, cancel, closeWhileRunning, hostileServer, parameterFidelity,
  crateSeedFlow, crateBooklist, crateTypes, crateStreaming, crateErrors, crateConnectFailures, crateCancel, crateThroughRelay,
  databendSeedFlow, databendTypes, databendPaging, databendTransactions, databendErrors, databendCancel,
  questdbSeedFlow, questdbTypes, questdbInjection, questdbPaging, questdbErrors, questdbImport, questdbCancel,
  databricksSeedFlow, databricksTypes, databricksChunks, databricksErrors, databricksAsync,
  igniteSeedFlow, igniteTypes, ignitePaging, igniteErrors, igniteCancel,
  pgCrateDialect, pgQuestDialect,
  relayTokens, relayTlsToDatabases,
};
