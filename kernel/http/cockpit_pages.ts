/**
 * The owner's own pages, served by the kernel from memory: the one-time
 * setup page, the login page, and a minimal signed-in page (the full
 * dashboard comes later). They use the public API only, with fetch.
 *
 * @module
 */
import { escapeHtml } from "./pages.ts";

const STYLE =
  `:root{color-scheme:light dark;--fg:#1b1d22;--muted:#5d6370;--bg:#f7f7f5;--card:#fff;--line:#d9d9d4;--accent:#e4572e}
@media (prefers-color-scheme:dark){:root{--fg:#eceae6;--muted:#a2a6ae;--bg:#14161a;--card:#1c1f24;--line:#2c3037}}
*{box-sizing:border-box}body{margin:0;min-height:100vh;display:grid;place-items:center;background:var(--bg);color:var(--fg);
font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;padding:24px}
main{width:100%;max-width:400px;background:var(--card);border:1px solid var(--line);border-radius:14px;padding:28px}
h1{margin:0 0 4px;font-size:1.4rem}p{color:var(--muted);margin:0 0 20px}label{display:block;font-weight:600;font-size:.9rem;margin:14px 0 6px}
input{width:100%;padding:10px 12px;border:1px solid var(--line);border-radius:8px;background:var(--bg);color:var(--fg);font:inherit}
input:focus-visible,button:focus-visible{outline:2px solid var(--accent);outline-offset:2px}
button{margin-top:20px;width:100%;padding:11px;border:0;border-radius:8px;background:var(--accent);color:#fff;font:600 1rem system-ui;cursor:pointer}
.error{color:#c62828;min-height:1.5em;margin-top:12px;font-size:.9rem}`;

function shell(title: string, body: string, script: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<title>${
      escapeHtml(title)
    } · fazt</title><style>${STYLE}</style></head><body><main>${body}</main>` +
    `<script type="module">${script}</script></body></html>`;
}

const SUBMIT = `
const form = document.querySelector("form"), err = document.querySelector(".error");
form.addEventListener("submit", async (e) => {
  e.preventDefault(); err.textContent = "";
  const body = Object.fromEntries(new FormData(form));
  Object.assign(body, extra());
  const res = await fetch(form.action, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  if (res.ok) location.href = "/_fazt/"; else err.textContent = (await res.json()).error.message;
});`;

/** The one-time setup page (the token comes from the link's query string). */
export const SETUP_PAGE: string = shell(
  "Set up",
  `<h1>Welcome to fazt</h1><p>Create the owner account for this server.</p>
<form action="/_fazt/api/auth/setup" method="post"><label for="email">Email</label><input id="email" name="email" type="email" autocomplete="username" required>
<label for="password">Password (10+ characters)</label><input id="password" name="password" type="password" minlength="10" autocomplete="new-password" required>
<button type="submit">Create owner</button><div class="error" role="alert"></div></form>`,
  `const extra = () => ({ token: new URLSearchParams(location.search).get("token") ?? "" });${SUBMIT}`,
);

/** The login page. */
export const LOGIN_PAGE: string = shell(
  "Log in",
  `<h1>Log in</h1><p>Sign in to manage this fazt server.</p>
<form action="/_fazt/api/auth/login" method="post"><label for="email">Email</label><input id="email" name="email" type="email" autocomplete="username" required>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Log in</button><div class="error" role="alert"></div></form>`,
  `const extra = () => ({});${SUBMIT}`,
);

/** The signed-in landing page until the dashboard exists. */
export const HOME_PAGE: string = shell(
  "Home",
  `<h1>fazt</h1><p id="who">Loading…</p><form action="/_fazt/api/auth/logout" method="post"><button type="submit">Log out</button><div class="error" role="alert"></div></form>`,
  `const me = await (await fetch("/_fazt/api/auth/whoami")).json();
if (me.kind === "anonymous") location.href = me.setupNeeded ? "/_fazt/setup" : "/_fazt/login";
else document.querySelector("#who").textContent = "Signed in as " + (me.owner?.email ?? me.kind) + ".";
document.querySelector("form").addEventListener("submit", async (e) => {
  e.preventDefault(); await fetch("/_fazt/api/auth/logout", { method: "POST" }); location.href = "/_fazt/login";
});`,
);
