  // widget/52-standing.js — the reader's standing: ban, suspension, warning and premoderation notices, and appeals
  addMethods(Widget, {
    // The reader's standing (GET /me). A ban or suspension locks the forms and stands alone; a warning and
    // premoderation are notices: the reader can still take part. A warning and a moderator's premoderation
    // together (two actions, two reasons): each notice names its appeal on a button, and the one appeal form
    // opens in the notice it is for, naming the action; never two look-alike forms.
    renderStanding() {
      const me = this.me;
      const open = me && !me.sanction;
      const w = open && me.warning, p = open && me.premoderation;
      const two = !!(w && p && p.source === 'sanction');
      this.renderSanction(me && me.sanction);
      this.renderNotice(this.warnSlot, w, two, (w) => this.standingBox(w, 'th-notice th-warning',
        h('h3', null, this.timeText(w.until ? 'warnedUntil' : 'warned', w.until)), h('p', { text: this.t('warnedHelp') }), two && 'warn'));
      this.renderNotice(this.premodSlot, p, two, (p) => (p.source === 'sanction'
        ? this.standingBox(p, 'th-notice', h('h3', { text: this.t('premoderated') }), null, two && 'premoderate')
        : this.standingBox(null, 'th-notice', h('h3', { text: this.t('premoderated') }), h('p', { text: this.t(p.source === 'recent_history' ? 'premodHistory' : 'premodNew') }))));
    },

    renderSanction(s) {
      this.sanction.replaceChildren();
      this.sanction.hidden = !s;
      if (!s) return;
      const head = s.sanction === 'ban' ? h('h3', { text: this.t('banned') }) : h('h3', null, this.timeText('suspended', s.until));
      this.sanction.append(this.standingBox(s, 'th-sanction', head));
    },

    // A notice is drawn again only when what it says changes, so an appeal being written in it stays. One that
    // comes while the same reader is here (a warning after a refused comment) is announced, not focused.
    renderNotice(slot, data, two, make) {
      const key = data ? JSON.stringify([data, two]) : '';
      const reader = this.me ? this.me.id : null;
      if (slot._key === key && slot._reader === reader) return;
      const arrived = key && !slot._key && slot._reader === reader;
      const hadFocus = slot.contains(this.root.activeElement);
      slot._key = key; slot._reader = reader;
      slot.replaceChildren();
      slot.hidden = !data;
      if (!data) return;
      const box = make(data);
      slot.append(box);
      const head = box.querySelector('h3');
      if (hadFocus) head.focus();
      if (arrived) this.say(head.textContent);
    },

    // what a sanction, warning or premoderation is (head), why, a note, and the appeal's state or a form for one
    // (with `what`, one of two actions: a button naming it, which opens the form)
    standingBox(s, cls, head, note, what) {
      const t = this.t;
      head.id = uid('standing'); head.tabIndex = -1;
      const box = h('div', { class: cls, role: 'region', 'aria-labelledby': head.id }, head);
      if (s) box.append(h('p', null, h('strong', { text: t('sanctionReason') }), ' ', h('span', { dir: 'auto', text: s.reason || '' })));
      append(box, this.commentLine(s));
      append(box, note);
      if (s && s.appeal) {
        box.append(h('p', { text: t('appealState', { state: t('appeal_' + s.appeal.state) }) }));
        if (s.appeal.response) box.append(h('p', null, h('strong', { text: t('appealResponse') }), ' ', h('span', { dir: 'auto', text: s.appeal.response })));
      } else if (s && s.can_appeal && what) {
        const btn = h('button', { type: 'button', 'aria-expanded': 'false',
          text: t('appealOpen', { what: t('what_' + what) }), onclick: () => this.toggleAppeal(s, what, btn) });
        box.append(btn);
      } else if (s && s.can_appeal) {
        box.append(this.appealForm(s));
      }
      return box;
    },

    // the reader's comment an action was for (GET /me's sanction, warning or premoderation .comment): when, linked
    // where it is shown to them (published or held; on this article in place, on another at its address), the
    // other article's title, and how it began
    commentLine(s) {
      const c = s && s.comment;
      if (!c) return null;
      const here = c.thread === this.o.thread, shown = c.status === 'published' || c.status === 'held';
      const title = !here && c.title;
      const [pre, time, post] = this.timeText(title ? 'forCommentOn' : 'forComment', c.created_at, { title });
      const away = !here && shown && commentHref(c.url, c.id);
      const date = here && shown ? h('a', { href: this.permalinkHref(c.id), onclick: this.goTo(c.id) }, time) : away ? h('a', { href: away }, time) : time;
      return h('p', null, pre, date, post, ' ', c.excerpt ? h('q', { dir: 'auto', text: c.excerpt }) : this.t('commentDeleted'));
    },

    // the one appeal form of two actions, moved to the notice whose button opened it; what was written goes along
    toggleAppeal(s, what, btn) {
      const cur = this.appealOpen;
      this.closeAppeal();
      if (cur && cur.btn === btn) return;
      const form = this.appealForm(s, what, btn);
      form._area.value = this.appealText || '';
      btn.after(form);
      btn.setAttribute('aria-expanded', 'true'); btn.setAttribute('aria-controls', form.id);
      this.appealOpen = { form, btn };
      form._area.focus();
    },

    closeAppeal(discard) {
      const cur = this.appealOpen;
      this.appealOpen = null;
      if (!cur) return;
      this.appealText = discard ? '' : cur.form._area.value;
      cur.form.remove();
      cur.btn.setAttribute('aria-expanded', 'false'); cur.btn.removeAttribute('aria-controls');
      if (discard) cur.btn.focus();
    },

    // a message with a time in it ('… until {until}'): the time as a <time> element
    timeText(key, until, vars) {
      const parts = this.t(key, Object.assign({}, vars, { until: '\u0000' })).split('\u0000');
      const when = until ? new Date(until) : null;
      const time = when ? h('time', { datetime: until, text: this.exact(when, 1) }) : '';
      return [parts[0], time, parts[1] || ''];
    },

    appealForm(s, what, btn) {
      const t = this.t;
      const id = uid('appeal');
      const name = what && t('what_' + what);
      const msg = h('p', { class: 'th-error', hidden: true, id: id + '-err' });
      const area = h('textarea', { id, maxlength: 2000, 'aria-describedby': msg.id, rows: 3 });
      const send = h('button', { type: 'submit', class: 'th-primary', text: t('appealSend') });
      const form = h('form', { class: 'th-form', novalidate: true, id: id + '-form' },
        h('label', { for: id, text: name ? t('appealFor', { what: name }) : t('appealLabel') }), area, msg,
        h('div', { class: 'th-foot' }, h('div', { class: 'th-buttons' }, send,
          btn && h('button', { type: 'button', text: t('cancel'), onclick: () => this.closeAppeal(true) }))));
      form._area = area;
      form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        if (!area.value.trim()) { msg.hidden = false; msg.textContent = t('errEmpty'); this.alert(t('errEmpty')); area.focus(); return; }
        send.disabled = true;
        try {
          await this.api('POST', '/me/actions/' + s.action_id + '/appeal', { text: area.value });
          const ok = h('p', { class: 'th-ok', tabindex: '-1', text: name ? t('appealSentFor', { what: name }) : t('appealSent') });
          if (btn) { this.appealOpen = null; this.appealText = ''; btn.remove(); }
          form.replaceWith(ok);
          ok.focus();
          this.say(ok.textContent);
        } catch (e) {
          send.disabled = false;
          msg.hidden = false; msg.textContent = this.errorText(e); this.alert(msg.textContent);
        }
      });
      return form;
    },
  });
