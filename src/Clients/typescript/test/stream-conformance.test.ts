// The delivery stream's rules (docs/clients.md, "Delivery streams") as an integrator in another language meets them:
// driven only through the code generated from the protos (src/gen, @bufbuild/protoc-gen-es) and a plain Connect
// gRPC transport, not this SDK's client, against the built hub running as a real process on the real clock.
// Every stream error fails the test that reads the stream: only the test's own abort is expected.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { randomInt, randomUUID } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { DurationSchema } from "@bufbuild/protobuf/wkt";
import { type Client, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { ClientService } from "../src/gen/ketenhub/v1/client_pb.js";
import { DataCategory, LifeDomain, Purpose } from "../src/gen/ketenhub/v1/common_pb.js";
import { ConsentService, GrantorRole } from "../src/gen/ketenhub/v1/consent_pb.js";
import {
  type Delivery,
  DeliveryMode,
  DeliveryService,
  DeliveryStatus,
  type StreamDeliveriesRequest,
  type StreamHeartbeat,
} from "../src/gen/ketenhub/v1/delivery_pb.js";
import { SignalKind, SignalService, SignalSeverity } from "../src/gen/ketenhub/v1/signal_pb.js";
import { HubProcess } from "./hub-process.js";

type StreamRequest = Partial<Omit<StreamDeliveriesRequest, "$typeName" | "$unknown">>;

let hub: HubProcess;
const open: RawStream[] = [];

before(async () => {
  hub = await HubProcess.start();
});

after(async () => {
  open.forEach((s) => s.close());
  await hub?.stop();
});

interface Party {
  clients: Client<typeof ClientService>;
  consents: Client<typeof ConsentService>;
  signals: Client<typeof SignalService>;
  deliveries: Client<typeof DeliveryService>;
}

/** The generated service clients over a bare gRPC transport, identified by the hub's Development header. */
function as(party: string): Party {
  const transport = createGrpcTransport({
    baseUrl: hub.baseUrl,
    interceptors: [(next) => (req) => {
      req.header.set("ketenhub-party", party);
      return next(req);
    }],
  });
  return {
    clients: createClient(ClientService, transport),
    consents: createClient(ConsentService, transport),
    signals: createClient(SignalService, transport),
    deliveries: createClient(DeliveryService, transport),
  };
}

/** A burgerservicenummer that passes the elfproef. */
function newBsn(): string {
  for (;;) {
    const digits = Array.from({ length: 8 }, () => randomInt(10));
    digits[0] = 1 + randomInt(9);
    const sum = digits.reduce((total, d, i) => total + d * (9 - i), 0);
    const last = sum % 11;
    if (last < 10) return [...digits, last].join("");
  }
}

/** One delivery stream read in the background; errors are kept and thrown to the reader. */
class RawStream {
  readonly deliveries: Delivery[] = [];
  readonly heartbeats: StreamHeartbeat[] = [];
  private readonly abort = new AbortController();
  private readonly waiters: Array<() => void> = [];
  private failure?: unknown;
  private ended = false;

  constructor(party: Party, request: StreamRequest = {}) {
    open.push(this);
    void this.pump(party, request);
  }

  private async pump(party: Party, request: StreamRequest): Promise<void> {
    try {
      for await (const message of party.deliveries.streamDeliveries(request, { signal: this.abort.signal })) {
        if (message.heartbeat) this.heartbeats.push(message.heartbeat);
        else if (message.delivery) this.deliveries.push(message.delivery);
        else this.failure = new Error("A stream message carried neither a delivery nor a heartbeat.");
        this.wake();
      }
      if (!this.abort.signal.aborted) this.failure = new Error("The hub ended a delivery stream it keeps open.");
    } catch (error) {
      if (!this.abort.signal.aborted) this.failure = error;
    } finally {
      this.ended = true;
      this.wake();
    }
  }

  private wake(): void {
    this.waiters.splice(0).forEach((w) => w());
  }

  private check(): void {
    if (this.failure) throw this.failure;
    if (this.ended && !this.abort.signal.aborted) throw new Error("The delivery stream ended.");
  }

  private async waitFor<T>(take: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      this.check();
      const taken = take();
      if (taken !== undefined) return taken;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`No ${what} arrived within ${timeoutMs} ms.`);
      await new Promise<void>((resolveWait) => {
        const timer = setTimeout(resolveWait, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolveWait();
        });
      });
    }
  }

  next(timeoutMs = 10_000): Promise<Delivery> {
    return this.waitFor(() => this.deliveries.shift(), timeoutMs, "delivery");
  }

  nextHeartbeat(timeoutMs = 10_000): Promise<StreamHeartbeat> {
    return this.waitFor(() => this.heartbeats.shift(), timeoutMs, "heartbeat");
  }

  /** Every delivery that arrives until none has come for `quietMs`. */
  async untilQuiet(quietMs = 700): Promise<Delivery[]> {
    const taken: Delivery[] = [];
    for (;;) {
      const before = this.deliveries.length;
      await new Promise((r) => setTimeout(r, quietMs));
      this.check();
      if (this.deliveries.length === before) {
        taken.push(...this.deliveries.splice(0));
        return taken;
      }
    }
  }

  /** The next `count` deliveries (each within the timeout), and then none for `quietMs`. */
  async exactly(count: number, quietMs = 700): Promise<Delivery[]> {
    const taken: Delivery[] = [];
    for (let i = 0; i < count; i++) taken.push(await this.next());
    taken.push(...(await this.untilQuiet(quietMs)));
    return taken;
  }

  close(): void {
    this.abort.abort();
  }
}

const sdd = () => as("sdd");
const coach = () => as("waakvlam-zorg");

/** A client of waakvlam-zorg with coach Lisa and consent for financial signals; returns SDD's name for the client. */
async function coachedClient(): Promise<string> {
  const bsn = newBsn();
  const facts = { bsn, birthDate: { year: 1994, month: 11, day: 2 }, municipalityCode: "0505" };
  const own = (await coach().clients.registerClient({ requestId: randomUUID(), ...facts })).client!.name;
  const atSdd = (await sdd().clients.registerClient({ requestId: randomUUID(), ...facts })).client!.name;
  await sdd().clients.assignCoach({
    requestId: randomUUID(),
    client: atSdd,
    coach: { party: "parties/waakvlam-zorg", coachId: "lisa", displayName: "Lisa", phone: "078-0000000", email: "lisa@example.org" },
  });
  await coach().consents.grantConsent({
    requestId: randomUUID(),
    consent: {
      client: own,
      grantorRole: GrantorRole.CLIENT,
      recipientParty: "parties/waakvlam-zorg",
      purposes: [Purpose.SIGNAL_FOLLOW_UP],
      dataCategories: [DataCategory.FINANCES],
    },
  });
  await settle();
  return atSdd;
}

/** Raises a financial signal from SDD; returns the name of waakvlam-zorg's delivery. */
async function raise(client: string, description: string): Promise<string> {
  const response = await sdd().signals.createSignal({
    requestId: randomUUID(),
    signal: { client, kind: SignalKind.PAYMENT_ARREARS, lifeDomain: LifeDomain.FINANCES, severity: SignalSeverity.CONCERN, description },
  });
  const decision = response.decisions.find((d) => d.recipient === "parties/waakvlam-zorg");
  assert.ok(decision?.delivery, "the coach gets a delivery");
  return decision.delivery;
}

async function acknowledge(name: string): Promise<void> {
  const answer = await coach().deliveries.acknowledgeDelivery({ requestId: randomUUID(), name });
  assert.equal(answer.status, DeliveryStatus.ACKNOWLEDGED);
}

/** Acknowledges everything pending for waakvlam-zorg, so each test starts from an empty queue. */
async function settle(): Promise<void> {
  const stream = new RawStream(coach(), { deliveryMode: DeliveryMode.FAN_OUT });
  try {
    for (const delivery of await stream.untilQuiet(500)) await acknowledge(delivery.name);
  } finally {
    stream.close();
  }
}

const seconds = (s: number) => create(DurationSchema, { seconds: BigInt(s) });

test("a consumer that resumes after the last delivery it received still gets every unacknowledged one", async () => {
  const client = await coachedClient();
  const names = [await raise(client, "Zero."), await raise(client, "One."), await raise(client, "Two.")];
  const first = new RawStream(coach());
  const received = [await first.next(), await first.next(), await first.next()];
  assert.deepEqual(received.map((d) => d.name), names);
  await acknowledge(received[1]!.name);
  first.close();

  const resumed = new RawStream(coach(), { afterSequence: received[2]!.sequence });
  const again = await resumed.exactly(2);
  resumed.close();
  assert.deepEqual(again.map((d) => d.name), [names[0], names[2]]);
  for (const d of again) await acknowledge(d.name);
});

test("two shared streams of one party never hold the same delivery and together receive all", async () => {
  const client = await coachedClient();
  const a = new RawStream(coach(), { deliveryMode: DeliveryMode.SHARED });
  const b = new RawStream(coach());
  const names: string[] = [];
  for (let i = 0; i < 6; i++) names.push(await raise(client, `Signal ${i}.`));
  // Read both until all six have come (however slowly), then make sure nothing more comes to either.
  const atA: Delivery[] = [];
  const atB: Delivery[] = [];
  const until = Date.now() + 10_000;
  while (atA.length + atB.length < names.length && Date.now() < until) {
    atA.push(...(await a.untilQuiet(100)));
    atB.push(...(await b.untilQuiet(100)));
  }
  atA.push(...(await a.untilQuiet()));
  atB.push(...(await b.untilQuiet()));
  const inA = new Set(atA.map((d) => d.name));
  assert.deepEqual(atB.filter((d) => inA.has(d.name)), [], "no delivery at both streams at once");
  assert.deepEqual([...atA, ...atB].map((d) => d.name).sort(), [...names].sort());

  // A replica that goes away without answering hands what it held to the other.
  a.close();
  const taken = await b.exactly(inA.size);
  assert.deepEqual(taken.map((d) => d.name).sort(), [...inA].sort());
  for (const d of [...atB, ...taken]) await acknowledge(d.name);
  b.close();
});

test("fan-out streams each get every delivery", async () => {
  const client = await coachedClient();
  const a = new RawStream(coach(), { deliveryMode: DeliveryMode.FAN_OUT });
  const b = new RawStream(coach(), { deliveryMode: DeliveryMode.FAN_OUT });
  const names = [await raise(client, "Zero."), await raise(client, "One.")];
  assert.deepEqual((await a.exactly(2)).map((d) => d.name), names);
  assert.deepEqual((await b.exactly(2)).map((d) => d.name), names);
  a.close();
  b.close();
  for (const name of names) await acknowledge(name);
});

test("a delivery not acknowledged before its ack deadline is offered again on the open stream as a new attempt", async () => {
  const client = await coachedClient();
  const stream = new RawStream(coach(), { ackDeadline: seconds(1) });
  const name = await raise(client, "Not acknowledged in time.");
  const sent = await stream.next();
  const sentAt = Date.now();
  assert.equal(sent.name, name);
  const again = await stream.next(5000);
  assert.equal(again.name, name);
  assert.equal(again.attemptCount, sent.attemptCount + 1);
  assert.ok(Date.now() - sentAt >= 900, "not before the deadline");
  await acknowledge(name);
  stream.close();
});

test("a rejected delivery comes again on the open stream after its backoff", async () => {
  const client = await coachedClient();
  const stream = new RawStream(coach());
  const name = await raise(client, "Rejected once.");
  const sent = await stream.next();
  const answer = await coach().deliveries.rejectDelivery({ requestId: randomUUID(), name, reasonCode: "CANNOT_PROCESS" });
  const rejectedAt = Date.now();
  assert.equal(answer.status, DeliveryStatus.PENDING);
  const again = await stream.next(5000);
  assert.equal(again.name, name);
  assert.equal(again.attemptCount, sent.attemptCount + 1);
  assert.ok(Date.now() - rejectedAt >= 800, "after the backoff (1 second by default), not at once");
  await acknowledge(name);
  stream.close();
});

test("max_outstanding caps the unacknowledged deliveries in flight", async () => {
  const client = await coachedClient();
  const names: string[] = [];
  for (let i = 0; i < 4; i++) names.push(await raise(client, `Signal ${i}.`));
  const stream = new RawStream(coach(), { maxOutstanding: 2 });
  const firstTwo = await stream.exactly(2);
  assert.deepEqual(firstTwo.map((d) => d.name), names.slice(0, 2));
  await acknowledge(firstTwo[0]!.name);
  const third = await stream.exactly(1);
  assert.deepEqual(third.map((d) => d.name), [names[2]]);
  await acknowledge(firstTwo[1]!.name);
  await acknowledge(third[0]!.name);
  const last = await stream.exactly(1);
  assert.deepEqual(last.map((d) => d.name), [names[3]]);
  await acknowledge(last[0]!.name);
  stream.close();
});

test("a stream that asks for heartbeats hears when it is caught up, with the high-water mark", async () => {
  const client = await coachedClient();
  await raise(client, "Zero.");
  await raise(client, "One.");
  const stream = new RawStream(coach(), { heartbeatInterval: seconds(1) });
  const received = [await stream.next(), await stream.next()];
  const caughtUp = await stream.nextHeartbeat();
  assert.equal(caughtUp.caughtUp, true);
  assert.equal(caughtUp.highWaterSequence, received[1]!.sequence);
  assert.equal(caughtUp.outstanding, 2);
  const periodic = await stream.nextHeartbeat(5000);
  assert.equal(periodic.highWaterSequence, caughtUp.highWaterSequence);
  for (const d of received) await acknowledge(d.name);
  stream.close();
});
