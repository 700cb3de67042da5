// The client certificate option against a real TLS HTTP/2 server on a loopback socket that requires and
// verifies client certificates (mutual TLS), with a CA, server and client certificates generated for the
// test by the openssl command-line tool.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createSecureServer, type Http2SecureServer, type Http2Session, type ServerHttp2Stream } from "node:http2";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TLSSocket } from "node:tls";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { createKetenhubClient, ListPartiesResponseSchema } from "../src/index.js";

const hasOpenssl = spawnSync("openssl", ["version"]).status === 0;
const dir = mkdtempSync(join(tmpdir(), "ketenhub-tls-"));
let server: Http2SecureServer;
let baseUrl: string;
const sessions = new Set<Http2Session>();
const seenSubjects: string[] = [];

function openssl(...args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
}

function pem(name: string): Buffer {
  return readFileSync(join(dir, name));
}

// A CA, a server certificate for 127.0.0.1 and a client certificate for the party, all signed by the CA.
function makeCertificates(): void {
  openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "1", "-subj", "/CN=Ketenhub test CA");
  writeFileSync(join(dir, "server.ext"), "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
  writeFileSync(join(dir, "client.ext"), "extendedKeyUsage=clientAuth\n");
  for (const [name, subject] of [["server", "/CN=127.0.0.1"], ["client", "/CN=sdd"]] as const) {
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", subject);
    openssl("x509", "-req", "-in", `${name}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", `${name}.crt`, "-days", "1", "-extfile", `${name}.ext`);
  }
}

before(async () => {
  if (!hasOpenssl) return;
  makeCertificates();
  server = createSecureServer({ key: pem("server.key"), cert: pem("server.crt"), ca: pem("ca.crt"), requestCert: true, rejectUnauthorized: true });
  server.on("session", (session: Http2Session) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
  });
  server.on("stream", (stream: ServerHttp2Stream) => {
    const socket = stream.session?.socket as TLSSocket | undefined;
    seenSubjects.push(String(socket?.getPeerCertificate().subject?.CN));
    stream.resume();
    stream.on("end", () => {
      const message = toBinary(ListPartiesResponseSchema, create(ListPartiesResponseSchema, {}));
      const frame = Buffer.alloc(5 + message.length);
      frame.writeUInt32BE(message.length, 1);
      frame.set(message, 5);
      stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      stream.end(frame);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  sessions.forEach((s) => s.destroy());
  if (server) await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

const skip = hasOpenssl ? false : "the openssl command is not installed";

test("with a client certificate the call passes mutual TLS and the server sees the party's certificate", { skip }, async () => {
  const client = createKetenhubClient({
    baseUrl,
    clientCertificate: { cert: pem("client.crt"), key: pem("client.key"), ca: pem("ca.crt") },
  });

  await client.parties.listParties({});

  assert.deepEqual(seenSubjects, ["sdd"]);
});

test("a client certificate the server's CA did not sign is refused", { skip }, async () => {
  openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "stranger.key", "-out", "stranger.crt", "-days", "1", "-subj", "/CN=stranger");
  const client = createKetenhubClient({
    baseUrl,
    retry: false,
    timeoutMs: 5000,
    clientCertificate: { cert: pem("stranger.crt"), key: pem("stranger.key"), ca: pem("ca.crt") },
  });

  await assert.rejects(client.parties.listParties({}), (error: unknown) => {
    // TLS 1.3 checks the client certificate after the handshake, so the refusal reaches the client as a
    // closed connection or stream rather than a gRPC status.
    assert.ok([Code.Canceled, Code.Unavailable, Code.Internal, Code.Unknown].includes(ConnectError.from(error).code), String(error));
    return true;
  });
  assert.ok(!seenSubjects.includes("stranger"));
});
