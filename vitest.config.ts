import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // Integration tests run real ffmpeg on a 2-core machine: keep them from fighting for the CPU.
    fileParallelism: false,
    reporters: ['default'],
  },
});
