/**
 * The kernel's own small HTML pages: the welcome page of a fresh server,
 * the friendly 404 for unknown hosts and paths, and simple error pages.
 * Self-contained (inline CSS, no external assets), light and dark.
 *
 * @module
 */

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `
:root{color-scheme:light dark;--fg:#1b1d22;--muted:#5d6370;--bg:#f7f7f5;--card:#fff;--line:#e3e3df;--accent:#e4572e}
@media (prefers-color-scheme:dark){:root{--fg:#eceae6;--muted:#a2a6ae;--bg:#14161a;--card:#1c1f24;--line:#2c3037}}
*{box-sizing:border-box}body{margin:0;min-height:100vh;display:grid;place-items:center;background:var(--bg);color:var(--fg);
font:16px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;padding:24px}
main{max-width:560px;width:100%;background:var(--card);border:1px solid var(--line);border-radius:14px;padding:32px}
h1{margin:0 0 8px;font-size:1.5rem;letter-spacing:-.01em}.mark{color:var(--accent);font-weight:700}
p{color:var(--muted);margin:8px 0}code{font:14px ui-monospace,SFMono-Regular,Menlo,monospace;background:var(--bg);
border:1px solid var(--line);border-radius:6px;padding:2px 6px}pre{background:var(--bg);border:1px solid var(--line);
border-radius:8px;padding:12px;overflow:auto;font:13px ui-monospace,SFMono-Regular,Menlo,monospace}
.status{font:600 13px ui-monospace,monospace;color:var(--accent);letter-spacing:.08em}`;

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>` +
    `<body><main>${body}</main></body></html>`;
}

/** The primary domain's page when no app is marked as root. */
export function welcomePage(opts: { version: string; domain: string }): string {
  const d = escapeHtml(opts.domain);
  return page(
    "fazt is running",
    `<div class="status">FAZT ${
      escapeHtml(opts.version)
    }</div><h1><span class="mark">fazt</span> is running</h1>` +
      `<p>This server hosts apps at <code>&lt;name&gt;.${d}</code>. Deploy a folder:</p>` +
      `<pre>fazt app add ./my-site --name blog</pre>` +
      `<p>To show an app here instead of this page, point the root at it:</p>` +
      `<pre>fazt route add @ blog</pre>`,
  );
}

/** A friendly not-found page (or, with `status`, another error page that shows that status). */
export function notFoundPage(opts: { title: string; message: string; status?: number }): string {
  return page(
    opts.title,
    `<div class="status">${opts.status ?? 404}</div><h1>${escapeHtml(opts.title)}</h1><p>${
      escapeHtml(opts.message)
    }</p>`,
  );
}
