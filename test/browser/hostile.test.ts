/**
 * Safe on any page: hostile text in every attribute, slot and string renders as text and runs
 * nothing; non-http(s) URLs are refused with an `error` event before any request; the same URL
 * as primary and fallback counts as no fallback; and the built CDN file plays and fails over
 * on a page under a strict Content-Security-Policy with Trusted Types enforced
 * (test/browser/csp/page.html). Real Chromium, the real origin and WHEP server, told from pixels.
 *
 * Each check is shown able to fail: the injection detector is run against a real injection
 * first, and the CSP page proves its policy is enforced (a string into innerHTML and eval both
 * throw and are reported) before its "no violation" is believed.
 */
import { expect, oneEvent } from '@open-wc/testing';
import { DEFAULT_STRINGS, type LivePlayer, type PlayerErrorDetail, type PlayerWarningDetail } from '../../src/index.js';
import type { CspReport } from './csp/page.js';
import {
  mountPlayer,
  origin,
  poll,
  recordStates,
  recordUncaught,
  requestLog,
  setFault,
  setWhepFault,
  sleep,
  until,
  useFreshServers,
  waitForSeen,
  waitForState,
  whep,
} from './helpers.js';

const uncaught = recordUncaught();

const pwned = () => (window as unknown as { __pwned?: unknown }).__pwned;

/** Markup and script: must stay text wherever they go. Each sets a different __pwned value. */
const MARKUP = [
  '<img src=x onerror=window.__pwned=1>',
  '"><script>window.__pwned=2</script>',
  `'><svg onload=window.__pwned=3></svg>`,
  '</slot><iframe srcdoc="<script>parent.__pwned=4</script>"></iframe>',
];
/** URLs a player must never load: refused with `unsupported-scheme`. */
const BAD_URLS = [
  'javascript:window.__pwned=5//.m3u8',
  'data:text/html,<script>window.__pwned=6</script>',
  'data:application/vnd.apple.mpegurl;base64,I0VYVE0zVQ==',
  '  JaVaScRiPt:window.__pwned=7',
  'java\tscript:window.__pwned=8',
  'vbscript:msgbox(1)',
  'blob:http://127.0.0.1/0c6b1f6a-0000-4000-8000-000000000000',
  'file:///etc/passwd',
  'ws://127.0.0.1:1/live',
  'about:blank',
];

/** What the shadow root may hold: the player's own parts, nothing made from page input. */
const OWN_TAGS = new Set(['VIDEO', 'IMG', 'DIV', 'SPAN', 'SLOT', 'BUTTON']);
function injectedInto(root: ShadowRoot | DocumentFragment): string[] {
  const found: string[] = [];
  for (const element of root.querySelectorAll('*')) {
    if (!OWN_TAGS.has(element.tagName)) found.push(element.tagName.toLowerCase());
    else if (element.tagName === 'IMG' && element.getAttribute('part') !== 'poster') found.push('img (not the poster)');
    for (const attribute of element.attributes) {
      if (/^on/i.test(attribute.name)) found.push(`${element.tagName.toLowerCase()}[${attribute.name}]`);
    }
  }
  return found;
}

/** Mounts a player and waits for its first render; reports the error event if it came. */
async function mountWith(attributes: Record<string, string>): Promise<{ player: LivePlayer; error: PlayerErrorDetail | null }> {
  const player = document.createElement('live-player') as LivePlayer;
  let error: PlayerErrorDetail | null = null;
  player.addEventListener('error', (event) => {
    error = (event as unknown as CustomEvent<PlayerErrorDetail>).detail;
  });
  player.setAttribute('muted', '');
  player.style.width = '320px';
  for (const [name, value] of Object.entries(attributes)) player.setAttribute(name, value);
  document.body.append(player);
  await player.updateComplete;
  await sleep(0);
  await player.updateComplete;
  return { player, error };
}

function errorBoxText(player: LivePlayer): string | null {
  return (player.shadowRoot!.querySelector('[part~="error"]') as HTMLElement | null)?.textContent ?? null;
}

describe('hostile input', function () {
  this.timeout(120000);
  useFreshServers({ servers: 'origin' });
  beforeEach(() => {
    delete (window as unknown as { __pwned?: unknown }).__pwned;
  });

  it('(control) the injection detector sees a real injection', async () => {
    // The same checks as below, on a shadow root that does parse the payloads as HTML.
    const host = document.createElement('div');
    document.body.append(host);
    const root = host.attachShadow({ mode: 'open' });
    root.innerHTML = MARKUP.join('');
    await sleep(500);
    expect(injectedInto(root)).to.include.members(['img (not the poster)', 'img[onerror]', 'script', 'svg[onload]', 'iframe']);
    expect(pwned(), 'a handler ran').to.not.equal(undefined);
    host.remove();
  });

  it('renders markup in every text attribute as text and runs none of it', async () => {
    const { streams } = await origin();
    const scriptsBefore = document.querySelectorAll('script').length;
    const attributes = ['primary', 'fallback', 'primary-type', 'fallback-type', 'primary-status', 'poster', 'standby'];
    const outcomes: string[] = [];
    for (const attribute of attributes) {
      for (const payload of [...MARKUP, ...BAD_URLS.slice(0, 2)]) {
        // fallback-type applies only with a fallback, primary-status only with a primary.
        const base: Record<string, string> =
          attribute === 'primary'
            ? {}
            : attribute === 'fallback-type'
              ? { primary: streams.primary, fallback: streams.fallback }
              : { primary: streams.primary };
        const { player, error } = await mountWith({ ...base, [attribute]: payload });
        const what = `${attribute}=${JSON.stringify(payload)}`;
        expect(injectedInto(player.shadowRoot!), what).to.deep.equal([]);
        expect(player.querySelectorAll('*').length, `${what}: nothing added to the light DOM`).to.equal(0);
        const box = errorBoxText(player);
        if (error) {
          // Shown as text: the message itself, never the payload.
          expect(box, what).to.equal((error as PlayerErrorDetail).message);
          expect(box, what).to.not.include(payload.trim());
        }
        if (attribute === 'poster') {
          const poster = player.shadowRoot!.querySelector('img[part="poster"]');
          expect(poster?.getAttribute('src'), `${what}: an attribute value, verbatim`).to.equal(payload);
        }
        outcomes.push(`${attribute} ${error ? (error as PlayerErrorDetail).code : 'no error'}`);
        player.remove();
      }
    }
    await sleep(800); // time for an image error or a frame load to run a handler, were there one
    expect(pwned()).to.equal(undefined);
    expect(document.querySelectorAll('script').length).to.equal(scriptsBefore);
    // The outcome per attribute, markup (a relative URL: http, so played) then javascript:, data:.
    const count = (line: string) => outcomes.filter((outcome) => outcome === line).length;
    for (const attribute of ['primary', 'fallback', 'primary-status']) {
      expect(count(`${attribute} unsupported-scheme`), attribute).to.equal(2);
      expect(count(`${attribute} no error`), attribute).to.equal(MARKUP.length);
    }
    for (const attribute of ['primary-type', 'fallback-type']) {
      expect(count(`${attribute} unsupported-source-type`), attribute).to.equal(MARKUP.length + 2);
    }
    // Not URLs of a stream: never validated, never run (poster: an <img> src, inert).
    expect(count('poster no error')).to.equal(MARKUP.length + 2);
    expect(count('standby no error')).to.equal(MARKUP.length + 2);
  });

  it('refuses every non-http(s) URL with unsupported-scheme before any request', async () => {
    const { streams } = await origin();
    const since = Date.now();
    for (const attribute of ['primary', 'fallback', 'primary-status']) {
      for (const url of BAD_URLS) {
        // The other source is a live stream: nothing may be asked of it either.
        const base: Record<string, string> =
          attribute === 'primary' ? { fallback: streams.fallback } : { primary: streams.primary, fallback: streams.fallback };
        const player = document.createElement('live-player') as LivePlayer;
        player.setAttribute('muted', '');
        for (const [name, value] of Object.entries({ ...base, [attribute]: url })) player.setAttribute(name, value);
        const event = oneEvent(player, 'error') as Promise<CustomEvent<PlayerErrorDetail>>;
        document.body.append(player);
        const what = `${attribute}=${JSON.stringify(url)}`;
        const { detail } = await Promise.race([
          event,
          sleep(3000).then(() => Promise.reject(new Error(`${what}: no error event within 3 s`))),
        ]);
        expect(detail.code, what).to.equal('unsupported-scheme');
        expect(detail.source, what).to.equal(attribute === 'fallback' ? 'fallback' : 'primary');
        await player.updateComplete;
        expect(player.state, what).to.equal('error');
        expect(errorBoxText(player), what).to.equal(detail.message);
        player.remove();
      }
    }
    await sleep(1000);
    expect(await requestLog(since), 'no request reached the origin').to.deep.equal([]);
    expect(pwned()).to.equal(undefined);
  });

  it('renders hostile `strings` (and a hostile lang) as text in every state', async () => {
    const { streams } = await origin();
    const payload = (key: string) => `<img src=x onerror=window.__pwned='${key}'>"><script>window.__pwned=9</script>`;
    const keys = Object.keys(DEFAULT_STRINGS);
    const hostileLang = '"><img src=x onerror=window.__pwned=10>';
    const strings = Object.fromEntries(keys.map((key) => [key, payload(key)]));
    const wrapper = document.createElement('div');
    wrapper.setAttribute('lang', hostileLang);
    document.body.append(wrapper);
    // Both streams down at first: prelive before the stream has ever played.
    await setFault('primary', '404');
    await setFault('fallback', '404');
    const player = document.createElement('live-player') as LivePlayer;
    player.strings = { [hostileLang]: strings, en: strings };
    player.setAttribute('primary', streams.primary);
    player.setAttribute('fallback', streams.fallback);
    player.setAttribute('muted', '');
    player.style.width = '320px';
    wrapper.append(player);
    await player.updateComplete;
    const shadow = player.shadowRoot!;
    const text = (selector: string) => (shadow.querySelector(selector) as HTMLElement | null)?.textContent?.trim() ?? null;
    const clean = () => {
      expect(injectedInto(shadow)).to.deep.equal([]);
      expect(pwned()).to.equal(undefined);
    };

    // The first look: the spinner, labelled with the hostile text as an attribute value.
    expect(shadow.querySelector('[part~="spinner"]')?.getAttribute('aria-label')).to.equal(payload('loading'));
    clean();

    // Before the stream has played, prelive says it has not started.
    await waitForState(player, 'prelive', 20000);
    await until(() => !!shadow.querySelector('[part~="message"]'), 'the prelive message', 15000);
    expect(text('[part~="message"]')).to.equal(payload('prelive'));
    clean();

    await setFault('primary', 'none');
    await setFault('fallback', 'none');
    await waitForState(player, 'primary', 20000);
    await waitForSeen('red', 20000);
    await player.updateComplete;
    expect(text('[part~="live-badge"]')).to.equal(payload('live'));
    clean();

    await setFault('primary', '404');
    await waitForState(player, 'fallback', 20000);
    await waitForSeen('blue', 20000);
    await player.updateComplete;
    expect(text('.visually-hidden[role="status"]')).to.equal(payload('switchedToBackup'));
    clean();

    await setFault('primary', 'none');
    await setFault('fallback', '404');
    await waitForState(player, 'primary', 20000);
    await waitForSeen('red', 20000);
    await player.updateComplete;
    expect(text('.visually-hidden[role="status"]')).to.equal(payload('backToMain'));
    clean();

    // After it has played, prelive says it is interrupted.
    await setFault('primary', '404');
    await waitForState(player, 'prelive', 20000);
    await until(() => !!shadow.querySelector('[part~="message"]'), 'the prelive message', 15000);
    expect(text('[part~="message"]')).to.equal(payload('interrupted'));
    clean();

    await setFault('primary', 'endlist');
    await waitForState(player, 'stopped', 20000);
    await player.updateComplete;
    expect(text('[part~="message"]')).to.equal(payload('stopped'));
    await sleep(500);
    clean();
    wrapper.remove();
  });

  it('leaves slotted markup-as-text as text', async () => {
    const { streams } = await origin();
    await setFault('primary', '404');
    const player = await mountPlayer({ primary: streams.primary, muted: true });
    const message = document.createElement('p');
    message.slot = 'prelive';
    message.textContent = MARKUP.join(' ');
    const stopped = document.createElement('p');
    stopped.slot = 'stopped';
    stopped.textContent = BAD_URLS[0]!;
    player.append(message, stopped, document.createTextNode(MARKUP[0]!));
    await waitForState(player, 'prelive', 20000);
    const slot = await poll(() => player.shadowRoot!.querySelector<HTMLSlotElement>('slot[name="prelive"]'), 15000, 100);
    expect(slot!.assignedElements()).to.deep.equal([message]);
    expect(message.innerText).to.equal(MARKUP.join(' '));
    expect(message.getBoundingClientRect().height).to.be.greaterThan(0);
    await sleep(500);
    expect(player.children.length, 'the page’s own two elements, nothing parsed from them').to.equal(2);
    expect(injectedInto(player.shadowRoot!)).to.deep.equal([]);
    expect(pwned()).to.equal(undefined);
  });
});

describe('the same URL as primary and fallback', function () {
  this.timeout(120000);
  const warnings: string[] = [];
  const consoleWarn = console.warn;
  useFreshServers({
    servers: 'origin',
    cleanUp: () => {
      console.warn = consoleWarn;
    },
  });
  beforeEach(() => {
    warnings.length = 0;
    console.warn = (...args: unknown[]) => {
      warnings.push(args.map(String).join(' '));
      consoleWarn.apply(console, args);
    };
  });

  it('is treated as no fallback: one set of requests, and a failed primary means prelive', async () => {
    const { streams } = await origin();
    // A warm standby loads a real fallback at once in the hidden video: here there must be none.
    const reported: PlayerWarningDetail[] = [];
    const onWarning = (event: CustomEvent<PlayerWarningDetail>) => reported.push(event.detail);
    document.addEventListener('warning', onWarning);
    const player = await mountPlayer({ primary: streams.primary, fallback: streams.primary, standby: 'warm', muted: true });
    let failovers = 0;
    player.addEventListener('failover', () => (failovers += 1));
    await waitForState(player, 'primary', 20000);
    await waitForSeen('red', 20000);

    const since = Date.now();
    await sleep(4000);
    const segments = (await requestLog(since, 'primary')).filter((entry) => entry.kind === 'segment').map((entry) => entry.path);
    expect(segments.length, 'segments were loaded').to.be.greaterThan(1);
    expect(
      segments.filter((path, i) => segments.indexOf(path) !== i),
      'a segment loaded twice: two engines',
    ).to.deep.equal([]);
    // Each endpoint gets a video of its own: an ignored fallback gets none.
    expect(player.shadowRoot!.querySelectorAll('video[data-role="fallback"]'), 'no video for the ignored fallback').to.have.length(0);
    expect(player.shadowRoot!.querySelectorAll('video')).to.have.length(1);

    await setFault('primary', '404');
    await waitForState(player, 'prelive', 20000);
    await sleep(3000);
    expect(player.state).to.equal('prelive');
    expect(recordStates(player).map((change) => change.state)).to.not.include('fallback');
    expect(failovers).to.equal(0);
    // How it is reported: one `warning` event (bubbling to the document) and one console
    // warning; neither names the URL, which may carry a token.
    expect(reported).to.deep.equal([
      { code: 'fallback-same-as-primary', source: 'fallback', message: 'The fallback is the same URL as the primary; it is ignored.' },
    ]);
    expect(warnings.filter((warning) => /same URL/.test(warning))).to.have.length(1);
    document.removeEventListener('warning', onWarning);
  });

  it('is recognised after URL normalisation (case, dot segments, protocol-relative, spaces)', async () => {
    const { streams } = await origin();
    const url = new URL(streams.primary);
    const cut = url.pathname.lastIndexOf('/');
    const variants = [
      `  ${streams.primary}\n`,
      streams.primary.replace(/^http:\/\//, 'HTTP://').replace(url.hostname, url.hostname.toUpperCase()),
      `${url.origin}${url.pathname.slice(0, cut)}/x/..${url.pathname.slice(cut)}`,
      `//${url.host}${url.pathname}`, // protocol-relative: resolved against the page
    ];
    for (const fallback of variants) {
      warnings.length = 0;
      const player = await mountPlayer({ primary: streams.primary, fallback, muted: true });
      expect(
        warnings.filter((warning) => /same URL/.test(warning)),
        fallback,
      ).to.have.length(1);
      expect(player.state, fallback).to.not.equal('error');
      player.remove();
    }
    // And a different stream is a fallback (no warning): the check is not a blanket one.
    warnings.length = 0;
    const player = await mountPlayer({ primary: streams.primary, fallback: streams.fallback, muted: true });
    expect(warnings.filter((warning) => /same URL/.test(warning))).to.deep.equal([]);
    player.remove();
  });
});

// ---------------------------------------------------------------------------------------------
// The built CDN file on a page under a strict CSP, in an <iframe>

async function mountCspFrame(page: string, query: Record<string, string>): Promise<{ frame: HTMLIFrameElement; report: CspReport }> {
  const frame = document.createElement('iframe');
  frame.style.cssText = 'width: 480px; height: 270px; border: 0; display: block';
  frame.src = `/test/browser/csp/${page}?${new URLSearchParams(query)}`;
  document.body.append(frame);
  const report = await until(
    () => {
      const report = (frame.contentWindow as unknown as { __csp?: CspReport } | null)?.__csp;
      return report && (report.loaded || report.loadError) ? report : null;
    },
    `${page}: its script reporting (CSP blocked it?)`,
    15000,
  );
  return { frame, report };
}

describe('a page under a strict Content-Security-Policy with Trusted Types', function () {
  this.timeout(120000);

  before(async () => {
    const response = await fetch('/dist/live-player.js');
    if (!response.ok) throw new Error(`/dist/live-player.js: HTTP ${response.status}; run \`npm run build\` first`);
  });
  useFreshServers({ whepSessions: 'closed', cleanUp: () => document.querySelectorAll('iframe').forEach((frame) => frame.remove()) });

  it('plays the HLS primary and fails over to the fallback, with no violation, no worker', async () => {
    const { streams, posterUrl } = await origin();
    const { report } = await mountCspFrame('page.html', { primary: streams.primary, fallback: streams.fallback, poster: posterUrl });
    expect(report.loadError).to.equal(null);
    await waitForSeen('red', 30000, 'iframe');
    await setFault('primary', '404');
    await waitForSeen('blue', 30000, 'iframe');
    expect(report.states).to.include('fallback:primary-failed');
    await sleep(500);

    expect(report.violations, 'CSP violations').to.deep.equal([]);
    expect(report.errors, 'uncaught in the frame').to.deep.equal([]);
    expect(report.policies, 'Trusted Types policies created').to.deep.equal(['lit-html']);
    // hls.js's ESM build carries no worker bundle: it transmuxes on the main thread.
    expect(report.workers, 'workers started').to.deep.equal([]);

    // The policy is really enforced here: what it forbids throws and is reported.
    const test = await report.selfTest();
    expect(test).to.deep.equal({ innerHtmlThrew: true, evalThrew: true, dataImportRan: false });
    await sleep(100);
    // innerHTML and eval are Trusted Types sinks (reported as such); the data: module is script-src's.
    expect(report.violations.map((line) => line.split(' ')[0])).to.deep.equal([
      'require-trusted-types-for',
      'require-trusted-types-for',
      'script-src-elem',
    ]);
  });

  it('plays a WHEP primary and fails over to an HLS fallback, with no violation', async () => {
    const [{ streams: webrtc }, { streams: hls }] = await Promise.all([whep(), origin()]);
    const { report } = await mountCspFrame('page.html', { primary: webrtc.primary, fallback: hls.fallback });
    await waitForSeen('red', 30000, 'iframe');
    await setWhepFault('primary', 'publisher-gone');
    await waitForSeen('blue', 30000, 'iframe');
    await sleep(500);
    expect(report.states).to.include('fallback:primary-failed');
    expect(report.violations, 'CSP violations').to.deep.equal([]);
    expect(report.errors, 'uncaught in the frame').to.deep.equal([]);
  });

  it("needs the `lit-html` Trusted Types policy name: under `trusted-types 'none'` it cannot load", async () => {
    const { streams } = await origin();
    const { report } = await mountCspFrame('no-lit-policy.html', { primary: streams.primary });
    expect(report.loaded).to.equal(false);
    expect(report.loadError).to.match(/lit-html/);
    // The violation is reported in a task of its own, after the failed load: wait for it.
    await until(
      () => report.violations.some((line) => line.split(' ')[0] === 'trusted-types'),
      'a trusted-types violation report',
      5000,
    );
  });
});

describe('hostile input, overall', () => {
  it('threw nothing along the way', () => {
    expect(uncaught).to.deep.equal([]);
  });
});
