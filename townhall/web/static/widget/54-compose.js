  // widget/54-compose.js — writing: the comment box, the compose/reply/edit form, a refusal by the house rules, forms locked
  addMethods(Widget, {
    canWrite() { const me = this.me || this.expired; return !this.closed && !!(me || this.o.guests) && !(me && me.sanction); },

    // while a sign-in has expired the form stays as it was, until the reader signs in again
    composeState() { return this.expired && !this.closed ? this.composeKey : this.canWrite() + '|' + !!this.token() + '|' + (this.closed || ''); },

    renderCompose() {
      this.renderThreadCtl();
      this.premod();
      // Keep the reader's form (and what is in it) unless who may write, or how, has changed.
      const key = this.composeState();
      if (this.composeKey === key && this.composeSlot.firstChild) return;
      this.composeKey = key;
      const old = this.mainForm && this.mainForm.isConnected ? this.mainForm : null;
      const text = old ? old._area.value : '';
      const had = old && old.contains(this.root.activeElement) && this.root.activeElement;
      this.composeSlot.replaceChildren();
      this.mainForm = null;
      if (this.closed) {
        // closed by the age limit: since when; else (a moderator, or a refusal that did not say why) the plain line.
        // A draft stays, read-only, to copy.
        const at = this.closed === 'age' && this.thread.closes_at;
        this.composeSlot.append(h('p', { class: 'th-note' }, at ? this.timeText('closedAge', at) : this.t('closed')));
        if (text.trim()) { this.lock(old); this.composeSlot.append(this.mainForm = old); if (had) had.focus(); }
        return;
      }
      if (!this.canWrite()) {
        // a sanctioned reader keeps what they wrote (to copy for an appeal), but cannot send it
        if (this.me) this.lockWriting();
        if (this.me && text.trim()) { this.lock(old); this.composeSlot.append(this.mainForm = old); }
        return;
      }
      this.mainForm = this.composeForm({
        label: this.t('composeLabel'), submitText: this.t('post'), busyText: this.t('posting'), initial: text,
        submit: (text, guestName) => this.postComment(text, null, guestName),
      });
      this.composeSlot.append(this.mainForm);
    },

    // ------------------------------------------------ a compose/reply/edit form
    composeForm(cfg) {
      const t = this.t;
      const max = this.o.maxLength;
      const id = uid('text');
      const counter = h('span', { class: 'th-counter', id: id + '-count', 'aria-hidden': 'true' });
      const help = h('p', { class: 'th-help', id: id + '-help', text: t('counterHelp', { max }) });
      const err = h('p', { class: 'th-error', id: id + '-err', hidden: true });
      const rejected = h('div', { hidden: true });
      const area = h('textarea', { id, name: 'text', rows: cfg.rows || 4, value: cfg.initial || '',
        'aria-describedby': help.id + ' ' + err.id });
      const needName = !this.token() && this.o.guests;
      let nameInput = null;
      const nameField = [];
      if (needName) {
        const nid = uid('name');
        nameInput = h('input', { type: 'text', id: nid, name: 'name', autocomplete: 'nickname', maxlength: 80, required: true,
          'data-guest-name': '' });
        nameField.push(h('label', { for: nid, text: t('guestName'), 'data-guest-name': '' }), nameInput);
      }
      const submit = h('button', { type: 'submit', class: 'th-primary', text: cfg.submitText });
      const buttons = h('div', { class: 'th-buttons' }, submit);
      if (cfg.cancel) buttons.append(h('button', { type: 'button', text: t('cancel'), onclick: cfg.cancel }));
      const label = h('label', { for: id, text: cfg.label });
      // a reply's "Quote": the comment's words (or the part of it the reader selected) as "> " lines at the top of
      // the draft, an empty line after them; the focus goes back to the box, at the end of the text
      const quote = cfg.quote && h('button', { type: 'button', class: 'th-quiet th-quote', 'data-quote': '', onclick: () => {
        const q = cfg.quote().trim();
        if (q) { area.value = quoteLines(q) + '\n\n' + area.value; area.dispatchEvent(new Event('input')); }
        area.focus();
        area.setSelectionRange(area.value.length, area.value.length);
        area.scrollTop = area.scrollHeight;
        if (q) this.say(t('quoted'));
      } }, t('quote'), h('span', { class: 'th-sr', text: ' — ' + cfg.quoteOf }));
      const form = h('form', { class: 'th-form', novalidate: true },
        nameField, label, area, quote, help, rejected, err,
        h('div', { class: 'th-foot' }, counter, buttons));
      const update = () => {
        const n = Array.from(area.value).length;
        area.dir = /\p{L}/u.test(area.value) ? 'auto' : '';  // the reader's words in their own direction; none yet: the page's
        counter.textContent = t('counter', { n, max });
        counter.classList.toggle('th-over', n > max);
      };
      area.addEventListener('input', update);
      update();
      const showError = (text, field) => {
        err.hidden = !text; err.textContent = text || '';
        if (text) { this.alert(t('errorPrefix') + ' ' + text); (field || area).focus(); }
      };
      form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        if (submit.disabled || submit.hidden) return;
        if (this.expired && !this.token()) { showError(t('errExpired')); this.requestLogin(); return; }
        const text = area.value;
        const n = Array.from(text).length;
        if (nameInput && !this.token() && !nameInput.value.trim()) return showError(t('guestNeedName'), nameInput);
        if (!text.trim()) return showError(t('errEmpty'));
        if (n > max) return showError(t('errTooLong', { n: n - max }));
        showError('');
        submit.disabled = true; submit.textContent = cfg.busyText;
        try {
          await cfg.submit(text, nameInput ? nameInput.value.trim() : null);
          rejected.hidden = true; rejected.replaceChildren();
          area.value = ''; update();
          if (cfg.done) cfg.done();
        } catch (e) {
          if (e instanceof ApiError && (e.code === 'thread_closed' || (e.details && Array.isArray(e.details.hits) && e.details.hits.some((x) => x.rule === 'closed_thread')))) {
            // the thread closed meanwhile (the age limit sends no event): as for thread.closed, focus on the text
            // kept; the server then says why
            this.close('', 2);
            area.focus();
            this.askClosed(0);
          } else if (e instanceof ApiError && e.code === 'rejected_by_house_rules') {
            this.showRejection(rejected, area, e, text);
          } else if (e instanceof ApiError && e.code === 'account_sanctioned') {
            this.me = Object.assign({}, this.me || { name: '', guest: false }, { sanction: e.details });
            this.renderStanding();
            this.alert(this.errorText(e));
            const head = this.sanction.querySelector('h3');
            if (head) head.focus();
            this.renderCompose();
            this.lockWriting();
          } else {
            showError(this.errorText(e));
          }
        } finally {
          if (submit.isConnected) { submit.disabled = false; submit.textContent = cfg.submitText; }
        }
      });
      form._area = area; form._label = label;
      return form;
    },

    showRejection(box, area, err, sent) {
      const t = this.t;
      const details = err.details || {};
      const hits = Array.isArray(details.hits) ? details.hits : [];
      const text = typeof details.text === 'string' ? details.text : sent;
      const spans = hits.map((x) => x.span).filter(Boolean);
      const items = [];
      const seen = new Set();
      for (const x of hits) {
        const own = MESSAGES[this.lang]['rule_' + x.rule];
        let desc = own && this.lang !== 'en' && x.description === MESSAGES.en['rule_' + x.rule] ? own : (x.description || x.rule);
        // the built-in length check's words are the server's (English): its span is [the limit, the length]
        if (this.lang !== 'en' && x.rule === 'length') desc = x.span ? t('rule_length', { max: x.span[0], n: x.span[1] }) : t('errEmpty');
        if (seen.has(desc)) continue;
        seen.add(desc);
        items.push(h('li', { text: desc }));
      }
      if (!items.length) items.push(h('li', { text: err.message }));
      const marked = h('p', { class: 'th-marked', dir: 'auto' }, markRuns(text, spans).map(([s, m]) => (m ? h('mark', { text: s }) : s)));
      const titleId = uid('rej');
      const help = t(spans.length ? 'rejectedHelp' : 'rejectedHelpWhole');  // nothing is highlighted without a span
      box.replaceChildren(h('div', { class: 'th-rejected', role: 'group', 'aria-labelledby': titleId },
        h('h3', { id: titleId, text: t('rejectedTitle') }), h('ul', null, items),
        spans.length ? [h('p', { text: t('rejectedYourText') }), marked] : null,
        h('p', { text: help })));
      box.hidden = false;
      area.setAttribute('aria-describedby', area.getAttribute('aria-describedby').split(' ').concat(titleId).filter((v, i, a) => a.indexOf(v) === i).join(' '));
      this.alert(t('rejectedTitle') + ': ' + items.map((li) => li.textContent).join(' ') + ' ' + help);
      area.focus();
      if (spans.length && area.value === text) {
        const first = spans.reduce((a, b) => (b[0] < a[0] ? b : a));
        try { area.setSelectionRange(utf16Offset(text, first[0]), utf16Offset(text, first[1])); } catch (e) { /* ignore */ }
      }
      this.refreshMeSoon();
    },

    refreshMeSoon() {
      clearTimeout(this.meTimer);
      this.meTimer = setTimeout(() => { if (this.token()) this.refreshMe(); }, 300);
    },

    // A form that can no longer be sent keeps its text, to copy.
    lock(form) {
      form._area.readOnly = true;
      form._label.textContent = this.t(this.closed ? 'draftClosed' : 'draftKept');
      form.querySelector('[type=submit]').hidden = true;
    },

    lockWriting() {
      this.root.querySelectorAll('[data-write]').forEach((b) => { b.hidden = true; });
      this.list.querySelectorAll('.th-slot > form').forEach((f) => { if (f._area) this.lock(f); });
    },
  });
