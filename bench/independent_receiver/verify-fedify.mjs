// receiver.mjs's `--verifier fedify` (the default): Fedify 1.5.9's verifyRequest, a whole
// ActivityPub framework's verification (JSON-LD documents, WebCrypto keys). About 0.7 ms of
// CPU a request on a small machine. See receiver.mjs for the interface every verifier offers.

import { AsyncLocalStorage } from "node:async_hooks";
import {
  exportSpki,
  generateCryptoKeyPair,
  getDocumentLoader,
  signRequest,
  verifyRequest,
} from "@fedify/fedify";
import { configure } from "@logtape/logtape";

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

// Fedify's loader refuses private and loopback addresses unless told otherwise; this bench's
// only server is fedihub on localhost, so we allow private addresses (receiver.mjs's fetch
// refuses every non-loopback host; Fedify's loader calls the global fetch, for documents and
// for links they name). The JSON-LD contexts Fedify preloads (ActivityStreams, security/v1,
// ...) never need fetch.
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

// Null when the request's signature verified, else why not.
export async function verify(req, body, port) {
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
  if (key !== null) return null;
  const reason = store.reasons.filter((r) => r.startsWith("Failed") || r.startsWith("verifyRequest")).at(-1);
  return reason ?? store.reasons.at(-1) ?? "signature not verified";
}

// A key of the warm-up's own and a signer with it: Fedify's signRequest (draft-cavage, as
// Mastodon reads it).
export async function warmUpSigner() {
  const { privateKey, publicKey } = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
  return {
    publicKeyPem: await exportSpki(publicKey),
    sign: (request, keyId) => signRequest(request, privateKey, new URL(keyId)),
  };
}
