// The dashboard's API client: the bearer token lives in sessionStorage (gone when the tab
// closes); any 401 means the token is no longer good, and the page goes back to the log-in form.
import { errorText } from '/web/dom.js';

const TOKEN_KEY = 'civicsnap.dashboard.token';

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export const session = {
  get token() {
    return sessionStorage.getItem(TOKEN_KEY);
  },
  set token(value) {
    if (value) sessionStorage.setItem(TOKEN_KEY, value);
    else sessionStorage.removeItem(TOKEN_KEY);
  },
  onUnauthorized: () => {},
};

async function call(method, path, body) {
  const headers = {};
  if (session.token) headers.Authorization = `Bearer ${session.token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (response.status === 401 && session.token) {
    session.token = null;
    session.onUnauthorized();
  }
  if (!response.ok) throw new ApiError(response.status, await errorText(response));
  if (response.status === 204) return null;
  return response.json();
}

export const api = {
  get: (path) => call('GET', path),
  post: (path, body) => call('POST', path, body ?? {}),
  put: (path, body) => call('PUT', path, body),
};

// A photo as an object URL: <img> cannot send the bearer token, so the bytes are fetched here.
export async function photoUrl(id, variant = 'thumb') {
  const response = await fetch(`/api/v1/photos/${id}?variant=${variant}`, {
    headers: { Authorization: `Bearer ${session.token}` },
  });
  if (!response.ok) throw new ApiError(response.status, await errorText(response));
  return URL.createObjectURL(await response.blob());
}

// The live stream (API.md §4 push). Browsers cannot set headers on a WebSocket, so the token
// goes in ?access_token=. Reconnects with back-off while the page is logged in.
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
