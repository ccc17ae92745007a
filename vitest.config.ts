import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'e2e/**/*.test.ts', 'web/test/**/*.test.ts'],
    // Browser tests need the built web app; this builds it once when its inputs changed.
    globalSetup: ['e2e/web/build.setup.ts'],
    // PGlite instances are WebAssembly heaps; separate processes keep them apart.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
