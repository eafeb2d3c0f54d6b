#!/usr/bin/env node
// One bundled file keeps start-up fast: see scripts/build.mjs.
import '../dist/cli.js';
