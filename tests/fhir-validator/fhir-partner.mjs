// A FHIR R4 partner for the hub's push tests: Medplum's FHIR router with its in-memory repository behind Node's own
// http server on loopback. The router alone neither runs transactions nor validates, so every request gets
// `config: { transactions: true }`, the repository validates each resource before it creates or updates it (r4.mjs:
// the R4 definitions and the codes of required bindings, as validate.mjs does), and a transaction that fails anywhere is rolled back whole (the in-memory repository's own
// "transaction" keeps what was written before the failure). Conditional creates (`ifNoneExist`) and conditional
// updates (`PUT Type?identifier=…`) are the router's: a Bundle sent twice creates nothing twice.
//
// Usage: node fhir-partner.mjs
//   Listens on a free port of 127.0.0.1 and prints `LISTENING <port>` on stdout; the FHIR base is /fhir/R4. Exits when
//   its stdin closes (the test process that started it ended, however it ended), on SIGTERM or SIGINT.
//
// Control endpoints for the test (not FHIR):
//   POST /_partner/faults   {"faults":[{"kind":"500"}, ...]}  queues faults for the next write requests (POST, PUT,
//                           DELETE at the FHIR base), one per request, in order. Kinds:
//                             "500"              answer 500 with an OperationOutcome, store nothing
//                             "503" / "429"      the same with that status and, if given, `Retry-After: <retryAfter>`
//                             "hang"             never answer, store nothing, until the sender gives up
//                             "drop"             close the connection without an answer, store nothing
//                             "commit-then-drop" run the transaction, commit it, then close the connection unanswered
//                                                (the answer is lost on the way: the sender must send it again)
//   POST /_partner/refuse   {"resourceTypes":["Flag"]}  from now on refuses any Bundle writing one of these types, as
//                           a partner that does not take them: 422 with an OperationOutcome (code not-supported).
//   POST /_partner/strict   {"strict":true}  from now on keeps Medplum's own rule: a transaction with a conditional entry
//                           and more than 8 entries is refused (400), as Medplum's server refuses it.
//   POST /_partner/reset    forgets every resource, fault, refusal and logged request, and leaves strict mode.
//   GET  /_partner/stats    {"counts":{"Patient":1,...},"requests":[{"method","path","status","fault","at"}],
//                            "pendingFaults":n}: resources stored per type and every FHIR request seen, in order.
//   GET  /fhir/R4/<Type>?<search>  ordinary FHIR search, so a test can read what was stored.

// Medplum 5 targets Node 22, whose global WebSocket it expects at import time; nothing here opens one.
globalThis.WebSocket ??= class WebSocket {
  constructor() {
    throw new Error('WebSocket is not available in the FHIR partner');
  }
};

import { createServer } from 'node:http';

const { validate, load, OperationOutcomeError } = await import('./r4.mjs');
const { indexSearchParameterBundle, getStatus } = await import('@medplum/core');
const { FhirRouter, MemoryRepository, BatchProcessor } = await import('@medplum/fhir-router');

// The router refuses a transaction of more than 8 entries once one of them is conditional (ifNoneExist, or a PUT or
// DELETE with a search URL), because Medplum's server would run it with serializable isolation in Postgres. This partner
// runs one request at a time (see `serially`), so every transaction it runs is serializable already: by default it tells
// the router that none needs more. In strict mode (POST /_partner/strict) it keeps Medplum's own rule, as Medplum's
// server does.
let strict = false;
const preprocessBundle = BatchProcessor.prototype.preprocessBundle;
if (typeof preprocessBundle !== 'function') throw new Error('@medplum/fhir-router changed: BatchProcessor.preprocessBundle is gone');
BatchProcessor.prototype.preprocessBundle = async function (...args) {
  const info = await preprocessBundle.apply(this, args);
  return strict ? info : { ...info, requiresStrongTransaction: false };
};

indexSearchParameterBundle(load('search-parameters.json'));

const refused = new Set();

/** The outcome the partner refuses a resource type with. */
function refusal(resourceType) {
  return new OperationOutcomeError({
    resourceType: 'OperationOutcome',
    id: 'unprocessable-entity',
    issue: [{ severity: 'error', code: 'not-supported', details: { text: `This partner does not take ${resourceType} resources` } }],
  });
}

/** The in-memory repository, validating every resource it stores and rolling a failed transaction back whole. */
class PartnerRepository extends MemoryRepository {
  #depth = 0;

  check(resource) {
    if (refused.has(resource.resourceType)) {
      throw refusal(resource.resourceType);
    }
    const problems = [];
    validate(resource, problems, resource.resourceType);
    if (problems.length > 0) {
      throw new OperationOutcomeError({
        resourceType: 'OperationOutcome',
        issue: problems.map((text) => ({ severity: 'error', code: 'invalid', details: { text } })),
      });
    }
  }

  async createResource(resource, options, update) {
    this.check(resource);
    return super.createResource(resource, options, update);
  }

  async updateResource(resource, options) {
    this.check(resource);
    return super.updateResource(resource, options);
  }

  // The in-memory repository's conditional create stores without passing through createResource.
  async conditionalCreate(resource, search, options) {
    this.check(resource);
    return super.conditionalCreate(resource, search, options);
  }

  async withTransaction(callback) {
    if (this.#depth > 0) {
      return callback(this);
    }
    const resources = new Map([...this.resources].map(([type, byId]) => [type, new Map(byId)]));
    const history = new Map([...this.history].map(([type, byId]) => [type, new Map([...byId].map(([id, versions]) => [id, [...versions]]))]));
    this.#depth++;
    try {
      return await callback(this);
    } catch (err) {
      this.resources = resources;
      this.history = history;
      throw err;
    } finally {
      this.#depth--;
    }
  }

  counts() {
    const counts = {};
    for (const [type, byId] of this.resources) {
      if (byId.size > 0) counts[type] = byId.size;
    }
    return counts;
  }
}

const base = '/fhir/R4';
const router = new FhirRouter();
let repo = new PartnerRepository();
let faults = [];
let requests = [];
const started = Date.now();

// One request at a time, as a simple FHIR server with a single writer would: a transaction never sees another's half.
let queue = Promise.resolve();
const serially = (work) => {
  const run = queue.then(work, work);
  queue = run.catch(() => {});
  return run;
};

const outcome = (code, text) => ({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, details: { text } }] });

function send(res, status, body, headers = {}) {
  res.writeHead(status, { 'content-type': 'application/fhir+json', ...headers });
  res.end(JSON.stringify(body));
}

async function control(req, res, path, body) {
  if (req.method === 'POST' && path === '/_partner/faults') {
    faults.push(...(body?.faults ?? []));
    send(res, 200, { pendingFaults: faults.length });
  } else if (req.method === 'POST' && path === '/_partner/refuse') {
    refused.clear();
    for (const type of body?.resourceTypes ?? []) refused.add(type);
    send(res, 200, { refused: [...refused] });
  } else if (req.method === 'POST' && path === '/_partner/strict') {
    strict = body?.strict === true;
    send(res, 200, { strict });
  } else if (req.method === 'POST' && path === '/_partner/reset') {
    await serially(() => {
      strict = false;
      repo = new PartnerRepository();
      faults = [];
      requests = [];
      refused.clear();
    });
    send(res, 200, {});
  } else if (req.method === 'GET' && path === '/_partner/stats') {
    send(res, 200, { counts: repo.counts(), requests, pendingFaults: faults.length });
  } else {
    send(res, 404, outcome('not-found', 'No such control endpoint'));
  }
}

async function fhir(req, res, url, body) {
  const log = { method: req.method, path: url.pathname, status: 0, fault: null, at: Date.now() - started };
  requests.push(log);
  const writes = req.method !== 'GET' && req.method !== 'HEAD';
  const fault = writes ? faults.shift() : undefined;
  log.fault = fault?.kind ?? null;
  switch (fault?.kind) {
    case '500':
    case '503':
    case '429': {
      log.status = Number(fault.kind);
      const headers = fault.retryAfter === undefined ? {} : { 'retry-after': String(fault.retryAfter) };
      send(res, log.status, outcome(fault.kind === '500' ? 'exception' : 'transient', 'Injected fault'), headers);
      return;
    }
    case 'hang':
      // Keep the socket open without an answer; the sender's timeout ends it.
      return;
    case 'drop':
      req.socket.destroy();
      return;
  }

  const fhirRequest = {
    method: req.method,
    url: (url.pathname.slice(base.length) || '/') + url.search,
    pathname: '',
    body,
    params: {},
    query: {},
    headers: req.headers,
    config: { transactions: true },
  };
  const [result, resource] = await serially(async () => {
    try {
      return await router.handleRequest(fhirRequest, repo);
    } catch (err) {
      return [outcome('exception', String(err))];
    }
  });

  const status = getStatus(result);
  log.status = status;
  if (fault?.kind === 'commit-then-drop') {
    req.socket.destroy();
    return;
  }

  if (status >= 400) {
    process.stderr.write(`${req.method} ${url.pathname}: ${status} ${JSON.stringify(result.issue ?? [])}\n`);
  }

  send(res, status, resource ?? result);
}

const server = createServer(async (req, res) => {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const url = new URL(req.url, 'http://partner');
  let body;
  try {
    body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
  } catch {
    send(res, 400, outcome('structure', 'The body is not JSON'));
    return;
  }

  try {
    if (url.pathname.startsWith('/_partner/')) {
      await control(req, res, url.pathname, body);
    } else if (url.pathname === base || url.pathname.startsWith(base + '/')) {
      await fhir(req, res, url, body);
    } else {
      send(res, 404, outcome('not-found', 'Not a FHIR path of this partner'));
    }
  } catch (err) {
    process.stderr.write(`${req.method} ${url.pathname}: ${String(err)}\n`);
    if (!res.headersSent) send(res, 500, outcome('exception', 'The partner failed'));
  }
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`LISTENING ${server.address().port}\n`);
});

const stop = () => {
  server.closeAllConnections?.();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();
