/*! Townhall comments widget (embed.js) — Apache-2.0. Plain modern JavaScript: no dependencies, no build step.
 *
 * <div id="townhall" data-site="SITE" data-thread="ARTICLE-ID" data-url="…" data-title="…"></div>
 * <script src="https://HOST/embed.js" async></script>
 *
 * JS API: Townhall.render(el, options) · Townhall.login(jwt) · Townhall.logout()
 * Talks only to the host this file was loaded from. See docs/widget.md.
 */
// widget/00-head.js — the licence header above; the script's one IIFE opens here (widget/90-api.js closes it)
(function () {
  'use strict';
  if (window.Townhall && window.Townhall.version) return;

  const VERSION = '1.0.0';
  const SCRIPT = document.currentScript ||
    Array.from(document.querySelectorAll('script[src]')).find((s) => /\/embed\.js(?:[?#]|$)/.test(s.src));
  const BASE = SCRIPT ? SCRIPT.src.replace(/\/embed\.js(?:[?#].*)?$/, '') : location.origin;
  const REASONS = ['abusive', 'obscene', 'f_word', 'spam', 'paid_troll', 'off_topic', 'other'];
