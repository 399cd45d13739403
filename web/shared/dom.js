// Tiny DOM helpers shared by the pages. Text always goes in through textContent, never
// innerHTML, so nothing the server returns (descriptions, names) can inject markup.

export function $(selector, root = document) {
  return root.querySelector(selector);
}

// h('tr', {class: 'x', onclick: fn}, child, 'text', ...) → an element.
export function h(tag, attrs = {}, ...children) {
  const svg = ['svg', 'path', 'circle', 'g', 'line', 'polyline', 'text', 'rect', 'title'].includes(tag);
  const node = svg ? document.createElementNS('http://www.w3.org/2000/svg', tag) : document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') node.addEventListener(name.slice(2), value);
    else if (name === 'dataset') Object.assign(node.dataset, value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

// 0.8765 → "87.7%"; null (a ratio with a zero denominator) → "—".
export function percent(ratio) {
  return ratio === null || ratio === undefined ? '—' : `${(ratio * 100).toFixed(1)}%`;
}

// RFC 3339 → local "YYYY-MM-DD HH:MM".
export function when(rfc3339) {
  if (!rfc3339) return '—';
  const d = new Date(rfc3339);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

// An API error body → its message (the code when there is no message).
export async function errorText(response) {
  try {
    const body = await response.json();
    if (body && body.error) return `${body.error.code}: ${body.error.message}`;
  } catch {
    // not JSON: fall through
  }
  return `HTTP ${response.status}`;
}
