  // widget/50-reader.js — who is reading: the reader (GET /me), their account line, the readers they ignore, removed comments
  addMethods(Widget, {
    // ------------------------------------------------ who is reading
    // Only a 401 means signed out: after any other failure the last known reader stays (or, with none yet,
    // an error with a retry is shown). Another reader signing in starts from a clean slate.
    async refreshMe() {
      const wasMod = this.isMod();
      await this.whoIs();
      if (this.isMod() !== wasMod) this.map.forEach((e) => this.syncFeature(e));  // Feature buttons drawn or taken away
    },

    isMod() { const r = this.me && this.me.role; return r === 'moderator' || r === 'admin'; },

    async whoIs() {
      this.meError = null;
      if (!this.token()) { this.me = this.expired = null; this.ignored.clear(); this.renderAccount(); return; }
      try {
        const me = await this.api('GET', '/me');
        const before = this.me || this.expired;
        if (before && before.id && me && before.id !== me.id) this.reset();
        else if (this.expired) this.root.querySelectorAll('.th-form .th-error').forEach((x) => { x.hidden = true; });
        this.me = me; this.expired = null;
        // the server leaves their comments out of this reader's pages; the list is for the live stream and the panel
        this.ignored = new Map((await this.api('GET', '/me/ignored')).ignored.map((i) => [i.id, i.name]));
      } catch (e) {
        if (e.status === 401) { this.me = null; this.ignored.clear(); } else if (!this.me) this.meError = e;
      }
      this.renderAccount();
    },

    // forget the previous reader's drafts, rejection panels and own comments
    reset() {
      this.composeKey = this.mainForm = this.expired = this.appealOpen = this.appealText = null;
      this.drafts.clear(); this.mine.clear();
      this.list.querySelectorAll('.th-slot').forEach((s) => this.closeSlot(s));
    },

    renderAccount() {
      const t = this.t;
      const me = this.me, refocus = this.acctBtn && this.root.activeElement === this.acctBtn;
      this.account.replaceChildren();
      if (me) {
        this.account.append(h('span', null, me.guest ? t('guestSignedIn') : t('signedInAs'), ' ', h('strong', { dir: 'auto', text: me.name })),
          ...this.badges(me.supporter, me.role === 'moderator' || me.role === 'admin', false), this.accountButton());
        if (me.guest) this.account.append(h('button', { type: 'button', class: 'th-quiet', text: t('signOut'), onclick: () => { this.heading.focus(); window.Townhall.logout(); } }));
      } else if (this.meError) {
        this.account.append(h('span', { class: 'th-error', text: this.errorText(this.meError) }),
          h('button', { type: 'button', text: t('retry'), onclick: () => { this.heading.focus(); this.refreshMe(); } }));
      } else if (!this.o.guests) {
        this.account.append(h('span', { text: t(this.expired ? 'errExpired' : 'signInPrompt') }),
          h('button', { type: 'button', text: t('signInButton'), onclick: () => this.requestLogin() }));
      }
      this.list.querySelectorAll('[data-ignore]').forEach((b) => { b.hidden = !me; });
      this.renderStanding();
      this.renderRemoved(me && me.removed_comments);
      this.renderIgnored();
      this.syncAccount();  // "Your account" (widget/58-account.js)
      if (refocus && this.acctBtn.isConnected) this.acctBtn.focus();
      this.renderCompose();
      this.syncBars();  // Reply and Edit follow who may write (widget/64-comments.js)
    },

    // The readers this reader ignores, folded away under one line, each with "Stop ignoring"
    renderIgnored() {
      const t = this.t, box = this.ignoreBox, open = box && box.open;
      if (box) box.remove();
      this.ignoreBox = null;
      if (!this.me || !this.ignored.size) return;
      this.ignoreBox = h('details', { class: 'th-removed', open }, h('summary', { text: t('ignoring', { n: this.ignored.size }) }),
        h('ul', null, Array.from(this.ignored, ([id, name]) => h('li', null, h('span', { dir: 'auto', text: name }), ' ',
          h('button', { type: 'button', class: 'th-quiet', onclick: () => this.unignore(id, name) }, t('unignore'), h('span', { class: 'th-sr', text: ' ' + name }))))));
      (this.acctBox || this.account).after(this.ignoreBox);  // under the open "Your account" panel
    },

    async unignore(id, name) {
      try {
        await this.api('DELETE', '/me/ignored/' + id);
        this.ignored.delete(id);
        this.renderIgnored();
        (this.ignoreBox ? this.ignoreBox.querySelector('summary') : this.heading).focus();
        this.say(this.t('unignored', { name }));
        this.load();  // their comments, drawn again
      } catch (e) { this.alert(this.errorText(e)); }
    },

    async ignore(entry, btn) {
      const a = entry.c.author;
      btn.disabled = true;
      try {
        await this.api('PUT', '/me/ignored/' + a.id);
        this.ignored = new Map([[a.id, a.name], ...this.ignored]);  // newest first, as GET /me/ignored lists them
        this.hideAuthor(a.id);
        this.renderIgnored();
        (entry.li && entry.li.isConnected ? entry.art : this.heading).focus();
        this.say(this.t('ignoredNotice', { name: a.name }));
      } catch (e) {
        btn.disabled = false;
        this.alert(this.errorText(e));
      }
    },

    // an ignored reader's comments go from the page at once, as the server leaves them out: a placeholder where
    // replies hang under one (children first, so that a comment whose replies all go goes too)
    hideAuthor(id) {
      Array.from(this.map.values()).reverse().forEach((e) => {
        const c = e.c;
        if (!c.author || c.author.id !== id) return;
        Object.assign(c, { ignored: true, author: null, html: '', featured: false });
        if (!e.li) return;  // behind "continue this thread": drawn so when revealed
        if (Array.from(e.li.children).some((x) => x.tagName === 'BUTTON' || (x.tagName === 'OL' && x.children.length))) {
          e.li.querySelector('.th-c').replaceWith(this.renderArticle(e));
        } else {
          const ol = e.li.parentNode;
          e.li.remove(); this.map.delete(c.id);
          if (ol !== this.list && !ol.children.length) ol.remove();
        }
      });
      if (this.featData) this.renderFeatured(this.featData.filter((c) => !c.author || c.author.id !== id));
    },

    // A moderator's reason reaches the comment's author: the comments removed in the last two weeks, each
    // with the reason given (GET /me's removed_comments), folded away under one line.
    renderRemoved(list) {
      const recent = (list || []).filter((r) => Date.now() - new Date(r.at).getTime() < 14 * 86400000);
      if (this.removed) this.removed.remove();
      this.removed = null;
      if (!recent.length) return;
      const t = this.t;
      const cut = (text) => (text.length > 80 ? text.slice(0, 79) + '…' : text);
      this.removed = h('details', { class: 'th-removed' },
        h('summary', { text: t('removedOwn', { n: recent.length }) }),
        h('ul', null, recent.map((r) => h('li', null, t('removedOwnItem', { text: cut(r.text || '') }), ' ', r.reason || ''))));
      this.sanction.after(this.removed);
    },
  });
