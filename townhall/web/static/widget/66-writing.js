  // widget/66-writing.js — acting on a comment: reporting, posting, editing, deleting, liking
  addMethods(Widget, {
    reportForm(entry, close) {
      const t = this.t;
      const name = uid('reason');
      const err = h('p', { class: 'th-error', hidden: true, id: name + '-err' });
      const noteId = uid('note');
      const note = h('textarea', { id: noteId, rows: 2, maxlength: 1000 });
      const send = h('button', { type: 'submit', class: 'th-primary', text: t('reportSend') });
      const form = h('form', { class: 'th-form', novalidate: true },
        h('fieldset', { 'aria-describedby': err.id }, h('legend', { text: t('reportLegend') }),
          REASONS.map((r) => h('label', null, h('input', { type: 'radio', name, value: r }), t('reason_' + r)))),
        h('label', { for: noteId, text: t('reportNote') }), note, err,
        h('div', { class: 'th-buttons' }, send, h('button', { type: 'button', text: t('cancel'), onclick: close })));
      form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        const chosen = form.querySelector('input[type=radio]:checked');
        if (!chosen) { err.hidden = false; err.textContent = t('reportChoose'); this.alert(t('reportChoose')); form.querySelector('input[type=radio]').focus(); return; }
        send.disabled = true;
        try {
          await this.api('POST', '/comments/' + entry.c.id + '/reports', { reason: chosen.value, note: note.value.trim() || null });
          const ok = h('p', { class: 'th-ok', tabindex: '-1', text: t('reported') });
          form.replaceWith(ok);
          ok.focus();
          this.say(t('reported'));
        } catch (e) {
          send.disabled = false;
          err.hidden = false; err.textContent = this.errorText(e); this.alert(err.textContent);
        }
      });
      return form;
    },

    // ------------------------------------------------ writing
    async postComment(text, parentId, guestName) {
      // the article's address as the server takes it (absolute, http(s)); a page that has none (a file: page, a
      // data-url that is no web address) sends none rather than have the comment refused; nor one past the API's
      // 2,000 characters, and a title is cut to its 500 (code points, as the server counts)
      const page = webUrl(this.o.url), title = this.o.title;
      const body = { text, parent_id: parentId, url: page && page.href.length <= 2000 ? page.href : undefined,
        title: title ? Array.from(String(title)).slice(0, 500).join('') : title };
      const device = await deviceHash();
      if (device) body.device = device;
      if (guestName && !this.token()) body.guest_name = guestName;
      this.inflight++;
      try {
        let res;
        try {
          res = await this.api('POST', '/threads/' + encodeURIComponent(this.o.thread) + '/comments', body);
        } catch (e) {
          if (e instanceof ApiError && e.details && e.details.comment_id) this.mine.add(e.details.comment_id);
          if (e instanceof ApiError && e.details && typeof e.details.guest_token === 'string' && !this.token()) {
            this.keepGuest(e.details.guest_token);
          }
          throw e;
        }
        const c = Object.assign({ replies: [] }, res.comment);
        this.mine.add(c.id);
        this.mineSoon();
        if (res.guest_token) {
          store.set(guestKey(this.o.site), res.guest_token);
          await this.refreshMe();
        }
        let li;
        if (parentId) li = this.insertReply(c);
        if (!li) {
          li = this.renderItem(c, 0);
          if (this.sort === 'oldest' && !this.cursor) this.list.append(li); else this.list.prepend(li);
        }
        this.status.hidden = true;
        if (c.status === 'published') this.setCount(this.count + 1);
        this.say(this.t(c.status === 'held' ? 'heldNotice' : 'publishedNotice'));
        setTimeout(() => { const art = li.querySelector('.th-c'); if (art) art.focus(); }, 0); // focus follows the new comment
        return c;
      } finally {
        this.inflight--;
        this.flushDeferred();
      }
    },

    // A guest's first comment was refused, but the account made for it stays theirs: the next try (and any
    // strike) goes to the same account. The form keeps the reader's text and the reasons; no form asks for
    // the name any more (reply forms already open included).
    keepGuest(token) {
      const before = this.composeState();
      store.set(guestKey(this.o.site), token);
      if (this.composeKey === before && this.mainForm) this.composeKey = this.composeState();
      this.root.querySelectorAll('[data-guest-name]').forEach((x) => { x.hidden = true; });
    },

    async editComment(entry, text) {
      this.inflight++;
      this.mine.add(entry.c.id);
      try {
        let res;
        try {
          res = await this.api('PATCH', '/comments/' + entry.c.id, { text });
        } catch (e) {
          if (e instanceof ApiError && e.code === 'rejected_by_house_rules') entry.echo = entry.c.status === 'published';  // comment.removed follows
          if (e instanceof ApiError && e.code === 'edit_window_closed') {
            entry.art.querySelectorAll('[data-write]').forEach((b) => { if (b.textContent === this.t('edit')) b.hidden = true; });
          }
          throw e;
        }
        const c = Object.assign({}, entry.c, res.comment, { replies: entry.c.replies });
        entry.echo = entry.c.status === 'published' && c.status !== 'published';  // held now: comment.removed follows
        entry.c = c;
        this.mineSoon();
        const art = this.renderArticle(entry);
        const old = entry.li.querySelector('.th-c');
        old.replaceWith(art);
        this.refreshTimes();  // the others' relative times, as fresh as the redrawn one's
        art.focus();
        this.say(this.t(c.status === 'held' ? 'heldNotice' : 'savedNotice'));
      } finally {
        this.inflight--;
        this.flushDeferred();
      }
    },

    async deleteComment(entry, btn) {
      btn.disabled = true;
      this.inflight++;
      try {
        await this.api('DELETE', '/comments/' + entry.c.id);
        const wasPublished = entry.c.status === 'published';
        this.mineSoon();
        entry.c = Object.assign({}, entry.c, { status: 'deleted', author: null, html: '' });
        const art = this.renderArticle(entry);
        entry.li.querySelector('.th-c').replaceWith(art);
        art.focus();
        if (wasPublished) this.setCount(this.count - 1);
        this.say(this.t('deletedNotice'));
      } catch (e) {
        btn.disabled = false;
        this.alert(this.errorText(e));
      } finally {
        this.inflight--;
        this.flushDeferred();
      }
    },

    async toggleLike(entry, btn) {
      if (!this.token()) { this.signIn(); return; }
      const liked = btn.getAttribute('aria-pressed') === 'true';
      btn.disabled = true;
      try {
        const res = await this.api('PUT', '/comments/' + entry.c.id + '/reaction', { kind: liked ? null : 'like' });
        entry.c.reactions = res.reactions;
        entry.c.my_reaction = res.my_reaction;
        const now = res.my_reaction === 'like';
        btn.setAttribute('aria-pressed', String(now));
        this.likeContent(btn, res.reactions);
      } catch (e) {
        this.alert(this.errorText(e));
      } finally {
        btn.disabled = false;
      }
    },
  });
