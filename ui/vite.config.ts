/**
 * The UI build: one single-page app for the sign-in pages, the self-service portal and the admin center.
 * Surfaces other than sign-in are split into lazy chunks so a user signing in downloads only what that page needs
 * (budget: under 60 KB of gzipped JS on first load); Monaco is loaded only by the designer pages.
 */
import preact from '@preact/preset-vite';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const uiRoot = fileURLToPath(new URL('.', import.meta.url));
const monacoEsm = fileURLToPath(new URL('../node_modules/monaco-editor/esm/vs/', import.meta.url));

/**
 * Monaco's own texts follow the admin's language switch without a reload (ui/src/admin/monaco/load.ts swaps
 * Monaco's text table). Most of Monaco looks a text up when it shows it; these modules look theirs up once, as they
 * are evaluated (module constants, static fields): the find widget's labels and the suggest widget's "Loading..."
 * and "No suggestions.". Each such lookup is rewritten so that it can run again: the constant becomes a `let`, and
 * the module adds a function repeating the lookup to `globalThis.__monacoTextsAgain`, which load.ts runs after the
 * swap. A listed module without such a lookup fails the build: a Monaco upgrade moved the texts.
 */
const MONACO_TEXTS_LOOKED_UP_ONCE = [
  'editor/contrib/find/browser/findWidget.js',
  'base/browser/ui/findinput/findInput.js',
  'base/browser/ui/findinput/replaceInput.js',
  'base/browser/ui/findinput/findInputToggles.js',
  'editor/contrib/suggest/browser/suggestWidget.js',
];

function monacoTextsAgain(): Plugin {
  const again = (assignment: string) => `(globalThis.__monacoTextsAgain ??= []).push(() => { ${assignment}; });`;
  return {
    name: 'monaco-texts-again',
    enforce: 'pre',
    transform(code, id) {
      const file = id.split('?')[0]!.replaceAll('\\', '/');
      const listed = MONACO_TEXTS_LOOKED_UP_ONCE.find((path) => file.endsWith(`/monaco-editor/esm/vs/${path}`));
      if (!listed) return null;
      let rewritten = 0;
      const lookup = String.raw`(?:nls\.)?localize2?\(\d+, .*\)`;
      const result = code
        .replace(new RegExp(String.raw`^const (\w+) = (${lookup});$`, 'gm'), (_line, name: string, text: string) => {
          rewritten += 1;
          return `let ${name} = ${text}; ${again(`${name} = ${text}`)}`;
        })
        // Inside a static block `this` is the class, and stays so in the arrow function.
        .replace(new RegExp(String.raw`static \{ this\.(\w+) = (${lookup}); \}`, 'g'), (_block, name: string, text: string) => {
          rewritten += 1;
          return `static { this.${name} = ${text}; ${again(`this.${name} = ${text}`)} }`;
        });
      if (rewritten === 0) this.error(`monaco-texts-again: no text looked up once in ${listed}; update MONACO_TEXTS_LOOKED_UP_ONCE`);
      return { code: result, map: null };
    },
  };
}

export default defineConfig({
  root: uiRoot,
  plugins: [preact(), monacoTextsAgain()],
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
