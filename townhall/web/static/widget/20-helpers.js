  // widget/20-helpers.js — helpers (elements, storage, ApiError, the device hash, marked runs); auth shared by all widgets
  // ---------------------------------------------------------------- helpers
  let seq = 0;
  const uid = (p) => 'th-' + p + '-' + (++seq);
  const PROPS = new Set(['hidden', 'disabled', 'checked', 'value', 'required', 'selected']);

  function h(tag, attrs) {
    const el = document.createElement(tag);
    if (attrs) {
      for (const k of Object.keys(attrs)) {
        const v = attrs[k];
        if (v == null || v === false) continue;
        if (k === 'class') el.className = v;
        else if (k === 'text') el.textContent = v;
        else if (k === 'html') el.innerHTML = v;
        else if (k.slice(0, 2) === 'on') el.addEventListener(k.slice(2), v);
        else if (PROPS.has(k)) el[k] = v;
        else el.setAttribute(k, v === true ? '' : String(v));
      }
    }
    for (let i = 2; i < arguments.length; i++) append(el, arguments[i]);
    return el;
  }
  // plain text as paragraphs (an empty line between them), each as text: never markup
  const paras = (text) => text.split(/\n\s*\n/).filter((p) => p.trim()).map((p) => h('p', { text: p }));
  // the text of a comment's HTML (a node: its body, or a piece of it): paragraphs and quotations apart by an
  // empty line, line breaks kept
  function nodeText(node) {
    let out = '';
    const walk = (n) => n.childNodes.forEach((k) => {
      const block = /^(P|BLOCKQUOTE)$/.test(k.nodeName);
      out += k.nodeType === 3 ? k.data : k.nodeName === 'BR' ? '\n' : '';
      if (block) out += '\n\n';
      walk(k);
      if (block) out += '\n\n';
    });
    walk(node);
    return out.split(/\n\s*\n/).map((p) => p.trim()).filter(Boolean).join('\n\n');
  }
  // a comment's own words from its HTML, its quotations left out (those are others' words), or with them (all)
  function htmlText(html, all) {
    const tpl = document.createElement('template');  // inert: nothing in it loads or runs
    tpl.innerHTML = html || '';
    if (!all) tpl.content.querySelectorAll('blockquote').forEach((q) => q.remove());
    return nodeText(tpl.content);
  }
  // a comment's first words for a list (the featured section, the reader's own comments): one line, at most 140
  // characters (code points), cut at a word with an ellipsis
  function firstWords(text) {
    const cps = Array.from(text.replace(/\s+/g, ' ').trim());
    return cps.length > 140 ? cps.slice(0, 140).join('').replace(/\s+\S*$/, '') + '…' : cps.join('');
  }
  // text as a quotation, as the server finds one: each line after "> ", an empty line a lone ">"
  const quoteLines = (text) => text.split('\n').map((l) => (l.trim() ? '> ' + l.trimEnd() : '>')).join('\n');
  // `url` (an absolute address, or one relative to this page) as a web address, or null: only http(s), without a
  // user name ("news.example@elsewhere" as the host part), never a javascript:, data: or file: one
  function webUrl(url) {
    let u = null;
    try { u = url ? new URL(url, location.href) : null; } catch (e) { /* not an address */ }
    return u && (u.protocol === 'http:' || u.protocol === 'https:') && !u.username && !u.password ? u : null;
  }
  // comment `id` on the article at `url`, whatever the comment's thread was created with
  function commentHref(url, id) {
    const u = webUrl(url);
    if (!u) return null;
    u.hash = 'comment-' + id;
    return u.href;
  }
  // an inline "are you sure?": the question, the button that acts and the one that closes it
  function confirmBox(q, yesText, noText, close, act) {
    const yes = h('button', { type: 'button', class: 'th-primary', text: yesText, onclick: () => act(yes) });
    return h('div', { class: 'th-form', role: 'group', 'aria-label': q }, h('p', { text: q }),
      h('div', { class: 'th-buttons' }, yes, h('button', { type: 'button', text: noText, onclick: close })));
  }
  function append(el, kid) {
    if (kid == null || kid === false) return;
    if (Array.isArray(kid)) kid.forEach((k) => append(el, k));
    else el.append(kid.nodeType ? kid : String(kid));
  }

  const store = {
    get(k) { try { return window.localStorage.getItem(k); } catch (e) { return null; } },
    set(k, v) { try { window.localStorage.setItem(k, v); } catch (e) { /* storage blocked */ } },
    del(k) { try { window.localStorage.removeItem(k); } catch (e) { /* storage blocked */ } },
  };

  class ApiError extends Error {
    constructor(status, code, message, details, retryAfter) {
      super(message);
      this.status = status; this.code = code; this.details = details; this.retryAfter = retryAfter;
    }
  }

  // A random id kept in localStorage, sent only as its SHA-256 hash; nothing else about the device is read.
  let devicePromise = null;
  function deviceHash() {
    if (!devicePromise) {
      devicePromise = (async () => {
        if (!window.crypto || !crypto.subtle || !crypto.getRandomValues) return null;
        let id = store.get('townhall:device');
        if (!id) {
          const bytes = crypto.getRandomValues(new Uint8Array(16));
          id = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
          store.set('townhall:device', id);
        }
        const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode('townhall-device:' + id));
        return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
      })().catch(() => null);
    }
    return devicePromise;
  }

  // Code-point spans (as the server counts them) over the submitted text -> runs of [text, marked].
  function markRuns(text, spans) {
    const cps = Array.from(text);
    const marked = new Uint8Array(cps.length);
    for (const s of spans) {
      if (!Array.isArray(s) || s.length < 2) continue;
      for (let i = Math.max(0, s[0]); i < Math.min(cps.length, s[1]); i++) marked[i] = 1;
    }
    const runs = [];
    let cur = '', flag = cps.length ? marked[0] : 0;
    cps.forEach((ch, i) => {
      if (marked[i] !== flag) { runs.push([cur, !!flag]); cur = ''; flag = marked[i]; }
      cur += ch;
    });
    if (cur) runs.push([cur, !!flag]);
    return runs;
  }
  function utf16Offset(text, cp) { return Array.from(text).slice(0, cp).join('').length; }

  // ---------------------------------------------------------------- auth shared by all widgets on the page
  const auth = { token: null };
  const widgets = new Set();
  const guestKey = (site) => 'townhall:guest:' + (site || 'default');
