#!/usr/bin/env node
import { createCpuBackend } from '@grace/backend-cpu';
import { runCodebookDemo } from './codebook-demo.js';

/** `pnpm demo`: the project's main job. */
await runCodebookDemo(createCpuBackend(), (line) => console.log(line));
