// Vite: `npm start` serves the demo with the local test origin embedded; `npm run build`
// writes the self-defining CDN file (dist/live-player.js, hls.js in a lazy chunk beside it)
// and, with `--mode lib`, the npm library entries (dependencies left external).
import { defineConfig, type Plugin } from 'vite';

/** Starts the local HLS origin with the dev server and tells the demo page where it is. */
function embeddedOrigin(): Plugin {
  let origin: { controlUrl: string; posterUrl: string; streams: Record<string, { url: string }>; close(): Promise<void> } | null = null;
  return {
    name: 'live-player-embedded-origin',
    apply: 'serve',
    async configureServer(server) {
      // Imported lazily so a library build never needs the test servers.
      const { startOrigin } = await import('./test/servers/hls-origin.mjs');
      origin = await startOrigin({ host: '127.0.0.1' });
      server.config.logger.info(`  live-player test origin: ${origin!.controlUrl}`);
      server.middlewares.use('/__origin.json', (_req, res) => {
        res.setHeader('Content-Type', 'application/json');
        res.end(
          JSON.stringify({
            controlUrl: origin!.controlUrl,
            posterUrl: origin!.posterUrl,
            streams: Object.fromEntries(Object.entries(origin!.streams).map(([name, s]) => [name, s.url])),
          }),
        );
      });
      server.httpServer?.once('close', () => void origin?.close());
    },
  };
}

export default defineConfig(({ mode }) => {
  if (mode === 'lib') {
    return {
      build: {
        outDir: 'dist/lib',
        emptyOutDir: true,
        sourcemap: true,
        minify: false,
        lib: { entry: { index: 'src/index.ts', define: 'src/define.ts' }, formats: ['es'] },
        rollupOptions: {
          external: [/^lit(\/.*)?$/, /^@lit\//, /^xstate(\/.*)?$/, /^hls\.js(\/.*)?$/],
          output: { chunkFileNames: 'chunks/[name]-[hash].js' },
        },
      },
    };
  }
  return {
    root: 'demo',
    publicDir: false,
    plugins: [embeddedOrigin()],
    server: { host: '127.0.0.1', port: 5173 },
    build: {
      outDir: '../dist',
      emptyOutDir: true,
      sourcemap: true,
      target: 'es2022',
      // No preload helper: it resolves chunk URLs against the page, not the CDN.
      modulePreload: false,
      // Not lib mode: lib mode keeps whitespace in ES output; the CDN file is fully minified.
      rollupOptions: {
        input: { 'live-player': '../src/define.ts' },
        preserveEntrySignatures: 'strict',
        output: {
          entryFileNames: '[name].js',
          chunkFileNames: 'chunks/[name]-[hash].js',
        },
      },
    },
  };
});
