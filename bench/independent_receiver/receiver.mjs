// An independent receiver for bench/bench.py's fan-out: N loopback "instances" whose shared
// inboxes verify every HTTP signature with an implementation that is not bovine, the library
// fedihub signs with. A signature both accept is one another implementation reads the same
// way; a figure measured here cannot hide a shared mistake. Two verifiers, one chosen per run:
//   fedify          Fedify 1.5.9's verifyRequest (verify-fedify.mjs), a TypeScript ActivityPub
//                   framework; about 0.7 ms of CPU a request.
//   http-signature  TritonDataCenter's http-signature 1.4.0 (verify-http-signature.mjs), a bare
//                   draft-cavage parser and verifier, with the Digest, Date window and key
//                   fetching done in a few lines of ours; about 0.2 ms a request. Neither
//                   shares code with fedihub or bovine.
//
//   node receiver.mjs N [--verifier fedify|http-signature]      (fedify when not said)
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
//
// A verifier module exports
//   verify(req, body, port) -> Promise<null | string>: null when the signature verified (and
//       Digest matched the body, Date was recent, ...), else why not; keys fetched once each
//   warmUpSigner() -> Promise<{ publicKeyPem, sign(request, keyId) -> Promise<Request> }>
// and is imported only when chosen (Fedify and LogTape are not loaded for http-signature).

import http from "node:http";

const MAX_BODY = 1 << 20; // an activity is a few KB; a bigger body is refused before parsing

// While warming up (see warmUp) nothing is reported: the bench reads only what fedihub sent.
let warming = true;
function emit(event) {
  if (!warming) process.stdout.write(JSON.stringify(event) + "\n");
}

// --- Keys: fetched from fedihub over loopback ----------------------------------------------
// The verifiers fetch the keyIds' documents with the global fetch (Fedify's document loader
// does too, for documents and for links they name). This bench's only server is fedihub on
// localhost: fetch itself refuses every other host, so the receiver reaches nothing past this
// machine whatever a signature names.
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
  const refused = await verifier.verify(req, body, port);
  if (refused !== null) {
    emit({ rejected: refused, port });
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

const VERIFIERS = { fedify: "./verify-fedify.mjs", "http-signature": "./verify-http-signature.mjs" };
const [countArg, ...options] = process.argv.slice(2);
const count = Number.parseInt(countArg ?? "", 10);
const chosen = options.length === 0 ? "fedify" : options[0] === "--verifier" ? options[1] : null;
if (!Number.isInteger(count) || count < 1 || options.length > 2 || !Object.hasOwn(VERIFIERS, chosen ?? "")) {
  process.stderr.write(
    "usage: node receiver.mjs N [--verifier fedify|http-signature]   (N >= 1 loopback ports)\n",
  );
  process.exit(2);
}
const verifier = await import(VERIFIERS[chosen]);

// One signed request through the whole path before fedihub sends any: Node loads its fetch
// (undici) on first use, Fedify its JSON-LD processor, WebCrypto or OpenSSL its RSA code,
// together a few hundred ms on a busy machine. A running server has paid that long ago;
// without this the first post after fedihub's start-up would be charged for the receiver's
// start-up too. It uses a key of its own (its own cache entry), served by this receiver's
// first port.
async function warmUp(port) {
  const { publicKeyPem, sign } = await verifier.warmUpSigner();
  const actor = `http://127.0.0.1:${port}/warm-up/actor`;
  warmUpActor = {
    "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
    id: actor,
    type: "Application",
    inbox: `http://127.0.0.1:${port}/inbox`,
    publicKey: { id: `${actor}#main-key`, owner: actor, publicKeyPem },
  };
  const body = JSON.stringify({ id: `${actor}#warm-up`, type: "Create", actor });
  const request = new Request(`http://127.0.0.1:${port}/inbox`, {
    method: "POST",
    headers: { "content-type": "application/activity+json" },
    body,
  });
  const response = await fetch(await sign(request, `${actor}#main-key`));
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
