/**
 * Which operations the dashboard has no surface for, and why. Every other
 * operation of the registry is called somewhere in `dashboard/src` through
 * the API client (`call`, `useOp`, `upload`, `follow`, `downloadUrl`);
 * `tests/dashboard/coverage_test.ts` fails when an operation is neither
 * called nor listed here, so a new operation comes with its page or its
 * reason.
 *
 * @module
 */

/** Operations with no dashboard surface, each with the reason. */
export const DASHBOARD_EXEMPT_OPERATIONS: Readonly<Record<string, string>> = Object.freeze({
  "apps.deploy_files":
    "sends a few files inline as JSON, for agents and scripts; the dashboard packs a folder or takes a zip and deploys it with apps.deploy, the same deploy underneath",
  "apps.versions":
    "the app page's versions card lists the versions from apps.get, which answers the same list with the rest of the app",
  "owner.reset_password":
    "the way back in when the password is lost (`fazt owner reset-password --data DIR` on the server); a signed-in owner changes it on the account page with owner.change_password, which checks the current one",
  "system.health":
    "an unauthenticated liveness probe for load balancers and monitors; the system page shows the fuller system.status and system.info",
});
