// Reports waiting to be sent: kept in IndexedDB (photos as Blobs) so that a report made with no
// network survives closing the app, and sent when the network returns. Each one carries the
// Idempotency-Key chosen when it was made: when an answer is lost after the server filed it,
// the retry gets the first answer back (Idempotent-Replayed) instead of a second report.
import { call, ApiError } from './api.js';

const DB = 'civicsnap-app';
const STORE = 'outbox';

function open() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: 'key' });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function tx(mode, work) {
  const db = await open();
  try {
    return await new Promise((resolve, reject) => {
      const t = db.transaction(STORE, mode);
      const result = work(t.objectStore(STORE));
      t.oncomplete = () => resolve(result.result);
      t.onerror = () => reject(t.error);
    });
  } finally {
    db.close();
  }
}

// Whose reports are sent: a phone may be shared, and a report is only ever sent with its maker's
// session (another user's token would file it under the wrong name, or be refused and lost).
let owner = null;
export function useOwner(userId) {
  owner = userId;
}

// { key, owner, meta, photos: [{blob, name}], created }
export function keep(entry) {
  return tx('readwrite', (store) => store.put({ ...entry, owner }));
}

// The signed-in user's waiting reports (entries kept before owners were recorded: anyone's).
export async function pending() {
  const mine = owner;
  const all = await tx('readonly', (store) => store.getAll());
  return all.filter((entry) => entry.owner === undefined || entry.owner === mine);
}

function drop(key) {
  return tx('readwrite', (store) => store.delete(key));
}

export function send(entry) {
  const form = new FormData();
  form.append('meta', new Blob([JSON.stringify(entry.meta)], { type: 'application/json' }));
  for (const photo of entry.photos) form.append('photo', photo.blob, photo.name);
  for (const photo of entry.after || []) form.append('after', photo.blob, photo.name);  // 自行处置
  return call('POST', '/api/v1/reports', form, { 'Idempotency-Key': entry.key });
}

// Sends what is waiting, oldest first. A network failure stops the round (the rest waits for the
// next one); a refusal by the server (4xx: the report itself is wrong) drops that report and
// reports it through onRefused, since sending it again would be refused again.
let flushing = null;
export function flush({ onSent = () => {}, onRefused = () => {} } = {}) {
  if (flushing) return flushing;
  flushing = (async () => {
    const round = owner;
    const entries = (await pending()).sort((a, b) => a.created - b.created);
    for (const entry of entries) {
      if (owner !== round) break;  // signed out or another user signed in meanwhile
      try {
        const report = await send(entry);
        await drop(entry.key);
        onSent(report, entry);
      } catch (error) {
        if (error instanceof ApiError && error.status >= 400 && error.status < 500 && error.status !== 401 && error.status !== 429) {
          await drop(entry.key);
          onRefused(error, entry);
          continue;
        }
        break;  // offline, 401, 429 or 5xx: try again later
      }
    }
  })().finally(() => {
    flushing = null;
  });
  return flushing;
}
