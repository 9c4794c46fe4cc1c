// @neondatabase/serverless pointed at webdbc-relay, as the benchmarks compare it.
import { Client, neonConfig } from "@neondatabase/serverless";

/** A connected neon Client for `pg` through the relay at `relay` (a ws:// URL). */
export async function neonThroughRelay(pg, relay) {
  const relayHost = new URL(relay).host;
  neonConfig.webSocketConstructor = WebSocket;
  neonConfig.useSecureWebSocket = false;
  neonConfig.forceDisablePgSSL = true;
  neonConfig.pipelineConnect = false; // the server asks for SCRAM, not cleartext
  neonConfig.wsProxy = (host, port) => `${relayHost}/v1?address=${host}:${port}`;
  const client = new Client(pg);
  await client.connect();
  return client;
}
