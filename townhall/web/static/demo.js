/* The demo page's publisher part: a "sign in as" control that asks /demo/token for a reader JWT
 * (as a publisher's single sign-on would) and hands it to Townhall.login. No inline scripts: CSP is script-src 'self'. */
(function () {
  'use strict';
  var KEY = 'townhall-demo:reader';
  var box = document.getElementById('demo-signin');
  var widget = document.getElementById('townhall');
  if (!box) return;

  function el(tag, attrs, kids) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'text') node.textContent = attrs[k]; else node.setAttribute(k, attrs[k]);
    });
    (kids || []).forEach(function (kid) { node.append(kid); });
    return node;
  }

  function whenReady(fn) {
    if (window.Townhall && window.Townhall.login) fn(window.Townhall);
    else document.addEventListener('townhall:ready', function (ev) { fn(ev.detail); }, { once: true });
  }

  var name = el('input', { type: 'text', id: 'demo-name', autocomplete: 'off', maxlength: '80', value: 'Alex Reader' });
  var supporter = el('input', { type: 'checkbox', id: 'demo-supporter' });
  var signIn = el('button', { type: 'submit', text: 'Sign in' });
  var signOut = el('button', { type: 'button', class: 'secondary', text: 'Sign out' });
  var theme = el('select', { id: 'demo-theme' }, [
    el('option', { value: 'auto', text: 'Auto' }), el('option', { value: 'light', text: 'Light' }), el('option', { value: 'dark', text: 'Dark' })]);
  var status = el('p', { class: 'demo-status', role: 'status', 'aria-live': 'polite' });
  var form = el('form', { class: 'demo-form', id: 'demo-form' }, [
    el('span', {}, [el('label', { for: 'demo-name', text: 'Sign in as ' }), name]),
    el('span', {}, [supporter, el('label', { for: 'demo-supporter', text: ' Supporter' })]),
    signIn, signOut,
    el('span', {}, [el('label', { for: 'demo-theme', text: 'Theme ' }), theme]),
  ]);
  box.append(form, status);

  function show(reader) {
    signOut.hidden = !reader;
    status.textContent = reader ? 'Signed in as ' + reader.name + (reader.supporter ? ' (supporter)' : '') + '.' : 'Not signed in.';
  }

  function login(reader) {
    var query = new URLSearchParams({ name: reader.name, supporter: reader.supporter ? 'true' : 'false' });
    return fetch('/demo/token?' + query.toString())
      .then(function (res) { if (!res.ok) throw new Error('HTTP ' + res.status); return res.json(); })
      .then(function (data) {
        try { localStorage.setItem(KEY, JSON.stringify(reader)); } catch (e) { /* storage blocked */ }
        whenReady(function (T) { T.login(data.token); });
        show(reader);
      })
      .catch(function (err) { status.textContent = 'Could not sign in: ' + err.message; });
  }

  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    var reader = { name: name.value.trim() || 'Alex Reader', supporter: supporter.checked };
    login(reader);
  });
  signOut.addEventListener('click', function () {
    try { localStorage.removeItem(KEY); } catch (e) { /* storage blocked */ }
    whenReady(function (T) { T.logout(); });
    show(null);
    name.focus();
  });
  theme.addEventListener('change', function () {
    var value = theme.value;
    if (value === 'auto') { document.documentElement.removeAttribute('data-theme'); widget.removeAttribute('data-theme'); }
    else { document.documentElement.setAttribute('data-theme', value); widget.setAttribute('data-theme', value); }
  });
  document.addEventListener('townhall:login-request', function () { name.focus(); });

  var saved = null;
  try { saved = JSON.parse(localStorage.getItem(KEY) || 'null'); } catch (e) { saved = null; }
  if (saved && saved.name) {
    name.value = saved.name;
    supporter.checked = !!saved.supporter;
    login(saved);
  } else {
    show(null);
  }
})();
