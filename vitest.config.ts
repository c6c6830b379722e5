import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    // Integration tests start real PostgreSQL clusters and sshd bastions.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
