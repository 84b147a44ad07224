/**
 * A preview of one file of an app (`apps.read_file`): text as text, images
 * as images (from a `data:` URL; SVG too, which an `<img>` cannot run
 * scripts in), anything else as its type and size.
 *
 * @module
 */
import type { VNode } from "preact";
import type { Output } from "../../api.ts";
import { formatBytes } from "../../lib/format.ts";

const IMAGE = /^image\/(png|jpeg|gif|webp|avif|svg\+xml|x-icon|vnd\.microsoft\.icon)/;

/** The preview of `file`. */
export function FilePreview({ file }: { file: Output<"apps.read_file"> }): VNode {
  if (file.encoding === "utf-8" && !file.contentType.startsWith("image/svg")) {
    return <pre class="code">{file.content}</pre>;
  }
  if (IMAGE.test(file.contentType)) {
    const src = file.encoding === "base64"
      ? `data:${file.contentType};base64,${file.content}`
      : `data:${file.contentType};charset=utf-8,${encodeURIComponent(file.content)}`;
    return (
      <div class="image-preview">
        <img src={src} alt={`Preview of ${file.path}`} />
        <p class="muted small">{file.contentType} · {formatBytes(file.size)}</p>
      </div>
    );
  }
  return (
    <p class="muted">
      Binary file ({file.contentType}, {formatBytes(file.size)}): no preview.
    </p>
  );
}
