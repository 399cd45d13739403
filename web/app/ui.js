// Small helpers the app's screens share.
import { $, h } from '/web/dom.js';
import { t } from '/web/i18n.js';

// A message by key follows later language switches; a server's text is shown as it is.
export function say(selector, key = null, text = '') {
  const node = $(selector);
  if (key) {
    node.dataset.i18n = key;
    node.textContent = t(key);
  } else {
    delete node.dataset.i18n;
    node.textContent = text;
  }
}

// The deadline light (API.md §4) as a labelled badge; nothing when there is no light.
export function light(report) {
  if (!report.deadline_light) return null;
  return h('span', { class: `badge light ${report.deadline_light}` }, t(`light.${report.deadline_light}`));
}

export function statusBadge(status) {
  return h('span', { class: `badge status-${status}` }, t(`status.${status}`));
}

// Category codes → names, read once per session (GET /api/v1/categories is public) and kept
// for offline use; a code the list does not know is shown as it is.
const CATEGORIES_KEY = 'civicsnap.app.categories';
let categories = [];

export async function loadCategories() {
  try {
    categories = (await (await fetch('/api/v1/categories')).json()).items;
    localStorage.setItem(CATEGORIES_KEY, JSON.stringify(categories));
  } catch {
    categories = JSON.parse(localStorage.getItem(CATEGORIES_KEY) || '[]');
  }
  return categories;
}

export function categoryName(code) {
  const found = categories.find((c) => c.code === code);
  return found ? found.name : code;
}

// A fresh Idempotency-Key: crypto.randomUUID exists only in secure contexts, and a phone may
// reach the app over plain http on the LAN; getRandomValues exists everywhere.
export function newKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function errorMessage(error) {
  return error instanceof TypeError ? t('network') : error.message;
}
