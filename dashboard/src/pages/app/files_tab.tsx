/**
 * The app page's files tab: the files of the live (or a chosen) version
 * with their sizes, and a preview of the picked one beside them.
 *
 * @module
 */
import type { VNode } from "preact";
import { useEffect, useState } from "preact/hooks";
import { count, formatBytes } from "../../lib/format.ts";
import { useOp } from "../../lib/use_op.ts";
import { Empty } from "../../components/empty.tsx";
import { ErrorNote } from "../../components/error_note.tsx";
import { Field } from "../../components/form.tsx";
import { ExternalIcon } from "../../components/icons.tsx";
import { Loading } from "../../components/loading.tsx";
import { PickList } from "../../components/pick_list.tsx";
import { FilePreview } from "./file_preview.tsx";
import type { TabProps } from "./tab.ts";

/** Where a file of the app is served. */
function fileUrl(appUrl: string, path: string): string {
  return appUrl.replace(/\/$/, "") + "/" + path.split("/").map(encodeURIComponent).join("/");
}

/** The files tab. */
export function FilesTab({ app }: TabProps): VNode {
  const [version, setVersion] = useState<number | undefined>(app.version ?? undefined);
  const files = useOp("apps.files", app.version === null ? null : { app: app.name, version });
  const [selected, setSelected] = useState<string>();
  const file = useOp(
    "apps.read_file",
    selected === undefined ? null : { app: app.name, path: selected, version },
  );
  useEffect(() => setSelected(undefined), [version]);

  if (app.version === null) {
    return <Empty title="No files">This app has no live version yet. Deploy one first.</Empty>;
  }
  return (
    <div class="stack">
      <div class="toolbar">
        <Field id="files-version" label="Version" inline>
          <select
            id="files-version"
            value={String(version)}
            onChange={(e) => setVersion(Number(e.currentTarget.value))}
          >
            {app.versions.map((v) => (
              <option key={v.number} value={String(v.number)}>
                v{v.number}
                {v.live ? " (live)" : ""}
              </option>
            ))}
          </select>
        </Field>
        {files.data && (
          <span class="muted small">
            {count(files.data.length)} files ·{" "}
            {formatBytes(files.data.reduce((n, f) => n + f.size, 0))}
          </span>
        )}
      </div>
      <ErrorNote error={files.error} title="Could not list the files" />
      {!files.data && !files.error && <Loading />}
      {files.data && (
        <div class="split">
          <PickList
            items={files.data}
            itemKey={(f) => f.path}
            picked={selected}
            onPick={(f) => setSelected(f.path)}
            note={(f) => <span class="muted small">{formatBytes(f.size)}</span>}
          />
          <section class="card preview" aria-label="File preview" aria-live="polite">
            {selected === undefined && <Empty title="Pick a file">Its content shows here.</Empty>}
            {selected !== undefined && (
              <>
                <div class="preview-head">
                  <span class="mono">{selected}</span>
                  <a
                    class="small"
                    href={fileUrl(app.url, selected)}
                    target="_blank"
                    rel="noopener noreferrer"
                  >
                    Open on the site<ExternalIcon />
                  </a>
                </div>
                <ErrorNote error={file.error} title="Could not read the file" />
                {file.loading && !file.data && <Loading />}
                {file.data && file.data.path === selected && <FilePreview file={file.data} />}
              </>
            )}
          </section>
        </div>
      )}
    </div>
  );
}
