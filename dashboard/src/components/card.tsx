/**
 * A card: a titled section of a page (the region its heading names).
 *
 * @module
 */
import type { ComponentChildren, VNode } from "preact";

/** Props of {@linkcode Card}. */
export interface CardProps {
  /** The heading's id. */
  titleId: string;
  /** The heading. */
  title: ComponentChildren;
  /** The heading's level: `h2` on a page, `h3` inside a section. */
  level?: 2 | 3;
  /** More classes (`card-danger`, …). */
  class?: string;
  /** The content. */
  children: ComponentChildren;
}

/** A `<section class="card">` with its heading. */
export function Card({ titleId, title, level = 2, class: extra, children }: CardProps): VNode {
  const Heading = level === 2 ? "h2" : "h3";
  return (
    <section class={extra ? `card ${extra}` : "card"} aria-labelledby={titleId}>
      <Heading id={titleId}>{title}</Heading>
      {children}
    </section>
  );
}
