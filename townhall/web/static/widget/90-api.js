  // widget/90-api.js — the public API (window.Townhall), the automatic render; the IIFE closes here
  // ---------------------------------------------------------------- public API
  function render(el, options) {
    if (typeof el === 'string') el = document.querySelector(el);
    if (!el) throw new Error('Townhall.render: no element');
    if (el._townhall) el._townhall.destroy();
    const w = new Widget(el, options);
    el._townhall = w;
    return { reload: () => w.load(), destroy: () => { w.destroy(); el._townhall = null; }, get element() { return el; } };
  }

  function refreshAll() {
    widgets.forEach((w) => { w.refreshMe().then(() => w.load()); });
  }

  window.Townhall = {
    version: VERSION,
    base: BASE,
    render,
    login(jwt) {
      auth.token = jwt ? String(jwt) : null;
      if (!auth.token) { auth.gone = null; widgets.forEach((w) => w.reset()); }
      refreshAll();
    },
    logout() {
      auth.token = auth.gone = null;
      widgets.forEach((w) => { store.del(guestKey(w.o.site)); w.reset(); });
      refreshAll();
    },
    messages: MESSAGES,
  };

  function autoRender() {
    document.querySelectorAll('#townhall, [data-townhall]').forEach((el) => { if (!el._townhall) render(el); });
    document.dispatchEvent(new CustomEvent('townhall:ready', { detail: window.Townhall }));
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', autoRender);
  else autoRender();
})();
