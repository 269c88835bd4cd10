#!/usr/bin/env node
// `pnpm bench webgpu-device` alone, for a GPU machine that gets this one file bundled (tools/gpu): unlike the
// bench CLI it loads no other backend, so no native addon but Dawn's has to travel with it.
import { runBenchmarkCommand } from './run-benchmark-command.js';
import { webgpuDeviceCommand } from './webgpu-device-command.js';

process.exitCode = await runBenchmarkCommand(webgpuDeviceCommand, process.argv.slice(2));
