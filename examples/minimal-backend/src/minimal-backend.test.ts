import { runBackendConformance } from '@grace/core/testing/vitest';
import { createMinimalBackend } from './minimal-backend.js';

// The whole contract: every kernel against the float64 reference, argument errors, GRACE end to end.
runBackendConformance(() => createMinimalBackend());
