/**
 * The app page's export card: downloads the app as a `.fazt` archive
 * (`apps.export`), with or without its data, to import on another server.
 * Secrets are never exported.
 *
 * @module
 */
import type { VNode } from "preact";
import { useState } from "preact/hooks";
import { downloadUrl, type Output } from "../../api.ts";

/** The export card of app `app`. */
export function ExportCard({ app }: { app: Output<"apps.get"> }): VNode {
  const [withData, setWithData] = useState(false);
  return (
    <section class="card stack" aria-labelledby="export-title">
      <h2 id="export-title">Export</h2>
      <p class="muted small">
        Download {app.name} as a <code>.fazt</code>{" "}
        archive with the files of its live version, to import on another fazt server (Apps →
        Import). Secrets are never exported; set them again there.
      </p>
      <label class="check">
        <input
          id="export-with-data"
          type="checkbox"
          checked={withData}
          onChange={(e) => setWithData(e.currentTarget.checked)}
        />
        <span>Include its data (key-value pairs, documents, blobs and SQL tables)</span>
      </label>
      <div class="form-end">
        {app.version === null
          ? <span class="muted small">Deploy it first: it has no files to export yet.</span>
          : (
            <a
              class="btn btn-primary"
              href={downloadUrl("apps.export", { app: app.id, withData })}
              download={`${app.name}.fazt`}
            >
              Download {app.name}.fazt
            </a>
          )}
      </div>
    </section>
  );
}
