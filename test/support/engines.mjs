// The browser engines besides Chromium, from Debian's packages (nothing is downloaded):
// - Firefox ESR, driven by puppeteer-core over WebDriver BiDi through wtr's puppeteer launcher
//   (@web/test-runner-chrome's ChromeLauncher with puppeteer-core as its "custom puppeteer");
// - WebKitGTK (Safari's engine): MiniBrowser driven by WebKitWebDriver (./webkit-launcher.mjs).
import { chromeLauncher } from '@web/test-runner-chrome';
import puppeteer from 'puppeteer-core';
import { webkitLauncher } from './webkit-launcher.mjs';

export const chromiumPath = process.env.CHROME_PATH || '/usr/bin/chromium';

/** Chromium's switches in every run here (tests, bench, background check). */
export const chromiumBaseArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--autoplay-policy=no-user-gesture-required',
  '--disable-dev-shm-usage',
  // WebRTC on loopback: real host candidates, not mDNS names, and loopback allowed.
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  '--allow-loopback-in-peer-connection',
];

/** Keep a hidden or occluded page awake: the tests and the bench, not the background check. */
export const chromiumAntiThrottlingArgs = [
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
];

export const firefoxPath = process.env.FIREFOX_PATH || '/usr/bin/firefox-esr';

/** Prefs for a test run; everything else is puppeteer's defaults for Firefox. */
export const firefoxPrefs = {
  // Play without a user gesture, as Chromium's --autoplay-policy=no-user-gesture-required.
  'media.autoplay.default': 0,
  // WebRTC on loopback (the WHEP server is on 127.0.0.1): gather loopback candidates and
  // offer real host addresses, not mDNS names.
  'media.peerconnection.ice.loopback': true,
  'media.peerconnection.ice.obfuscate_host_addresses': false,
};

export function firefox({ prefs = {} } = {}) {
  return chromeLauncher({
    puppeteer,
    launchOptions: {
      browser: 'firefox',
      executablePath: firefoxPath,
      headless: true,
      extraPrefsFirefox: { ...firefoxPrefs, ...prefs },
    },
  });
}

export function webkit(options) {
  return webkitLauncher(options);
}

/** 'chromium' | 'firefox' | 'webkit' for a wtr session's launcher (server side). */
export function engineOf(session) {
  const { browser } = session;
  if (browser.type === 'webkitgtk-webdriver') return 'webkit';
  if (browser.type === 'puppeteer') return browser.launchOptions?.browser === 'firefox' ? 'firefox' : 'chromium';
  return browser.type === 'playwright' ? (browser.product ?? 'chromium') : 'unknown';
}

/** In the page: the element's box in CSS px relative to the viewport, and the page's scroll and scale. */
function rectOf(selector) {
  const element = document.querySelector(selector);
  if (!element) return null;
  const r = element.getBoundingClientRect();
  return {
    x: r.x,
    y: r.y,
    width: r.width,
    height: r.height,
    scrollX: window.scrollX,
    scrollY: window.scrollY,
    dpr: window.devicePixelRatio,
    vw: window.innerWidth,
  };
}

/**
 * A screenshot of one element as a decoded PNG (CSS px scaled by the device pixel ratio), in
 * whatever engine the session runs; null when the element is missing or smaller than 4x4 px.
 * Playwright and puppeteer clip their own screenshot; WebDriver's is of the viewport, cropped here.
 */
export async function elementScreenshot(session, selector, PNG) {
  const engine = engineOf(session);
  if (session.browser.type === 'playwright') {
    const page = session.browser.getPage(session.id);
    const box = await page.locator(selector).first().boundingBox();
    if (!box || box.width < 4 || box.height < 4) return null;
    return PNG.sync.read(await page.screenshot({ clip: box, type: 'png', animations: 'allow' }));
  }
  if (engine === 'firefox' || session.browser.type === 'puppeteer') {
    const page = session.browser.getPage(session.id);
    const box = await page.evaluate(rectOf, selector);
    if (!box || box.width < 4 || box.height < 4) return null;
    // puppeteer's clip is in document coordinates.
    const clip = { x: box.x + box.scrollX, y: box.y + box.scrollY, width: box.width, height: box.height };
    return PNG.sync.read(Buffer.from(await page.screenshot({ clip, type: 'png', captureBeyondViewport: false })));
  }
  if (engine === 'webkit') {
    const box = await session.browser.executeScript(session.id, `return (${rectOf})(arguments[0]);`, [selector]);
    if (!box || box.width < 4 || box.height < 4) return null;
    const shot = PNG.sync.read(await session.browser.screenshot(session.id));
    // The screenshot is of the viewport, in device pixels; crop the element's box out of it.
    const scale = shot.width / box.vw || box.dpr || 1;
    const x0 = Math.max(0, Math.round(box.x * scale));
    const y0 = Math.max(0, Math.round(box.y * scale));
    const x1 = Math.min(shot.width, Math.round((box.x + box.width) * scale));
    const y1 = Math.min(shot.height, Math.round((box.y + box.height) * scale));
    if (x1 - x0 < 4 || y1 - y0 < 4) return null;
    const crop = new PNG({ width: x1 - x0, height: y1 - y0 });
    PNG.bitblt(shot, crop, x0, y0, x1 - x0, y1 - y0, 0, 0);
    return crop;
  }
  throw new Error(`no element screenshot for the ${session.browser.type} launcher`);
}
