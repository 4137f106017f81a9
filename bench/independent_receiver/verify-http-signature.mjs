// receiver.mjs's `--verifier http-signature`: TritonDataCenter's (Joyent's) http-signature,
// a draft-cavage implementation that is no ActivityPub framework. Its parseRequest parses the
// Signature header, requires the signed headers named below, checks Date's skew and rebuilds
// the signed string; the RSA-SHA256 check of that string is node:crypto's (OpenSSL), with the
// key read once (see signatureVerifies). The rest of what a Mastodon-like inbox requires is
// done here, in a few lines of our own:
//   - (request-target), host, date and digest must be among the signed headers;
//   - Date within an hour of now, either way (Fedify's default window; Mastodon's clock-skew
//     margin), and a Date that is a date;
//   - Digest: SHA-256= equal to the body's, computed here with node:crypto; no Digest, no entry;
//   - the key: the keyId's document fetched from the sender, publicKey.publicKeyPem of the key
//     whose id is the keyId; once per keyId (a request that finds it being fetched waits for
//     that fetch); and when a key that had been cached fails, fetched once more before the
//     request is refused (the sender may have rotated it), as Fedify does.
// It shares no code with fedihub, bovine or Fedify. See receiver.mjs for the interface.

import { createHash, createPublicKey, generateKeyPair, sign as rsaSign, verify as rsaVerify } from "node:crypto";
import { promisify } from "node:util";
import httpSignature from "http-signature";

const REQUIRED = ["(request-target)", "host", "date", "digest"];
const CLOCK_SKEW_S = 3600;

// keyId -> { key: Promise<KeyObject>, settled }: the promise is shared by every request that asks
// while it runs (single flight); `settled` tells a cached key from one fetched for this request.
// A fetch that fails is forgotten, so the next request tries again.
const keys = new Map();

function lookUp(keyId) {
  const entry = { key: fetchPublicKey(keyId), settled: false };
  entry.key.then(
    () => (entry.settled = true),
    () => keys.get(keyId) === entry && keys.delete(keyId),
  );
  keys.set(keyId, entry);
  return entry;
}

async function fetchPublicKey(keyId) {
  const url = new URL(keyId); // receiver.mjs's fetch refuses any host but loopback
  url.hash = "";
  const response = await fetch(url, { headers: { accept: "application/activity+json" } });
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  const document = await response.json();
  const found = [document.publicKey].flat().find((key) => key?.id === keyId);
  if (typeof found?.publicKeyPem !== "string") {
    throw new Error(`${url} has no publicKey whose id is ${keyId}`);
  }
  return createPublicKey(found.publicKeyPem); // read once: see signatureVerifies
}

function sha256(body) {
  return createHash("sha256").update(body).digest("base64");
}

// Null when the Digest header names the body's SHA-256, else why not.
function digestMismatch(header, body) {
  if (header === undefined) return "no Digest header";
  // "SHA-256=<base64>", possibly among other algorithms' ("SHA-512=..., SHA-256=...").
  const value = header
    .split(",")
    .map((part) => part.trim())
    .find((part) => part.slice(0, 8).toLowerCase() === "sha-256=");
  if (value === undefined) return `Digest has no SHA-256: ${header}`;
  return value.slice(8) === sha256(body) ? null : "Digest does not match the body";
}

// RSA-SHA256 over the string parseRequest rebuilt (it accepted no other algorithm), with the
// key read once when fetched. http-signature's own verifySignature(parsed, pem) does the same
// but hands OpenSSL the PEM on every call, to be decoded again each time: 0.2 ms more a request
// than the check itself (0.04 ms), as much as the rest of the receiver's work on a delivery.
function signatureVerifies(parsed, key) {
  return rsaVerify(
    "sha256",
    Buffer.from(parsed.signingString),
    key,
    Buffer.from(parsed.params.signature, "base64"),
  );
}

// Null when the request's signature verified, else why not.
export async function verify(req, body) {
  let parsed;
  try {
    // Node's req as it is: lower-cased headers, the path as sent (its (request-target)).
    parsed = httpSignature.parseRequest(req, {
      headers: REQUIRED,
      clockSkew: CLOCK_SKEW_S,
      algorithms: ["rsa-sha256"],
    });
  } catch (error) {
    return `${error.name}: ${error.message}`;
  }
  // The signed Date's window, checked again: parseRequest checks X-Date's instead when there
  // is one, signed or not (a replay with a fresh X-Date would pass), and none when Date does
  // not parse (NaN compares false).
  const skew = Math.abs(Date.now() - Date.parse(req.headers.date)) / 1000;
  if (!(skew <= CLOCK_SKEW_S)) return `Date ${req.headers.date} is not within ${CLOCK_SKEW_S} s`;
  const digest = digestMismatch(req.headers.digest, body);
  if (digest !== null) return digest;

  const keyId = parsed.keyId;
  let entry = keys.get(keyId);
  const cached = entry?.settled === true;
  entry ??= lookUp(keyId);
  try {
    if (signatureVerifies(parsed, await entry.key)) return null;
  } catch (error) {
    return `key ${keyId} not fetched: ${error.message}`;
  }
  if (!cached) return "signature does not verify with the key just fetched";
  // A cached key that fails: fetched once more (unless another request already did).
  entry = keys.get(keyId) === entry ? lookUp(keyId) : (keys.get(keyId) ?? lookUp(keyId));
  try {
    if (signatureVerifies(parsed, await entry.key)) return null;
  } catch (error) {
    return `key ${keyId} not fetched again: ${error.message}`;
  }
  return "signature does not verify with the key, fetched again";
}

// A key of the warm-up's own and a draft-cavage signer with node:crypto: the headers Mastodon
// and fedihub sign.
export async function warmUpSigner() {
  const { privateKey, publicKey } = await promisify(generateKeyPair)("rsa", { modulusLength: 2048 });
  return {
    publicKeyPem: publicKey.export({ type: "spki", format: "pem" }),
    async sign(request, keyId) {
      const url = new URL(request.url);
      const body = Buffer.from(await request.arrayBuffer());
      const headers = {
        host: url.host,
        date: new Date().toUTCString(),
        digest: `SHA-256=${sha256(body)}`,
      };
      const signed = [`(request-target): ${request.method.toLowerCase()} ${url.pathname}`]
        .concat(Object.entries(headers).map(([name, value]) => `${name}: ${value}`))
        .join("\n");
      const signature = rsaSign("sha256", Buffer.from(signed), privateKey).toString("base64");
      const { host, ...sent } = headers; // fetch sends the URL's host itself
      return new Request(request.url, {
        method: request.method,
        headers: {
          ...Object.fromEntries(request.headers),
          ...sent,
          signature: `keyId="${keyId}",algorithm="rsa-sha256",headers="${REQUIRED.join(" ")}",signature="${signature}"`,
        },
        body,
      });
    },
  };
}
