  // widget/56-thread.js — the thread's state: premoderation, the newsroom's message, the announcement, Close/Open comments, closing
  addMethods(Widget, {
    // the article is premoderated (on: as the server says now): its line above the comment box, while it is open
    premod(on) {
      if (on !== undefined && this.thread) this.thread.premoderated = on;
      this.premodNote.hidden = !(this.thread && this.thread.premoderated) || !!this.closed;
      this.account.hidden = !!this.closed && !this.me && !this.expired && !this.meError;  // nothing to join: no sign-in prompt
    },

    // the newsroom's message (msg: as the server says now), also while the thread is closed: its paragraphs as text
    showMessage(msg) {
      if (msg !== undefined && this.thread) this.thread.message = msg;
      const m = (this.thread && this.thread.message) || '';
      if (m === this.msgText) return;
      this.msgText = m;
      this.msgBody.replaceChildren(...paras(m));
      this.msgBox.hidden = !m;
    },

    // The site's announcement ({text, until} or null, as each read of the thread says), its paragraphs as text; gone
    // at its until by the browser's clock without a reload (a setTimeout waits at most ~24.8 days: a day at a time).
    showAnn(a) {
      clearTimeout(this.annTimer);
      const left = a && a.until ? Date.parse(a.until) - Date.now() : NaN, text = a && !(left <= 0) ? a.text : '';
      if (text !== this.annText) { this.annText = text; this.annBody.replaceChildren(...paras(text)); }
      this.annBox.hidden = !text;
      if (text && left > 0 && !this.destroyed) this.annTimer = setTimeout(() => this.showAnn(a), Math.min(left, 864e5));
    },

    // A moderator's "Close comments" / "Open comments" under the comment form (once the thread's state is known).
    // Closing asks first, inline, as a deletion does; the focus stays on the button as its words change.
    renderThreadCtl() {
      const box = this.modBox, closed = !!this.closed;
      if (!this.isMod() || this.closed === undefined) { box.replaceChildren(); return; }
      if (!box.firstChild) {
        const btn = h('button', { type: 'button' }), slot = h('div', { class: 'th-slot' });
        btn.addEventListener('click', () => (this.closed ? this.setThreadState(btn, 'open')
          : this.openIn(slot, btn, (close) => confirmBox(this.t('closeConfirm'), this.t('closeYes'), this.t('cancel'), close, (yes) => this.setThreadState(btn, 'closed', yes)))));
        box.append(btn, slot);
      }
      const [btn, slot] = box.children;
      if (btn._closed === closed) return;
      btn._closed = closed;
      const had = slot.contains(this.root.activeElement);
      this.closeSlot(slot);
      if (had) btn.focus();
      btn.textContent = this.t(closed ? 'openThread' : 'closeThread');
      if (closed) btn.removeAttribute('aria-expanded'); else btn.setAttribute('aria-expanded', 'false');
    },

    // PUT /mod/threads/{thread}/state: the state the server answers is shown at once and announced (other readers
    // get thread.closed / thread.opened); a refusal is shown under the button and announced
    async setThreadState(btn, state, yes) {
      if (btn._busy) return;
      btn._busy = true;  // not disabled: the button keeps the focus
      if (yes) yes.disabled = true;
      const old = this.modBox.querySelector('.th-error');
      if (old) old.remove();
      try {
        const res = await this.api('PUT', '/mod/threads/' + encodeURIComponent(this.o.thread) + '/state', { state });
        if (res.state === 'closed') this.close('moderator', 1);
        else { this.closed = false; this.renderCompose(); this.say(this.t('opened')); this.load(); }
        btn.focus();  // from the confirmation, gone
      } catch (e) {
        if (yes) yes.disabled = false;
        const text = this.errorText(e);
        this.modBox.append(h('p', { class: 'th-error', text }));
        this.alert(text);
      } finally {
        btn._busy = false;
      }
    },

    // The thread is closed ('moderator', 'age', or '' where the server has not said why): nothing more can be sent,
    // forms keep their text read-only. tell: 1 announces the closing politely, 2 assertively.
    close(reason, tell) {
      clearTimeout(this.closeTimer);
      this.closed = reason || 'closed';
      this.renderCompose();
      this.lockWriting();
      const line = this.composeSlot.firstChild.textContent;
      if (tell === 2) this.alert(line); else if (tell) this.say(line);
    },

    // The age limit closes a thread at its closes_at and sends no event. The widget then asks the server, whose
    // clock decides (the browser's may be off), and again, less and less often (2 s doubling to a minute), while
    // it still says open; a post or an edit refused meanwhile closes the form as well. A setTimeout cannot wait
    // longer than about 24.8 days: a later closes_at is waited for a day at a time.
    armClose(tries) {
      clearTimeout(this.closeTimer);
      const at = !this.closed && Date.parse(this.thread.closes_at);
      if (!at || this.destroyed) return;
      const wait = at - Date.now(), far = wait > 864e5;
      this.closeTimer = setTimeout(() => (far ? this.armClose(tries) : this.askClosed(tries + 1)),
        far ? 864e5 : wait > 0 ? wait + Math.random() * 1e3 : Math.min(6e4, 1e3 * 2 ** tries));
    },

    // the thread as the server has it now (state, count, closes_at), from a page of one comment
    async threadNow() {
      const th = (await this.api('GET', '/threads/' + encodeURIComponent(this.o.thread) + '/comments', null, { sort: 'newest', limit: 1 })).thread;
      if (!this.destroyed) this.showAnn(th.announcement);  // the site's announcement, as every read tells it
      return th;
    },

    // a thread the server says is closed is closed here too, for the reason it gives (tell: as close()); false if open
    sawClosed(th, tell) {
      if (th.state !== 'closed') return false;
      this.thread = th;
      if (this.closed !== th.closed_reason) this.close(th.closed_reason, tell);
      return true;
    },

    async askClosed(tries) {
      try {
        const th = await this.threadNow();
        if (this.destroyed) return;
        // closed: why, and since when; an "open" after a refusal is an older page (the refusal counts)
        if (this.sawClosed(th, !this.closed)) return;
        if (!this.closed) this.thread = th;
      } catch (e) { /* asked again */ }
      this.armClose(tries);
    },
  });
