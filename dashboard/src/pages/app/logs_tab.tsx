/**
 * The app page's logs tab: the live tail of the app's log (`logs.tail`,
 * server-sent events, starting with the last 200 lines), with a level
 * filter, pause and resume (lines that arrive while paused are held), clear,
 * and reconnecting. The view sticks to the bottom unless the owner
 * scrolls up.
 *
 * @module
 */
import type { VNode } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { call, follow, type Output } from "../../api.ts";
import { clock, dateTime } from "../../lib/format.ts";
import { ErrorNote } from "../../components/error_note.tsx";
import { Field } from "../../components/form.tsx";
import type { TabProps } from "./tab.ts";

type LogLine = Output<"logs.tail">;
type Level = LogLine["level"];
type StreamState = "connecting" | "live" | "retrying" | "closed";

/** The levels, least severe first. */
const LEVELS: readonly Level[] = ["debug", "info", "warn", "error"];

/** How many lines the view keeps. */
const KEEP = 2000;

/** How many recent lines a (re)connection starts with. */
const BACKLOG = 200;

const STATE_LABELS: Record<Exclude<StreamState, "live">, string> = {
  connecting: "Connecting…",
  retrying: "Reconnecting…",
  closed: "Disconnected",
};

/** The logs tab. */
export function LogsTab({ app }: TabProps): VNode {
  const [lines, setLines] = useState<LogLine[]>([]);
  const [state, setState] = useState<StreamState>("connecting");
  const [generation, setGeneration] = useState(0);
  const [streamError, setStreamError] = useState<unknown>();
  const [paused, setPaused] = useState(false);
  const [level, setLevel] = useState<Level>("debug");
  const pausedRef = useRef(false);
  const held = useRef<LogLine[]>([]);
  const box = useRef<HTMLDivElement>(null);
  const stick = useRef(true);

  useEffect(() => {
    setLines([]);
    setState("connecting");
    setStreamError(undefined);
    return follow("logs.tail", { app: app.id, backlog: BACKLOG }, {
      // Each (re)connection starts with the backlog again: start from a clean slate.
      onOpen: () => {
        setLines([]);
        held.current = [];
        setState("live");
      },
      onError: (closed) => {
        if (!closed) {
          setState("retrying");
          return;
        }
        // The server refused the stream: ask the API why (a 401 goes back to login).
        setState("closed");
        call("logs.query", { app: app.id, limit: 1 }).then(
          () => setStreamError(new Error("The log stream closed.")),
          setStreamError,
        );
      },
      onMessage: (entry) => {
        if (pausedRef.current) held.current.push(entry);
        else setLines((prev) => [...prev, entry].slice(-KEEP));
      },
    });
  }, [app.id, generation]);

  useEffect(() => {
    const el = box.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [lines]);

  const togglePause = () => {
    const next = !paused;
    pausedRef.current = next;
    setPaused(next);
    if (!next && held.current.length) {
      const more = held.current;
      held.current = [];
      setLines((prev) => [...prev, ...more].slice(-KEEP));
    }
  };

  const min = LEVELS.indexOf(level);
  const shown = lines.filter((l) => LEVELS.indexOf(l.level) >= min);

  return (
    <div class="stack">
      <div class="toolbar">
        <span class={`live-dot live-${state}`} role="status">
          {state === "live" ? (paused ? "Paused" : "Live") : STATE_LABELS[state]}
        </span>
        {state === "closed" && (
          <button
            type="button"
            class="btn btn-small"
            onClick={() => setGeneration((g) => g + 1)}
          >
            Reconnect
          </button>
        )}
        <Field id="log-level" label="Level" inline>
          <select
            id="log-level"
            value={level}
            onChange={(e) => setLevel(e.currentTarget.value as Level)}
          >
            {LEVELS.map((l) => <option key={l} value={l}>{l} and up</option>)}
          </select>
        </Field>
        <button type="button" class="btn btn-small" onClick={togglePause} aria-pressed={paused}>
          {paused ? "Resume" : "Pause"}
        </button>
        <button type="button" class="btn btn-small" onClick={() => setLines([])}>
          Clear
        </button>
      </div>
      {state === "closed" && <ErrorNote error={streamError} title="The log stream stopped" />}
      <div
        ref={box}
        class="log"
        role="log"
        aria-label={`Logs of ${app.name}`}
        tabIndex={0}
        onScroll={(e) => {
          const el = e.currentTarget;
          stick.current = el.scrollTop + el.clientHeight >= el.scrollHeight - 24;
        }}
      >
        {shown.length === 0 && (
          <p class="muted log-empty">
            No log lines yet. Deploys, rollbacks and your app's <code>console.log</code> show here.
          </p>
        )}
        {shown.map((l, i) => (
          <div key={i} class={`log-line log-${l.level}`}>
            <time dateTime={l.at} title={dateTime(l.at)}>{clock(l.at)}</time>
            <span class="log-level">{l.level}</span>
            <span class="log-source">{l.source}</span>
            <span class="log-msg">{l.message}</span>
          </div>
        ))}
      </div>
    </div>
  );
}
