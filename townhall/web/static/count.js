/*! Townhall comment counts (count.js) — Apache-2.0. Plain modern JavaScript: no dependencies, no build step.
 *
 * <a href="/article-1#comments" data-townhall-count="ARTICLE-ID">Comments</a>
 * <script src="https://HOST/count.js" data-site="SITE" async></script>
 *
 * Sets each such element's text to "N comments". JS API: TownhallCount.refresh() (elements added later).
 * Talks only to the host this file was loaded from, without cookies. See docs/widget.md.
 */
(function () {
  'use strict';
  if (window.TownhallCount) { window.TownhallCount.refresh(); return; }

  const ATTR = 'data-townhall-count';
  const BATCH = 50; // the server's limit per request
  const MAX_QUERY = 6000; // characters of query string per request, well under servers' and proxies' limits
  const WORDS = {
    en: { one: '{n} comment', many: '{n} comments' },
    de: { one: '{n} Kommentar', many: '{n} Kommentare' },
  };
  const SCRIPT = document.currentScript ||
    Array.from(document.querySelectorAll('script[src]')).find((s) => /\/count\.js(?:[?#]|$)/.test(s.src));
  const BASE = SCRIPT ? SCRIPT.src.replace(/\/count\.js(?:[?#].*)?$/, '') : location.origin;
  const SITE = (SCRIPT && SCRIPT.getAttribute('data-site')) || '';
  const all = (root) => Array.from((root || document).querySelectorAll('[' + ATTR + ']'));

  // A thread id the server takes (1 to 300 printable characters); another is left alone, not sent.
  const usable = (id) => !!id && Array.from(id).length <= 300 && !/[\p{C}\p{Z}]/u.test(id.replace(/ /g, ''));

  // The publisher's own wording: on the element, else on the script tag.
  function own(el, form) {
    const name = ATTR + '-' + form;
    return el.hasAttribute(name) ? el.getAttribute(name) : SCRIPT && SCRIPT.getAttribute(name);
  }

  function text(el, n) {
    const holder = el.closest('[lang]');
    let tag = (holder && holder.getAttribute('lang')) || navigator.language || 'en';
    const words = WORDS[tag.toLowerCase().split(/[-_]/)[0]];
    if (!words && own(el, 'one') == null && own(el, 'many') == null) tag = 'en'; // English words, English rules
    let number = String(n), one = n === 1;
    try {
      number = new Intl.NumberFormat(tag).format(n);
      one = new Intl.PluralRules(tag).select(n) === 'one';
    } catch (e) { /* not a language tag */ }
    const form = one ? 'one' : 'many';
    const template = (n === 0 && own(el, 'zero')) || own(el, form) || (words || WORDS.en)[form];
    return template.replace(/\{n\}/g, number);
  }

  function show(el, n) {
    try {
      const t = text(el, n);
      if (el.textContent !== t) el.textContent = t;
      el.setAttribute(ATTR + '-n', String(n));
    } catch (e) { /* leave it as it was */ }
  }

  function ask(ids) {
    const query = new URLSearchParams();
    if (SITE) query.set('site', SITE);
    ids.forEach((id) => query.append('thread', id));
    return fetch(BASE + '/api/v1/counts?' + query, { credentials: 'omit', mode: 'cors' })
      .then((res) => (res.ok ? res.json() : null))
      .then((body) => (body && body.counts) || {}, () => ({}));
  }

  function batches(ids) {
    const out = [];
    let cur = [], size = 0;
    for (const id of ids) {
      const len = encodeURIComponent(id).length + 8;
      if (cur.length && (cur.length === BATCH || size + len > MAX_QUERY)) { out.push(cur); cur = []; size = 0; }
      cur.push(id);
      size += len;
    }
    if (cur.length) out.push(cur);
    return out;
  }

  // Counts every element with data-townhall-count in `root` (the document by default), one request per 50
  // threads; resolves when done and never rejects. An element whose count could not be had keeps its text.
  function refresh(root) {
    try {
      const els = all(root);
      const ids = [...new Set(els.map((el) => el.getAttribute(ATTR)).filter(usable))];
      return Promise.all(batches(ids).map((part) => ask(part).then((counts) => {
        for (const el of els) {
          const n = counts[el.getAttribute(ATTR)];
          if (typeof n === 'number' && part.includes(el.getAttribute(ATTR))) show(el, n);
        }
      }))).then(() => undefined, () => undefined);
    } catch (e) {
      return Promise.resolve();
    }
  }

  // A widget on the same page tells its thread's count as it changes (a reader posts, a comment is removed).
  document.addEventListener('townhall:count', (ev) => {
    try {
      const d = ev.detail || {};
      if (typeof d.count !== 'number' || (ev.target.getAttribute('data-site') || '') !== SITE) return;
      all().forEach((el) => { if (el.getAttribute(ATTR) === d.thread) show(el, d.count); });
    } catch (e) { /* never break the page */ }
  });

  window.TownhallCount = { version: '1.0.0', refresh };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', () => refresh());
  else refresh();
})();
