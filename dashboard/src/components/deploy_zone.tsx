/**
 * The deploy drop zone: drop (or choose) a folder or a zip; a folder is
 * zipped in the browser; the zip is uploaded with progress to
 * `POST /_fazt/api/deploy`.
 *
 * @module
 */
import type { VNode } from "preact";
import { useRef, useState } from "preact/hooks";
import { type Output, upload } from "../api.ts";
import { count, formatBytes } from "../lib/format.ts";
import { fromDrop, fromFileList, type Picked, toZip } from "../lib/zip.ts";
import { ErrorNote } from "./error_note.tsx";
import { UploadIcon } from "./icons.tsx";
import { TextField } from "./form.tsx";

type Phase =
  | { kind: "idle" }
  | { kind: "reading" }
  | { kind: "packing" }
  | { kind: "uploading"; loaded: number; total: number }
  | { kind: "processing" };

/** Props of {@linkcode DeployZone}. */
export interface DeployZoneProps {
  /** Deploy a new version of this app; without it, a new app is created. */
  app?: string;
  /** Called after a successful deploy. */
  onDeployed: (out: Output<"apps.deploy">) => void;
  /** Makes the zone large (the empty apps page). */
  large?: boolean;
}

/** Drop zone, file pickers and upload progress. */
export function DeployZone({ app, onDeployed, large }: DeployZoneProps): VNode {
  const [picked, setPicked] = useState<Picked>();
  const [name, setName] = useState("");
  const [phase, setPhase] = useState<Phase>({ kind: "idle" });
  const [error, setError] = useState<unknown>();
  const [over, setOver] = useState(false);
  const depth = useRef(0);
  const idPrefix = app ? `deploy-${app}` : "deploy-new";

  const take = async (p: Promise<Picked> | undefined) => {
    if (!p) return;
    setError(undefined);
    setPhase({ kind: "reading" });
    try {
      const got = await p;
      if (got.kind === "files" && got.files.length === 0) {
        throw new Error(
          "Nothing to deploy: the folder is empty once .git, node_modules, .DS_Store and .faztignore'd files are left out.",
        );
      }
      setPicked(got);
      setName(got.suggested);
    } catch (err) {
      setError(err);
    } finally {
      setPhase({ kind: "idle" });
    }
  };

  const deploy = async (e: Event) => {
    e.preventDefault();
    if (!picked || phase.kind !== "idle") return;
    setError(undefined);
    try {
      setPhase({ kind: "packing" });
      const zip = await toZip(picked);
      setPhase({ kind: "uploading", loaded: 0, total: zip.size });
      const target = app ?? (name.trim() || undefined);
      const out = await upload("apps.deploy", { archive: zip, app: target }, (p) => {
        if (p.loaded >= p.total) setPhase({ kind: "processing" });
        else setPhase({ kind: "uploading", loaded: p.loaded, total: p.total });
      });
      setPicked(undefined);
      setPhase({ kind: "idle" });
      onDeployed(out);
    } catch (err) {
      setError(err);
      setPhase({ kind: "idle" });
    }
  };

  const busy = phase.kind !== "idle";
  const pick = {
    disabled: busy,
    onFiles: (files: File[]) => take(fromFileList(files)),
  };
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    depth.current = 0;
    setOver(false);
    if (busy || !e.dataTransfer) return;
    take(fromDrop(e.dataTransfer));
  };

  return (
    <section
      class={`dropzone${over ? " dropzone-over" : ""}${large ? " dropzone-large" : ""}`}
      aria-label={app ? `Deploy a new version of ${app}` : "Deploy a new app"}
      onDragEnter={(e) => {
        e.preventDefault();
        depth.current++;
        setOver(true);
      }}
      onDragOver={(e) => {
        e.preventDefault();
        if (e.dataTransfer) e.dataTransfer.dropEffect = "copy";
      }}
      onDragLeave={() => {
        depth.current = Math.max(0, depth.current - 1);
        if (depth.current === 0) setOver(false);
      }}
      onDrop={onDrop}
    >
      {!picked && (
        <div class="dropzone-idle">
          <div class="dropzone-icon">
            <UploadIcon />
          </div>
          <p class="dropzone-title">
            {app
              ? (
                <>
                  Drop a folder or a <code>.zip</code> to deploy a new version
                </>
              )
              : (
                <>
                  Drop a folder or a <code>.zip</code> here to deploy an app
                </>
              )}
          </p>
          <p class="muted small">
            It is live in seconds. Older versions are kept for one-click rollback.
          </p>
          <div class="dropzone-actions">
            <FileButton id={`${idPrefix}-folder`} label="Choose folder" folder {...pick} />
            <FileButton
              id={`${idPrefix}-zip`}
              label="Choose .zip file"
              accept=".zip,application/zip"
              {...pick}
            />
          </div>
          {phase.kind === "reading" && <p class="muted small" role="status">Reading files…</p>}
        </div>
      )}
      {picked && (
        <form class="deploy-form" onSubmit={deploy}>
          <div class="staged">
            <div>
              <div class="staged-title">
                {picked.kind === "zip"
                  ? picked.file.name
                  : `${count(picked.files.length)} ${picked.files.length === 1 ? "file" : "files"}`}
              </div>
              <div class="muted small">
                {formatBytes(picked.bytes)}
                {picked.kind === "files" && picked.skipped > 0 &&
                  ` · ${picked.skipped} ignored (.git, node_modules, .faztignore…)`}
              </div>
            </div>
            <button
              type="button"
              class="btn btn-ghost"
              disabled={busy}
              onClick={() => {
                setPicked(undefined);
                setError(undefined);
              }}
            >
              Cancel
            </button>
          </div>
          {!app && (
            <TextField
              id={`${idPrefix}-name`}
              label="App name"
              value={name}
              onValue={setName}
              autoComplete="off"
              spellcheck={false}
              autoCapitalize="off"
              disabled={busy}
              hint={
                <>
                  Lowercase letters, digits and hyphens; it becomes the subdomain. Leave empty to
                  use the name in <code>app.json</code>.
                </>
              }
            />
          )}
          {phase.kind === "packing" && <p class="muted small" role="status">Zipping files…</p>}
          {phase.kind === "uploading" && (
            <div class="progress" role="status">
              <progress
                value={phase.loaded}
                max={phase.total || 1}
                aria-label="Upload progress"
              />
              <span>
                Uploading {Math.floor((phase.loaded / (phase.total || 1)) * 100)}% ·{" "}
                {formatBytes(phase.loaded)} of {formatBytes(phase.total)}
              </span>
            </div>
          )}
          {phase.kind === "processing" && (
            <div class="progress" role="status">
              <progress aria-label="Deploying" />
              <span>Checking and storing the files…</span>
            </div>
          )}
          <ErrorNote error={error} title="The deploy failed" />
          <div class="row">
            <button type="submit" class="btn btn-primary" disabled={busy}>
              {busy ? "Deploying…" : app ? `Deploy to ${app}` : "Deploy"}
            </button>
          </div>
        </form>
      )}
      {!picked && <ErrorNote error={error} title="Cannot deploy that" />}
    </section>
  );
}

/**
 * A file input shown as a button (its label): keyboard-accessible, and
 * emptied after each pick so that picking the same files again works.
 */
function FileButton(
  { id, label, folder, accept, disabled, onFiles }: {
    id: string;
    label: string;
    folder?: boolean;
    accept?: string;
    disabled: boolean;
    onFiles: (files: File[]) => void;
  },
): VNode {
  return (
    <>
      <input
        id={id}
        class="file-input"
        type="file"
        multiple={folder}
        accept={accept}
        disabled={disabled}
        {...(folder ? { webkitdirectory: true } : {})}
        onChange={(e) => {
          const input = e.currentTarget;
          if (input.files) onFiles(Array.from(input.files));
          input.value = "";
        }}
      />
      <label for={id} class="btn">{label}</label>
    </>
  );
}
