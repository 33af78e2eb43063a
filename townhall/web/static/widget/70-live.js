  // widget/70-live.js — live updates: the event stream (SSE), polling as a fallback, the New comments banner
  addMethods(Widget, {
    // ------------------------------------------------ live updates
    connectLive() {
      if (!this.o.live || this.destroyed) return;
      if (typeof EventSource !== 'function') { this.startPolling(); return; }
      const url = new URL(BASE + '/api/v1/threads/' + encodeURIComponent(this.o.thread) + '/live');
      if (this.o.site) url.searchParams.set('site', this.o.site);
      // a new EventSource sends no Last-Event-ID: resume from the last event seen, so what was missed is sent first
      if (this.lastEventId) url.searchParams.set('last_event_id', this.lastEventId);
      const es = new EventSource(url.toString());
      this.sse = es;
      const handler = (ev) => {
        if (ev.lastEventId) this.lastEventId = ev.lastEventId;
        try { this.onEvent(ev.type, JSON.parse(ev.data)); } catch (e) { /* malformed event */ }
      };
      ['ready', 'comment.published', 'comment.edited', 'comment.deleted', 'comment.removed', 'comment.featured', 'thread.closed', 'thread.opened', 'thread.premoderated', 'thread.message', 'site.announcement', 'reset']
        .forEach((type) => es.addEventListener(type, handler));
      es.onopen = () => {
        this.el.dataset.liveState = 'sse';
        const wasDown = this.sseFailures > 0 || this.pollTimer;
        this.sseFailures = 0;
        this.stopPolling();
        if (wasDown) this.poll();
      };
      es.onerror = () => {
        es.close();
        if (this.sse !== es) return;
        this.sse = null;
        this.sseFailures++;
        if (this.sseFailures >= 3) this.startPolling();
        const delay = Math.min(60000, 1000 * 2 ** Math.min(this.sseFailures, 6)) * (0.5 + Math.random() / 2);
        clearTimeout(this.sseTimer);
        this.sseTimer = setTimeout(() => this.connectLive(), delay);
      };
    },

    stopLive() {
      if (this.sse) { this.sse.close(); this.sse = null; }
      clearTimeout(this.sseTimer); clearTimeout(this.recountTimer); clearTimeout(this.sleepTimer);
      this.stopPolling();
      if (this.onVisible) { document.removeEventListener('visibilitychange', this.onVisible); this.onVisible = null; }
    },

    // A browser gives all the tabs of a site six connections to its host over HTTP/1.1, and each live stream keeps
    // one: a tab hidden for a minute gives its stream back (no polling either), and takes it again when shown,
    // from the last event it saw (what it missed is sent first; too much missed: a reset reloads the thread).
    sleepWhenHidden() {
      if (this.onVisible || !this.o.live) return;
      this.onVisible = () => {
        clearTimeout(this.sleepTimer);
        if (document.visibilityState === 'hidden') {
          this.sleepTimer = setTimeout(() => {
            if (this.sse) { this.sse.close(); this.sse = null; }
            clearTimeout(this.sseTimer); this.stopPolling();
            this.asleep = true; this.el.dataset.liveState = 'asleep';
          }, 60000);
        } else if (this.asleep && !this.destroyed) {
          this.asleep = false; this.sseFailures = 0;
          this.connectLive();
        }
      };
      document.addEventListener('visibilitychange', this.onVisible);
      if (document.visibilityState === 'hidden') this.onVisible();  // opened in a background tab
    },

    startPolling() {
      if (this.pollTimer || this.destroyed) return;
      this.el.dataset.liveState = 'polling';
      this.pollTimer = setInterval(() => this.poll(), this.o.pollSeconds * 1000);
    },

    stopPolling() { clearInterval(this.pollTimer); this.pollTimer = null; },

    async poll() {
      try {
        const th = await this.threadNow(), diff = th.count - this.count;
        if (diff !== this.pollDiff && diff > 0) { this.pollDiff = diff; this.updateBanner(true); }
        this.premod(!!th.premoderated);
        this.showMessage(th.message || '');
        // what thread.closed / thread.opened would have told: a moderator's closing or opening, or the age limit
        if (!this.sawClosed(th, 1) && this.closed) this.load();
      } catch (e) { /* try again on the next tick */ }
    },

    onEvent(type, data) {
      if (type === 'ready') return;  // where the stream starts: only its id (kept above) matters
      // the site's announcement set, changed or cleared (every thread of the site is told); its until, the widget's own
      if (type === 'site.announcement') { this.showAnn(data.announcement || null); return; }
      if (type === 'thread.premoderated') { this.premod(!!data.premoderated); return; }
      if (type === 'thread.message') { this.showMessage(data.message || ''); return; }
      if (type.startsWith('thread.')) {
        const closed = type === 'thread.closed';
        if (closed === !!this.closed) return;
        if (!closed) { this.load(); return; }  // opened again: the form and the Reply buttons, drawn afresh
        // closed by the age limit (the publisher's publication date): since when, from the thread read afresh
        if (data.closed_reason === 'age') this.threadNow().then((th) => this.sawClosed(th, 1) || this.close('', 1), () => this.close('', 1));
        else this.close('moderator', 1);
        return;
      }
      if (type === 'comment.featured') {  // a moderator featured or unfeatured a comment: its badge, and the section
        const e = this.map.get(Number(data.id));
        if (e) { e.c.featured = !!data.featured; this.syncFeature(e); }
        this.featSeen.set(Number(data.id), !!data.featured);
        this.featuredSoon();
        return;
      }
      if (this.inflight > 0) { this.deferred.push([type, data]); return; }
      // the server could not tell what this reader missed (a restart, too long away, too slow): show the thread afresh
      if (type === 'reset') { this.load(); return; }
      const id = Number(data.id);
      const entry = this.map.get(id);
      const gone = type === 'comment.deleted' || type === 'comment.removed';
      if (this.featIds.has(id)) this.featuredSoon();  // a featured comment edited or gone
      if (this.mine.has(id)) {
        if (!gone) return;  // the echo of the reader's own post or edit
        if (entry && entry.echo) { entry.echo = false; return; }  // their edit was held or refused: shown already
      }
      if (type === 'comment.published') {
        if (entry || this.ignored.has(data.author_id)) return;  // not announced: the page would not show it
        this.pendingNew.add(id);
        this.updateBanner(true);
      } else if (type === 'comment.edited') {
        if (entry && entry.li && !entry.c.ignored) { this.pendingEdits.add(id); this.updateBanner(false); }
      } else if (gone) {
        // the reader's own, removed by a moderator: why (GET /me's removed_comments), and any notice that came with it
        if (type === 'comment.removed' && (this.mine.has(id) || (entry && entry.c.own))) this.refreshMeSoon();
        if (this.pendingNew.delete(id)) { this.updateBanner(false); return; }
        if (!entry) {  // not loaded (a later page): whether it counted, the server knows; asked once for a burst
          clearTimeout(this.recountTimer);
          this.recountTimer = setTimeout(() => this.recount(), 500);
          return;
        }
        const c = entry.c;
        if (c.status === 'deleted' || c.status === 'removed') return;
        if (c.status === 'published') this.setCount(this.count - 1);
        const tomb = { status: type === 'comment.deleted' ? 'deleted' : 'removed', author: null, html: '' };
        if (!entry.li) { Object.assign(c, tomb); return; }  // behind "continue this thread": shown so when revealed
        entry.c = Object.assign({}, c, tomb);
        const art = this.renderArticle(entry), f = entry.li.querySelector(':scope > .th-c > .th-slot > form');
        const had = f && f.contains(this.root.activeElement);
        entry.li.querySelector('.th-c').replaceWith(art);
        // a reply or edit being written under it can no longer be sent: kept, read-only, to copy
        if (f && f._area && f._area.value.trim()) { this.lock(f); art.append(f); if (had) f._area.focus(); }
      }
    },

    flushDeferred() {
      if (this.inflight > 0) return;
      const queue = this.deferred;
      this.deferred = [];
      queue.forEach(([type, data]) => this.onEvent(type, data));
    },

    updateBanner(announce) {
      const n = Math.max(this.pendingNew.size, this.pollDiff);
      const edits = this.pendingEdits.size;
      this.banner.hidden = !n && !edits;
      this.banner.textContent = n ? this.t('newComments', { n }) : this.t('newActivity');
      if (announce && n) {
        clearTimeout(this.announceTimer);
        this.announceTimer = setTimeout(() => {  // counted again when said: "show" may have been pressed meanwhile
          const now = Math.max(this.pendingNew.size, this.pollDiff);
          if (now) this.say(this.t('announceNew', { n: now }));
        }, 400);
      }
    },

    async showNew() {
      const ids = new Set(this.pendingNew);
      await this.load({ focusIds: ids, since: ids.size ? Math.max(...ids) : null });
      this.say(this.t('shownNew'));
    },
  });
