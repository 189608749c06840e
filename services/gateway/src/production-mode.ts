/**
 * Imported first by main.ts, before anything loads graphql: graphql-js reads NODE_ENV once, when
 * it is loaded, and unless it is `production` every type check during execution (`instanceOf`,
 * several per field) also looks for a second copy of graphql: 3–7 % of the CPU of a 50-row page
 * in CPU profiles. An operator's own NODE_ENV is kept. Nothing else in the gateway changes with it:
 * Apollo's NODE_ENV-dependent defaults are all set explicitly in apollo.ts (introspection, stack
 * traces, landing page, signal handlers), graphql-ws's `isProd` is set in ws.ts, and kafkajs only
 * looks for `test`. Tests start the gateway in-process under vitest (NODE_ENV=test), unaffected.
 */
process.env.NODE_ENV ??= 'production'
