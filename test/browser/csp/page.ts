/**
 * The module script of page.html (no inline script: the page's CSP forbids it). Records, for
 * the test in the parent frame, every CSP violation, every uncaught error, every Worker and
 * Trusted Types policy created; then loads the built CDN file and mounts one player configured
 * from the query string (as attributes, through the DOM).
 */
export interface CspReport {
  violations: string[];
  errors: string[];
  workers: string[];
  policies: string[];
  states: string[];
  loaded: boolean;
  loadError: string | null;
  /**
   * Tries what this CSP forbids (a string into innerHTML, eval, a module from a data: URL): proves
   * the policy is enforced and that a violation does reach `violations`.
   */
  selfTest(): Promise<{ innerHtmlThrew: boolean; evalThrew: boolean; dataImportRan: boolean }>;
}

const params = new URLSearchParams(location.search);

const report: CspReport = {
  violations: [],
  errors: [],
  workers: [],
  policies: [],
  states: [],
  loaded: false,
  loadError: null,
  async selfTest() {
    const threw = (run: () => void) => {
      try {
        run();
        return false;
      } catch {
        return true;
      }
    };
    return {
      innerHtmlThrew: threw(() => {
        document.createElement('div').innerHTML = '<b>not trusted</b>';
      }),
      evalThrew: threw(() => (0, eval)('1')),
      // Not a Trusted Types sink: only script-src stands in its way.
      dataImportRan: await import(/* @vite-ignore */ `${'data:'}text/javascript,export default 1`).then(
        () => true,
        () => false,
      ),
    };
  },
};
(window as unknown as { __csp: CspReport }).__csp = report;

document.addEventListener('securitypolicyviolation', (event) => {
  report.violations.push(
    `${event.effectiveDirective} blocked ${event.blockedURI || '(inline)'} at ${event.sourceFile}:${event.lineNumber} ${event.sample}`.trim(),
  );
});
window.addEventListener('error', (event) => report.errors.push(String(event.error ?? event.message)));
window.addEventListener('unhandledrejection', (event) => report.errors.push(String(event.reason)));

// Every Worker anyone starts here (hls.js could start one from a blob: URL).
const NativeWorker = window.Worker;
window.Worker = class extends NativeWorker {
  constructor(url: string | URL, options?: WorkerOptions) {
    report.workers.push(String(url));
    super(url, options);
  }
};
// Every Trusted Types policy created here (and whether the CSP let it be created).
const factory = (window as unknown as { trustedTypes?: { createPolicy: (name: string, rules: object) => unknown } }).trustedTypes;
if (factory) {
  const createPolicy = factory.createPolicy.bind(factory);
  factory.createPolicy = (name, rules) => {
    report.policies.push(name);
    return createPolicy(name, rules);
  };
}

document.body.style.margin = '0';
document.documentElement.style.background = '#000';

try {
  const cdnFile = '/dist/live-player.js';
  await import(/* @vite-ignore */ cdnFile);
  report.loaded = true;
} catch (error) {
  report.loadError = String(error);
}

if (report.loaded) {
  const player = document.createElement('live-player');
  for (const [name, value] of params) player.setAttribute(name, value);
  player.setAttribute('muted', '');
  player.style.display = 'block';
  player.style.width = '100%';
  player.addEventListener('statechange', (event) => {
    const { state, reason } = (event as CustomEvent<{ state: string; reason: string }>).detail;
    report.states.push(`${state}:${reason}`);
  });
  document.body.append(player);
}
