  // widget/64-comments.js — rendering comments: times, a comment and its replies, its action buttons, the slot under it
  addMethods(Widget, {
    // ------------------------------------------------ rendering comments
    badges(supporter, moderator, guest) {
      const t = this.t;
      return [supporter ? h('span', { class: 'th-badge', text: t('supporter') }) : null,
        moderator ? h('span', { class: 'th-badge', text: t('moderator') }) : null,
        guest ? h('span', { class: 'th-badge', text: t('guest') }) : null].filter(Boolean);
    },

    relative(date) {
      const diff = Math.min(0, (date.getTime() - Date.now()) / 1000);  // a browser clock behind the server's: "now", not "in 30 seconds"
      const abs = Math.abs(diff);
      const rtf = this.rtf || (this.rtf = new Intl.RelativeTimeFormat(this.lang, { numeric: 'auto' }));
      const steps = [[60, 'second', 1], [3600, 'minute', 60], [86400, 'hour', 3600], [604800, 'day', 86400], [2629800, 'week', 604800], [31557600, 'month', 2629800], [Infinity, 'year', 31557600]];
      for (const [limit, unit, size] of steps) if (abs < limit) return rtf.format(Math.round(diff / size), unit);
      return '';
    },

    exact(date, zone) {  // zone: with the time zone's name (a date in a sentence)
      const k = zone ? 'dtz' : 'dtf';
      return (this[k] || (this[k] = new Intl.DateTimeFormat(this.lang, zone ? { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'short' } : { dateStyle: 'full', timeStyle: 'short' }))).format(date);
    },

    timeEl(iso) {
      const d = new Date(iso);
      return h('time', { datetime: iso, title: this.exact(d), text: this.relative(d), 'data-rel': true });
    },

    // relative times only ("5 minutes ago"), every minute and when a comment is drawn anew (its neighbours' would
    // read younger); not "(edited)", whose <time> says when in its title
    refreshTimes() {
      this.root.querySelectorAll('time[data-rel]').forEach((el) => { el.textContent = this.relative(new Date(el.getAttribute('datetime'))); });
    },

    permalinkHref(id) { return this.o.url.split('#')[0] + '#comment-' + id; },

    renderItem(c, depth) {
      const li = h('li', { id: 'comment-' + c.id });
      const entry = { c, li, depth, art: null, reveal: null };
      this.map.set(c.id, entry);
      li.append(this.renderArticle(entry));
      const replies = c.replies || [];
      if (replies.length) {
        if (depth + 1 >= this.o.maxDepth) {
          const n = countDeep(replies);
          const btn = h('button', { type: 'button', class: 'th-quiet', text: this.t('continueThread', { n }) });
          const reveal = () => {
            if (!btn.isConnected) return;
            const ol = h('ol', { class: 'th-replies th-continued' }, replies.map((r) => this.renderItem(r, 0)));
            btn.replaceWith(ol);
            const first = ol.querySelector('.th-c');
            return first;
          };
          btn.addEventListener('click', () => { const first = reveal(); if (first) first.focus(); });
          this.registerHidden(replies, reveal);
          li.append(btn);
        } else {
          li.append(h('ol', { class: 'th-replies' }, replies.map((r) => this.renderItem(r, depth + 1))));
        }
      }
      if (c.more_replies && c.replies_cursor) {
        const more = h('button', { type: 'button', class: 'th-quiet th-more', 'data-more': '', text: this.t('loadMoreReplies') });
        let cursor = c.replies_cursor;
        more._load = async (focus) => {
          more.disabled = true;
          try {
            const data = await this.api('GET', '/threads/' + encodeURIComponent(this.o.thread) + '/comments', null,
              { root: c.id, cursor, limit: 50 });
            let firstNew = null;
            for (const r of data.comments) {
              if (this.map.has(r.id)) continue;
              const node = this.insertReply(r);
              firstNew = firstNew || node;
            }
            cursor = data.next_cursor;
            if (!cursor) more.remove();
            if (firstNew && focus) firstNew.querySelector('.th-c').focus();
          } catch (e) { this.alert(this.errorText(e)); } finally { more.disabled = false; }
        };
        more.addEventListener('click', () => more._load(true));
        li.append(more);
      }
      return li;
    },

    registerHidden(replies, reveal) {
      for (const r of replies) {
        const e = this.map.get(r.id);
        if (!e || !e.li) this.map.set(r.id, { c: r, li: null, hidden: reveal });  // the innermost "continue" shows it
        this.registerHidden(r.replies || [], reveal);
      }
    },

    insertReply(c) {
      const parent = this.map.get(c.parent_id);
      if (!parent || !parent.li) return null;
      let ol = Array.from(parent.li.children).find((x) => x.tagName === 'OL');
      const depth = (parent.depth || 0) + 1;
      if (!ol) {
        ol = h('ol', { class: 'th-replies' + (depth >= this.o.maxDepth ? ' th-continued' : '') });
        parent.art.after(ol);
      }
      const li = this.renderItem(Object.assign({ replies: [] }, c), depth >= this.o.maxDepth ? 0 : depth);
      ol.append(li);
      return li;
    },

    renderArticle(entry) {
      const t = this.t;
      const c = entry.c;
      const gone = c.ignored || c.status === 'deleted' || c.status === 'removed' || c.status === 'rejected';
      const note = t(c.status === 'deleted' ? 'deletedComment' : c.ignored ? 'ignoredComment' : 'removedComment');
      const name = c.author ? c.author.name : '';
      const art = h('article', { class: 'th-c', tabindex: '-1', 'data-id': c.id, 'aria-label': gone ? note : t('commentBy', { name }) });
      entry.art = art;
      if (gone) {
        art.append(h('p', { class: 'th-note', text: note }));
        return art;
      }
      const a = c.author || {};
      const meta = h('div', { class: 'th-meta' },
        h('span', { class: 'th-name', dir: 'auto', text: name }), this.badges(a.supporter, a.moderator, a.guest),
        h('a', { href: this.permalinkHref(c.id),
          onclick: (ev) => { ev.preventDefault(); history.replaceState(null, '', '#comment-' + c.id); this.highlight(c.id); } },
        this.timeEl(c.created_at), h('span', { class: 'th-sr', text: ' — ' + t('permalink') })),
        c.edited_at ? h('span', { class: 'th-muted' }, '(', h('time', { datetime: c.edited_at, title: this.exact(new Date(c.edited_at)), text: t('edited') }), ')') : null);
      const body = h('div', { class: 'th-body', dir: 'auto', html: c.html });
      body.querySelectorAll('a[href]').forEach((x) => { x.rel = 'nofollow ugc noopener noreferrer'; x.target = '_blank'; });
      art.append(meta, body);
      if (c.status === 'held') {
        art.classList.add('th-held');
        art.append(h('p', { class: 'th-note', text: t('awaiting') }));
      }
      const slot = h('div', { class: 'th-slot' });
      art.append(this.renderActions(entry, slot), slot);
      this.syncFeature(entry);
      return art;
    },

    // what a comment's buttons depend on besides the comment: who reads, whether they may write, the thread's state
    barKey() { return [this.canWrite(), !!this.token(), this.closed || '', this.me ? this.me.id : ''].join('|'); },

    // the buttons of comments drawn before that changed (the page answered before GET /me, a sign-in, a sanction):
    // drawn again, next to the comment's slot as it is
    syncBars() {
      const key = this.barKey();
      this.map.forEach((e) => {
        if (!e.art || e.barKey === key) return;
        const bar = e.art.querySelector(':scope > .th-actions'), slot = e.art.querySelector(':scope > .th-slot');
        if (!bar || !slot) return;
        bar.replaceWith(this.renderActions(e, slot));
        this.syncFeature(e);
      });
    },

    renderActions(entry, slot) {
      const t = this.t;
      const c = entry.c;
      entry.barKey = this.barKey();
      const bar = h('div', { class: 'th-actions' });
      const published = c.status === 'published';
      if (published && !c.own) {
        const liked = c.my_reaction === 'like';
        const like = h('button', { type: 'button', class: 'th-quiet th-like', 'aria-pressed': String(liked) });
        this.likeContent(like, c.reactions);
        like.addEventListener('click', () => this.toggleLike(entry, like));
        bar.append(like);
      } else if (published && c.reactions) {
        bar.append(h('span', { class: 'th-note', text: t('likes', { n: c.reactions }) }));
      }
      const confirm = confirmBox, open = (btn, make, quiet) => this.openIn(slot, btn, make, quiet);
      // a reply or edit form, opened again with its text when it was open before a reload (keepDrafts); a
      // signed-out reader is asked to sign in instead
      const opener = (btn, kind, make) => {
        btn.dataset.kind = kind;
        btn.addEventListener('click', () => (this.canWrite() || this.token() ? open(btn, make) : this.signIn()));
        const key = kind + ':' + c.id, d = this.drafts.get(key);
        if (!d) return;
        this.drafts.delete(key);
        const area = open(btn, make, true)._area;
        area.value = d.text; area.dispatchEvent(new Event('input'));
        if (d.focus) this.refocus = area;
      };
      if (published && (this.canWrite() || (!this.token() && !this.closed))) {  // signed out: Reply asks to sign in
        const reply = h('button', { type: 'button', class: 'th-quiet', 'data-write': '', 'aria-expanded': 'false', text: t('reply') });
        opener(reply, 'reply', (close) => {
          const picked = this.selectedIn(entry);  // selected when Reply was pressed: the box's focus ends the selection
          return this.composeForm({
            label: t('replyLabel', { name: c.author ? c.author.name : '' }), submitText: t('replySend'), busyText: t('posting'), rows: 3,
            submit: (text, guestName) => this.postComment(text, c.id, guestName), cancel: close, done: close,
            quote: () => this.selectedIn(entry) || picked || htmlText(entry.c.html) || htmlText(entry.c.html, true),
            quoteOf: t('commentBy', { name: c.author ? c.author.name : '' }),
          });
        });
        bar.append(reply);
      }
      if (c.own && (published || c.status === 'held')) {
        const age = (Date.now() - new Date(c.created_at).getTime()) / 60000;
        if (age < this.o.editWindow && this.canWrite()) {
          const edit = h('button', { type: 'button', class: 'th-quiet', 'data-write': '', 'aria-expanded': 'false', text: t('edit') });
          opener(edit, 'edit', (close) => this.composeForm({
            label: t('editLabel'), submitText: t('save'), busyText: t('saving'), initial: c.text || '', rows: 4,
            submit: (text) => this.editComment(entry, text), cancel: close,
          }));
          bar.append(edit);
        }
        const del = h('button', { type: 'button', class: 'th-quiet', 'aria-expanded': 'false', text: t('delete') });
        del.addEventListener('click', () => open(del, (close) => confirm(t('deleteConfirm'), t('deleteYes'), t('deleteNo'), close, (yes) => this.deleteComment(entry, yes))));
        bar.append(del);
      }
      if (published && !c.own) {
        const rep = h('button', { type: 'button', class: 'th-quiet', 'aria-expanded': 'false', text: t('report') });
        rep.addEventListener('click', () => {
          if (!this.token()) { this.signIn(); return; }
          open(rep, (close) => this.reportForm(entry, close));
        });
        bar.append(rep);
      }
      const a = c.author;  // a signed-in reader may ignore another reader, never a moderator (shown while signed in)
      if (published && !c.own && a && !a.moderator) {
        const ign = h('button', { type: 'button', class: 'th-quiet', 'data-ignore': '', hidden: !this.me, 'aria-expanded': 'false', text: t('ignore') });
        ign.addEventListener('click', () => open(ign, (close) => confirm(t('ignoreConfirm', { name: a.name }), t('ignoreYes'), t('cancel'), close, (yes) => this.ignore(entry, yes))));
        bar.append(ign);
      }
      return bar;
    },

    // the text the reader has selected inside the comment's body, or ''
    selectedIn(entry) {
      const sel = this.root.getSelection ? this.root.getSelection() : getSelection();  // a shadow root's, where it has its own
      const body = entry.art && entry.art.querySelector('.th-body');
      if (!sel || sel.isCollapsed || !sel.rangeCount || !body) return '';
      const r = sel.getRangeAt(0);
      return body.contains(r.startContainer) && body.contains(r.endContainer) ? nodeText(r.cloneContents()) : '';
    },

    // what make() draws, opened in slot under btn (pressed again: closed); the focus moves into it (unless quiet)
    // and back to btn when it closes
    openIn(slot, btn, make, quiet) {
      if (slot.firstChild && slot._owner === btn) { this.closeSlot(slot); btn.focus(); return; }
      this.closeSlot(slot);
      const node = make(() => { this.closeSlot(slot); btn.focus(); });
      slot._owner = btn;
      btn.setAttribute('aria-expanded', 'true');
      slot.append(node);
      // Escape closes the form as Cancel does, but only while closing it loses nothing the reader typed
      const typed = (n) => Array.from(n.querySelectorAll('textarea,input[type=text]'), (f) => f.value);
      const before = typed(node).join('\0');
      node.addEventListener('keydown', (ev) => {
        if (ev.key !== 'Escape' || ev.isComposing || !slot.contains(node) || typed(node).join('\0') !== before) return;
        ev.preventDefault(); this.closeSlot(slot); btn.focus();
      });
      const first = node.querySelector('textarea,input,button');
      if (first && !quiet) first.focus();
      return node;
    },

    likeContent(btn, n) {
      btn.replaceChildren(h('span', { 'aria-hidden': 'true', text: '♥' }), ' ' + this.t('like'), n ? h('span', { class: 'th-n', text: ' ' + n }) : '');
    },

    closeSlot(slot) {
      if (slot._owner) slot._owner.setAttribute('aria-expanded', 'false');
      slot._owner = null;
      slot.replaceChildren();
    },
  });

  function countDeep(list) { return list.reduce((n, c) => n + 1 + countDeep(c.replies || []), 0); }
