// The app's API client. The bearer token is kept in localStorage: the app is installed on the
// person's own phone and should stay logged in across launches (the dashboard, on shared
// desks, keeps it per tab instead). Any 401 means the token is no longer good: back to log-in.
import { errorText } from '/web/dom.js';

const TOKEN_KEY = 'civicsnap.app.token';

export class ApiError extends Error {
  constructor(status, message, code = '') {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export const session = {
  get token() {
    return localStorage.getItem(TOKEN_KEY);
  },
  set token(value) {
    if (value) localStorage.setItem(TOKEN_KEY, value);
    else localStorage.removeItem(TOKEN_KEY);
  },
  onUnauthorized: () => {},
};

async function failure(response) {
  let code = '';
  try {
    code = (await response.clone().json()).error.code;
  } catch {
    // not an API error body
  }
  return new ApiError(response.status, await errorText(response), code);
}

// body: undefined, a plain object (sent as JSON) or FormData (multipart). A network failure
// throws the fetch's TypeError, which callers tell apart from an ApiError (the server said no).
export async function call(method, path, body, extraHeaders = {}) {
  const token = session.token;
  const headers = { ...extraHeaders };
  if (token) headers.Authorization = `Bearer ${token}`;
  let payload;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const response = await fetch(path, { method, headers, body: payload });
  // Only the token it was sent with is refused: an answer to a request made before another user
  // signed in on this phone does not sign them out.
  if (response.status === 401 && token && session.token === token && !path.startsWith('/api/v1/auth/')) {
    session.token = null;
    session.onUnauthorized();
  }
  if (!response.ok) throw await failure(response);
  if (response.status === 204) return null;
  return response.json();
}

export const api = {
  get: (path) => call('GET', path),
  post: (path, body, headers) => call('POST', path, body ?? {}, headers),
};

// A ticket action with photos (resolve): multipart, the action in the `meta` part.
export function actWithPhotos(id, action, files) {
  const form = new FormData();
  form.append('meta', new Blob([JSON.stringify(action)], { type: 'application/json' }));
  for (const file of files) form.append('photo', file, file.name || 'photo.jpg');
  return call('POST', `/api/v1/reports/${id}/actions`, form);
}

// A photo as an object URL: <img> cannot send the bearer token, so the bytes are fetched here.
const photoCache = new Map();
export async function photoUrl(id, variant = 'thumb') {
  const key = `${id}:${variant}`;
  if (photoCache.has(key)) return photoCache.get(key);
  const response = await fetch(`/api/v1/photos/${id}?variant=${variant}`, {
    headers: { Authorization: `Bearer ${session.token}` },
  });
  if (!response.ok) throw await failure(response);
  const url = URL.createObjectURL(await response.blob());
  photoCache.set(key, url);
  return url;
}

// The live stream (API.md §4 push); the token goes in ?access_token= since browsers cannot set
// headers on a WebSocket. Reconnects with back-off (1 s doubling to 30 s) while logged in.
export function openStream(onMessage, onState) {
  let socket = null;
  let stopped = false;
  let delay = 1000;
  const connect = () => {
    if (stopped || !session.token) return;
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    socket = new WebSocket(`${scheme}://${location.host}/api/v1/stream?access_token=${encodeURIComponent(session.token)}`);
    socket.addEventListener('open', () => {
      delay = 1000;
      onState(true);
    });
    socket.addEventListener('message', (event) => {
      try {
        onMessage(JSON.parse(event.data));
      } catch {
        // a frame that is not JSON is ignored
      }
    });
    socket.addEventListener('close', () => {
      onState(false);
      if (!stopped) setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    });
  };
  connect();
  return () => {
    stopped = true;
    if (socket) socket.close();
  };
}
