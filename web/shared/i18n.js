// Chinese and English for the pages. Elements carry data-i18n="key" (text),
// data-i18n-placeholder="key" or data-i18n-label="key" (aria-label); scripts call
// t(key, {name: value}). The choice is remembered per browser; the first visit follows the
// browser's language.
const KEY = 'civicsnap.lang';
let dict = {};
let lang = 'zh';

export function initI18n(dictionaries) {
  dict = dictionaries;
  const saved = localStorage.getItem(KEY);
  lang = saved && dict[saved] ? saved : navigator.language.toLowerCase().startsWith('zh') ? 'zh' : 'en';
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  applyI18n(document);
  return lang;
}

export function currentLang() {
  return lang;
}

export function setLang(next) {
  if (!dict[next]) return;
  lang = next;
  localStorage.setItem(KEY, next);
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  applyI18n(document);
  document.dispatchEvent(new CustomEvent('langchange', { detail: lang }));
}

export function t(key, vars = {}) {
  let text = (dict[lang] && dict[lang][key]) ?? (dict.en && dict.en[key]) ?? key;
  for (const [k, v] of Object.entries(vars)) text = text.replaceAll(`{${k}}`, String(v));
  return text;
}

export function applyI18n(root) {
  for (const node of root.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  for (const node of root.querySelectorAll('[data-i18n-placeholder]')) node.placeholder = t(node.dataset.i18nPlaceholder);
  for (const node of root.querySelectorAll('[data-i18n-title]')) node.title = t(node.dataset.i18nTitle);
  for (const node of root.querySelectorAll('[data-i18n-label]')) node.setAttribute('aria-label', t(node.dataset.i18nLabel));
  const title = root.querySelector && root.querySelector('title[data-i18n]');
  if (title) document.title = title.textContent;
}

// Wires a <select> (or buttons) as the language switch.
export function bindLangSwitch(select) {
  select.value = lang;
  select.addEventListener('change', () => setLang(select.value));
}
