// Kiosk request signing (API.md §7, docs/points.md "Kiosks"), done in the browser with WebCrypto:
//   X-Kiosk-Signature = hex(HMAC-SHA256(secret, METHOD "\n" PATH_WITH_QUERY "\n" TIMESTAMP "\n" hex(SHA256(body))))
// The server accepts each signature once, so two identical requests in the same second would
// collide; timestamps here therefore never repeat (each is at least the last one plus one), also
// across reloads of the page (the last one is kept in localStorage).
const encoder = new TextEncoder();

function hex(buffer) {
  return [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

export function cryptoAvailable() {
  // WebCrypto's subtle API exists only in secure contexts: https://, or http://localhost.
  return Boolean(globalThis.crypto && crypto.subtle && window.isSecureContext);
}

export async function sha256Hex(text) {
  return hex(await crypto.subtle.digest('SHA-256', encoder.encode(text)));
}

export async function hmacSha256Hex(secret, message) {
  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return hex(await crypto.subtle.sign('HMAC', key, encoder.encode(message)));
}

export async function signature(secret, method, pathWithQuery, timestamp, body) {
  const stringToSign = `${method}\n${pathWithQuery}\n${timestamp}\n${await sha256Hex(body)}`;
  return hmacSha256Hex(secret, stringToSign);
}

const LAST_TIMESTAMP_KEY = 'civicsnap.kiosk.lastTimestamp';
function nextTimestamp() {
  const last = Number(localStorage.getItem(LAST_TIMESTAMP_KEY)) || 0;
  const now = Math.floor(Date.now() / 1000);
  // A stored value far ahead (the device clock was wrong and has been corrected) is not followed.
  const next = last >= now && last < now + 60 ? last + 1 : now;
  localStorage.setItem(LAST_TIMESTAMP_KEY, String(next));
  return next;
}

// Sends one signed request; `body` is sent as the exact string that was hashed.
export async function signedFetch({ keyId, secret }, method, pathWithQuery, body = '', headers = {}) {
  const timestamp = String(nextTimestamp());
  const all = {
    ...headers,
    'X-Kiosk-Key': keyId,
    'X-Kiosk-Timestamp': timestamp,
    'X-Kiosk-Signature': await signature(secret, method, pathWithQuery, timestamp, body),
  };
  if (body) all['Content-Type'] = 'application/json';
  return fetch(pathWithQuery, { method, headers: all, body: body || undefined });
}
