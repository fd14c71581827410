/**
 * The REST API's contract: what each route takes (zod schemas, which the API validates with and
 * generates its OpenAPI document from), what it answers (schemas and types of the JSON), the
 * problem details every error is, and the core of the clients. The API, the CLI, the console and
 * the integrations to come import it; nobody declares these shapes again.
 *
 * Where it sits: at the bottom, as pure data. It imports zod and its own modules, nothing else of
 * sriovctl and nothing of Node (eslint refuses it), so a browser can load it and anything may
 * import it. That is why the request schemas live here and not in the ledger: the ledger and the
 * policy loader take the contract's parsed requests (and share its value grammars: names, VF
 * ranges, PF selectors), rather than the contract reaching up into server modules whose imports
 * would follow it into the browser. Answers are declared here as the wire has them (plain strings
 * where the server has branded types); the server's own types are pinned to them by compile-time
 * tests (test/unit/contract/wire-types.test.ts), so neither side drifts unnoticed.
 *
 * The console imports types from here and runtime values only from the zod-free modules
 * (problem.ts, client.ts), so zod stays out of its bundle.
 */
export * from './access.js';
export * from './attachment-id.js';
export * from './attachments.js';
export * from './catalog.js';
export * from './client.js';
export * from './events.js';
export * from './fields.js';
export * from './host.js';
export * from './policies.js';
export * from './problem-schema.js';
export * from './problem.js';
export * from './ranges.js';
export * from './selector.js';
