// The resident's side: the report form (photos from the camera, position from GPS or the map,
// kept on the phone while offline) and the list of my reports.
import { $, h, clear, when } from '/web/dom.js';
import { t } from '/web/i18n.js';
import { api, ApiError } from './api.js';
import { keep, pending, flush, useOwner } from './outbox.js';
import { positionPicker } from './map.js';
import { say, light, statusBadge, errorMessage, loadCategories, categoryName, newKey } from './ui.js';

const MAX_PHOTOS = 6;
const RETRY_MS = 15000;  // while reports wait, how often to try again besides the 'online' event

const form = { lat: null, lon: null, picker: null, grids: null, known: null, categories: [], previews: [], selfHandled: false };
const KNOWN_MAX = 300;  // recent public reports drawn on the picker
let started = false;

export function bind() {
  $('#report-form').addEventListener('submit', submit);
  $('#report-photos').addEventListener('change', () => previewPhotos('#report-photos', '#report-previews', 'report.photoN'));
  $('#report-after').addEventListener('change', () => previewPhotos('#report-after', '#report-after-previews', 'report.afterN'));
  $('#report-gps').addEventListener('click', locate);
  $('#outbox-send').addEventListener('click', sendWaiting);
}

// A worker's form is for 自行处置: "after" photos too, and the report is born resolved.
export function start(user) {
  useOwner(user.id);  // the outbox sends only this user's waiting reports
  form.selfHandled = user.role === 'worker';
  form.grids = null;
  form.known = null;
  $('#report-after-box').classList.toggle('hidden', !form.selfHandled);
  for (const [selector, key] of [['#report-title', form.selfHandled ? 'report.selfTitle' : 'report.title']]) {
    $(selector).dataset.i18n = key;
    $(selector).textContent = t(key);
  }
  if (started) return;
  started = true;
  window.addEventListener('online', sendWaiting);
  setInterval(() => {
    if (navigator.onLine) sendWaiting();
  }, RETRY_MS);
  sendWaiting();
}

export async function sendWaiting() {
  await flush({
    onSent: (report) => say('#report-done', null, t('report.sent', { id: report.id })),
    onRefused: (error) => say('#report-error', null, `${t('report.refused')} ${error.message}`),
  }).catch(() => {});
  await showOutbox();
}

async function showOutbox() {
  const waiting = (await pending()).length;
  $('#outbox-box').classList.toggle('hidden', waiting === 0);
  $('#outbox-status').textContent = waiting ? t('report.waiting', { n: waiting }) : '';
}

function setPosition(lat, lon, fromMap = false) {
  form.lat = lat;
  form.lon = lon;
  $('#report-coords').textContent = `${lat.toFixed(5)}, ${lon.toFixed(5)}`;
  if (!fromMap) drawPicker();
}

function drawPicker() {
  const centre = form.lat === null ? null : { lat: form.lat, lon: form.lon };
  form.picker = positionPicker($('#report-map'), {
    grids: form.grids || [],
    known: form.known || [],
    centre,
    onPick: ({ lat, lon }) => setPosition(lat, lon, true),
  });
}

export async function openReportForm() {
  say('#report-error');
  await showOutbox();
  if (!form.categories.length) form.categories = await loadCategories();
  const select = $('#report-category');
  const chosen = select.value;
  clear(select).append(h('option', { value: '' }, t('report.pickCategory')),
    ...form.categories.map((c) => h('option', { value: c.code }, c.name)));
  select.value = chosen;
  if (form.grids === null) {
    // Staff may read the grids (a worker reporting on patrol); residents get 403 and a plain picker.
    try {
      form.grids = (await api.get('/api/v1/grids')).items;
    } catch {
      form.grids = [];
    }
  }
  if (form.known === null && !form.grids.length) {
    // The city's recent reports, public through Open311 (API.md §10): where the city is, before a fix.
    try {
      const requests = await (await fetch('/open311/v2/requests.json')).json();
      form.known = requests.filter((r) => typeof r.lat === 'number' && typeof r.long === 'number')
        .slice(0, KNOWN_MAX).map((r) => ({ lat: r.lat, lon: r.long }));
    } catch {
      form.known = [];
    }
  }
  drawPicker();
}

function locate() {
  if (!navigator.geolocation) {
    say('#report-error', 'report.noGps');
    return;
  }
  $('#report-coords').textContent = t('report.locating');
  navigator.geolocation.getCurrentPosition(
    (fix) => setPosition(Number(fix.coords.latitude.toFixed(6)), Number(fix.coords.longitude.toFixed(6))),
    () => {
      $('#report-coords').textContent = '';
      say('#report-error', 'report.noGps');
    },
    { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
}

function previewPhotos(input, previews, altKey) {
  const files = [...$(input).files];
  const box = clear($(previews));
  files.slice(0, MAX_PHOTOS).forEach((f, i) => box.append(h('img', { src: URL.createObjectURL(f), alt: t(altKey, { n: i + 1 }) })));
  if (files.length > MAX_PHOTOS) say('#report-error', 'report.tooMany');
}

async function submit(event) {
  event.preventDefault();
  say('#report-error');
  say('#report-done');
  const files = [...$('#report-photos').files].slice(0, MAX_PHOTOS);
  const after = form.selfHandled ? [...$('#report-after').files].slice(0, MAX_PHOTOS) : [];
  if (!files.length) return say('#report-error', 'report.needPhoto');
  if (form.selfHandled && !after.length) return say('#report-error', 'report.needAfter');
  if (form.lat === null) return say('#report-error', 'report.needPosition');
  const meta = {
    category: $('#report-category').value,
    description: $('#report-description').value.trim(),
    lat: form.lat,
    lon: form.lon,
  };
  const address = $('#report-address').value.trim();
  if (address) meta.address = address;
  if (form.selfHandled) meta.self_handled = true;
  // Kept first, sent second: whatever happens to the network now, the report is on the phone
  // with its key, and the outbox is the only sender (so it is never sent twice at once).
  const entry = {
    key: newKey(),
    meta,
    photos: files.map((f) => ({ blob: f, name: f.name || 'photo.jpg' })),
    after: after.map((f) => ({ blob: f, name: f.name || 'after.jpg' })),
    created: Date.now(),
  };
  $('#report-submit').disabled = true;
  try {
    await keep(entry);
    $('#report-form').reset();
    clear($('#report-previews'));
    clear($('#report-after-previews'));
    form.lat = null;
    form.lon = null;
    $('#report-coords').textContent = '';
    drawPicker();
    let sent = null;
    const callbacks = {
      onSent: (report, e) => {
        if (e.key === entry.key) sent = report;
      },
      onRefused: (error, e) => {
        if (e.key === entry.key) say('#report-error', null, `${t('report.refused')} ${error.message}`);
      },
    };
    await flush(callbacks);
    // A round already under way when this one was kept may have missed it: one more round.
    if (!sent && (await pending()).some((e) => e.key === entry.key)) await flush(callbacks);
    if (sent) say('#report-done', null, t('report.sent', { id: sent.id }));
    else if ($('#report-error').textContent === '') say('#report-done', 'report.kept');
    await showOutbox();
    window.scrollTo(0, 0);  // the form is empty again; the outcome and the waiting count are at the top
  } catch (error) {
    say('#report-error', null, errorMessage(error));
  } finally {
    $('#report-submit').disabled = false;
  }
}

export async function loadMine() {
  const list = clear($('#mine-list'));
  let items;
  try {
    items = (await api.get('/api/v1/reports?limit=100')).items;
  } catch (error) {
    list.append(h('li', { class: 'error' }, errorMessage(error)));
    return;
  }
  const waiting = await pending();
  for (const entry of waiting)
    list.append(h('li', { class: 'card waiting' }, h('span', { class: 'badge' }, t('report.waitingOne')),
      h('p', {}, entry.meta.description)));
  if (!items.length && !waiting.length) list.append(h('li', { class: 'muted' }, t('mine.empty')));
  for (const report of items) list.append(reportCard(report));
}

export function reportCard(report) {
  const category = categoryName(report.category);
  return h('li', { class: 'card' },
    h('a', { href: `#/r/${report.id}`, class: 'card-link', 'data-report': report.id },
      h('span', { class: 'row' }, h('strong', {}, `#${report.id}`), statusBadge(report.status), light(report),
        report.overdue ? h('span', { class: 'badge red' }, t('overdue')) : null),
      h('span', { class: 'desc' }, report.description),
      h('span', { class: 'small muted' }, `${category} · ${when(report.created_at)}`)));
}

export { ApiError };
