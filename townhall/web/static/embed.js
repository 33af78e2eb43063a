/*! Townhall comments widget (embed.js) — Apache-2.0. Plain modern JavaScript: no dependencies, no build step.
 *
 * <div id="townhall" data-site="SITE" data-thread="ARTICLE-ID" data-url="…" data-title="…"></div>
 * <script src="https://HOST/embed.js" async></script>
 *
 * JS API: Townhall.render(el, options) · Townhall.login(jwt) · Townhall.logout()
 * Talks only to the host this file was loaded from. See docs/widget.md.
 */
(function () {
  'use strict';
  if (window.Townhall && window.Townhall.version) return;

  const VERSION = '1.0.0';
  const SCRIPT = document.currentScript ||
    Array.from(document.querySelectorAll('script[src]')).find((s) => /\/embed\.js(?:[?#]|$)/.test(s.src));
  const BASE = SCRIPT ? SCRIPT.src.replace(/\/embed\.js(?:[?#].*)?$/, '') : location.origin;
  const REASONS = ['abusive', 'obscene', 'f_word', 'spam', 'paid_troll', 'off_topic', 'other'];

  // ---------------------------------------------------------------- message catalogue
  const MESSAGES = {
    en: {
      heading: 'Comments',
      count: { one: '{n} comment', other: '{n} comments' },
      sortBy: 'Sort by',
      sort_newest: 'Newest first', sort_oldest: 'Oldest first', sort_top: 'Most liked',
      loading: 'Loading comments…',
      empty: 'No comments yet. Start the conversation.',
      composeLabel: 'Add a comment',
      replyLabel: 'Reply to {name}',
      editLabel: 'Edit your comment',
      counter: '{n} / {max}',
      counterHelp: 'Up to {max} characters. Paragraphs and links are kept.',
      post: 'Post comment', posting: 'Posting…', replySend: 'Post reply', save: 'Save changes', saving: 'Saving…',
      cancel: 'Cancel',
      guestName: 'Your name (shown with your comment)',
      guestNeedName: 'Enter a name to comment as a guest.',
      signInPrompt: 'Sign in to join the conversation.',
      signInButton: 'Sign in',
      signedInAs: 'Signed in as',
      guestSignedIn: 'Commenting as a guest:',
      signOut: 'Sign out',
      supporter: 'Supporter', moderator: 'Moderator', guest: 'Guest',
      edited: 'edited',
      permalink: 'Link to this comment',
      commentBy: 'Comment by {name}',
      deletedComment: 'This comment was deleted.',
      removedComment: 'This comment was removed by a moderator.',
      removedOwn: { one: 'A moderator removed one of your comments', other: 'A moderator removed {n} of your comments' },
      removedOwnItem: 'Your comment “{text}” was removed. Reason:',
      awaiting: 'Awaiting review — only you can see this comment until a moderator approves it.',
      heldNotice: 'Your comment is awaiting review by a moderator.',
      publishedNotice: 'Your comment is published.',
      savedNotice: 'Your changes are saved.',
      deletedNotice: 'Your comment was deleted.',
      reply: 'Reply', edit: 'Edit', delete: 'Delete', report: 'Report',
      like: 'Like', likes: { one: '{n} like', other: '{n} likes' },
      deleteConfirm: 'Delete this comment? This cannot be undone.',
      deleteYes: 'Yes, delete', deleteNo: 'Keep it',
      reportLegend: 'Why are you reporting this comment?',
      reason_abusive: 'Abusive or harassing', reason_obscene: 'Obscene', reason_f_word: 'Uses the F word',
      reason_spam: 'Spam or advertising', reason_paid_troll: 'Paid troll or coordinated campaign',
      reason_off_topic: 'Off topic', reason_other: 'Something else',
      reportNote: 'Anything the moderators should know? (optional)',
      reportSend: 'Send report', reportChoose: 'Choose a reason for the report.',
      reported: 'Thank you. The moderators will take a look.',
      loadMore: 'Load more comments', loadMoreReplies: 'Load more replies',
      continueThread: { one: 'Continue this thread (1 more reply)', other: 'Continue this thread ({n} more replies)' },
      newComments: { one: '1 new comment — show', other: '{n} new comments — show' },
      newActivity: 'Comments were updated — show',
      announceNew: { one: '1 new comment. Use the “show” button above the comments to read it.', other: '{n} new comments. Use the “show” button above the comments to read them.' },
      shownNew: 'New comments are shown.',
      rejectedTitle: 'The house rules stopped this comment',
      rejectedHelp: 'Your text is still in the box: change the highlighted part and send it again.',
      rejectedYourText: 'What you sent, with the problem highlighted:',
      banned: 'You are banned from commenting.',
      suspended: 'You are suspended from commenting until {until}.',
      sanctionReason: 'Reason:',
      warned: 'You have been warned.',
      warnedUntil: 'You have been warned. The warning stands until {until}.',
      warnedHelp: 'You can still comment. If you break the house rules again, you may be suspended or banned.',
      premoderated: 'Your comments are reviewed by a moderator before they appear.',
      premodNew: 'This applies to new accounts: once one of your comments is approved, the next ones appear at once.',
      forComment: 'This was for your comment of {until}:', forCommentOn: 'This was for your comment of {until} on “{title}”:', commentDeleted: '(since deleted)',
      appealLabel: 'Appeal: explain why the decision should be reversed',
      appealSend: 'Send appeal',
      appealSent: 'Your appeal was sent. A moderator will review it.',
      appealOpen: 'Appeal {what}', appealFor: 'Appeal against {what}: explain why the decision should be reversed',
      appealSentFor: 'Your appeal against {what} was sent. A moderator will review it.',
      what_warn: 'the warning', what_premoderate: 'the review of your comments',
      appealState: 'Your appeal is {state}.',
      appealResponse: 'Moderator’s reply:',
      appeal_open: 'pending', appeal_upheld: 'decided: the sanction stays', appeal_reversed: 'decided: the sanction was lifted', appeal_moot: 'closed: the sanction had been lifted',
      errEmpty: 'Write something first.',
      errTooLong: { one: 'Your comment is 1 character too long.', other: 'Your comment is {n} characters too long.' },
      errNetwork: 'Could not reach the comment server. Check your connection and try again.',
      errServer: 'The comment server had a problem. Please try again in a moment.',
      draftKept: 'Not sent. Your text is kept here so you can copy it.',
      draftClosed: 'Not sent: comments are closed. Your text is kept here so you can copy it.',
      errRate: 'You are doing that too often. Try again in {s} seconds.',
      errExpired: 'Your sign-in has expired. Please sign in again.',
      errSignIn: 'Sign in to do this.',
      errLoad: 'The comments could not be loaded.',
      retry: 'Try again',
      houseRules: 'House rules: you can say pretty much anything except the F word. If you are abusive, obscene, or a paid troll, we will ban you.',
      errorPrefix: 'Error:',
      closed: 'Comments on this article are closed.',
      closedAge: 'Comments on this article closed automatically on {until}.',
      premodArticle: 'Comments on this article are reviewed by a moderator before they appear.',
      fromNewsroom: 'From the newsroom', announcement: 'Announcement',
      featured: 'Featured', featuredWhy: 'picked by the moderators', featuredHeading: 'Featured comments',
      featuredGo: 'Read it in the thread', feature: 'Feature', unfeature: 'Unfeature',
      featuredOn: 'The comment is now featured.', featuredOff: 'The comment is no longer featured.',
      ignore: 'Ignore', ignoreConfirm: 'Ignore {name}? Their comments will be hidden from you.', ignoreYes: 'Yes, ignore',
      ignoredNotice: 'You now ignore {name}: their comments are hidden.', ignoredComment: 'Comment from a reader you ignore.',
      ignoring: { one: 'You ignore 1 reader', other: 'You ignore {n} readers' }, unignore: 'Stop ignoring',
      unignored: 'You see comments from {name} again.',
      closeThread: 'Close comments', openThread: 'Open comments', closeYes: 'Yes, close comments',
      closeConfirm: 'Close comments on this article? Readers will no longer be able to comment or reply.',
      opened: 'Comments on this article are open again.',
    },
    de: {
      heading: 'Kommentare',
      count: { one: '{n} Kommentar', other: '{n} Kommentare' },
      sortBy: 'Sortieren nach',
      sort_newest: 'Neueste zuerst', sort_oldest: 'Älteste zuerst', sort_top: 'Beliebteste',
      loading: 'Kommentare werden geladen …',
      empty: 'Noch keine Kommentare. Eröffnen Sie die Diskussion.',
      composeLabel: 'Kommentar schreiben',
      replyLabel: 'Antwort an {name}',
      editLabel: 'Ihren Kommentar bearbeiten',
      counter: '{n} / {max}',
      counterHelp: 'Bis zu {max} Zeichen. Absätze und Links bleiben erhalten.',
      post: 'Kommentar senden', posting: 'Wird gesendet …', replySend: 'Antwort senden', save: 'Änderungen speichern', saving: 'Wird gespeichert …',
      cancel: 'Abbrechen',
      guestName: 'Ihr Name (wird beim Kommentar angezeigt)',
      guestNeedName: 'Geben Sie einen Namen ein, um als Gast zu kommentieren.',
      signInPrompt: 'Melden Sie sich an, um mitzudiskutieren.',
      signInButton: 'Anmelden',
      signedInAs: 'Angemeldet als',
      guestSignedIn: 'Sie kommentieren als Gast:',
      signOut: 'Abmelden',
      supporter: 'Unterstützer', moderator: 'Moderation', guest: 'Gast',
      edited: 'bearbeitet',
      permalink: 'Link zu diesem Kommentar',
      commentBy: 'Kommentar von {name}',
      deletedComment: 'Dieser Kommentar wurde gelöscht.',
      removedComment: 'Dieser Kommentar wurde von der Moderation entfernt.',
      removedOwn: { one: 'Die Moderation hat einen Ihrer Kommentare entfernt', other: 'Die Moderation hat {n} Ihrer Kommentare entfernt' },
      removedOwnItem: 'Ihr Kommentar „{text}“ wurde entfernt. Grund:',
      awaiting: 'Wird geprüft – nur Sie sehen diesen Kommentar, bis die Moderation ihn freigibt.',
      heldNotice: 'Ihr Kommentar wird von der Moderation geprüft.',
      publishedNotice: 'Ihr Kommentar ist veröffentlicht.',
      savedNotice: 'Ihre Änderungen sind gespeichert.',
      deletedNotice: 'Ihr Kommentar wurde gelöscht.',
      reply: 'Antworten', edit: 'Bearbeiten', delete: 'Löschen', report: 'Melden',
      like: 'Gefällt mir', likes: { one: '{n} Like', other: '{n} Likes' },
      deleteConfirm: 'Diesen Kommentar löschen? Das lässt sich nicht rückgängig machen.',
      deleteYes: 'Ja, löschen', deleteNo: 'Behalten',
      reportLegend: 'Warum melden Sie diesen Kommentar?',
      reason_abusive: 'Beleidigend oder belästigend', reason_obscene: 'Obszön', reason_f_word: 'Enthält das F-Wort',
      reason_spam: 'Spam oder Werbung', reason_paid_troll: 'Bezahlter Troll oder koordinierte Kampagne',
      reason_off_topic: 'Am Thema vorbei', reason_other: 'Etwas anderes',
      reportNote: 'Möchten Sie der Moderation noch etwas mitteilen? (optional)',
      reportSend: 'Meldung senden', reportChoose: 'Wählen Sie einen Grund für die Meldung.',
      reported: 'Danke. Die Moderation sieht sich das an.',
      loadMore: 'Weitere Kommentare laden', loadMoreReplies: 'Weitere Antworten laden',
      continueThread: { one: 'Diskussion fortsetzen (1 weitere Antwort)', other: 'Diskussion fortsetzen ({n} weitere Antworten)' },
      newComments: { one: '1 neuer Kommentar – anzeigen', other: '{n} neue Kommentare – anzeigen' },
      newActivity: 'Kommentare wurden aktualisiert – anzeigen',
      announceNew: { one: '1 neuer Kommentar. Mit der Schaltfläche „anzeigen“ über den Kommentaren lesen Sie ihn.', other: '{n} neue Kommentare. Mit der Schaltfläche „anzeigen“ über den Kommentaren lesen Sie sie.' },
      shownNew: 'Neue Kommentare werden angezeigt.',
      rejectedTitle: 'Die Hausregeln haben diesen Kommentar gestoppt',
      rejectedHelp: 'Ihr Text steht noch im Feld: Ändern Sie die markierte Stelle und senden Sie ihn erneut.',
      rejectedYourText: 'Ihr gesendeter Text, das Problem ist markiert:',
      banned: 'Sie sind vom Kommentieren ausgeschlossen.',
      suspended: 'Sie sind bis {until} vom Kommentieren ausgeschlossen.',
      sanctionReason: 'Grund:',
      warned: 'Sie haben eine Verwarnung erhalten.',
      warnedUntil: 'Sie haben eine Verwarnung erhalten. Sie gilt bis {until}.',
      warnedHelp: 'Sie können weiterhin kommentieren. Bei weiteren Verstößen gegen die Hausregeln können Sie vom Kommentieren ausgeschlossen werden.',
      premoderated: 'Ihre Kommentare werden von der Moderation geprüft, bevor sie erscheinen.',
      premodNew: 'Das gilt für neue Konten: Sobald einer Ihrer Kommentare freigegeben ist, erscheinen die nächsten sofort.',
      forComment: 'Anlass war Ihr Kommentar vom {until}:', forCommentOn: 'Anlass war Ihr Kommentar vom {until} zu „{title}“:', commentDeleted: '(inzwischen gelöscht)',
      appealLabel: 'Einspruch: Erklären Sie, warum die Entscheidung aufgehoben werden sollte',
      appealSend: 'Einspruch senden',
      appealSent: 'Ihr Einspruch wurde gesendet. Die Moderation prüft ihn.',
      appealOpen: 'Einspruch gegen {what}', appealFor: 'Einspruch gegen {what}: Erklären Sie, warum die Entscheidung aufgehoben werden sollte',
      appealSentFor: 'Ihr Einspruch gegen {what} wurde gesendet. Die Moderation prüft ihn.',
      what_warn: 'die Verwarnung', what_premoderate: 'die Vorabprüfung Ihrer Kommentare',
      appealState: 'Ihr Einspruch ist {state}.',
      appealResponse: 'Antwort der Moderation:',
      appeal_open: 'in Prüfung', appeal_upheld: 'entschieden: die Maßnahme bleibt', appeal_reversed: 'entschieden: die Maßnahme wurde aufgehoben', appeal_moot: 'geschlossen: die Maßnahme war schon aufgehoben',
      errEmpty: 'Schreiben Sie zuerst etwas.',
      errTooLong: { one: 'Ihr Kommentar ist 1 Zeichen zu lang.', other: 'Ihr Kommentar ist {n} Zeichen zu lang.' },
      errNetwork: 'Der Kommentar-Server ist nicht erreichbar. Prüfen Sie Ihre Verbindung und versuchen Sie es erneut.',
      errServer: 'Der Kommentar-Server hat ein Problem. Bitte versuchen Sie es gleich noch einmal.',
      draftKept: 'Nicht gesendet. Ihr Text bleibt hier, damit Sie ihn kopieren können.',
      draftClosed: 'Nicht gesendet: Die Kommentare sind geschlossen. Ihr Text bleibt hier, damit Sie ihn kopieren können.',
      errRate: 'Das geht gerade zu oft. Versuchen Sie es in {s} Sekunden erneut.',
      errExpired: 'Ihre Anmeldung ist abgelaufen. Bitte melden Sie sich erneut an.',
      errSignIn: 'Melden Sie sich dafür an.',
      errLoad: 'Die Kommentare konnten nicht geladen werden.',
      retry: 'Erneut versuchen',
      houseRules: 'Hausregeln: Sie dürfen so gut wie alles sagen, außer dem F-Wort. Wer beleidigt, obszön schreibt oder als bezahlter Troll auftritt, wird gesperrt.',
      errorPrefix: 'Fehler:',
      closed: 'Die Kommentare zu diesem Artikel sind geschlossen.',
      closedAge: 'Die Kommentare zu diesem Artikel wurden am {until} automatisch geschlossen.',
      premodArticle: 'Die Kommentare zu diesem Artikel werden von der Moderation geprüft, bevor sie erscheinen.',
      fromNewsroom: 'Von der Redaktion', announcement: 'Ankündigung',
      featured: 'Empfohlen', featuredWhy: 'von der Moderation ausgewählt', featuredHeading: 'Empfohlene Kommentare',
      featuredGo: 'In der Diskussion lesen', feature: 'Empfehlen', unfeature: 'Nicht mehr empfehlen',
      featuredOn: 'Der Kommentar wird jetzt empfohlen.', featuredOff: 'Der Kommentar wird nicht mehr empfohlen.',
      ignore: 'Ignorieren', ignoreConfirm: '{name} ignorieren? Die Kommentare dieser Person werden Ihnen nicht mehr angezeigt.',
      ignoreYes: 'Ja, ignorieren', ignoredNotice: 'Sie ignorieren jetzt {name}: die Kommentare sind ausgeblendet.',
      ignoredComment: 'Kommentar einer Person, die Sie ignorieren.',
      ignoring: { one: 'Sie ignorieren 1 Person', other: 'Sie ignorieren {n} Personen' }, unignore: 'Nicht mehr ignorieren',
      unignored: 'Sie sehen die Kommentare von {name} wieder.',
      closeThread: 'Kommentare schließen', openThread: 'Kommentare öffnen', closeYes: 'Ja, schließen',
      closeConfirm: 'Die Kommentare zu diesem Artikel schließen? Dann kann niemand mehr kommentieren oder antworten.',
      opened: 'Die Kommentare zu diesem Artikel sind wieder geöffnet.',
    },
  };

  function pickLang(wanted) {
    const tag = String(wanted || 'en').toLowerCase();
    const primary = tag.split(/[-_]/)[0];
    return MESSAGES[primary] ? primary : 'en';
  }

  function translator(lang) {
    const rules = new Intl.PluralRules(lang);
    return function t(key, vars) {
      let m = (MESSAGES[lang] && MESSAGES[lang][key]) || MESSAGES.en[key] || key;
      if (typeof m === 'object') m = m[rules.select(Number(vars && vars.n))] || m.other;
      return m.replace(/\{(\w+)\}/g, (_, k) => (vars && vars[k] != null ? String(vars[k]) : ''));
    };
  }

  // ---------------------------------------------------------------- helpers
  let seq = 0;
  const uid = (p) => 'th-' + p + '-' + (++seq);
  const PROPS = new Set(['hidden', 'disabled', 'checked', 'value', 'required', 'selected']);

  function h(tag, attrs) {
    const el = document.createElement(tag);
    if (attrs) {
      for (const k of Object.keys(attrs)) {
        const v = attrs[k];
        if (v == null || v === false) continue;
        if (k === 'class') el.className = v;
        else if (k === 'text') el.textContent = v;
        else if (k === 'html') el.innerHTML = v;
        else if (k.slice(0, 2) === 'on') el.addEventListener(k.slice(2), v);
        else if (PROPS.has(k)) el[k] = v;
        else el.setAttribute(k, v === true ? '' : String(v));
      }
    }
    for (let i = 2; i < arguments.length; i++) append(el, arguments[i]);
    return el;
  }
  // plain text as paragraphs (an empty line between them), each as text: never markup
  const paras = (text) => text.split(/\n\s*\n/).filter((p) => p.trim()).map((p) => h('p', { text: p }));
  // `url` (an absolute address, or one relative to this page) as a web address, or null: only http(s), without a
  // user name ("news.example@elsewhere" as the host part), never a javascript:, data: or file: one
  function webUrl(url) {
    let u = null;
    try { u = url ? new URL(url, location.href) : null; } catch (e) { /* not an address */ }
    return u && (u.protocol === 'http:' || u.protocol === 'https:') && !u.username && !u.password ? u : null;
  }
  // comment `id` on the article at `url`, whatever the comment's thread was created with
  function commentHref(url, id) {
    const u = webUrl(url);
    if (!u) return null;
    u.hash = 'comment-' + id;
    return u.href;
  }
  // an inline "are you sure?": the question, the button that acts and the one that closes it
  function confirmBox(q, yesText, noText, close, act) {
    const yes = h('button', { type: 'button', class: 'th-primary', text: yesText, onclick: () => act(yes) });
    return h('div', { class: 'th-form', role: 'group', 'aria-label': q }, h('p', { text: q }),
      h('div', { class: 'th-buttons' }, yes, h('button', { type: 'button', text: noText, onclick: close })));
  }
  function append(el, kid) {
    if (kid == null || kid === false) return;
    if (Array.isArray(kid)) kid.forEach((k) => append(el, k));
    else el.append(kid.nodeType ? kid : String(kid));
  }

  const store = {
    get(k) { try { return window.localStorage.getItem(k); } catch (e) { return null; } },
    set(k, v) { try { window.localStorage.setItem(k, v); } catch (e) { /* storage blocked */ } },
    del(k) { try { window.localStorage.removeItem(k); } catch (e) { /* storage blocked */ } },
  };

  class ApiError extends Error {
    constructor(status, code, message, details, retryAfter) {
      super(message);
      this.status = status; this.code = code; this.details = details; this.retryAfter = retryAfter;
    }
  }

  // A random id kept in localStorage, sent only as its SHA-256 hash; nothing else about the device is read.
  let devicePromise = null;
  function deviceHash() {
    if (!devicePromise) {
      devicePromise = (async () => {
        if (!window.crypto || !crypto.subtle || !crypto.getRandomValues) return null;
        let id = store.get('townhall:device');
        if (!id) {
          const bytes = crypto.getRandomValues(new Uint8Array(16));
          id = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
          store.set('townhall:device', id);
        }
        const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode('townhall-device:' + id));
        return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
      })().catch(() => null);
    }
    return devicePromise;
  }

  // Code-point spans (as the server counts them) over the submitted text -> runs of [text, marked].
  function markRuns(text, spans) {
    const cps = Array.from(text);
    const marked = new Uint8Array(cps.length);
    for (const s of spans) {
      if (!Array.isArray(s) || s.length < 2) continue;
      for (let i = Math.max(0, s[0]); i < Math.min(cps.length, s[1]); i++) marked[i] = 1;
    }
    const runs = [];
    let cur = '', flag = cps.length ? marked[0] : 0;
    cps.forEach((ch, i) => {
      if (marked[i] !== flag) { runs.push([cur, !!flag]); cur = ''; flag = marked[i]; }
      cur += ch;
    });
    if (cur) runs.push([cur, !!flag]);
    return runs;
  }
  function utf16Offset(text, cp) { return Array.from(text).slice(0, cp).join('').length; }

  // ---------------------------------------------------------------- auth shared by all widgets on the page
  const auth = { token: null };
  const widgets = new Set();
  const guestKey = (site) => 'townhall:guest:' + (site || 'default');

  // ---------------------------------------------------------------- styles
  const LIGHT = '--_bg:var(--th-bg,#fff);--_fg:var(--th-fg,#1b1b1b);--_muted:var(--th-muted,#545b63);' +
    '--_border:var(--th-border,#cfd4da);--_accent:var(--th-accent,#0a58b0);--_accent-fg:var(--th-accent-fg,#fff);' +
    '--_surface:var(--th-surface,#f3f5f7);--_error:var(--th-error,#a3141e);--_error-bg:var(--th-error-bg,#fdecee);' +
    '--_mark:var(--th-mark,#ffd95a);--_mark-fg:var(--th-mark-fg,#1b1b1b);--_ok:var(--th-ok,#1d6b35);' +
    '--_highlight:var(--th-highlight,#fff2b8);--_badge:var(--th-badge,#6b4300);--_badge-bg:var(--th-badge-bg,#ffedc7);color-scheme:light;';
  const DARK = '--_bg:var(--th-bg-dark,#15171a);--_fg:var(--th-fg-dark,#eceef0);--_muted:var(--th-muted-dark,#aab1b9);' +
    '--_border:var(--th-border-dark,#3b4149);--_accent:var(--th-accent-dark,#8dbaff);--_accent-fg:var(--th-accent-fg-dark,#0b1526);' +
    '--_surface:var(--th-surface-dark,#1f2328);--_error:var(--th-error-dark,#ff9ea6);--_error-bg:var(--th-error-bg-dark,#35161a);' +
    '--_mark:var(--th-mark-dark,#f2c94c);--_mark-fg:var(--th-mark-fg-dark,#111);--_ok:var(--th-ok-dark,#86dba0);' +
    '--_highlight:var(--th-highlight-dark,#3b3413);--_badge:var(--th-badge-dark,#ffd38a);--_badge-bg:var(--th-badge-bg-dark,#3b2c0e);color-scheme:dark;';
  const CSS = `
:host{display:block;${LIGHT}}
[hidden]{display:none!important}
@media (prefers-color-scheme:dark){:host(:not([data-theme="light"])){${DARK}}}
:host([data-theme="dark"]){${DARK}}
.th{background:var(--_bg);color:var(--_fg);font:var(--th-font-size,1rem)/1.55 var(--th-font,system-ui,-apple-system,"Segoe UI",Roboto,sans-serif);padding:var(--th-padding,1rem);border-radius:var(--th-radius,6px)}
.th *,.th *::before,.th *::after{box-sizing:border-box}
.th-head{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:baseline;justify-content:space-between;border-bottom:2px solid var(--_fg);padding-bottom:.5rem;margin-bottom:1rem}
h2{font-size:1.35em;margin:0}h3{font-size:1em;margin:0 0 .4rem}
.th-count{color:var(--_muted);font-weight:400;font-size:.75em;margin-inline-start:.4em}
select,input,textarea,button{font:inherit;color:inherit}
select,input[type=text],textarea{background:var(--_bg);color:var(--_fg);border:1px solid var(--_muted);border-radius:var(--th-radius,6px);padding:.4rem .55rem}
textarea{width:100%;min-height:5.5rem;resize:vertical;display:block}
label{display:block;font-weight:600;margin:.25rem 0}
.th-inline{display:inline;font-weight:400;margin-inline-end:.4rem}
button{cursor:pointer;border-radius:var(--th-radius,6px);padding:.35rem .8rem;border:1px solid var(--_accent);background:transparent;color:var(--_accent);line-height:1.3}
button.th-primary{background:var(--_accent);color:var(--_accent-fg);font-weight:600}
button.th-quiet{border-color:transparent;color:var(--_muted);padding:.25rem .45rem}
button.th-quiet:hover{border-color:var(--_border);color:var(--_fg)}
button:disabled{opacity:.65;cursor:default}
:focus-visible{outline:3px solid var(--_accent);outline-offset:2px}
.th-c:focus{outline:none}.th-c:focus-visible{outline:3px solid var(--_accent)}
ol{list-style:none;margin:0;padding:0}
.th-replies{margin-inline-start:.9rem;padding-inline-start:.9rem;border-inline-start:2px solid var(--_border)}
.th-continued{border-inline-start-style:dashed}
.th-c{padding:.6rem .4rem;border-radius:var(--th-radius,6px)}
.th-meta{display:flex;flex-wrap:wrap;gap:.15rem .5rem;align-items:baseline;font-size:.9em}
.th-name{font-weight:700}
.th-name,.th-account,label,.th-removed,.th-rejected,.th-sanction,.th-notice{overflow-wrap:anywhere;min-width:0}.th-account>*{min-width:0}
.th-badge{font-size:.78em;font-weight:600;padding:.05rem .45rem;border-radius:999px;background:var(--_badge-bg);color:var(--_badge)}
.th-meta a,.th-meta span.th-muted{color:var(--_muted)}
.th-body{overflow-wrap:anywhere}.th-body p{margin:.3rem 0}.th-body a{color:var(--_accent)}
.th-actions{display:flex;flex-wrap:wrap;gap:.2rem;margin-top:.2rem}
.th-note{font-size:.9em;color:var(--_muted);font-style:italic;margin:.3rem 0}
.th-message,.th-announce{background:var(--_surface);border:1px solid var(--_border);border-radius:var(--th-radius,6px);padding:.5rem 1rem;margin:.6rem 0}
.th-message h3,.th-announce h3{font-size:.8em;color:var(--_muted);margin:0}.th-message p,.th-announce p{margin:.3rem 0;white-space:pre-line;overflow-wrap:anywhere}
.th-announce{border-inline-start:4px solid var(--_accent)}
.th-held{border-inline-start:4px solid var(--_badge);background:var(--_surface)}
.th-highlight{background:var(--_highlight)}
.th-banner{display:block;width:100%;margin:0 0 1rem;padding:.55rem;background:var(--_accent);color:var(--_accent-fg);font-weight:600}
.th-error{color:var(--_error);font-weight:600;margin:.4rem 0}
.th-ok{color:var(--_ok);margin:.4rem 0}
.th-rejected,.th-sanction{background:var(--_error-bg);border:1px solid var(--_error);border-inline-start-width:5px;border-radius:var(--th-radius,6px);padding:.75rem 1rem;margin:.6rem 0}
.th-rejected h3,.th-sanction h3{color:var(--_error)}.th-sanction a,.th-notice a{color:var(--_accent)}
.th-notice{background:var(--_surface);border:1px solid var(--_border);border-inline-start:5px solid var(--_accent);border-radius:var(--th-radius,6px);padding:.6rem 1rem;margin:.6rem 0}
.th-warning{background:var(--_badge-bg);border-color:var(--_badge)}.th-warning h3{color:var(--_badge)}
.th-notice p{margin:.3rem 0}
.th-removed{margin:.4rem 0}.th-removed ul{margin:.3rem 0;padding-inline-start:1.2rem}
.th-rejected ul{margin:.2rem 0 .5rem;padding-inline-start:1.2rem}
.th-marked{white-space:pre-wrap;overflow-wrap:anywhere;background:var(--_bg);padding:.5rem .6rem;border-radius:var(--th-radius,6px);border:1px solid var(--_border);margin:.3rem 0}
mark{background:var(--_mark);color:var(--_mark-fg);outline:2px solid var(--_error);border-radius:2px}
.th-form{margin:.5rem 0 1rem}
.th-foot{display:flex;justify-content:space-between;align-items:center;gap:.5rem;margin-top:.4rem;flex-wrap:wrap}
.th-buttons{display:flex;gap:.4rem;flex-wrap:wrap}
.th-counter{color:var(--_muted);font-size:.85em}.th-counter.th-over{color:var(--_error);font-weight:700}
.th-help{color:var(--_muted);font-size:.85em;margin:.2rem 0}
.th-account{display:flex;flex-wrap:wrap;gap:.4rem;align-items:center;margin:0 0 .6rem}
.th-rules{font-size:.88em;color:var(--_muted);border-top:1px solid var(--_border);margin-top:1rem;padding-top:.6rem}
fieldset{border:1px solid var(--_border);border-radius:var(--th-radius,6px);margin:.4rem 0;padding:.5rem .8rem}
legend{font-weight:600;padding:0 .3rem}
fieldset label{font-weight:400;display:flex;gap:.4rem;align-items:center}
.th-like[aria-pressed="true"]{background:var(--_accent);color:var(--_accent-fg)}
.th-more{margin:.6rem 0}.th-mod{margin:0 0 1rem}.th-mod:empty{display:none}
.th-featured{background:var(--_surface);border:1px solid var(--_border);border-radius:var(--th-radius,6px);padding:.6rem 1rem;margin:0 0 1rem}
.th-featured li+li{border-top:1px solid var(--_border);margin-top:.5rem;padding-top:.5rem}
.th-featured p{margin:.2rem 0;overflow-wrap:anywhere}.th-featured a{color:var(--_accent)}
.th-sr{position:absolute!important;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;margin:-1px;padding:0;border:0}
@media (prefers-reduced-motion:no-preference){.th-highlight{transition:background-color .6s}}
`;

  // ---------------------------------------------------------------- the widget
  class Widget {
    constructor(el, options) {
      const d = el.dataset;
      const o = options || {};
      const pick = (k, dk, def) => (o[k] != null ? o[k] : d[dk] != null ? d[dk] : def);
      this.el = el;
      this.lang = pickLang(pick('lang', 'lang', document.documentElement.lang || navigator.language));
      this.t = translator(this.lang);
      this.o = {
        site: pick('site', 'site', ''),
        thread: pick('thread', 'thread', null),
        url: pick('url', 'url', location.href.split('#')[0]),
        title: pick('title', 'title', document.title),
        guests: String(pick('guests', 'guests', 'false')) === 'true',
        pageSize: Math.min(100, Math.max(1, Number(pick('pageSize', 'pageSize', 20)) || 20)),
        maxDepth: Math.max(1, Number(pick('maxDepth', 'maxDepth', 5)) || 5),
        editWindow: Number(pick('editWindowMinutes', 'editWindow', 15)),
        maxLength: Number(pick('maxLength', 'maxLength', 5000)) || 5000,
        rules: pick('rules', 'rules', null),
        live: String(pick('live', 'live', 'true')) !== 'false',
        pollSeconds: Math.max(5, Number(pick('pollSeconds', 'pollSeconds', 30)) || 30),
        featuredLimit: ((n) => (n >= 0 ? Math.min(50, Math.floor(n)) : 3))(Number(pick('featuredLimit', 'featuredLimit', 3))),
        onLoginRequest: typeof o.onLoginRequest === 'function' ? o.onLoginRequest : null,
      };
      const theme = pick('theme', 'theme', null);
      if (theme && o.theme != null) el.setAttribute('data-theme', theme);
      const token = pick('token', 'token', null);
      if (token && !auth.token) auth.token = token;
      const sort = pick('sort', 'sort', 'newest');
      this.sort = ['newest', 'oldest', 'top'].includes(sort) ? sort : 'newest';
      this.map = new Map();      // id -> {c, el, depth, reveal}
      this.mine = new Set();     // ids this reader wrote in this page view
      this.drafts = new Map();   // 'reply:ID' / 'edit:ID' -> {text, focus}: open forms carried over a reload
      this.loads = 0;            // the latest load(); the answers of earlier ones are dropped
      this.expired = null;       // the reader whose sign-in expired: their forms stay until they sign in again
      this.meError = null;
      this.pendingNew = new Set();
      this.pendingEdits = new Set();
      this.pollDiff = 0;
      this.featLoads = 0;
      this.featIds = new Set();  // the comments the featured section shows
      this.featSeen = new Map();  // id -> featured, as comment.featured told it since the latest load began
      this.ignored = new Map();  // account id -> name: the readers this reader ignores (GET /me/ignored)
      this.inflight = 0;
      this.deferred = [];
      this.stopKeeping = null;  // ends keepInView's watch over a linked comment
      this.me = null;
      this.count = 0;
      this.cursor = null;
      this.sse = null; this.sseFailures = 0; this.sseTimer = null; this.pollTimer = null;
      this.destroyed = false;
      this.build();
      widgets.add(this);
      this.start();
    }

    token() { return auth.token || store.get(guestKey(this.o.site)); }

    // ------------------------------------------------ network
    async api(method, path, body, query) {
      const url = new URL(BASE + '/api/v1' + path);
      if (this.o.site) url.searchParams.set('site', this.o.site);
      if (query) for (const k of Object.keys(query)) if (query[k] != null) url.searchParams.set(k, query[k]);
      const headers = { Accept: 'application/json' };
      if (body !== undefined && body !== null) headers['Content-Type'] = 'application/json';
      const tok = this.token();
      if (tok) headers.Authorization = 'Bearer ' + tok;
      let res;
      try {
        res = await fetch(url.toString(), { method, headers, body: body != null ? JSON.stringify(body) : undefined, credentials: 'omit', mode: 'cors' });
      } catch (e) {
        throw new ApiError(0, 'network', this.t('errNetwork'));
      }
      if (res.status === 204) return null;
      let data = null;
      try { data = await res.json(); } catch (e) { data = null; }
      if (!res.ok) {
        const err = (data && data.error) || {};
        const apiErr = new ApiError(res.status, err.code || 'error', err.message || this.t('errServer'), err.details, Number(res.headers.get('Retry-After')) || null);
        if (res.status === 401 && tok) {
          this.onAuthFailure(apiErr, tok);
          // read again as a visitor (or with the token that came meanwhile)
          if (method === 'GET' && this.token() !== tok) return this.api(method, path, body, query);
        }
        throw apiErr;
      }
      return data;
    }

    // A token refused (expired, or no longer valid) is forgotten, and the publisher asked once to sign the reader in,
    // however many requests (of however many widgets) it failed, until another token comes or the reader signs out;
    // a failure with a token replaced meanwhile is old news
    onAuthFailure(err, tok) {
      if (err.code !== 'token_expired' && err.code !== 'unauthenticated') return;
      const key = guestKey(this.o.site), told = auth.gone && auth.gone.tok === tok;
      let sso = tok === auth.token;
      if (sso) auth.token = null;
      else if (tok === store.get(key)) store.del(key);
      else if (told) sso = auth.gone.sso;
      else return;
      if (!told) { auth.gone = { tok, sso }; setTimeout(() => this.requestLogin(), 0); }  // after the form shows the error
      if (sso && err.code === 'token_expired') this.expired = this.me || this.expired || {};  // {}: expired before /me said who
      this.me = null;
      this.renderAccount();
    }

    errorText(err) {
      if (!(err instanceof ApiError)) return this.t('errNetwork');
      if (err.code === 'rate_limited') return this.t('errRate', { s: err.retryAfter || (err.details && err.details.retry_after) || 60 });
      if (err.code === 'token_expired') return this.t('errExpired');
      return err.message || this.t('errNetwork');
    }

    // ------------------------------------------------ live region announcements
    say(text) { this.polite.textContent = ''; setTimeout(() => { this.polite.textContent = text; }, 50); }
    alert(text) { this.assertive.textContent = ''; setTimeout(() => { this.assertive.textContent = text; }, 50); }

    signIn() { this.alert(this.t('errSignIn')); this.requestLogin(); }

    requestLogin() {
      const detail = { site: this.o.site, thread: this.o.thread };
      this.el.dispatchEvent(new CustomEvent('townhall:login-request', { bubbles: true, composed: true, detail }));
      if (this.o.onLoginRequest) this.o.onLoginRequest(detail);
    }

    // ------------------------------------------------ skeleton
    build() {
      const t = this.t;
      const root = this.el.shadowRoot || this.el.attachShadow({ mode: 'open' });
      root.innerHTML = '';
      this.root = root;
      root.append(h('style', { text: CSS }));
      const headingId = uid('heading');
      this.countEl = h('span', { class: 'th-count' });
      this.sortSel = h('select', { id: uid('sort'), onchange: () => { this.sort = this.sortSel.value; this.load(); } },
        ['newest', 'oldest', 'top'].map((s) => h('option', { value: s, text: t('sort_' + s), selected: s === this.sort })));
      this.polite = h('div', { class: 'th-sr', role: 'status', 'aria-live': 'polite', 'aria-atomic': 'true' });
      this.assertive = h('div', { class: 'th-sr', role: 'alert', 'aria-live': 'assertive', 'aria-atomic': 'true' });
      this.account = h('div', { class: 'th-account' });
      this.sanction = h('div', { hidden: true });
      this.warnSlot = h('div', { hidden: true });
      this.premodSlot = h('div', { hidden: true });  // just above the comment box
      this.premodNote = h('p', { class: 'th-note', hidden: true, text: t('premodArticle') });  // a premoderated article
      const annId = uid('announce');  // the site's announcement (thread.announcement), above the message
      this.annBox = h('div', { class: 'th-announce', role: 'region', hidden: true, 'aria-labelledby': annId },
        h('h3', { id: annId, text: t('announcement') }), this.annBody = h('div'));
      const msgId = uid('message');  // the newsroom's message (thread.message), above the comment box
      this.msgBox = h('div', { class: 'th-message', role: 'region', hidden: true, 'aria-labelledby': msgId },
        h('h3', { id: msgId, text: t('fromNewsroom') }), this.msgBody = h('div'));
      this.composeSlot = h('div');
      this.modBox = h('div', { class: 'th-mod' });  // a moderator's Close comments / Open comments
      this.banner = h('button', { type: 'button', class: 'th-banner', hidden: true, onclick: () => this.showNew() });
      this.status = h('p', { class: 'th-note', text: t('loading') });
      this.list = h('ol', { class: 'th-list', 'aria-labelledby': headingId });
      this.moreBtn = h('button', { type: 'button', class: 'th-more', hidden: true, text: t('loadMore'), onclick: () => this.loadMore(true) });
      const featId = uid('featured');
      this.featured = h('div', { class: 'th-featured', role: 'region', hidden: true, 'aria-labelledby': featId },
        h('h3', { id: featId, text: t('featuredHeading') }), this.featList = h('ol'));
      this.section = h('section', { class: 'th', lang: this.lang, 'aria-labelledby': headingId },
        h('div', { class: 'th-head' },
          this.heading = h('h2', { id: headingId, tabindex: '-1' }, t('heading'), this.countEl),
          h('div', null, h('label', { class: 'th-inline', for: this.sortSel.id, text: t('sortBy') }), this.sortSel)),
        this.polite, this.assertive, this.account, this.sanction, this.warnSlot, this.premodSlot, this.annBox, this.msgBox, this.premodNote, this.composeSlot, this.modBox,
        this.featured, this.banner, this.status, this.list, this.moreBtn,
        h('p', { class: 'th-rules', text: this.o.rules || t('houseRules') }));
      root.append(this.section);
      this.renderAccount();
    }

    async start() {
      if (!this.o.thread) { this.status.textContent = this.t('errLoad') + ' (data-thread)'; return; }
      await Promise.all([this.refreshMe(), this.load()]);
      this.connectLive();
      this.clockTimer = setInterval(() => this.refreshTimes(), 60000);
      this.onHash = () => this.revealPermalink();
      window.addEventListener('hashchange', this.onHash);
      this.revealPermalink();
    }

    destroy() {
      this.destroyed = true;
      widgets.delete(this);
      this.stopLive();
      clearInterval(this.clockTimer); clearTimeout(this.closeTimer); clearTimeout(this.featTimer); clearTimeout(this.annTimer);
      if (this.onHash) window.removeEventListener('hashchange', this.onHash);
      if (this.stopKeeping) this.stopKeeping();
      this.root.innerHTML = '';
    }

    // ------------------------------------------------ who is reading
    // Only a 401 means signed out: after any other failure the last known reader stays (or, with none yet,
    // an error with a retry is shown). Another reader signing in starts from a clean slate.
    async refreshMe() {
      const wasMod = this.isMod();
      await this.whoIs();
      if (this.isMod() !== wasMod) this.map.forEach((e) => this.syncFeature(e));  // Feature buttons drawn or taken away
    }

    isMod() { const r = this.me && this.me.role; return r === 'moderator' || r === 'admin'; }

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
    }

    // forget the previous reader's drafts, rejection panels and own comments
    reset() {
      this.composeKey = this.mainForm = this.expired = this.appealOpen = this.appealText = null;
      this.drafts.clear(); this.mine.clear();
      this.list.querySelectorAll('.th-slot').forEach((s) => this.closeSlot(s));
    }

    renderAccount() {
      const t = this.t;
      const me = this.me;
      this.account.replaceChildren();
      if (me) {
        this.account.append(h('span', null, me.guest ? t('guestSignedIn') : t('signedInAs'), ' ', h('strong', { dir: 'auto', text: me.name })),
          ...this.badges(me.supporter, me.role === 'moderator' || me.role === 'admin', false));
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
      this.renderCompose();
    }

    // The readers this reader ignores, folded away under one line, each with "Stop ignoring"
    renderIgnored() {
      const t = this.t, box = this.ignoreBox, open = box && box.open;
      if (box) box.remove();
      this.ignoreBox = null;
      if (!this.me || !this.ignored.size) return;
      this.ignoreBox = h('details', { class: 'th-removed', open }, h('summary', { text: t('ignoring', { n: this.ignored.size }) }),
        h('ul', null, Array.from(this.ignored, ([id, name]) => h('li', null, h('span', { dir: 'auto', text: name }), ' ',
          h('button', { type: 'button', class: 'th-quiet', onclick: () => this.unignore(id, name) }, t('unignore'), h('span', { class: 'th-sr', text: ' ' + name }))))));
      this.account.after(this.ignoreBox);
    }

    async unignore(id, name) {
      try {
        await this.api('DELETE', '/me/ignored/' + id);
        this.ignored.delete(id);
        this.renderIgnored();
        (this.ignoreBox ? this.ignoreBox.querySelector('summary') : this.heading).focus();
        this.say(this.t('unignored', { name }));
        this.load();  // their comments, drawn again
      } catch (e) { this.alert(this.errorText(e)); }
    }

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
    }

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
    }

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
    }

    canWrite() { const me = this.me || this.expired; return !this.closed && !!(me || this.o.guests) && !(me && me.sanction); }

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
        : this.standingBox(null, 'th-notice', h('h3', { text: this.t('premoderated') }), h('p', { text: this.t('premodNew') }))));
    }

    renderSanction(s) {
      this.sanction.replaceChildren();
      this.sanction.hidden = !s;
      if (!s) return;
      const head = s.sanction === 'ban' ? h('h3', { text: this.t('banned') }) : h('h3', null, this.timeText('suspended', s.until));
      this.sanction.append(this.standingBox(s, 'th-sanction', head));
    }

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
    }

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
    }

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
    }

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
    }

    closeAppeal(discard) {
      const cur = this.appealOpen;
      this.appealOpen = null;
      if (!cur) return;
      this.appealText = discard ? '' : cur.form._area.value;
      cur.form.remove();
      cur.btn.setAttribute('aria-expanded', 'false'); cur.btn.removeAttribute('aria-controls');
      if (discard) cur.btn.focus();
    }

    // a message with a time in it ('… until {until}'): the time as a <time> element
    timeText(key, until, vars) {
      const parts = this.t(key, Object.assign({}, vars, { until: '\u0000' })).split('\u0000');
      const when = until ? new Date(until) : null;
      const time = when ? h('time', { datetime: until, text: this.exact(when, 1) }) : '';
      return [parts[0], time, parts[1] || ''];
    }

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
    }

    // while a sign-in has expired the form stays as it was, until the reader signs in again
    composeState() { return this.expired && !this.closed ? this.composeKey : this.canWrite() + '|' + !!this.token() + '|' + (this.closed || ''); }

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
    }

    // the article is premoderated (on: as the server says now): its line above the comment box, while it is open
    premod(on) {
      if (on !== undefined && this.thread) this.thread.premoderated = on;
      this.premodNote.hidden = !(this.thread && this.thread.premoderated) || !!this.closed;
      this.account.hidden = !!this.closed && !this.me && !this.expired && !this.meError;  // nothing to join: no sign-in prompt
    }

    // the newsroom's message (msg: as the server says now), also while the thread is closed: its paragraphs as text
    showMessage(msg) {
      if (msg !== undefined && this.thread) this.thread.message = msg;
      const m = (this.thread && this.thread.message) || '';
      if (m === this.msgText) return;
      this.msgText = m;
      this.msgBody.replaceChildren(...paras(m));
      this.msgBox.hidden = !m;
    }

    // The site's announcement ({text, until} or null, as each read of the thread says), its paragraphs as text; gone
    // at its until by the browser's clock without a reload (a setTimeout waits at most ~24.8 days: a day at a time).
    showAnn(a) {
      clearTimeout(this.annTimer);
      const left = a && a.until ? Date.parse(a.until) - Date.now() : NaN, text = a && !(left <= 0) ? a.text : '';
      if (text !== this.annText) { this.annText = text; this.annBody.replaceChildren(...paras(text)); }
      this.annBox.hidden = !text;
      if (text && left > 0 && !this.destroyed) this.annTimer = setTimeout(() => this.showAnn(a), Math.min(left, 864e5));
    }

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
    }

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
    }

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
      const form = h('form', { class: 'th-form', novalidate: true },
        nameField, label, area, help, rejected, err,
        h('div', { class: 'th-foot' }, counter, buttons));
      const update = () => {
        const n = Array.from(area.value).length;
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
            this.alert(e.message);
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
    }

    showRejection(box, area, err, sent) {
      const t = this.t;
      const details = err.details || {};
      const hits = Array.isArray(details.hits) ? details.hits : [];
      const text = typeof details.text === 'string' ? details.text : sent;
      const spans = hits.map((x) => x.span).filter(Boolean);
      const items = [];
      const seen = new Set();
      for (const x of hits) {
        const desc = x.description || x.rule;
        if (seen.has(desc)) continue;
        seen.add(desc);
        items.push(h('li', { text: desc }));
      }
      if (!items.length) items.push(h('li', { text: err.message }));
      const marked = h('p', { class: 'th-marked' }, markRuns(text, spans).map(([s, m]) => (m ? h('mark', { text: s }) : s)));
      const titleId = uid('rej');
      box.replaceChildren(h('div', { class: 'th-rejected', role: 'group', 'aria-labelledby': titleId },
        h('h3', { id: titleId, text: t('rejectedTitle') }), h('ul', null, items),
        spans.length ? [h('p', { text: t('rejectedYourText') }), marked] : null,
        h('p', { text: t('rejectedHelp') })));
      box.hidden = false;
      area.setAttribute('aria-describedby', area.getAttribute('aria-describedby').split(' ').concat(titleId).filter((v, i, a) => a.indexOf(v) === i).join(' '));
      this.alert(t('rejectedTitle') + ': ' + items.map((li) => li.textContent).join(' ') + ' ' + t('rejectedHelp'));
      area.focus();
      if (spans.length && area.value === text) {
        const first = spans.reduce((a, b) => (b[0] < a[0] ? b : a));
        try { area.setSelectionRange(utf16Offset(text, first[0]), utf16Offset(text, first[1])); } catch (e) { /* ignore */ }
      }
      this.refreshMeSoon();
    }

    refreshMeSoon() {
      clearTimeout(this.meTimer);
      this.meTimer = setTimeout(() => { if (this.token()) this.refreshMe(); }, 300);
    }

    // A form that can no longer be sent keeps its text, to copy.
    lock(form) {
      form._area.readOnly = true;
      form._label.textContent = this.t(this.closed ? 'draftClosed' : 'draftKept');
      form.querySelector('[type=submit]').hidden = true;
    }

    lockWriting() {
      this.root.querySelectorAll('[data-write]').forEach((b) => { b.hidden = true; });
      this.list.querySelectorAll('.th-slot > form').forEach((f) => { if (f._area) this.lock(f); });
    }

    // The thread is closed ('moderator', 'age', or '' where the server has not said why): nothing more can be sent,
    // forms keep their text read-only. tell: 1 announces the closing politely, 2 assertively.
    close(reason, tell) {
      clearTimeout(this.closeTimer);
      this.closed = reason || 'closed';
      this.renderCompose();
      this.lockWriting();
      const line = this.composeSlot.firstChild.textContent;
      if (tell === 2) this.alert(line); else if (tell) this.say(line);
    }

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
    }

    // the thread as the server has it now (state, count, closes_at), from a page of one comment
    async threadNow() {
      const th = (await this.api('GET', '/threads/' + encodeURIComponent(this.o.thread) + '/comments', null, { sort: 'newest', limit: 1 })).thread;
      if (!this.destroyed) this.showAnn(th.announcement);  // the site's announcement, as every read tells it
      return th;
    }

    // a thread the server says is closed is closed here too, for the reason it gives (tell: as close()); false if open
    sawClosed(th, tell) {
      if (th.state !== 'closed') return false;
      this.thread = th;
      if (this.closed !== th.closed_reason) this.close(th.closed_reason, tell);
      return true;
    }

    async askClosed(tries) {
      try {
        const th = await this.threadNow();
        if (this.destroyed) return;
        // closed: why, and since when; an "open" after a refusal is an older page (the refusal counts)
        if (this.sawClosed(th, !this.closed)) return;
        if (!this.closed) this.thread = th;
      } catch (e) { /* asked again */ }
      this.armClose(tries);
    }

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
    }

    // Open reply and edit forms outlive a reload: their text is kept by kind and comment, and the form is
    // opened again, with it, when that comment is drawn (renderActions).
    keepDrafts() {
      this.refocus = null;
      this.list.querySelectorAll('.th-slot').forEach((s) => {
        const f = s.firstChild, kind = s._owner && s._owner.dataset.kind;
        if (kind && f && f._area) this.drafts.set(kind + ':' + s.closest('.th-c').dataset.id, { text: f._area.value, focus: f.contains(this.root.activeElement) });
      });
    }

    setCount(n) {
      n = Math.max(0, n);
      if (n === this.count && this.countEl.textContent) return;
      this.count = n;
      this.countEl.textContent = this.t('count', { n: this.count });
      this.el.dispatchEvent(new CustomEvent('townhall:count', { bubbles: true, detail: { thread: this.o.thread, count: this.count } }));
    }

    // the thread's count from the server, less the new comments not shown yet
    async recount() {
      try {
        this.setCount((await this.threadNow()).count - this.pendingNew.size);
      } catch (e) { /* the next load corrects it */ }
    }

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
    }

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
    }

    // ------------------------------------------------ featured comments (staff picks)
    // The section above the thread: up to featuredLimit of them, most recently featured first, each with its
    // author, time, first words and a link that finds it in the thread (loading pages as a permalink does).
    async loadFeatured() {
      const n = ++this.featLoads;
      try {
        const data = await this.api('GET', '/threads/' + encodeURIComponent(this.o.thread) + '/featured', null, { limit: this.o.featuredLimit });
        if (n === this.featLoads && !this.destroyed) this.renderFeatured(data.comments || []);
      } catch (e) { /* the section stays as it was: the thread itself is what matters */ }
    }

    featuredSoon() {
      if (!this.o.featuredLimit) return;
      clearTimeout(this.featTimer);
      this.featTimer = setTimeout(() => this.loadFeatured(), 500);  // a burst of events: asked once
    }

    renderFeatured(list) {
      const t = this.t;
      list = this.featData = list.slice(0, this.o.featuredLimit);
      this.featIds = new Set(list.map((c) => c.id));
      this.featured.hidden = !list.length;
      this.featList.replaceChildren(...list.map((c) => {
        const name = c.author ? c.author.name : '';
        const tpl = document.createElement('template');  // inert: nothing in it loads or runs
        tpl.innerHTML = (c.html || '').replace(/<\/p>|<br\s*\/?>/gi, ' ');
        const cps = Array.from(tpl.content.textContent.replace(/\s+/g, ' ').trim());
        const text = cps.length > 140 ? cps.slice(0, 140).join('').replace(/\s+\S*$/, '') + '…' : cps.join('');
        return h('li', null,
          h('div', { class: 'th-meta' }, h('span', { class: 'th-name', dir: 'auto', text: name }), this.timeEl(c.created_at)),
          h('p', { dir: 'auto', text }),
          h('a', { href: this.permalinkHref(c.id), onclick: this.goTo(c.id) }, t('featuredGo'), h('span', { class: 'th-sr', text: ' — ' + t('commentBy', { name }) })));
      }));
    }

    // a link's click: the comment found in the thread (pages loaded until it is), as by its permalink
    goTo(id) { return (ev) => { ev.preventDefault(); history.replaceState(null, '', '#comment-' + id); this.revealPermalink(); }; }

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
    }

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
    }

    // ------------------------------------------------ rendering comments
    badges(supporter, moderator, guest) {
      const t = this.t;
      return [supporter ? h('span', { class: 'th-badge', text: t('supporter') }) : null,
        moderator ? h('span', { class: 'th-badge', text: t('moderator') }) : null,
        guest ? h('span', { class: 'th-badge', text: t('guest') }) : null].filter(Boolean);
    }

    relative(date) {
      const diff = (date.getTime() - Date.now()) / 1000;
      const abs = Math.abs(diff);
      const rtf = this.rtf || (this.rtf = new Intl.RelativeTimeFormat(this.lang, { numeric: 'auto' }));
      const steps = [[60, 'second', 1], [3600, 'minute', 60], [86400, 'hour', 3600], [604800, 'day', 86400], [2629800, 'week', 604800], [31557600, 'month', 2629800], [Infinity, 'year', 31557600]];
      for (const [limit, unit, size] of steps) if (abs < limit) return rtf.format(Math.round(diff / size), unit);
      return '';
    }
    exact(date, zone) {  // zone: with the time zone's name (a date in a sentence)
      const k = zone ? 'dtz' : 'dtf';
      return (this[k] || (this[k] = new Intl.DateTimeFormat(this.lang, zone ? { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'short' } : { dateStyle: 'full', timeStyle: 'short' }))).format(date);
    }
    timeEl(iso) {
      const d = new Date(iso);
      return h('time', { datetime: iso, title: this.exact(d), text: this.relative(d), 'data-rel': true });
    }
    // relative times only ("5 minutes ago"), every minute and when a comment is drawn anew (its neighbours' would
    // read younger); not "(edited)", whose <time> says when in its title
    refreshTimes() {
      this.root.querySelectorAll('time[data-rel]').forEach((el) => { el.textContent = this.relative(new Date(el.getAttribute('datetime'))); });
    }

    permalinkHref(id) { return this.o.url.split('#')[0] + '#comment-' + id; }

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
    }

    registerHidden(replies, reveal) {
      for (const r of replies) {
        const e = this.map.get(r.id);
        if (!e || !e.li) this.map.set(r.id, { c: r, li: null, hidden: reveal });  // the innermost "continue" shows it
        this.registerHidden(r.replies || [], reveal);
      }
    }

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
    }

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
    }

    renderActions(entry, slot) {
      const t = this.t;
      const c = entry.c;
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
        opener(reply, 'reply', (close) => this.composeForm({
          label: t('replyLabel', { name: c.author ? c.author.name : '' }), submitText: t('replySend'), busyText: t('posting'), rows: 3,
          submit: (text, guestName) => this.postComment(text, c.id, guestName), cancel: close, done: close,
        }));
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
    }

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
    }

    likeContent(btn, n) {
      btn.replaceChildren(h('span', { 'aria-hidden': 'true', text: '♥' }), ' ' + this.t('like'), n ? h('span', { class: 'th-n', text: ' ' + n }) : '');
    }

    closeSlot(slot) {
      if (slot._owner) slot._owner.setAttribute('aria-expanded', 'false');
      slot._owner = null;
      slot.replaceChildren();
    }

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
    }

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
    }

    // A guest's first comment was refused, but the account made for it stays theirs: the next try (and any
    // strike) goes to the same account. The form keeps the reader's text and the reasons; no form asks for
    // the name any more (reply forms already open included).
    keepGuest(token) {
      const before = this.composeState();
      store.set(guestKey(this.o.site), token);
      if (this.composeKey === before && this.mainForm) this.composeKey = this.composeState();
      this.root.querySelectorAll('[data-guest-name]').forEach((x) => { x.hidden = true; });
    }

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
    }

    async deleteComment(entry, btn) {
      btn.disabled = true;
      this.inflight++;
      try {
        await this.api('DELETE', '/comments/' + entry.c.id);
        const wasPublished = entry.c.status === 'published';
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
    }

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
    }

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
    }

    highlight(id) {
      const e = this.map.get(id);
      if (!e || !e.art) return;
      this.list.querySelectorAll('.th-highlight').forEach((x) => x.classList.remove('th-highlight'));
      e.art.classList.add('th-highlight');
      e.art.focus({ preventScroll: true });
      this.keepInView(e.art);
    }

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
    }

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
      ['comment.published', 'comment.edited', 'comment.deleted', 'comment.removed', 'comment.featured', 'thread.closed', 'thread.opened', 'thread.premoderated', 'thread.message', 'reset']
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
    }

    stopLive() {
      if (this.sse) { this.sse.close(); this.sse = null; }
      clearTimeout(this.sseTimer); clearTimeout(this.recountTimer);
      this.stopPolling();
    }

    startPolling() {
      if (this.pollTimer || this.destroyed) return;
      this.el.dataset.liveState = 'polling';
      this.pollTimer = setInterval(() => this.poll(), this.o.pollSeconds * 1000);
    }

    stopPolling() { clearInterval(this.pollTimer); this.pollTimer = null; }

    async poll() {
      try {
        const th = await this.threadNow(), diff = th.count - this.count;
        if (diff !== this.pollDiff && diff > 0) { this.pollDiff = diff; this.updateBanner(true); }
        this.premod(!!th.premoderated);
        this.showMessage(th.message || '');
        // what thread.closed / thread.opened would have told: a moderator's closing or opening, or the age limit
        if (!this.sawClosed(th, 1) && this.closed) this.load();
      } catch (e) { /* try again on the next tick */ }
    }

    onEvent(type, data) {
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
        entry.li.querySelector('.th-c').replaceWith(this.renderArticle(entry));
      }
    }

    flushDeferred() {
      if (this.inflight > 0) return;
      const queue = this.deferred;
      this.deferred = [];
      queue.forEach(([type, data]) => this.onEvent(type, data));
    }

    updateBanner(announce) {
      const n = Math.max(this.pendingNew.size, this.pollDiff);
      const edits = this.pendingEdits.size;
      this.banner.hidden = !n && !edits;
      this.banner.textContent = n ? this.t('newComments', { n }) : this.t('newActivity');
      if (announce && n) {
        clearTimeout(this.announceTimer);
        this.announceTimer = setTimeout(() => this.say(this.t('announceNew', { n: Math.max(this.pendingNew.size, this.pollDiff) })), 400);
      }
    }

    async showNew() {
      const ids = new Set(this.pendingNew);
      await this.load({ focusIds: ids, since: ids.size ? Math.max(...ids) : null });
      this.say(this.t('shownNew'));
    }
  }

  function countDeep(list) { return list.reduce((n, c) => n + 1 + countDeep(c.replies || []), 0); }

  // ---------------------------------------------------------------- public API
  function render(el, options) {
    if (typeof el === 'string') el = document.querySelector(el);
    if (!el) throw new Error('Townhall.render: no element');
    if (el._townhall) el._townhall.destroy();
    const w = new Widget(el, options);
    el._townhall = w;
    return { reload: () => w.load(), destroy: () => { w.destroy(); el._townhall = null; }, get element() { return el; } };
  }

  function refreshAll() {
    widgets.forEach((w) => { w.refreshMe().then(() => w.load()); });
  }

  window.Townhall = {
    version: VERSION,
    base: BASE,
    render,
    login(jwt) {
      auth.token = jwt ? String(jwt) : null;
      if (!auth.token) { auth.gone = null; widgets.forEach((w) => w.reset()); }
      refreshAll();
    },
    logout() {
      auth.token = auth.gone = null;
      widgets.forEach((w) => { store.del(guestKey(w.o.site)); w.reset(); });
      refreshAll();
    },
    messages: MESSAGES,
  };

  function autoRender() {
    document.querySelectorAll('#townhall, [data-townhall]').forEach((el) => { if (!el._townhall) render(el); });
    document.dispatchEvent(new CustomEvent('townhall:ready', { detail: window.Townhall }));
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', autoRender);
  else autoRender();
})();
