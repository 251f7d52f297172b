// Vite: `npm start` serves the demo with the local test origin embedded; `npm run build`
// writes the self-defining CDN file (dist/live-player.js, hls.js in a lazy chunk beside it)
// and, with `--mode lib`, the npm library entries (dependencies left external).
import { defineConfig, type Plugin } from 'vite';

interface LocalServer {
  streams: Record<string, { url: string; edges?: Record<string, { url: string }> }>;
  close(): Promise<void>;
}

const streamUrls = (server: LocalServer) =>
  Object.fromEntries(Object.entries(server.streams).map(([name, stream]) => [name, stream.url]));

/** Each HLS stream's URL on each CDN edge of the origin. */
const edgeUrls = (server: LocalServer) =>
  Object.fromEntries(
    Object.entries(server.streams).map(([name, stream]) => [
      name,
      Object.fromEntries(Object.entries(stream.edges ?? {}).map(([edge, { url }]) => [edge, url])),
    ]),
  );

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
            hls: { controlUrl: origin.controlUrl, streams: streamUrls(origin), edges: edgeUrls(origin) },
            whep: whep ? { controlUrl: whep.url, streams: streamUrls(whep) } : null,
            posterUrl: origin.posterUrl,
          }),
        );
      });
      server.httpServer?.once('close', () => void Promise.all(running.map((s) => s.close())));
    },
  };
}

/**
 * The CDN build preloads nothing (`modulePreload: false`), yet Vite still wraps each dynamic
 * import in its preload helper (~0.7 KB gzipped, and it fires `vite:preloadError` on the host
 * page's window). Replaced by a plain call.
 */
function noPreloadHelper(): Plugin {
  return {
    name: 'live-player-no-preload-helper',
    apply: 'build',
    enforce: 'pre',
    load(id) {
      if (id === '\0vite/preload-helper.js') return 'export const __vitePreload = (load) => load();';
      return undefined;
    },
  };
}

/**
 * terser (3 passes) after the default minifier packs the initial file ~0.8 KB gzipped
 * smaller. hls.js is left alone: it is already compact and terser would grow it.
 */
function terserExceptHlsJs(): Plugin {
  return {
    name: 'live-player-terser',
    apply: 'build',
    async renderChunk(code, chunk) {
      if (chunk.moduleIds.some((id) => /[\\/]node_modules[\\/]hls\.js[\\/]/.test(id))) return null;
      const { minify } = await import('terser');
      const result = await minify(code, { module: true, ecma: 2022, compress: { passes: 3 }, sourceMap: true });
      return { code: result.code ?? code, map: result.map as string };
    },
  };
}

/**
 * The machine's state descriptions are for tools that show the machine (the Stately
 * inspector, the graph walk); the CDN file leaves them out (~0.7 KB gzipped). The npm build
 * (dist/lib) keeps them.
 */
function stripStateDescriptions(): Plugin {
  // A string or template literal: '…', "…" or `…` (with ${…} inside, but no backtick).
  const property = /\bdescription:\s*(?:`(?:[^`\\]|\\.)*`|'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"),?/g;
  return {
    name: 'live-player-strip-state-descriptions',
    apply: 'build',
    enforce: 'pre',
    transform(code, id) {
      if (!/[\/]src[\/]machine[\/][^\/]+\.ts$/.test(id)) return null;
      // Blanked, not removed: every other character keeps its place, so the source map holds.
      return { code: code.replace(property, (text) => text.replace(/[^\n]/g, ' ')), map: null };
    },
  };
}

/**
 * Minifies the whitespace and comments of `css\`…\`` literals without interpolations (the
 * element's styles ship as text, which no JS minifier touches).
 */
function minifyCssLiterals(): Plugin {
  return {
    name: 'live-player-minify-css-literals',
    apply: 'build',
    transform(code, id) {
      if (!/[\\/]src[\\/].*\.ts$/.test(id) || !code.includes('css`')) return null;
      return code.replace(/\bcss`([^`$\\]*)`/g, (_, text: string) => {
        const minified = text
          .replace(/\/\*[\s\S]*?\*\//g, '')
          .replace(/\s+/g, ' ')
          .replace(/\s*([{};,>])\s*/g, '$1')
          .replace(/:\s+/g, ':')
          .replace(/;}/g, '}')
          .trim();
        return `css\`${minified}\``;
      });
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
        lib: { entry: { index: 'src/index.ts', define: 'src/define.ts', react: 'src/react.ts' }, formats: ['es'] },
        rollupOptions: {
          external: [/^lit(\/.*)?$/, /^@lit\//, /^xstate(\/.*)?$/, /^hls\.js(\/.*)?$/, /^react(\/.*)?$/, /^react-dom(\/.*)?$/],
          output: { chunkFileNames: 'chunks/[name]-[hash].js' },
        },
      },
    };
  }
  return {
    root: 'demo',
    // Relative URLs in the built embed page, so dist/ works from any folder of any host.
    base: './',
    publicDir: false,
    plugins: [embeddedServers(), minifyCssLiterals(), stripStateDescriptions(), noPreloadHelper(), terserExceptHlsJs()],
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
        // The self-defining CDN file, the embed page (dist/embed.html) that uses it, and the
        // demo page (dist/index.html: the screenshot tests load it; it needs the local servers).
        input: { 'live-player': '../src/define.ts', embed: 'embed.html', index: 'index.html' },
        // The lazy chunks import what they share with the core from the entry itself (one
        // file before the first frame, not several): the entry may export more than define.ts.
        preserveEntrySignatures: 'allow-extension',
        output: {
          entryFileNames: '[name].js',
          chunkFileNames: 'chunks/[name]-[hash].js',
          // One lazy chunk per protocol with what it needs up to its first frame: an HLS page
          // loads core + `hls` (+ hls.js), a WHEP page core + `whep`, never the other. Watchers
          // (a source watched from the fallback) and the native-HLS engine get small chunks of
          // their own. scripts/check-bundle.mjs checks the split and the sizes.
          codeSplitting: {
            includeDependenciesRecursively: false,
            groups: [
              { name: 'hls', test: /[\\/]src[\\/]sources[\\/](hls-probe|playlist|hls-engine|playback-watchdog|http)\.ts$/ },
              { name: 'whep', test: /[\\/]src[\\/]sources[\\/]whep-(probe|session|engine)\.ts$/ },
              // What both protocols need before a first frame: one small file, not two.
              { name: 'media', test: /[\\/]src[\\/]sources[\\/](retry-after|judging-clock)\.ts$/ },
            ],
          },
        },
      },
    },
  };
});
