  // widget/58-account.js — "Your account" (Coral's "My Profile"): the reader's comments, e-mail about replies, their data, erasure
  addMethods(Widget, {
    // ------------------------------------------------ the reader's own account
    // A button next to "Signed in as NAME" opens a panel under the account line (a region with a heading, which
    // takes the focus; Close or Escape gives it back to the button). The panel is the reader's: another reader
    // signing in, or signing out, closes it.
    accountButton() {
      const btn = this.acctBtn || (this.acctBtn = h('button', { type: 'button', class: 'th-quiet', 'aria-expanded': 'false',
        onclick: () => (this.acctBox ? this.closeAccount(true) : this.openAccount()) }));
      btn.textContent = this.t('account');
      return btn;
    },

    // renderAccount's last step: the panel stays open for its reader, and goes with them
    syncAccount() {
      if (this.acctBox && (!this.me || this.me.id !== this.acctFor)) this.closeAccount(false);
      if (this.me && this.acctGone) { this.acctGone.remove(); this.acctGone = null; }
      if (this.acctBox && this.account.nextSibling !== this.acctBox) this.account.after(this.acctBox);  // moved, it would lose the focus
    },

    openAccount() {
      const t = this.t, id = uid('account');
      if (this.acctGone) { this.acctGone.remove(); this.acctGone = null; }
      this.acctFor = this.me.id;
      this.acctMine = h('ul', { class: 'th-mine' });
      this.acctMore = h('button', { type: 'button', hidden: true, text: t('myMore'), onclick: () => this.loadMine(true) });
      this.acctNote = h('p', { class: 'th-note', text: t('loading') });
      const mail = h('div', { class: 'th-acct-sec' }, h('h4', { text: t('myEmail') }), this.acctMail = h('div', null, h('p', { class: 'th-note', text: t('loading') })));
      const slot = h('div', { class: 'th-slot' });
      const erase = h('button', { type: 'button', 'aria-expanded': 'false', text: t('eraseButton') });
      erase.addEventListener('click', () => this.openIn(slot, erase, (close) => confirmBox(t('eraseConfirm'), t('eraseYes'), t('eraseNo'), close, (yes) => this.eraseAccount(yes))));
      const head = h('h3', { id, tabindex: '-1', text: t('account') });
      this.acctBox = h('div', { class: 'th-acct', role: 'region', 'aria-labelledby': id,
        onkeydown: (ev) => { if (ev.key === 'Escape' && !ev.defaultPrevented && !ev.isComposing) { ev.preventDefault(); this.closeAccount(true); } } },
      head,
      h('div', { class: 'th-acct-sec' }, h('h4', { text: t('myComments') }), this.acctMine, this.acctNote, this.acctMore),
      mail,
      h('div', { class: 'th-acct-sec' }, h('h4', { text: t('myData') }),
        h('p', { class: 'th-help', text: t('exportHelp') }),
        h('div', { class: 'th-buttons' }, h('button', { type: 'button', text: t('exportButton'), onclick: (ev) => this.exportData(ev.currentTarget) }), erase), slot),
      h('button', { type: 'button', class: 'th-quiet', text: t('accountClose'), onclick: () => this.closeAccount(true) }));
      this.acctBtn.setAttribute('aria-controls', id);
      this.acctBtn.setAttribute('aria-expanded', 'true');
      this.account.after(this.acctBox);
      head.focus();
      this.acctCursor = null;
      this.loadMine(false);
      this.loadMail();
    },

    closeAccount(focus) {
      if (!this.acctBox) return;
      this.acctBox.remove();
      this.acctBox = this.acctMine = this.acctMail = this.acctFor = null;
      this.acctGen = (this.acctGen || 0) + 1;  // answers still on their way are dropped
      if (this.acctBtn) { this.acctBtn.setAttribute('aria-expanded', 'false'); this.acctBtn.removeAttribute('aria-controls'); }
      if (focus && this.acctBtn && this.acctBtn.isConnected) this.acctBtn.focus();
    },

    // GET /me/comments: 20 at a time, newest first; "Load more" appends the next page and moves the focus to
    // the first of it
    async loadMine(more) {
      const n = this.acctGen, t = this.t;
      this.acctMore.disabled = true;
      try {
        const data = await this.api('GET', '/me/comments', null, { limit: 20, before: more ? this.acctCursor : null });
        if (n !== this.acctGen || !this.acctBox) return;
        this.acctCursor = data.next;
        const items = data.comments.map((c) => this.mineItem(c));
        this.acctMine.append(...items);
        this.acctNote.hidden = !!this.acctMine.children.length;
        this.acctNote.className = 'th-note';
        this.acctNote.replaceChildren(t('myNone'));
        this.acctMore.hidden = !data.next;
        if (more && items.length) items[0].querySelector('a,strong').focus();
      } catch (e) {
        if (n !== this.acctGen || !this.acctBox) return;
        this.acctNote.hidden = false;
        this.acctNote.className = 'th-error';
        this.acctNote.replaceChildren(this.errorText(e), ' ', h('button', { type: 'button', text: t('retry'), onclick: () => this.loadMine(more) }));
      }
      this.acctMore.disabled = false;
    },

    // the list read afresh after the reader posted, edited or deleted a comment (the panel open)
    mineSoon() { if (this.acctBox) { this.acctGen = (this.acctGen || 0) + 1; this.acctMine.replaceChildren(); this.loadMine(false); } },

    // one of the reader's comments: its article (linked where the site gave an address), when, its status where
    // it is not published, and its first words (the reader's own text, quotations left out)
    mineItem(c) {
      const t = this.t, th = c.thread || {};
      const title = th.title || t('myUntitled');
      const url = webUrl(c.permalink || th.url);
      const own = String(c.text || '').split('\n').filter((l) => !/^\s*>/.test(l)).join(' ').trim() || String(c.text || '');
      const text = firstWords(own);
      const named = ['held', 'rejected', 'removed'].includes(c.status);
      const status = c.status !== 'published' ? h('span', { class: 'th-badge', text: named ? t('my_' + c.status) : c.status }) : null;
      return h('li', null,
        h('div', { class: 'th-meta' },
          url ? h('a', { href: url.href, dir: 'auto', text: title }) : h('strong', { dir: 'auto', tabindex: '-1', text: title }),
          this.timeEl(c.created_at), status),
        h('p', { dir: 'auto', text }),
        c.status === 'removed' && c.reason ? h('p', { class: 'th-help' }, t('sanctionReason'), ' ', h('span', { dir: 'auto', text: c.reason })) : null);
    },

    // GET /me/notifications: {replies, email_known, email_enabled}. Without e-mail on the site, or without an
    // address for the reader, the box cannot be ticked and says why (one ticked before can still be unticked).
    async loadMail() {
      const n = this.acctGen;
      try {
        const s = await this.api('GET', '/me/notifications');
        if (n === this.acctGen && this.acctMail) this.renderMail(s);
      } catch (e) {
        if (n === this.acctGen && this.acctMail) this.acctMail.replaceChildren(h('p', { class: 'th-error' }, this.errorText(e), ' ', h('button', { type: 'button', text: this.t('retry'), onclick: () => this.loadMail() })));
      }
    },

    renderMail(s) {
      const t = this.t, id = uid('notify'), why = uid('why');
      const reason = !s.email_enabled ? t('notifyNoMail') : !s.email_known ? t('notifyNoAddress') : null;
      const box = h('input', { type: 'checkbox', id, checked: !!s.replies, disabled: !!reason && !s.replies, 'aria-describedby': reason ? why : null });
      box.addEventListener('change', () => this.setMail(box));
      this.acctMail.replaceChildren(h('div', { class: 'th-check' }, box, h('label', { for: id, text: t('notifyLabel') })),
        reason ? h('p', { class: 'th-help', id: why, text: reason }) : null);
    },

    async setMail(box) {
      const on = box.checked;
      if (box._busy) return;
      box._busy = true;  // not disabled: the box keeps the focus
      try {
        const s = await this.api('PUT', '/me/notifications', { replies: on });
        if (this.acctMail && box.isConnected) { this.renderMail(s); this.acctMail.querySelector('input').focus(); }
        this.say(this.t(s.replies ? 'notifyOn' : 'notifyOff'));
      } catch (e) {
        box.checked = !on;
        this.alert(this.errorText(e));
      } finally { box._busy = false; }
    },

    // GET /me/export, saved as a .json file (a Blob behind a download link: the token never goes into an address)
    async exportData(btn) {
      btn.disabled = true;
      try {
        const data = await this.api('GET', '/me/export');
        const blob = new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' });
        const href = URL.createObjectURL(blob);
        const a = h('a', { href, download: 'townhall-' + (this.o.site || 'data').replace(/[^\w.-]+/g, '_') + '-' + new Date().toISOString().slice(0, 10) + '.json', hidden: true });
        this.acctBox.append(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(href), 60000);
        this.say(this.t('exported'));
      } catch (e) {
        this.alert(this.errorText(e));
      } finally { btn.disabled = false; btn.focus(); }
    },

    // DELETE /me after the inline confirmation; then the reader is signed out in every widget on the page (the
    // publisher hears of it: townhall:account-deleted, to end its own sign-in) and told what happened
    async eraseAccount(yes) {
      yes.disabled = true;
      try {
        await this.api('DELETE', '/me');
      } catch (e) {
        yes.disabled = false;
        this.alert(this.errorText(e));
        return;
      }
      this.closeAccount(false);
      this.acctGone = h('p', { class: 'th-ok', tabindex: '-1', text: this.t('erased') });
      this.el.dispatchEvent(new CustomEvent('townhall:account-deleted', { bubbles: true, composed: true, detail: { site: this.o.site } }));
      window.Townhall.logout();
      this.account.after(this.acctGone);
      this.acctGone.focus();
      this.say(this.t('erased'));
    },
  });
