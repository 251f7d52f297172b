// Vite: `npm start` serves the demo with the local test origin embedded; `npm run build`
// writes the self-defining CDN file (dist/live-player.js, hls.js in a lazy chunk beside it)
// and, with `--mode lib`, the npm library entries (dependencies left external).
import { defineConfig, type Plugin } from 'vite';

interface LocalServer {
  streams: Record<string, { url: string }>;
  close(): Promise<void>;
}

const streamUrls = (server: LocalServer) =>
  Object.fromEntries(Object.entries(server.streams).map(([name, stream]) => [name, stream.url]));

/**
 * Starts the local HLS origin and WHEP server with the dev server and tells the demo page
 * where they are. The WHEP server needs ffmpeg; without it the demo runs HLS only.
 */
function embeddedServers(): Plugin {
  const running: LocalServer[] = [];
  return {
    name: 'live-player-embedded-servers',
    apply: 'serve',
    async configureServer(server) {
      // Imported lazily so a library build never needs the test servers.
      const { startOrigin } = await import('./test/servers/hls-origin.mjs');
      const origin = await startOrigin({ host: '127.0.0.1' });
      running.push(origin);
      server.config.logger.info(`  live-player test origin: ${origin.controlUrl}`);
      let whep: (LocalServer & { url: string }) | null = null;
      try {
        const { startWhepServer } = await import('./test/servers/whep-server.mjs');
        whep = await startWhepServer({ host: '127.0.0.1', streams: { primary: 'red', fallback: 'blue' } });
        running.push(whep!);
        server.config.logger.info(`  live-player WHEP server: ${whep!.url}`);
      } catch (error) {
        server.config.logger.warn(`  WHEP server not started (${(error as Error).message}); the demo offers HLS only.`);
      }
      server.middlewares.use('/__origin.json', (_req, res) => {
        res.setHeader('Content-Type', 'application/json');
        res.end(
          JSON.stringify({
            hls: { controlUrl: origin.controlUrl, streams: streamUrls(origin) },
            whep: whep ? { controlUrl: whep.url, streams: streamUrls(whep) } : null,
            posterUrl: origin.posterUrl,
          }),
        );
      });
      server.httpServer?.once('close', () => void Promise.all(running.map((s) => s.close())));
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
    plugins: [embeddedServers()],
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
