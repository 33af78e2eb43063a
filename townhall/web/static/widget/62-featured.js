  // widget/62-featured.js — featured comments: the section above the thread, the badge, a moderator's Feature/Unfeature
  addMethods(Widget, {
    // ------------------------------------------------ featured comments (staff picks)
    // The section above the thread: up to featuredLimit of them, most recently featured first, each with its
    // author, time, first words and a link that finds it in the thread (loading pages as a permalink does).
    async loadFeatured() {
      const n = ++this.featLoads;
      try {
        const data = await this.api('GET', '/threads/' + encodeURIComponent(this.o.thread) + '/featured', null, { limit: this.o.featuredLimit });
        if (n === this.featLoads && !this.destroyed) this.renderFeatured(data.comments || []);
      } catch (e) { /* the section stays as it was: the thread itself is what matters */ }
    },

    featuredSoon() {
      if (!this.o.featuredLimit) return;
      clearTimeout(this.featTimer);
      this.featTimer = setTimeout(() => this.loadFeatured(), 500);  // a burst of events: asked once
    },

    renderFeatured(list) {
      const t = this.t;
      list = this.featData = list.slice(0, this.o.featuredLimit);
      this.featIds = new Set(list.map((c) => c.id));
      this.featured.hidden = !list.length;
      this.featList.replaceChildren(...list.map((c) => {
        const name = c.author ? c.author.name : '';
        // the author's own first words: a quotation in it is someone else's (all of it, if it is only a quote)
        const text = firstWords(htmlText(c.html) || htmlText(c.html, true));
        return h('li', null,
          h('div', { class: 'th-meta' }, h('span', { class: 'th-name', dir: 'auto', text: name }), this.timeEl(c.created_at)),
          h('p', { dir: 'auto', text }),
          h('a', { href: this.permalinkHref(c.id), onclick: this.goTo(c.id) }, t('featuredGo'), h('span', { class: 'th-sr', text: ' — ' + t('commentBy', { name }) })));
      }));
    },

    // a link's click: the comment found in the thread (pages loaded until it is), as by its permalink
    goTo(id) { return (ev) => { ev.preventDefault(); history.replaceState(null, '', '#comment-' + id); this.revealPermalink(); }; },

    // a drawn comment's Featured badge, and a moderator's Feature / Unfeature button, as they stand now
    syncFeature(entry) {
      const art = entry.art, c = entry.c;
      const meta = art && art.querySelector('.th-meta');
      if (!meta) return;  // not drawn, or a tombstone
      const badge = meta.querySelector('.th-feat');
      if (!c.featured !== !badge) {
        if (badge) badge.remove();
        else meta.querySelector('a').before(h('span', { class: 'th-badge th-feat' }, h('span', { 'aria-hidden': 'true', text: '★ ' }), this.t('featured'),
          h('span', { class: 'th-sr', text: ' — ' + this.t('featuredWhy') })));
      }
      const bar = art.querySelector('.th-actions');
      let btn = bar.querySelector('[data-feature]');
      if (!(this.isMod() && c.status === 'published')) { if (btn) btn.remove(); return; }
      if (!btn) bar.append(btn = h('button', { type: 'button', class: 'th-quiet', 'data-feature': '', onclick: () => this.toggleFeatured(entry, btn) }));
      btn.textContent = this.t(c.featured ? 'unfeature' : 'feature');
    },

    async toggleFeatured(entry, btn) {
      if (btn._busy) return;
      btn._busy = true;  // not disabled: the button keeps the focus
      const old = entry.art.querySelector('.th-ferr');
      if (old) old.remove();
      try {
        const res = await this.api('PUT', '/mod/comments/' + entry.c.id + '/featured', { featured: !entry.c.featured });
        entry.c.featured = !!res.featured;
        this.syncFeature(entry);
        this.say(this.t(res.featured ? 'featuredOn' : 'featuredOff'));
        this.featuredSoon();
      } catch (e) {
        const text = this.errorText(e);
        entry.art.querySelector('.th-actions').after(h('p', { class: 'th-error th-ferr', text }));
        this.alert(text);
      } finally {
        btn._busy = false;
      }
    },
  });
