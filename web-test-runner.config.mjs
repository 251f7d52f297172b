// @web/test-runner: unit tests (fakes allowed) and browser tests (real media, real servers on
// 127.0.0.1 started by this run) in the system Chromium; no browser is downloaded.
// CHROME_PATH points at another Chromium or Chrome (e.g. on a laptop).
// Firefox ESR and WebKitGTK run chosen browser files too, only when asked: `--group firefox` or
// `--group webkit` (TEST_FILES narrows them), or ENGINES=firefox,webkit beside a full run.
import { defaultReporter } from '@web/test-runner';
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { playwrightLauncher } from '@web/test-runner-playwright';
import {
  fileTableReporter,
  hlsOriginPlugin,
  screenPlugin,
  summaryLineReporter,
  whepServerPlugin,
} from './test/support/wtr-plugins.mjs';
import { chromiumAntiThrottlingArgs, chromiumBaseArgs, chromiumPath, firefox, webkit } from './test/support/engines.mjs';
import { reactPlugin } from './test/support/react-plugin.mjs';
import { snapshotPlugin } from './test/support/snapshot-plugin.mjs';
import { webkitBrowserStartTimeout } from './test/support/webkit-launcher.mjs';
import { soakMinutes, soakPlugin } from './test/support/soak-plugin.mjs';

const executablePath = chromiumPath;

export const chromiumArgs = [...chromiumBaseArgs, ...chromiumAntiThrottlingArgs];

function chromium(args) {
  return playwrightLauncher({
    product: 'chromium',
    launchOptions: { executablePath, args },
    createPage: ({ context }) => context.newPage({ viewport: { width: 800, height: 600 } }),
  });
}

// TEST_FILES="test/browser/whep.test.ts" runs just those files (while developing).
const focus = process.env.TEST_FILES;

// The browser files each other engine runs. WebKitGTK has no WebRTC, so no WHEP file there.
const hlsFiles = [
  'test/browser/ui.test.ts',
  'test/browser/make-before-break.test.ts',
  'test/browser/story.test.ts',
  'test/browser/return-to-primary.test.ts',
  'test/browser/offline-network.test.ts',
];
// First, a check of the harness itself in that engine (screenshots, the poster).
const selftest = 'test/support/engine-selftest.test.ts';
const hlsMatrix = 'test/browser/fault-matrix-hls.test.ts';
// Firefox: WHEP by its own files; the matrix's WHEP rows run in Chromium (time: npm test ≤ ~45 min).
const engines = {
  firefox: {
    files: [selftest, ...hlsFiles, hlsMatrix, 'test/browser/whep.test.ts', 'test/browser/make-before-break-whep.test.ts'],
    launcher: firefox,
  },
  webkit: { files: [selftest, ...hlsFiles, hlsMatrix], launcher: webkit },
};

/** The group named on the command line (`--group NAME` or `--group=NAME`), if any. */
function groupArgument(argv = process.argv) {
  const at = argv.indexOf('--group');
  if (at >= 0) return argv[at + 1];
  return argv.find((arg) => arg.startsWith('--group='))?.slice('--group='.length);
}

// A plain run stays Chromium only: an engine's group exists when it is asked for by name.
const engineGroups = [...new Set([...(process.env.ENGINES ?? '').split(','), groupArgument()])]
  .filter((name) => Object.hasOwn(engines, name ?? ''))
  .map((name) => ({
    name,
    files: focus ? focus.split(',') : engines[name].files,
    browsers: [engines[name].launcher()],
  }));

export default {
  nodeResolve: { exportConditions: ['production'] },
  ...(focus ? { files: focus.split(',') } : {}),
  groups: focus
    ? engineGroups
    : [
        { name: 'unit', files: 'test/unit/**/*.test.ts' },
        { name: 'browser', files: 'test/browser/**/*.test.ts' },
        // A browser that refuses sound without a user gesture, as on a first visit.
        {
          name: 'autoplay',
          files: 'test/autoplay/**/*.test.ts',
          browsers: [
            chromium(
              chromiumArgs.map((arg) =>
                arg.startsWith('--autoplay-policy') ? '--autoplay-policy=document-user-activation-required' : arg,
              ),
            ),
          ],
        },
        // The chaos soak (test/soak/soak.test.ts), last: SOAK_MINUTES long (default 2).
        { name: 'soak', files: 'test/soak/**/*.test.ts' },
        ...engineGroups,
      ],
  plugins: [
    esbuildPlugin({ ts: true, target: 'es2022', tsconfig: './tsconfig.json' }),
    hlsOriginPlugin(),
    whepServerPlugin(),
    screenPlugin(),
    reactPlugin(),
    // UPDATE_SCREENSHOTS=1 rewrites the references in test/screenshots/.
    snapshotPlugin(),
    // SOAK_MINUTES, SOAK_SEED; screenshots of both soak players at once; GC; the soak report.
    soakPlugin(),
  ],
  browsers: [chromium(chromiumArgs)],
  // The browser tests share one origin and a 2-core machine: one file at a time.
  concurrency: 1,
  concurrentBrowsers: 1,
  // Longer when a long soak runs (npm run soak -- --minutes N).
  testsFinishTimeout: Math.max(15, soakMinutes() + 10) * 60 * 1000,
  // WebKitGTK's launcher may try a page twice, each in its own browser (webkit-launcher.mjs).
  browserStartTimeout: Math.max(60 * 1000, webkitBrowserStartTimeout),
  testFramework: { config: { timeout: 120000 } },
  // With an engine group, a per-file table too (before the closing count line).
  reporters: [defaultReporter(), ...(engineGroups.length ? [fileTableReporter()] : []), summaryLineReporter()],
};
