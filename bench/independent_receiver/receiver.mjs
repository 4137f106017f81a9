// An independent receiver for bench/bench.py's fan-out: N loopback "instances" whose shared
// inboxes verify every HTTP signature with Fedify (a TypeScript ActivityPub framework), not with
// bovine, the library fedihub signs with. A signature both libraries accept is one another
// implementation reads the same way; a figure measured here cannot hide a shared mistake.
//
//   node receiver.mjs N
//
// It binds N ports on 127.0.0.1 (port 0, so the kernel picks free ones and no other server can
// take them between choosing and listening), then writes one JSON line per event on stdout:
//   {"ports": [p1, ..., pN]}                        once, when every port is listening
//   {"accepted": [epoch_s, type, id, port, received_s]}  a POST /inbox whose signature verified
//   {"rejected": reason, "port": p}                 one that did not (answered 401)
//   {"fetched": url, "at": epoch_s, "answered": epoch_s}  a document fetched to get a key
// epoch_s is Date.now() / 1000 taken after verification, received_s when the body had been read
// (before it): the clock Python's time.time() reads. One process verifies for all N instances,
// so on a small machine its queue of verifications, not the sender, can set the last epoch_s.
// Stdout to a pipe is written synchronously on Linux, so a line is out before the answer.
// It stops when stdin closes (the bench ended or died) or on SIGTERM.

import { AsyncLocalStorage } from "node:async_hooks";
import http from "node:http";
import {
  exportSpki,
  generateCryptoKeyPair,
  getDocumentLoader,
  signRequest,
  verifyRequest,
} from "@fedify/fedify";
import { configure } from "@logtape/logtape";

const MAX_BODY = 1 << 20; // an activity is a few KB; a bigger body is refused before parsing

// While warming up (see warmUp) nothing is reported: the bench reads only what fedihub sent.
let warming = true;
function emit(event) {
  if (!warming) process.stdout.write(JSON.stringify(event) + "\n");
}

// --- Why a signature was refused, in Fedify's own words -------------------------------------
// verifyRequest answers only "a key" or null; the reason goes to Fedify's debug log (LogTape).
// A sink collects those records into the store of the request being verified (found through
// AsyncLocalStorage, as the sink is called synchronously inside verifyRequest's async context).
const currentRequest = new AsyncLocalStorage();
await configure({
  sinks: {
    reasons(record) {
      const store = currentRequest.getStore();
      if (store !== undefined && record.level !== "info") {
        // The template without its values, to its first line or sentence break: reasons
        // group well when counted, and the signed message it may go on to quote is left out.
        store.reasons.push(String(record.rawMessage).split(/\n|  /)[0]);
      }
    },
  },
  loggers: [
    { category: ["fedify", "sig"], lowestLevel: "debug", sinks: ["reasons"] },
    // LogTape's own notices (e.g. "no sink configured for a category") are not ours to count.
    { category: ["logtape", "meta"], lowestLevel: null },
  ],
});

// --- Keys: fetched from fedihub over loopback, once each ------------------------------------
// Fedify's loader refuses private and loopback addresses unless told otherwise; this bench's
// only server is fedihub on localhost, so we allow private addresses, and make sure the
// receiver reaches nothing past this machine by refusing every non-loopback host in fetch
// itself (Fedify's loader calls the global fetch, for documents and for links they name).
// The JSON-LD contexts Fedify preloads (ActivityStreams, security/v1, ...) never need fetch.
const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);
const globalFetch = globalThis.fetch;
globalThis.fetch = (input, init) => {
  const url = new URL(input instanceof Request ? input.url : input);
  if (!LOOPBACK.has(url.hostname)) {
    return Promise.reject(new TypeError(`refusing to fetch ${url}: not loopback`));
  }
  const asked = Date.now() / 1000;
  return globalFetch(input, init).then((response) => {
    emit({ fetched: url.href, at: asked, answered: Date.now() / 1000 });
    return response;
  });
};
const loader = getDocumentLoader({ allowPrivateAddress: true });

// A real server's key cache: a key is fetched once, even when 1,000 first requests signed
// with it arrive together. Fedify's KeyCache is asked before each fetch and told after it, so
// the first request to miss becomes the one that fetches; the others wait in get() until it
// calls set(), then read the cache. Should that request end without set() (an exception), the
// waiters are released with nothing and each fetches for itself (see `release`).
const keys = new Map(); // keyId -> CryptographicKey, or null: Fedify's "known not to work"
const inFlight = new Map(); // keyId -> { promise, resolve } while its first fetch runs
const keyCache = {
  async get(keyId) {
    const id = keyId.href;
    if (keys.has(id)) return keys.get(id);
    const pending = inFlight.get(id);
    if (pending !== undefined) {
      await pending.promise;
      return keys.get(id); // undefined if released without a key: fetch it ourselves
    }
    let resolve;
    const promise = new Promise((r) => (resolve = r));
    inFlight.set(id, { promise, resolve });
    return undefined; // this caller fetches
  },
  async set(keyId, key) {
    const id = keyId.href;
    keys.set(id, key);
    release(id);
  },
};
function release(id) {
  const pending = inFlight.get(id);
  if (pending !== undefined) {
    inFlight.delete(id);
    pending.resolve();
  }
}
function signatureKeyId(headers) {
  const match = /keyId="([^"]*)"/.exec(headers.signature ?? "");
  try {
    return match ? new URL(match[1]).href : null;
  } catch {
    return null;
  }
}

// --- The inbox ------------------------------------------------------------------------------
function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on("data", (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new Error("body too large"));
        req.destroy();
      } else {
        chunks.push(chunk);
      }
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function answer(res, status) {
  res.writeHead(status, { "content-length": "0" });
  res.end();
}

async function inbox(req, res, port) {
  let body;
  let received;
  try {
    body = await readBody(req);
    received = Date.now() / 1000; // the delivery is here; what follows is the receiver's work
  } catch {
    emit({ rejected: "body unreadable or too large", port });
    return answer(res, 413);
  }
  // Fedify verifies a WHATWG Request. Its URL is the one the sender signed: the Host header
  // it sent and the path it asked for ((request-target) is built from the URL's path).
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
  }
  const request = new Request(`http://${req.headers.host ?? `127.0.0.1:${port}`}${req.url}`, {
    method: req.method,
    headers,
    body,
  });
  const store = { reasons: [] };
  let key = null;
  try {
    // Fedify's own verification: Date within its window, Digest against the body (it refuses
    // a POST without one), (request-target) and date signed, digest signed when there is a
    // body, the key fetched (through our cache) and the RSA signature checked; a cached key
    // that fails is fetched again once before the request is refused.
    key = await currentRequest.run(store, () =>
      verifyRequest(request, { documentLoader: loader, contextLoader: loader, keyCache }),
    );
  } catch (error) {
    store.reasons.push(`verifyRequest threw: ${error}`);
    const id = signatureKeyId(req.headers);
    if (id !== null && !keys.has(id)) release(id);
  }
  if (key === null) {
    const reason = store.reasons.filter((r) => r.startsWith("Failed") || r.startsWith("verifyRequest")).at(-1);
    emit({ rejected: reason ?? store.reasons.at(-1) ?? "signature not verified", port });
    return answer(res, 401);
  }
  const arrived = Date.now() / 1000;
  let activity;
  try {
    activity = JSON.parse(body.toString("utf8"));
  } catch {
    emit({ rejected: "signed, but the body is not JSON", port });
    return answer(res, 400);
  }
  emit({ accepted: [arrived, String(activity.type), String(activity.id), port, received] });
  answer(res, 202);
}

// The warm-up actor's document, served only while warming up.
let warmUpActor = null;

function handler(port) {
  return (req, res) => {
    if (req.method === "GET" && req.url === "/warm-up/actor" && warmUpActor !== null) {
      req.resume();
      res.writeHead(200, { "content-type": "application/activity+json" });
      res.end(JSON.stringify(warmUpActor));
    } else if (req.method === "POST" && req.url === "/inbox") {
      inbox(req, res, port).catch((error) => {
        emit({ rejected: `receiver error: ${error}`, port });
        if (!res.headersSent) answer(res, 500);
      });
    } else {
      req.resume();
      answer(res, 404);
    }
  };
}

async function listenOn(count) {
  const servers = [];
  const ports = [];
  for (let i = 0; i < count; i++) {
    // One HTTP server per port: its handler knows which "instance" was asked.
    const server = http.createServer();
    // fedihub keeps one connection per instance; keep it open across a post and the next.
    server.keepAliveTimeout = 60_000;
    await new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen({ host: "127.0.0.1", port: 0, backlog: 1024 }, resolve);
    });
    const port = server.address().port;
    server.on("request", handler(port));
    servers.push(server);
    ports.push(port);
  }
  return { servers, ports };
}

const count = Number.parseInt(process.argv[2] ?? "", 10);
if (!Number.isInteger(count) || count < 1) {
  process.stderr.write("usage: node receiver.mjs N   (N >= 1 loopback ports)\n");
  process.exit(2);
}
// One signed request through the whole path before fedihub sends any: Node loads its fetch
// (undici) on first use, Fedify its JSON-LD processor and WebCrypto its RSA code, together a
// few hundred ms on a busy machine. A running server has paid that long ago; without this the
// first post after fedihub's start-up would be charged for the receiver's start-up too. It
// uses a key of its own (its own cache entry), served by this receiver's first port.
async function warmUp(port) {
  const { privateKey, publicKey } = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
  const actor = `http://127.0.0.1:${port}/warm-up/actor`;
  warmUpActor = {
    "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
    id: actor,
    type: "Application",
    inbox: `http://127.0.0.1:${port}/inbox`,
    publicKey: { id: `${actor}#main-key`, owner: actor, publicKeyPem: await exportSpki(publicKey) },
  };
  const body = JSON.stringify({ id: `${actor}#warm-up`, type: "Create", actor });
  const request = new Request(`http://127.0.0.1:${port}/inbox`, {
    method: "POST",
    headers: { "content-type": "application/activity+json" },
    body,
  });
  const signed = await signRequest(request, privateKey, new URL(`${actor}#main-key`));
  const response = await fetch(signed);
  warmUpActor = null;
  if (response.status !== 202) {
    process.stderr.write(`warm-up request answered ${response.status}, not 202\n`);
    process.exit(1);
  }
}

const { ports } = await listenOn(count);
await warmUp(ports[0]);
warming = false;
emit({ ports });
process.on("SIGTERM", () => process.exit(0));
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
