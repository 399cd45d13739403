// A report (resident) or ticket (worker) in full: facts, deadline light, before/after photos,
// the timeline; the worker's actions (start, return, resolve with "after" photos) and the
// resident's rating once it is resolved.
import { $, h, clear, when } from '/web/dom.js';
import { t } from '/web/i18n.js';
import { api, actWithPhotos, photoUrl } from './api.js';
import { light, statusBadge, errorMessage, categoryName } from './ui.js';
import { positionPicker } from './map.js';
import { managerControls, loadGrids, loadWorkerNames, workerLabel } from './manage.js';

let current = null;  // { report, user }
let generation = 0;   // renders overlap (an action's and the stream's): only the newest fills in

// What the last action did, said at the top (the action's own controls may be gone) until it is
// replaced or another ticket is opened. Kept here, not passed along: a re-read the stream asks
// for (refreshIfShown) may finish after the action's own, and must not erase it.
let lastDone = { id: null, text: '' };

// What the person opened, typed or chose among the ticket's controls. Each re-read renders them
// anew (the stream's, after a change made by someone else, may come while a form is being filled
// in), so they are carried over by key while the same ticket stays open; the form an action was
// sent from starts afresh (spend).
let formsOf = null;            // the ticket whose controls on the page may be carried over
const edited = new WeakSet();  // fields typed in or chosen: the others take the new render's defaults

// `done`: a new message for the top (an empty one clears it: the ticket is opened, its forms
// start afresh); null keeps the ticket's last one.
export async function showDetail(id, user, done = null) {
  if (done !== null || lastDone.id !== id) lastDone = { id, text: done ?? '' };
  if (done === '') formsOf = null;
  const report = await api.get(`/api/v1/reports/${id}`);
  current = { report, user };
  await render();
  $('#detail-done').textContent = lastDone.id === id ? lastDone.text : '';
}

// Re-read when the stream says this ticket changed.
export async function refreshIfShown(id) {
  if (current && current.report.id === id && !$('#screen-detail').classList.contains('hidden'))
    await showDetail(id, current.user);
}

function fact(dl, key, value, id = null) {
  if (value === null || value === undefined || value === '') return;
  dl.append(h('dt', {}, t(key)), h('dd', { id }, value));
}

async function render() {
  const { report, user } = current;
  const gen = ++generation;
  $('#detail-title').textContent = `#${report.id} ${report.description.slice(0, 40)}`;
  const facts = clear($('#detail-facts'));
  const dl = h('dl', { class: 'facts' });
  fact(dl, 'detail.status', h('span', { class: 'row' }, statusBadge(report.status), light(report),
    report.overdue ? h('span', { class: 'badge red' }, t('overdue')) : null));
  fact(dl, 'detail.category', categoryName(report.category));
  fact(dl, 'detail.description', report.description);
  fact(dl, 'detail.created', when(report.created_at));
  fact(dl, 'detail.deadline', report.deadline_at ? when(report.deadline_at) : null);
  fact(dl, 'detail.parkedUntil', report.parked_until ? when(report.parked_until) : null);
  fact(dl, 'detail.checkBy', report.status === 'checking' && report.check_deadline_at ? when(report.check_deadline_at) : null);
  fact(dl, 'detail.verified', report.verified ? t('yes') : null);
  fact(dl, 'detail.selfHandled', report.self_handled ? t('yes') : null);
  fact(dl, 'detail.assignee', user.role !== 'resident' && report.assignee_id ? `#${report.assignee_id}` : null, 'fact-assignee');
  fact(dl, 'detail.resolved', report.resolved_at ? when(report.resolved_at) : null);
  fact(dl, 'detail.address', report.address);
  fact(dl, 'detail.position', report.lat === null ? null : `${report.lat.toFixed(5)}, ${report.lon.toFixed(5)}`);
  fact(dl, 'detail.grid', user.role === 'resident' || report.grid_id === null ? null : `#${report.grid_id}`, 'fact-grid');
  fact(dl, 'detail.rework', report.rework_count ? String(report.rework_count) : null);
  fact(dl, 'detail.points', report.points_awarded ? String(report.points_awarded) : null);
  fact(dl, 'detail.rating', report.rating ? '★'.repeat(report.rating) : null);
  facts.append(dl);
  if (report.lat !== null)
    facts.append(h('a', { class: 'small', href: `geo:${report.lat},${report.lon}` }, t('detail.openMap')));
  renderPhotos(report);
  renderTimeline(report);
  renderRating(report, user);
  await Promise.all([renderActions(report, user, gen), renderMap(report, user, gen)]);
}

// Staff see the ticket's point inside its grid's shape (grids are staff-only, API.md §2).
async function renderMap(report, user, gen) {
  const grid = user.role === 'resident' || report.grid_id === null || report.lat === null
    ? null : (await loadGrids()).find((g) => g.id === report.grid_id);
  if (gen !== generation) return;
  const box = clear($('#detail-map'));
  box.classList.toggle('hidden', !grid);
  if (grid && $('#fact-grid')) $('#fact-grid').textContent = `${grid.code} ${grid.name}`;
  if (report.assignee_id && $('#fact-assignee') && user.role !== 'worker')
    $('#fact-assignee').textContent = workerLabel(await loadWorkerNames(), report.assignee_id);
  if (grid) positionPicker(box, { grids: [grid], centre: { lat: report.lat, lon: report.lon }, label: t('map.ticket') });
}

function renderPhotos(report) {
  const box = clear($('#detail-photos'));
  const stages = [['report', 'photos.before'], ['check', 'photos.check'], ['resolution', 'photos.after']];
  for (const [stage, key] of stages) {
    const photos = report.photos.filter((p) => p.stage === stage);
    if (!photos.length) continue;
    const row = h('div', { class: 'thumbs', 'data-stage': stage });
    box.append(h('h4', {}, t(key)), row);
    photos.forEach((photo, i) => {
      const img = h('img', { alt: `${t(key)} ${i + 1}`, width: photo.width, height: photo.height, 'data-photo': photo.id });
      row.append(img);
      photoUrl(photo.id).then((url) => { img.src = url; }).catch(() => { img.alt = t('photos.unavailable'); });
    });
  }
  if (!box.childNodes.length) box.append(h('p', { class: 'muted' }, '—'));
}

function renderTimeline(report) {
  const list = clear($('#detail-timeline'));
  for (const event of report.events || []) {
    const change = event.from && event.to && event.from !== event.to
      ? ` · ${t(`status.${event.from}`)} → ${t(`status.${event.to}`)}` : '';
    list.append(h('li', {},
      h('span', { class: 'small muted' }, when(event.at)), ' ',
      h('strong', {}, t(`action.${event.action}`)), change,
      event.note ? h('div', { class: 'small' }, event.note) : null));
  }
}

function actionButton(label, handler, cls = '') {
  return h('button', { type: 'button', class: cls, 'data-action': label, onclick: handler }, t(`do.${label}`));
}

// A camera-style file input for photos taken on the spot ("after" or 核实 photos), previewed.
function photoPicker(id, labelKey, pickKey, altKey, onChange) {
  const input = h('input', { id, type: 'file', accept: 'image/*', capture: 'environment', multiple: true });
  const previews = h('div', { class: 'thumbs' });
  input.addEventListener('change', () => {
    onChange();
    clear(previews);
    [...input.files].forEach((f, i) => previews.append(h('img', { src: URL.createObjectURL(f), alt: `${t(altKey)} ${i + 1}` })));
  });
  const label = h('label', { class: 'photo-pick' }, h('span', {}, t(labelKey)),
    h('span', { class: 'pick-button', 'aria-hidden': 'true' }, t(pickKey)), input);
  return { input, nodes: [label, previews] };
}

async function renderActions(report, user, gen) {
  const mine = user.role === 'worker' && report.assignee_id === user.id;
  const can = {
    start: mine && report.status === 'assigned',
    return: mine && ['assigned', 'in_progress'].includes(report.status),
    resolve: mine && report.status === 'in_progress',
    check: mine && report.status === 'checking',
  };
  const error = h('p', { class: 'error', role: 'alert', id: 'action-error' });
  const run = async (button, work, name) => {
    error.textContent = '';
    button.disabled = true;
    try {
      await work();
      spend(button);
      // Read again: the new event in the timeline, the controls of the new status.
      await showDetail(report.id, user, t('action.doneAs', { action: t(`action.${name}`) }));
    } catch (e) {
      error.textContent = errorMessage(e);
      button.disabled = false;
    }
  };
  const post = (body) => () => api.post(`/api/v1/reports/${report.id}/actions`, body);
  const nodes = [];
  if (can.start) {
    const b = actionButton('start', () => run(b, post({ action: 'start' }), 'start'), 'big');
    nodes.push(b);
  }
  if (can.resolve) {
    const note = h('textarea', { id: 'resolve-note', rows: 2, maxlength: 2000 });
    const photos = photoPicker('resolve-photos', 'resolve.photos', 'resolve.pick', 'photos.after', () => { error.textContent = ''; });
    const b = actionButton('resolve', () => {
      if (!photos.input.files.length) {
        error.textContent = t('resolve.needPhoto');
        return;
      }
      run(b, () => actWithPhotos(report.id, { action: 'resolve', note: note.value.trim() }, [...photos.input.files]), 'resolve');
    }, 'big');
    nodes.push(h('form', { class: 'resolve', onsubmit: (e) => e.preventDefault() },
      ...photos.nodes, h('label', {}, h('span', {}, t('resolve.note')), note), b));
  }
  if (can.check) {  // 核实: the worker sent to look confirms with photos, or refutes with a reason
    const note = h('textarea', { id: 'check-note', rows: 2, maxlength: 2000 });
    const photos = photoPicker('check-photos', 'check.photos', 'check.pick', 'photos.check', () => { error.textContent = ''; });
    const confirm = actionButton('confirm_check', () => {
      if (!photos.input.files.length) {
        error.textContent = t('check.needPhoto');
        return;
      }
      const body = { action: 'confirm_check' };
      if (note.value.trim()) body.note = note.value.trim();
      run(confirm, () => actWithPhotos(report.id, body, [...photos.input.files]), 'confirm_check');
    }, 'big');
    nodes.push(h('form', { class: 'resolve', onsubmit: (e) => e.preventDefault() },
      ...photos.nodes, h('label', {}, h('span', {}, t('check.note')), note), confirm));
    const reason = h('input', { id: 'refute-reason', maxlength: 500 });
    const refute = actionButton('refute_check', () => {
      if (!reason.value.trim()) {
        error.textContent = t('return.needReason');
        return;
      }
      run(refute, post({ action: 'refute_check', reason: reason.value.trim() }), 'refute_check');
    }, 'danger');
    nodes.push(h('details', { class: 'return', 'data-fold': 'refute_check' }, h('summary', {}, t('do.refute_check')),
      h('label', {}, h('span', {}, t('check.refuteReason')), reason), refute));
  }
  if (can.return) {
    const reason = h('input', { id: 'return-reason', maxlength: 500 });
    const b = actionButton('return', () => {
      if (!reason.value.trim()) {
        error.textContent = t('return.needReason');
        return;
      }
      run(b, post({ action: 'return', reason: reason.value.trim() }), 'return');
    }, 'secondary');
    nodes.push(h('details', { class: 'return', 'data-fold': 'return' }, h('summary', {}, t('do.return')),
      h('label', {}, h('span', {}, t('return.reason')), reason), b));
  }
  if (user.role !== 'resident' && user.role !== 'worker') {
    const [grids, names] = await Promise.all([loadGrids(), loadWorkerNames()]);
    nodes.push(...managerControls(report, user, {
      grids,
      names,
      run: (button, body) => run(button, post(body), body.action),
      fail: (key) => { error.textContent = t(key); },
    }));
  }
  if (gen !== generation) return;
  const box = $('#detail-actions');
  const kept = formsOf === report.id ? formState(box) : null;
  formsOf = report.id;
  clear(box);
  box.classList.toggle('hidden', !nodes.length);
  if (!nodes.length) return;
  // Typing or choosing again clears what the last attempt was told.
  const typed = (event) => {
    error.textContent = '';
    edited.add(event.target);
  };
  box.append(h('h3', {}, t('detail.actions')), h('div', { oninput: typed }, ...nodes), error);
  if (kept) restoreForms(box, kept);
}

// Controls are known by their id or data-* attributes, which say what they are for; a summary by
// its disclosure's.
function keyOf(node) {
  if (node.tagName === 'SUMMARY') {
    const of = keyOf(node.parentNode);
    return of && `summary ${of}`;
  }
  return node.id || [...node.attributes].filter((a) => a.name.startsWith('data-')).map((a) => `${a.name}=${a.value}`).join(' ');
}

const FORMS = 'details, input, select, textarea';

// The open disclosures and edited fields (the old nodes, read again when restoring), and the focus.
function formState(box) {
  const fields = new Map();
  for (const node of box.querySelectorAll(FORMS))
    if (keyOf(node) && (node.open || edited.has(node))) fields.set(keyOf(node), node);
  return { fields, focus: box.contains(document.activeElement) ? keyOf(document.activeElement) : '' };
}

function restoreForms(box, { fields, focus }) {
  for (const node of box.querySelectorAll(FORMS)) {
    const old = fields.get(keyOf(node));
    if (old && node.tagName === 'DETAILS') node.open = true;
    else if (old) restoreField(node, old);
  }
  const target = focus && [...box.querySelectorAll(`${FORMS}, summary, button`)].find((node) => keyOf(node) === focus);
  if (!target) return;
  target.focus({ preventScroll: true });
  const old = fields.get(focus);
  if (old && typeof old.selectionStart === 'number') target.setSelectionRange(old.selectionStart, old.selectionEnd);
}

function restoreField(node, old) {
  if (node.tagName === 'SELECT' && ![...node.options].some((o) => o.value === old.value)) return;  // no longer offered
  if (node.type === 'file') {
    node.files = old.files;
    node.dispatchEvent(new Event('change'));  // its previews
  } else {
    node.value = old.value;
  }
  edited.add(node);
}

// After an action is done, the form it was sent from starts afresh: folded, its defaults back.
// Found by key: a re-read may have rendered it anew while the action was on its way.
function spend(button) {
  const form = button.closest('details, form');
  if (!form) return;
  const keys = new Set([form, ...form.querySelectorAll(FORMS)].map(keyOf).filter(Boolean));
  for (const node of $('#detail-actions').querySelectorAll(FORMS)) {
    if (!keys.has(keyOf(node))) continue;
    if (node.tagName === 'DETAILS') node.open = false;
    edited.delete(node);
  }
}

function renderRating(report, user) {
  const box = clear($('#detail-rating'));
  const rateable = user.role === 'resident' && report.reporter_id === user.id && report.rating === null
    && ['resolved', 'closed'].includes(report.status);
  box.classList.toggle('hidden', !rateable);
  if (!rateable) return;
  const error = h('p', { class: 'error', role: 'alert' });
  const comment = h('input', { id: 'rating-comment', maxlength: 500 });
  const stars = h('div', { class: 'stars-pick', role: 'radiogroup', 'aria-label': t('rating.title') });
  let chosen = 0;
  for (let n = 1; n <= 5; n += 1) {
    const star = h('button', { type: 'button', role: 'radio', 'aria-checked': 'false', 'aria-label': t('rating.n', { n }), 'data-stars': n }, '★');
    star.addEventListener('click', () => {
      chosen = n;
      for (const s of stars.children) {
        const on = Number(s.dataset.stars) <= n;
        s.classList.toggle('on', on);
        s.setAttribute('aria-checked', String(Number(s.dataset.stars) === n));
      }
      send.disabled = false;
    });
    stars.append(star);
  }
  const send = h('button', { type: 'button', id: 'rating-send', disabled: true }, t('rating.send'));
  send.addEventListener('click', async () => {
    send.disabled = true;
    try {
      const body = { rating: chosen };
      if (comment.value.trim()) body.comment = comment.value.trim();
      await api.post(`/api/v1/reports/${report.id}/rating`, body);
      await showDetail(report.id, user, '');
    } catch (e) {
      error.textContent = errorMessage(e);
      send.disabled = false;
    }
  });
  box.append(h('h3', {}, t('rating.title')), h('p', { class: 'small muted' }, t('rating.help')), stars,
    h('label', {}, h('span', {}, t('rating.comment')), comment), send, error);
}
