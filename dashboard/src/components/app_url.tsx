/**
 * An app's address as a link that opens the app in a new tab, shown
 * without its scheme.
 *
 * @module
 */
import type { VNode } from "preact";
import { shortUrl } from "../lib/format.ts";
import { ExternalIcon } from "./icons.tsx";

/** `blog.example.com ↗`, opening in a new tab. */
export function AppUrl({ url }: { url: string }): VNode {
  return (
    <a class="app-url" href={url} target="_blank" rel="noopener noreferrer">
      {shortUrl(url)}
      <ExternalIcon />
      <span class="sr-only">(opens in a new tab)</span>
    </a>
  );
}
