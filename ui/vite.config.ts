/**
 * The UI build: one single-page app for the sign-in pages, the self-service portal and the admin center.
 * Surfaces other than sign-in are split into lazy chunks so a user signing in downloads only what that page needs
 * (budget: under 60 KB of gzipped JS on first load); Monaco is loaded only by the designer pages.
 */
import preact from '@preact/preset-vite';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const uiRoot = fileURLToPath(new URL('.', import.meta.url));
const monacoEsm = fileURLToPath(new URL('../node_modules/monaco-editor/esm/vs/', import.meta.url));

export default defineConfig({
  root: uiRoot,
  plugins: [preact()],
  resolve: {
    // monaco-editor's export map hides its `esm/vs/...` files, which we import one by one (only the parts used)
    // and which monaco-yaml's worker imports too.
    alias: [{ find: /^monaco-editor\/esm\/vs\//, replacement: monacoEsm }],
  },
  worker: { format: 'es' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // Monaco's chunks are large by nature and lazy; keep the warning for everything else.
    chunkSizeWarningLimit: 4096,
  },
  server: {
    // `vite` dev server for UI work: API calls go to the Worker started by `npm start`.
    proxy: { '/api': 'http://127.0.0.1:8787', '/saml': 'http://127.0.0.1:8787' },
  },
});
