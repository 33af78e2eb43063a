  // widget/40-widget.js — the Widget class: its state, network, announcements, skeleton, start and stop (later parts add the rest)
  // ---------------------------------------------------------------- the widget
  class Widget {
    constructor(el, options) {
      const d = el.dataset;
      const o = options || {};
      const pick = (k, dk, def) => (o[k] != null ? o[k] : d[dk] != null ? d[dk] : def);
      this.el = el;
      this.lang = pickLang(pick('lang', 'lang', document.documentElement.lang || navigator.language));
      this.t = translator(this.lang);
      this.o = {
        site: pick('site', 'site', ''),
        thread: pick('thread', 'thread', null),
        url: pick('url', 'url', location.href.split('#')[0]),
        title: pick('title', 'title', document.title),
        guests: String(pick('guests', 'guests', 'false')) === 'true',
        pageSize: Math.min(100, Math.max(1, Number(pick('pageSize', 'pageSize', 20)) || 20)),
        maxDepth: Math.max(1, Number(pick('maxDepth', 'maxDepth', 5)) || 5),
        editWindow: Number(pick('editWindowMinutes', 'editWindow', 15)),
        maxLength: Number(pick('maxLength', 'maxLength', 5000)) || 5000,
        rules: pick('rules', 'rules', null),
        live: String(pick('live', 'live', 'true')) !== 'false',
        pollSeconds: Math.max(5, Number(pick('pollSeconds', 'pollSeconds', 30)) || 30),
        featuredLimit: ((n) => (n >= 0 ? Math.min(50, Math.floor(n)) : 3))(Number(pick('featuredLimit', 'featuredLimit', 3))),
        onLoginRequest: typeof o.onLoginRequest === 'function' ? o.onLoginRequest : null,
      };
      const theme = pick('theme', 'theme', null);
      if (theme && o.theme != null) el.setAttribute('data-theme', theme);
      const token = pick('token', 'token', null);
      if (token && !auth.token) auth.token = token;
      const sort = pick('sort', 'sort', 'newest');
      this.sort = ['newest', 'oldest', 'top'].includes(sort) ? sort : 'newest';
      this.map = new Map();      // id -> {c, el, depth, reveal}
      this.mine = new Set();     // ids this reader wrote in this page view
      this.drafts = new Map();   // 'reply:ID' / 'edit:ID' -> {text, focus}: open forms carried over a reload
      this.loads = 0;            // the latest load(); the answers of earlier ones are dropped
      this.expired = null;       // the reader whose sign-in expired: their forms stay until they sign in again
      this.meError = null;
      this.pendingNew = new Set();
      this.pendingEdits = new Set();
      this.pollDiff = 0;
      this.featLoads = 0;
      this.featIds = new Set();  // the comments the featured section shows
      this.featSeen = new Map();  // id -> featured, as comment.featured told it since the latest load began
      this.ignored = new Map();  // account id -> name: the readers this reader ignores (GET /me/ignored)
      this.inflight = 0;
      this.deferred = [];
      this.stopKeeping = null;  // ends keepInView's watch over a linked comment
      this.me = null;
      this.count = 0;
      this.cursor = null;
      this.sse = null; this.sseFailures = 0; this.sseTimer = null; this.pollTimer = null;
      this.destroyed = false;
      this.build();
      widgets.add(this);
      this.start();
    }

    token() { return auth.token || store.get(guestKey(this.o.site)); }

    // ------------------------------------------------ network
    async api(method, path, body, query) {
      const url = new URL(BASE + '/api/v1' + path);
      if (this.o.site) url.searchParams.set('site', this.o.site);
      if (query) for (const k of Object.keys(query)) if (query[k] != null) url.searchParams.set(k, query[k]);
      const headers = { Accept: 'application/json' };
      if (body !== undefined && body !== null) headers['Content-Type'] = 'application/json';
      const tok = this.token();
      if (tok) headers.Authorization = 'Bearer ' + tok;
      let res;
      try {
        res = await fetch(url.toString(), { method, headers, body: body != null ? JSON.stringify(body) : undefined, credentials: 'omit', mode: 'cors' });
      } catch (e) {
        throw new ApiError(0, 'network', this.t('errNetwork'));
      }
      if (res.status === 204) return null;
      let data = null;
      try { data = await res.json(); } catch (e) { data = null; }
      if (!res.ok) {
        const err = (data && data.error) || {};
        const apiErr = new ApiError(res.status, err.code || 'error', err.message || this.t('errServer'), err.details, Number(res.headers.get('Retry-After')) || null);
        if (res.status === 401 && tok) {
          this.onAuthFailure(apiErr, tok);
          // read again as a visitor (or with the token that came meanwhile)
          if (method === 'GET' && this.token() !== tok) return this.api(method, path, body, query);
        }
        throw apiErr;
      }
      return data;
    }

    // A token refused (expired, or no longer valid) is forgotten, and the publisher asked once to sign the reader in,
    // however many requests (of however many widgets) it failed, until another token comes or the reader signs out;
    // a failure with a token replaced meanwhile is old news
    onAuthFailure(err, tok) {
      if (err.code !== 'token_expired' && err.code !== 'unauthenticated') return;
      const key = guestKey(this.o.site), told = auth.gone && auth.gone.tok === tok;
      let sso = tok === auth.token;
      if (sso) auth.token = null;
      else if (tok === store.get(key)) store.del(key);
      else if (told) sso = auth.gone.sso;
      else return;
      if (!told) { auth.gone = { tok, sso }; setTimeout(() => this.requestLogin(), 0); }  // after the form shows the error
      if (sso && err.code === 'token_expired') this.expired = this.me || this.expired || {};  // {}: expired before /me said who
      this.me = null;
      this.renderAccount();
      if (sso && !told) widgets.forEach((w) => { if (w !== this) w.onAuthFailure(err, tok); });  // signed in with it too
    }

    errorText(err) {
      if (!(err instanceof ApiError)) return this.t('errNetwork');
      if (err.code === 'rate_limited') return this.t('errRate', { n: err.retryAfter || (err.details && err.details.retry_after) || 60 });
      if (err.code === 'token_expired') return this.t('errExpired');
      // the server's words are English: in another language, its refusal by its code where the catalogue has it
      if (this.lang !== 'en' && MESSAGES[this.lang]['e_' + err.code]) return this.t('e_' + err.code, err.details || {});
      return err.message || this.t('errNetwork');
    }

    // ------------------------------------------------ live region announcements
    say(text) { this.polite.textContent = ''; setTimeout(() => { this.polite.textContent = text; }, 50); }

    alert(text) { this.assertive.textContent = ''; setTimeout(() => { this.assertive.textContent = text; }, 50); }

    signIn() { this.alert(this.t('errSignIn')); this.requestLogin(); }

    requestLogin() {
      const detail = { site: this.o.site, thread: this.o.thread };
      this.el.dispatchEvent(new CustomEvent('townhall:login-request', { bubbles: true, composed: true, detail }));
      if (this.o.onLoginRequest) this.o.onLoginRequest(detail);
    }

    // ------------------------------------------------ skeleton
    build() {
      const t = this.t;
      const root = this.el.shadowRoot || this.el.attachShadow({ mode: 'open' });
      root.innerHTML = '';
      this.root = root;
      adoptStyles(root);
      const headingId = uid('heading');
      this.countEl = h('span', { class: 'th-count' });
      this.sortSel = h('select', { id: uid('sort'), onchange: () => { this.sort = this.sortSel.value; this.load(); } },
        ['newest', 'oldest', 'top'].map((s) => h('option', { value: s, text: t('sort_' + s), selected: s === this.sort })));
      this.polite = h('div', { class: 'th-sr', role: 'status', 'aria-live': 'polite', 'aria-atomic': 'true' });
      this.assertive = h('div', { class: 'th-sr', role: 'alert', 'aria-live': 'assertive', 'aria-atomic': 'true' });
      this.account = h('div', { class: 'th-account' });
      this.sanction = h('div', { hidden: true });
      this.warnSlot = h('div', { hidden: true });
      this.premodSlot = h('div', { hidden: true });  // just above the comment box
      this.premodNote = h('p', { class: 'th-note', hidden: true, text: t('premodArticle') });  // a premoderated article
      const annId = uid('announce');  // the site's announcement (thread.announcement), above the message
      this.annBox = h('div', { class: 'th-announce', role: 'region', hidden: true, 'aria-labelledby': annId },
        h('h3', { id: annId, text: t('announcement') }), this.annBody = h('div'));
      const msgId = uid('message');  // the newsroom's message (thread.message), above the comment box
      this.msgBox = h('div', { class: 'th-message', role: 'region', hidden: true, 'aria-labelledby': msgId },
        h('h3', { id: msgId, text: t('fromNewsroom') }), this.msgBody = h('div'));
      this.composeSlot = h('div');
      this.modBox = h('div', { class: 'th-mod' });  // a moderator's Close comments / Open comments
      this.banner = h('button', { type: 'button', class: 'th-banner', hidden: true, onclick: () => this.showNew() });
      this.status = h('p', { class: 'th-note', text: t('loading') });
      this.list = h('ol', { class: 'th-list', 'aria-labelledby': headingId });
      this.moreBtn = h('button', { type: 'button', class: 'th-more', hidden: true, text: t('loadMore'), onclick: () => this.loadMore(true) });
      const featId = uid('featured');
      this.featured = h('div', { class: 'th-featured', role: 'region', hidden: true, 'aria-labelledby': featId },
        h('h3', { id: featId, text: t('featuredHeading') }), this.featList = h('ol'));
      this.section = h('section', { class: 'th', lang: this.lang, 'aria-labelledby': headingId },
        h('div', { class: 'th-head' },
          this.heading = h('h2', { id: headingId, tabindex: '-1' }, t('heading'), ' ', this.countEl),
          h('div', null, h('label', { class: 'th-inline', for: this.sortSel.id, text: t('sortBy') }), this.sortSel)),
        this.polite, this.assertive, this.account, this.sanction, this.warnSlot, this.premodSlot, this.annBox, this.msgBox, this.premodNote, this.composeSlot, this.modBox,
        this.featured, this.banner, this.status, this.list, this.moreBtn,
        h('p', { class: 'th-rules', text: this.o.rules || t('houseRules') }));
      root.append(this.section);
      this.renderAccount();
    }

    async start() {
      if (!this.o.thread) { this.status.textContent = this.t('errLoad') + ' (data-thread)'; return; }
      await Promise.all([this.refreshMe(), this.load()]);
      if (this.destroyed) return;  // drawn again meanwhile (Townhall.render on its element): the new widget listens
      this.connectLive();
      this.sleepWhenHidden();
      this.clockTimer = setInterval(() => this.refreshTimes(), 60000);
      this.onHash = () => this.revealPermalink();
      window.addEventListener('hashchange', this.onHash);
      this.revealPermalink();
    }

    destroy() {
      this.destroyed = true;
      widgets.delete(this);
      this.stopLive();
      clearInterval(this.clockTimer); clearTimeout(this.closeTimer); clearTimeout(this.featTimer); clearTimeout(this.annTimer);
      if (this.onHash) window.removeEventListener('hashchange', this.onHash);
      if (this.stopKeeping) this.stopKeeping();
      this.root.innerHTML = '';
    }
  }

  // The rest of Widget's methods come from the parts after this one (widget/50-… to 70-…), grouped by what
  // they do. They are defined as a class body defines them: not enumerable, getters and setters kept as such.
  function addMethods(cls, methods) {
    const props = Object.getOwnPropertyDescriptors(methods);
    for (const key of Reflect.ownKeys(props)) props[key].enumerable = false;
    Object.defineProperties(cls.prototype, props);
  }
