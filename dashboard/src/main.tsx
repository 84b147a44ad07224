/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The dashboard (the Shell) at `/_fazt`: the owner's cockpit, a client of
 * the public REST API only. This entry renders the root component
 * (`shell/app.tsx`) into the page.
 *
 * @module
 */
import { render } from "preact";
import { App } from "./shell/app.tsx";

render(<App />, document.getElementById("app")!);
