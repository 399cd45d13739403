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

export function errorMessage(error) {
  return error instanceof TypeError ? t('network') : error.message;
}
