import { randomUUID } from "node:crypto";
import type { DescMessage } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { ClientService } from "./gen/ketenhub/v1/client_pb.js";
import { ConsentService } from "./gen/ketenhub/v1/consent_pb.js";
import { DeliveryService } from "./gen/ketenhub/v1/delivery_pb.js";
import { PartyService } from "./gen/ketenhub/v1/party_pb.js";
import { ReferralService } from "./gen/ketenhub/v1/referral_pb.js";
import { ExplainService } from "./gen/ketenhub/v1/routing_pb.js";
import { SignalService } from "./gen/ketenhub/v1/signal_pb.js";
import { TransitionService } from "./gen/ketenhub/v1/transition_pb.js";

/** The development identity's header: names the calling party. Honoured only by a hub in Development. */
export const PARTY_HEADER = "ketenhub-party";

/** A PEM string or its bytes. */
export type Pem = string | Buffer;

/** Client certificate and trust for mutual TLS. The hub's base URL must then start with `https://`. */
export interface ClientCertificateOptions {
  /** The client certificate chain (PEM). */
  cert: Pem;
  /** The certificate's private key (PEM). */
  key: Pem;
  /** CA certificate(s) to trust for the hub's server certificate; the system's CAs when absent. */
  ca?: Pem | Pem[];
  /** The name to check the hub's certificate against, when it differs from the base URL's host. */
  servername?: string;
}

/** How unary calls are retried. Server streams are never retried by the client. */
export interface RetryOptions {
  /** Attempts per logical call, including the first. Default 4; 1 turns retries off. */
  maxAttempts?: number;
  /** Wait before the second attempt; doubles per attempt, with jitter. Default 100 ms. */
  initialBackoffMs?: number;
  /** Longest wait between attempts. Default 2000 ms. */
  maxBackoffMs?: number;
  /** Status codes that are retried. Default: UNAVAILABLE only (the hub was not reached or went away). */
  retryableCodes?: readonly Code[];
}

export interface KetenhubClientOptions {
  /** The hub: `http://host:port` for plain HTTP/2 (h2c), `https://host:port` for TLS. */
  baseUrl: string;
  /**
   * Development identity: sends the `ketenhub-party` header naming this party id (for example `sdd`).
   * A hub outside Development ignores it; use a token or a client certificate there.
   */
  party?: string;
  /**
   * Bearer token provider (the development issuer or Microsoft Entra ID). Called for every attempt, so
   * it may return a cached token and refresh it when it nears expiry.
   */
  token?: () => string | Promise<string>;
  /** Client certificate for mutual TLS. */
  clientCertificate?: ClientCertificateOptions;
  /**
   * Deadline of every unary call in milliseconds, covering all its attempts. Default 30 000. A call can
   * pass its own `timeoutMs`. Server streams (the delivery stream) get no default deadline.
   */
  timeoutMs?: number;
  /** Retry policy for unary calls; `false` for none. */
  retry?: RetryOptions | false;
  /** Makes request ids; default `crypto.randomUUID`. */
  newRequestId?: () => string;
  /** More interceptors, run inside the client's own (after the request id, retry and auth are in place). */
  interceptors?: Interceptor[];
  /**
   * HTTP/2 keepalive: ping the hub after this many milliseconds without traffic, and drop the connection when
   * the answer does not come within `keepAliveTimeoutMs`, so a long-lived delivery stream notices a dead
   * connection. Default 30 000 (not below 10 000: the hub may close a connection that pings more often);
   * `false` for none.
   */
  keepAliveMs?: number | false;
  /** How long to wait for the answer to a keepalive ping, in milliseconds. Default 20 000. */
  keepAliveTimeoutMs?: number;
}

/** Typed clients for every ketenhub.v1 service, sharing one HTTP/2 connection. */
export interface KetenhubClient {
  readonly parties: Client<typeof PartyService>;
  readonly clients: Client<typeof ClientService>;
  readonly consents: Client<typeof ConsentService>;
  readonly referrals: Client<typeof ReferralService>;
  readonly transitions: Client<typeof TransitionService>;
  readonly signals: Client<typeof SignalService>;
  readonly deliveries: Client<typeof DeliveryService>;
  readonly explain: Client<typeof ExplainService>;
  /** The underlying transport, for services or options not covered here. */
  readonly transport: Transport;
}

/**
 * A client for the hub over the gRPC protocol. Every mutating call gets a `request_id` (the hub's
 * idempotency key) when the caller leaves it empty; the id is made once per logical call and sent again
 * unchanged on every retry, so a retry can never apply twice.
 */
export function createKetenhubClient(options: KetenhubClientOptions): KetenhubClient {
  const transport = createKetenhubTransport(options);
  return {
    parties: createClient(PartyService, transport),
    clients: createClient(ClientService, transport),
    consents: createClient(ConsentService, transport),
    referrals: createClient(ReferralService, transport),
    transitions: createClient(TransitionService, transport),
    signals: createClient(SignalService, transport),
    deliveries: createClient(DeliveryService, transport),
    explain: createClient(ExplainService, transport),
    transport,
  };
}

/** The transport behind {@link createKetenhubClient}: gRPC over HTTP/2 with auth, request ids, retries and deadlines. */
export function createKetenhubTransport(options: KetenhubClientOptions): Transport {
  const url = new URL(options.baseUrl);
  if (options.clientCertificate && url.protocol !== "https:") {
    throw new Error("A client certificate needs an https:// base URL.");
  }
  const interceptors: Interceptor[] = [requestIdInterceptor(options.newRequestId ?? randomUUID)];
  if (options.retry !== false) {
    interceptors.push(retryInterceptor(options.retry ?? {}));
  }
  interceptors.push(authInterceptor(options));
  interceptors.push(...(options.interceptors ?? []));

  const certificate = options.clientCertificate;
  const keepAlive = options.keepAliveMs === false ? undefined : Math.max(10_000, options.keepAliveMs ?? 30_000);
  const grpc = createGrpcTransport({
    baseUrl: options.baseUrl,
    interceptors,
    pingIntervalMs: keepAlive,
    pingTimeoutMs: keepAlive === undefined ? undefined : (options.keepAliveTimeoutMs ?? 20_000),
    pingIdleConnection: keepAlive !== undefined,
    nodeOptions: certificate
      ? { cert: certificate.cert, key: certificate.key, ca: certificate.ca, servername: certificate.servername }
      : undefined,
  });
  return withUnaryDeadline(grpc, options.timeoutMs ?? 30_000);
}

/**
 * Fills an empty `request_id` of a unary request with a new id. Runs outermost, once per logical call:
 * retries (inside it) resend the same message, so the same id.
 */
export function requestIdInterceptor(newRequestId: () => string = randomUUID): Interceptor {
  return (next) => async (req) => {
    if (!req.stream) {
      const field = requestIdField(req.method.input);
      if (field) {
        const message = req.message as unknown as Record<string, unknown>;
        if (!message[field]) {
          message[field] = newRequestId();
        }
      }
    }
    return next(req);
  };
}

/** Retries unary calls that failed with a retryable code, with exponential backoff, until the call's deadline. */
export function retryInterceptor(options: RetryOptions = {}): Interceptor {
  const maxAttempts = Math.max(1, options.maxAttempts ?? 4);
  const initial = options.initialBackoffMs ?? 100;
  const max = options.maxBackoffMs ?? 2000;
  const retryable = new Set(options.retryableCodes ?? [Code.Unavailable]);
  return (next) => async (req) => {
    if (req.stream) {
      return next(req);
    }
    const started = Date.now();
    const timeoutMs = grpcTimeoutMs(req.header.get("grpc-timeout"));
    for (let attempt = 1; ; attempt++) {
      try {
        return await next(req);
      } catch (error) {
        const failure = ConnectError.from(error);
        if (attempt >= maxAttempts || !retryable.has(failure.code) || req.signal.aborted) {
          throw error;
        }
        const backoff = Math.min(max, initial * 2 ** (attempt - 1));
        await sleep(backoff / 2 + Math.random() * (backoff / 2), req.signal);
        if (timeoutMs !== undefined) {
          // Tell the hub what is left of the call's deadline, not the whole of it again.
          const left = Math.max(1, Math.ceil(timeoutMs - (Date.now() - started)));
          req.header.set("grpc-timeout", `${left}m`);
        }
      }
    }
  };
}

const grpcTimeoutUnits: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000001 };

/** The `grpc-timeout` header (for example `30000m`) in milliseconds; undefined when absent or malformed. */
function grpcTimeoutMs(header: string | null): number | undefined {
  const match = header ? /^(\d{1,8})([HMSmun])$/.exec(header) : null;
  return match ? Number(match[1]) * grpcTimeoutUnits[match[2]!]! : undefined;
}

/** Adds the caller's identity to every attempt: the development header and/or a bearer token. */
export function authInterceptor(options: Pick<KetenhubClientOptions, "party" | "token">): Interceptor {
  return (next) => async (req) => {
    if (options.party) {
      req.header.set(PARTY_HEADER, options.party);
    }
    if (options.token) {
      const token = await options.token();
      req.header.set("authorization", `Bearer ${token}`);
    }
    return next(req);
  };
}

const requestIdFields = new WeakMap<DescMessage, string | null>();

/** The local name of a message's `request_id` field, if it has one. */
function requestIdField(message: DescMessage): string | null {
  let name = requestIdFields.get(message);
  if (name === undefined) {
    const field = message.fields.find((f) => f.name === "request_id" && f.fieldKind === "scalar");
    name = field ? field.localName : null;
    requestIdFields.set(message, name);
  }
  return name;
}

/** Gives unary calls a default deadline; leaves streams without one unless the call sets it. */
function withUnaryDeadline(inner: Transport, timeoutMs: number): Transport {
  return {
    unary: (method, signal, callTimeoutMs, header, message, contextValues) =>
      inner.unary(method, signal, callTimeoutMs ?? timeoutMs, header, message, contextValues),
    stream: (method, signal, callTimeoutMs, header, input, contextValues) =>
      inner.stream(method, signal, callTimeoutMs, header, input, contextValues),
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(ConnectError.from(signal.reason ?? new Error("aborted"), Code.Canceled));
      return;
    }
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(ConnectError.from(signal.reason ?? new Error("aborted"), Code.Canceled));
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
