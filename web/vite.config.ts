/**
 * Builds the web app into web/dist (served by src/platform/http/web.ts). Output has no
 * inline script or style, so it runs under the server's CSP. `npm run dev:web`
 * serves it on :5173 with /api proxied to a running Trustdesk on :3000.
 */
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    manifest: true,
    target: 'es2022',
    modulePreload: { polyfill: false },
    sourcemap: false,
    // Inlined assets would become data: URLs in CSS; keep them as files.
    assetsInlineLimit: 0,
    // The app, and the chat frame served at /chat/frame (web/src/chat): its own small bundle.
    rollupOptions: {
      input: {
        index: fileURLToPath(new URL('index.html', import.meta.url)),
        chat: fileURLToPath(new URL('chat.html', import.meta.url)),
      },
    },
  },
  server: {
    port: 5173,
    proxy: { '/api': 'http://localhost:3000' },
  },
});
