import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const root = fileURLToPath(new URL('.', import.meta.url));

// The console is built into web/dist and served by xdrhub itself (src/console).
// `npx vite --config web/vite.config.ts` serves it in development, proxying /api to a running xdrhub.
export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  logLevel: 'warn',
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 2000, sourcemap: false },
  server: { proxy: { '/api': `http://127.0.0.1:${process.env.XDRHUB_PORT ?? 8080}` } },
});
