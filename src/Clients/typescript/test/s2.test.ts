// Scenario S2 (debt signal, scale up with the same coach, scale down), played through this client against
// the built hub running as a real process. The hub runs on the real clock, so the scenario's "four months
// later" is compressed to moments; the report still has to show the times and that the coach never changed.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { durationMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import {
  createKetenhubClient,
  DataCategory,
  DeliveryStatus,
  GrantorRole,
  hubError,
  LifeDomain,
  PerformerStatus,
  Purpose,
  RecipientOutcome,
  ServiceKind,
  SignalKind,
  SignalSeverity,
  TransitionKind,
  type KetenhubClient,
} from "../src/index.js";
import { DeliveryTail } from "./delivery-tail.js";
import { HubProcess } from "./hub-process.js";

let hub: HubProcess;
const tails: DeliveryTail[] = [];

before(async () => {
  hub = await HubProcess.start();
});

after(async () => {
  tails.forEach((t) => t.close());
  await hub?.stop();
});

function as(party: string): KetenhubClient {
  return createKetenhubClient({ baseUrl: hub.baseUrl, party });
}

function tail(client: KetenhubClient): DeliveryTail {
  const t = new DeliveryTail(client);
  tails.push(t);
  return t;
}

// A date in the Netherlands (the hub's calendar), `days` from today.
function dutchDate(days = 0): { year: number; month: number; day: number } {
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Amsterdam", year: "numeric", month: "2-digit", day: "2-digit" })
    .format(new Date(Date.now() + days * 86_400_000))
    .split("-")
    .map(Number);
  return { year: parts[0]!, month: parts[1]!, day: parts[2]! };
}

const today = (): { year: number; month: number; day: number } => dutchDate(0);

test("S2: debt signal reaches coach Lisa within a second, scale-up keeps her, scale-down, report shows the times", async () => {
  const sdd = as("sdd");
  const waakvlam = as("waakvlam-zorg");
  const plus = as("begeleiding-plus");

  // Mohamed gets waakvlam support from coach Lisa; consent covers SDD, waakvlam-zorg and begeleiding-plus
  // for signals in the domain financiën.
  const { client } = await waakvlam.clients.registerClient({
    bsn: "123456782",
    birthDate: { year: 1994, month: 11, day: 2 },
    municipalityCode: "0505",
  });
  assert.ok(client && client.name.startsWith("clients/"));
  const mohamed = client.name;
  // Every party has its own name for a client: SDD learns its own by registering the BSN with the same facts.
  const atSdd = (await sdd.clients.registerClient({ bsn: "123456782", birthDate: { year: 1994, month: 11, day: 2 }, municipalityCode: "0505" })).client!.name;
  assert.notEqual(atSdd, mohamed, "two parties, two names for one client");
  // SDD, the social service of Dordrecht, names the first coach; a provider cannot name it itself.
  await sdd.clients.assignCoach({
    client: atSdd,
    coach: { party: "parties/waakvlam-zorg", coachId: "lisa", displayName: "Lisa", phone: "078-0000000", email: "lisa@example.org" },
  });
  for (const party of ["sdd", "waakvlam-zorg", "begeleiding-plus"]) {
    await waakvlam.consents.grantConsent({
      consent: {
        client: mohamed,
        grantorRole: GrantorRole.CLIENT,
        recipientParty: `parties/${party}`,
        purposes: [Purpose.SIGNAL_FOLLOW_UP],
        dataCategories: [DataCategory.FINANCES],
      },
    });
  }
  const lisa = tail(waakvlam);

  // 1. SDD raises "payment arrears", financiën, urgent.
  const raised = await sdd.signals.createSignal({
    signal: {
      client: atSdd,
      kind: SignalKind.PAYMENT_ARREARS,
      lifeDomain: LifeDomain.FINANCES,
      severity: SignalSeverity.URGENT,
      description: "Three months of arrears on health insurance.",
    },
  });
  const raisedAt = Date.now();
  const signalName = raised.signal!.name;
  const toCoach = raised.decisions.filter((d) => d.recipient === "parties/waakvlam-zorg");
  assert.equal(toCoach.length, 1);
  assert.equal(toCoach[0]!.outcome, RecipientOutcome.CONTENT);

  // 2. Lisa receives it over her organisation's delivery stream within the same second, and acknowledges.
  const delivery = await lisa.next("signal");
  assert.ok(Date.now() - raisedAt < 1000, `the signal took ${Date.now() - raisedAt} ms to reach the coach`);
  assert.equal(delivery.payload.case, "signal");
  assert.equal(delivery.payload.value.name, signalName);
  assert.equal(delivery.payload.value.description, "Three months of arrears on health insurance.");
  assert.equal(delivery.coach?.coachId, "lisa");
  const acked = await waakvlam.deliveries.acknowledgeDelivery({ name: delivery.name });
  assert.equal(acked.status, DeliveryStatus.ACKNOWLEDGED);
  await new Promise((r) => setTimeout(r, 50)); // a measurable time to acknowledgement
  await waakvlam.signals.acknowledgeSignal({ name: signalName });

  // 3. Scale-up: individuele begeleiding by begeleiding-plus, same coach. begeleiding-plus receives a
  // referral naming Lisa, accepts and starts.
  const plusTail = tail(plus);
  const scaleUp = await waakvlam.transitions.createTransition({
    transition: {
      client: mohamed,
      kind: TransitionKind.SCALE_UP,
      fromParty: "parties/waakvlam-zorg",
      toParty: "parties/begeleiding-plus",
      effectiveDate: today(),
      handoverSummary: "Needs help with administration; good at keeping appointments.",
      referrals: [
        {
          service: ServiceKind.INDIVIDUAL_GUIDANCE,
          reason: "Debts growing",
          lifeDomains: [LifeDomain.FINANCES],
          performers: [{ party: "parties/begeleiding-plus" }],
        },
      ],
    },
  });
  assert.equal(scaleUp.transition?.coach?.coachId, "lisa");
  assert.equal(scaleUp.referralDecisions.length, 1);
  const referralName = scaleUp.referralDecisions[0]!.referral;

  const referralDelivery = await plusTail.next("referral");
  assert.equal(referralDelivery.payload.case, "referral");
  assert.equal(referralDelivery.payload.value.name, referralName);
  assert.equal(referralDelivery.payload.value.coach?.coachId, "lisa");
  assert.equal(referralDelivery.coach?.displayName, "Lisa");
  await plus.deliveries.acknowledgeDelivery({ name: referralDelivery.name });

  const accepted = await plus.referrals.acceptReferral({ name: referralName });
  assert.equal(accepted.referral?.performers[0]?.status, PerformerStatus.ACCEPTED);
  // Care starts tomorrow, so the report's time from signal to start is hours, not zero.
  const started = await plus.referrals.startReferral({ name: referralName, startDate: dutchDate(1) });
  assert.equal(started.referral?.performers[0]?.status, PerformerStatus.STARTED);

  // 4. "Four months later": scale down back to waakvlam support; Lisa stays; begeleiding-plus ends care.
  const scaleDown = await waakvlam.transitions.createTransition({
    transition: {
      client: mohamed,
      kind: TransitionKind.SCALE_DOWN,
      fromParty: "parties/begeleiding-plus",
      toParty: "parties/waakvlam-zorg",
      effectiveDate: today(),
    },
  });
  assert.equal(scaleDown.transition?.coach?.coachId, "lisa");
  const ended = await plus.referrals.endReferral({ name: referralName, endDate: dutchDate(1), reasonCode: "01" });
  assert.equal(ended.referral?.performers[0]?.status, PerformerStatus.ENDED);

  // 5. The report: signal → acknowledgement, signal → start of heavier support, and the coach never changed.
  const report = await waakvlam.clients.getClientReport({ client: mohamed });
  assert.equal(report.signals.length, 1);
  const signalFigure = report.signals[0]!;
  assert.equal(signalFigure.signal, signalName);
  assert.ok(signalFigure.timeToAcknowledgement, "time to acknowledgement is reported");
  const toAck = durationMs(signalFigure.timeToAcknowledgement);
  assert.ok(toAck > 0 && toAck < 60_000, `time to acknowledgement ${toAck} ms`);
  assert.equal(report.referrals.length, 1);
  const referralFigure = report.referrals[0]!;
  assert.equal(referralFigure.referral, referralName);
  assert.equal(referralFigure.service, ServiceKind.INDIVIDUAL_GUIDANCE);
  assert.ok(referralFigure.timeFromSignalToStart, "time from signal to start is reported");
  const toStart = durationMs(referralFigure.timeFromSignalToStart);
  assert.ok(toStart > toAck && toStart <= 2 * 86_400_000, `time from signal to start ${toStart} ms`);
  assert.equal(report.coachChanges, 0);
  assert.deepEqual(report.coaches.map((c) => c.coachId), ["lisa"]);
});

test("a coded error from the hub is readable: an unknown party is refused with CALLER_UNKNOWN", async () => {
  const stranger = as("no-such-party");

  await assert.rejects(stranger.parties.listParties({}), (error: unknown) => {
    const failure = hubError(error);
    assert.equal(failure.reason, "CALLER_UNKNOWN");
    assert.equal(failure.domain, "ketenhub.nl");
    assert.equal(failure.codeName, "Unauthenticated");
    return true;
  });
});

test("bad input gets the field's code: a BSN failing the elfproef", async () => {
  const waakvlam = as("waakvlam-zorg");

  await assert.rejects(
    waakvlam.clients.registerClient({ bsn: "123456789", birthDate: { year: 1994, month: 11, day: 2 }, municipalityCode: "0505" }),
    (error: unknown) => {
      const failure = hubError(error);
      assert.equal(failure.codeName, "InvalidArgument");
      assert.deepEqual(failure.fieldViolations.map((v) => [v.field, v.reason]), [["bsn", "INVALID_BSN"]]);
      assert.equal(failure.reason, "INVALID_BSN");
      assert.deepEqual(failure.metadata, { field: "bsn" });
      assert.ok(!failure.message.includes("123456789"), "the error does not repeat the BSN");
      return true;
    },
  );
});

test("a retry after the hub committed reuses the request id, so the signal is raised once", async () => {
  const waakvlam = as("waakvlam-zorg");
  const { client } = await waakvlam.clients.registerClient({
    bsn: "111222333",
    birthDate: { year: 2008, month: 3, day: 14 },
    municipalityCode: "0642",
  });
  // SDD, the social service of Zwijndrecht, names the first coach; a provider cannot name it itself.
  const atSdd = (await as("sdd").clients.registerClient({ bsn: "111222333", birthDate: { year: 2008, month: 3, day: 14 }, municipalityCode: "0642" })).client!.name;
  await as("sdd").clients.assignCoach({ client: atSdd, coach: { party: "parties/waakvlam-zorg", coachId: "ahmed", displayName: "Ahmed" } });

  // Lets the first attempt of every CreateSignal reach the hub, then loses its answer, as a dropped
  // connection after the commit would.
  const requestIds: string[] = [];
  const loseFirstAnswer: Interceptor = (next) => async (req) => {
    if (req.stream || req.method.name !== "CreateSignal") return next(req);
    requestIds.push((req.message as unknown as { requestId: string }).requestId);
    const response = await next(req);
    if (requestIds.length % 2 === 1) {
      throw new ConnectError("connection lost after the request was sent", Code.Unavailable);
    }
    return response;
  };
  const sdd = createKetenhubClient({ baseUrl: hub.baseUrl, party: "sdd", interceptors: [loseFirstAnswer], retry: { initialBackoffMs: 10 } });
  const signal = { client: atSdd, kind: SignalKind.INCOME_STOPPED, lifeDomain: LifeDomain.FINANCES, severity: SignalSeverity.CONCERN };

  const first = await sdd.signals.createSignal({ signal });
  const second = await sdd.signals.createSignal({ signal });

  assert.equal(requestIds.length, 4, "two logical calls, each sent twice");
  assert.equal(requestIds[0], requestIds[1], "a retry resends the same request id");
  assert.equal(requestIds[2], requestIds[3]);
  assert.notEqual(requestIds[0], requestIds[2], "a new logical call gets a new request id");
  assert.notEqual(first.signal!.name, second.signal!.name);
  const report = await waakvlam.clients.getClientReport({ client: client!.name });
  assert.deepEqual(report.signals.map((s) => s.signal).sort(), [first.signal!.name, second.signal!.name].sort(), "one signal per logical call, none from the retries");
});
