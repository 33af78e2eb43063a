  // widget/30-styles.js — the widget's stylesheet (light and dark), inside its shadow root
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
.th-count{color:var(--_muted);font-weight:400;font-size:.75em}
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
.th-name,.th-account,label,.th-removed,.th-rejected,.th-sanction,.th-notice,.th-mine{overflow-wrap:anywhere;min-width:0}.th-account>*{min-width:0}
.th-badge{font-size:.78em;font-weight:600;padding:.05rem .45rem;border-radius:999px;background:var(--_badge-bg);color:var(--_badge)}
.th-meta a,.th-meta span.th-muted{color:var(--_muted)}
.th-body{overflow-wrap:anywhere}.th-body p{margin:.3rem 0}.th-body a{color:var(--_accent)}
.th-body blockquote{margin:.4rem 0;padding:0 .8rem;border-inline-start:3px solid var(--_muted);color:var(--_muted)}
.th-quote{margin:.3rem 0 0}
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
.th-acct{background:var(--_surface);border:1px solid var(--_border);border-radius:var(--th-radius,6px);padding:.6rem 1rem;margin:0 0 1rem}
.th-acct h3:focus{outline:none}.th-acct h3:focus-visible{outline:3px solid var(--_accent)}
.th-acct h4{font-size:.95em;margin:.8rem 0 .3rem}.th-acct a{color:var(--_accent)}
.th-mine li{padding:.35rem 0}.th-mine li+li{border-top:1px solid var(--_border)}.th-mine p{margin:.2rem 0;overflow-wrap:anywhere}
.th-check{display:flex;gap:.5rem;align-items:flex-start}.th-check label{font-weight:400;margin:0}.th-check input{margin-top:.35rem}
.th-sr{position:absolute!important;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;margin:-1px;padding:0;border:0}
@media (prefers-reduced-motion:no-preference){.th-highlight{transition:background-color .6s}}
`;

  // A constructed sheet: a page's CSP (`style-src 'self'`) refuses a <style> element, not adoptedStyleSheets.
  function adoptStyles(root) {
    if ('adoptedStyleSheets' in root) {
      try {
        const sheet = new CSSStyleSheet();
        sheet.replaceSync(CSS);
        root.adoptedStyleSheets = [sheet];
        return;
      } catch (e) { /* the element below */ }
    }
    root.append(h('style', { text: CSS }));  // Safari before 16.4
  }
