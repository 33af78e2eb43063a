  // widget/60-loading.js — loading: the first page, the count, Load more, and permalinks (pages read until the comment shows)
  addMethods(Widget, {
    // ------------------------------------------------ loading
    async load(opts) {
      const focusIds = opts && opts.focusIds;
      const n = ++this.loads;
      if (this.o.featuredLimit) this.loadFeatured();  // beside the page, not before it: the first render does not wait
      const featSeen = this.featSeen = new Map();  // comment.featured told while the page is on its way
      this.status.hidden = false;
      this.status.textContent = this.t('loading');
      this.list.setAttribute('aria-busy', 'true');
      try {
        const query = { sort: this.sort, limit: this.o.pageSize };
        // the server may answer signed-out readers with a page up to a second old; not older than what we show
        if (opts && opts.since) query.since = opts.since;
        const data = await this.api('GET', '/threads/' + encodeURIComponent(this.o.thread) + '/comments', null, query);
        if (n !== this.loads) return;  // a later load (another sort, say) has begun: its answer counts
        this.keepDrafts();
        this.map.clear();
        this.list.replaceChildren();
        this.pendingNew.clear(); this.pendingEdits.clear(); this.pollDiff = 0;
        this.updateBanner();
        this.take(data);
        featSeen.forEach((on, id) => {  // the page may have been read before: what the stream told since stands
          const e = this.map.get(id);
          if (e && !e.c.featured !== !on) { e.c.featured = on; this.syncFeature(e); }
        });
        if (this.refocus) { this.refocus.focus(); this.refocus = null; }
        this.el.dispatchEvent(new CustomEvent('townhall:loaded', { bubbles: true, detail: { thread: this.o.thread, count: this.count } }));
        if (focusIds) {
          const find = () => Array.from(this.list.querySelectorAll('.th-c')).find((a) => focusIds.has(Number(a.dataset.id)));
          // oldest first (or by likes) the new comments are on a later page: read on until they are shown
          for (let pages = 0; !find() && this.cursor && this.sort !== 'newest' && pages < 20 && n === this.loads; pages++) await this.loadMore(false);
          const first = find();
          if (first) first.focus(); else this.heading.focus();
        }
      } catch (e) {
        if (n !== this.loads) return;
        const text = this.t('errLoad') + ' ' + this.errorText(e);
        this.status.replaceChildren(h('span', { class: 'th-error', text: text + ' ' }),
          h('button', { type: 'button', text: this.t('retry'), onclick: () => { this.heading.focus(); this.load(); } }));
        this.alert(text);
      } finally {
        if (n === this.loads) this.list.removeAttribute('aria-busy');
      }
    },

    // Open reply and edit forms outlive a reload: their text is kept by kind and comment, and the form is
    // opened again, with it, when that comment is drawn (renderActions).
    keepDrafts() {
      this.refocus = null;
      this.list.querySelectorAll('.th-slot').forEach((s) => {
        const f = s.firstChild, kind = s._owner && s._owner.dataset.kind;
        if (kind && f && f._area) this.drafts.set(kind + ':' + s.closest('.th-c').dataset.id, { text: f._area.value, focus: f.contains(this.root.activeElement) });
      });
    },

    setCount(n) {
      n = Math.max(0, n);
      if (n === this.count && this.countEl.textContent) return;
      this.count = n;
      this.countEl.textContent = this.t('count', { n: this.count });
      this.el.dispatchEvent(new CustomEvent('townhall:count', { bubbles: true, detail: { thread: this.o.thread, count: this.count } }));
    },

    // the thread's count from the server, less the new comments not shown yet
    async recount() {
      try {
        this.setCount((await this.threadNow()).count - this.pendingNew.size);
      } catch (e) { /* the next load corrects it */ }
    },

    take(data) {
      const th = this.thread = data.thread;
      if (this.sawClosed(th, this.closed === false)) { /* closed: drawn so */ }
      else if (this.closed) { this.closed = false; this.renderCompose(); this.say(this.t('opened')); } else this.closed = false;  // opened again: said
      this.armClose(0);
      this.renderThreadCtl();
      this.premod();
      this.showMessage();
      this.showAnn(th.announcement);
      this.setCount(th.count);
      const frag = document.createDocumentFragment();
      const added = [];
      for (const c of data.comments) {
        const shown = this.map.get(c.id);
        if (shown && shown.li && shown.li.isConnected) continue; // the reader's own new comment, shown when posted
        const li = this.renderItem(c, 0); frag.append(li); added.push(li);
      }
      this.list.append(frag);
      this.cursor = data.next_cursor || null;
      this.moreBtn.hidden = !this.cursor;
      this.status.hidden = this.list.children.length > 0;
      if (!this.list.children.length) this.status.textContent = this.t('empty');
      return added;
    },

    async loadMore(focus) {
      if (!this.cursor) return;
      const n = this.loads, cursor = this.cursor;
      this.moreBtn.disabled = true;
      try {
        const data = await this.api('GET', '/threads/' + encodeURIComponent(this.o.thread) + '/comments', null,
          { sort: this.sort, limit: this.o.pageSize, cursor: this.cursor });
        if (n !== this.loads || cursor !== this.cursor) return;  // the list was loaded afresh meanwhile
        const added = this.take(data);
        if (focus && added.length) added[0].querySelector('.th-c').focus();
      } catch (e) {
        this.alert(this.errorText(e));
      } finally {
        this.moreBtn.disabled = false;
      }
    },

    // ------------------------------------------------ permalinks
    async revealPermalink() {
      const m = /^#comment-(\d+)$/.exec(location.hash);
      if (!m) return;
      const id = Number(m[1]);
      for (let pages = 0; pages < 40; pages++) {
        const e = this.map.get(id);
        if (e && e.li) break;
        if (e && e.hidden) { e.hidden(); continue; }
        const more = this.list.querySelector('[data-more]:not(:disabled)');  // replies past the first page
        if (more) await more._load(false);
        else if (this.cursor) await this.loadMore(false);
        else break;
      }
      this.highlight(id);
    },

    highlight(id) {
      const e = this.map.get(id);
      if (!e || !e.art) return;
      this.list.querySelectorAll('.th-highlight').forEach((x) => x.classList.remove('th-highlight'));
      e.art.classList.add('th-highlight');
      e.art.focus({ preventScroll: true });
      this.keepInView(e.art);
    },

    // The page around the widget may still be loading (a stylesheet, a web font, images, an advert), and each
    // moves the comment. Centre it now, again once the page has loaded, and whenever the page's size changes in
    // the three seconds after that, until the reader scrolls, clicks or types.
    keepInView(art) {
      if (this.stopKeeping) this.stopKeeping();
      const centre = () => { if (art.isConnected) art.scrollIntoView({ block: 'center' }); };
      const inputs = ['wheel', 'touchstart', 'keydown', 'mousedown'];
      const resized = typeof ResizeObserver === 'function' ? new ResizeObserver(centre) : null;
      let timer = 0;
      const loaded = () => { centre(); timer = setTimeout(stop, 3000); };
      const stop = () => {
        inputs.forEach((type) => window.removeEventListener(type, stop, true));
        window.removeEventListener('load', loaded);
        if (resized) resized.disconnect();
        clearTimeout(timer);
        if (this.stopKeeping === stop) this.stopKeeping = null;
      };
      this.stopKeeping = stop;
      inputs.forEach((type) => window.addEventListener(type, stop, { capture: true, passive: true }));
      centre();
      if (resized) resized.observe(document.body);
      if (document.readyState === 'complete') timer = setTimeout(stop, 3000);
      else window.addEventListener('load', loaded, { once: true });
    },
  });
