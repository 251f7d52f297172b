// Self-test of the WebKitGTK launcher (webkit-launcher.mjs) against a real MiniBrowser: a test
// page whose first load never answers opens on the second try, in a new browser, within wtr's
// browserStartTimeout; a page that never answers fails after both tries, with the reason.
//   node --test test/support/webkit-launcher-selftest.mjs     (needs webkit2gtk-driver, xvfb)

import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';
import { listen } from '../servers/http-kit.mjs';
import { WebKitGtkLauncher, webkitBrowserStartTimeout } from './webkit-launcher.mjs';

/** Serves a page; the loads numbered in `hangOn` never answer (a blocked page). */
let hangOn = new Set();
let loads = 0;
const server = createServer((request, response) => {
  if (request.url !== '/page') {
    response.writeHead(404).end();
    return;
  }
  loads += 1;
  if (hangOn.has(loads)) return;
  response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>opened</title>');
});
let url;

before(async () => {
  url = `http://127.0.0.1:${await listen(server, 0, '127.0.0.1')}/page`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

test('a page whose first load hangs opens on the second try, in time', async () => {
  loads = 0;
  hangOn = new Set([1]);
  const launcher = new WebKitGtkLauncher();
  const started = Date.now();
  try {
    await launcher.startSession('s', url);
    const took = Date.now() - started;
    assert.equal(loads, 2);
    assert.ok(took < webkitBrowserStartTimeout, `opened after ${took} ms`);
    assert.equal(await launcher.executeScript('s', 'return document.title'), 'opened');
    await launcher.stopSession('s');
  } finally {
    await launcher.stop();
  }
});

test('a page that never loads fails after two tries with the reason', async () => {
  loads = 0;
  hangOn = new Set([1, 2, 3]);
  const launcher = new WebKitGtkLauncher();
  try {
    await assert.rejects(launcher.startSession('s', url), /POST \/session\/.*\/url: no answer within/);
    assert.equal(loads, 2);
  } finally {
    await launcher.stop();
  }
});
