#!/usr/bin/env node
// `npm run bench -- [--quick] [--runs N] [--out DIR] [WORKLOAD…]`: Berth side by side with its peers.
import { main } from '../dist/bench/main.js';

process.exitCode = await main(process.argv.slice(2));
