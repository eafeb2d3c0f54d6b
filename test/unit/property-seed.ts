// Property tests explore new inputs on every local run, which is how they find bugs; in CI
// (CI=true) they replay one fixed seed, so a submission's verdict does not depend on chance.
// FAST_CHECK_SEED=<n> replays the seed a failure printed.
import fc from 'fast-check';

const seed = process.env.FAST_CHECK_SEED ?? (process.env.CI ? '20261205' : undefined);
if (seed !== undefined) fc.configureGlobal({ seed: Number(seed) });
