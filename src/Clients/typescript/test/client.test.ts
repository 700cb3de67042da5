// The client's own behaviour against a real HTTP/2 (h2c) server on a loopback socket that plays a hub which
// is briefly unavailable: identity headers and tokens on every attempt, one request id per logical call,
// retries only for UNAVAILABLE, and the call's deadline over all attempts.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Http2Server, type Http2Session, type IncomingHttpHeaders, type ServerHttp2Stream } from "node:http2";
import type { AddressInfo } from "node:net";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  CreateSignalRequestSchema,
  CreateSignalResponseSchema,
  createKetenhubClient,
  hubError,
  SignalKind,
  type CreateSignalRequest,
} from "../src/index.js";

interface Attempt {
  headers: IncomingHttpHeaders;
  request: CreateSignalRequest;
}

let server: Http2Server;
const sessions = new Set<Http2Session>();
let baseUrl: string;
let attempts: Attempt[] = [];
// Status codes to answer with, in order; when empty, the call succeeds.
let failures: number[] = [];
let delayMs = 0;

before(async () => {
  server = createServer();
  server.on("session", (session: Http2Session) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
  });
  server.on("stream", (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => {
    // A client that gave up (the deadline test) resets its stream; that is expected here.
    stream.on("error", () => {});
    const chunks: Buffer[] = [];
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("end", () => {
      const body = Buffer.concat(chunks);
      const request = fromBinary(CreateSignalRequestSchema, body.subarray(5, 5 + body.readUInt32BE(1)));
      attempts.push({ headers, request });
      setTimeout(() => answer(stream, request), delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  // Clients keep their HTTP/2 connection open while idle; close them so the server can stop.
  sessions.forEach((s) => s.destroy());
  await new Promise((resolve) => server.close(resolve));
});

function answer(stream: ServerHttp2Stream, request: CreateSignalRequest): void {
  if (stream.destroyed || stream.closed) return;
  const failure = failures.shift();
  if (failure !== undefined) {
    stream.respond({ ":status": 200, "content-type": "application/grpc", "grpc-status": String(failure), "grpc-message": "try again" }, { endStream: true });
    return;
  }
  const message = toBinary(CreateSignalResponseSchema, create(CreateSignalResponseSchema, { signal: { name: `signals/for-${request.requestId}` } }));
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, 5);
  stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
  stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
  stream.end(frame);
}

function reset(fail: number[] = [], delay = 0): void {
  attempts = [];
  failures = fail;
  delayMs = delay;
}

const signal = { client: "clients/c1", kind: SignalKind.PAYMENT_ARREARS };

test("identity header and a fresh token on every attempt; one request id across the retries", async () => {
  reset([Code.Unavailable, Code.Unavailable]);
  let tokens = 0;
  const client = createKetenhubClient({
    baseUrl,
    party: "sdd",
    token: () => `token-${++tokens}`,
    retry: { initialBackoffMs: 5 },
  });

  const response = await client.signals.createSignal({ signal });

  assert.equal(attempts.length, 3);
  assert.deepEqual(attempts.map((a) => a.headers["ketenhub-party"]), ["sdd", "sdd", "sdd"]);
  assert.deepEqual(attempts.map((a) => a.headers.authorization), ["Bearer token-1", "Bearer token-2", "Bearer token-3"]);
  const ids = new Set(attempts.map((a) => a.request.requestId));
  assert.equal(ids.size, 1);
  const [id] = ids;
  assert.match(id!, /^[0-9a-f-]{36}$/);
  assert.equal(response.signal?.name, `signals/for-${id}`);
  assert.equal(attempts[0]!.request.signal?.kind, SignalKind.PAYMENT_ARREARS);
});

test("a request id the caller sets is kept, so an import can derive it from its row", async () => {
  reset();
  const client = createKetenhubClient({ baseUrl, party: "sdd" });

  await client.signals.createSignal({ requestId: "row-17", signal });

  assert.equal(attempts[0]!.request.requestId, "row-17");
});

test("every logical call gets its own request id", async () => {
  reset();
  let next = 0;
  const client = createKetenhubClient({ baseUrl, party: "sdd", newRequestId: () => `id-${++next}` });

  await client.signals.createSignal({ signal });
  await client.signals.createSignal({ signal });

  assert.deepEqual(attempts.map((a) => a.request.requestId), ["id-1", "id-2"]);
});

test("errors other than UNAVAILABLE are not retried", async () => {
  reset([Code.InvalidArgument]);
  const client = createKetenhubClient({ baseUrl, party: "sdd", retry: { initialBackoffMs: 5 } });

  await assert.rejects(client.signals.createSignal({ signal }), (error: unknown) => hubError(error).code === Code.InvalidArgument);
  assert.equal(attempts.length, 1);
});

test("retries stop after maxAttempts with the last error", async () => {
  reset([Code.Unavailable, Code.Unavailable, Code.Unavailable]);
  const client = createKetenhubClient({ baseUrl, party: "sdd", retry: { maxAttempts: 2, initialBackoffMs: 5 } });

  await assert.rejects(client.signals.createSignal({ signal }), (error: unknown) => ConnectError.from(error).code === Code.Unavailable);
  assert.equal(attempts.length, 2);
});

test("the deadline covers the whole logical call and is sent to the hub", async () => {
  reset([], 400);
  const client = createKetenhubClient({ baseUrl, party: "sdd", timeoutMs: 150 });

  await assert.rejects(client.signals.createSignal({ signal }), (error: unknown) => ConnectError.from(error).code === Code.DeadlineExceeded);
  assert.match(String(attempts[0]?.headers["grpc-timeout"]), /^\d+m$/);
});

test("a retry tells the hub what is left of the deadline", async () => {
  reset([Code.Unavailable], 0);
  const client = createKetenhubClient({ baseUrl, party: "sdd", timeoutMs: 5000, retry: { initialBackoffMs: 200, maxBackoffMs: 200 } });

  await client.signals.createSignal({ signal });

  const sent = attempts.map((a) => Number(/^(\d+)m$/.exec(String(a.headers["grpc-timeout"]))?.[1]));
  assert.equal(sent.length, 2);
  assert.equal(sent[0], 5000);
  assert.ok(sent[1]! < 5000 - 90 && sent[1]! > 0, `second attempt's grpc-timeout ${sent[1]} ms`);
});

test("a client certificate needs an https base URL", () => {
  assert.throws(
    () => createKetenhubClient({ baseUrl, clientCertificate: { cert: "x", key: "y" } }),
    /needs an https:\/\/ base URL/,
  );
});
