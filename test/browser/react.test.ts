/**
 * `live-player/react` with real React and ReactDOM in real Chromium: props reach the element,
 * and the typed `on…` props receive the element's real events while it plays the local origin.
 */
import { expect } from '@open-wc/testing';
import * as React from 'react';
import { flushSync } from 'react-dom';
import { createRoot, type Root } from 'react-dom/client';
import type { LivePlayer as LivePlayerElement, PlayerErrorDetail, PlayerWarningDetail, StateChangeDetail } from '../../src/index.js';
import { LivePlayer, type LivePlayerProps } from '../../src/react.js';
import { origin, resetOrigin, setFault, waitForSeen, waitForState } from './helpers.js';

describe('live-player/react', function () {
  this.timeout(60000);
  let host: HTMLDivElement;
  let root: Root | null = null;

  beforeEach(async () => {
    await resetOrigin();
    host = document.createElement('div');
    host.style.width = '480px';
    document.body.append(host);
  });
  afterEach(() => {
    root?.unmount();
    root = null;
    host.remove();
  });

  function render(props: LivePlayerProps): LivePlayerElement {
    root ??= createRoot(host);
    flushSync(() => root!.render(React.createElement(LivePlayer, props)));
    const element = host.querySelector('live-player');
    if (!element) throw new Error('LivePlayer rendered no <live-player>');
    return element;
  }

  it('takes a ladder as an array: the element plays the next endpoint when the first is gone', async () => {
    const { edges } = await origin();
    await setFault('primary', '404', { edge: 'a' });
    const element = render({ primary: [edges.primary.a, edges.primary.b], muted: true });
    expect(element.primary).to.deep.equal([edges.primary.a, edges.primary.b]);
    await waitForState(element, 'primary', 20000);
    await waitForSeen('red', 20000);
    expect(element.source).to.deep.include({ stream: 'primary', index: 1 });
  });

  it('passes every prop to the element as a property', async () => {
    const { streams, posterUrl } = await origin();
    const thresholds = { preferPrimaryAfterMs: 4000 };
    const ref = React.createRef<LivePlayerElement>();
    const element = render({
      ref,
      primary: streams.primary,
      fallback: streams.fallback,
      primaryType: 'hls',
      fallbackType: 'hls',
      poster: posterUrl,
      muted: true,
      controls: true,
      preferPrimary: true,
      thresholds,
      primaryToken: 'not-a-real-token',
      className: 'stage',
    });
    expect(ref.current).to.equal(element);
    expect(element.primary).to.equal(streams.primary);
    expect(element.fallback).to.equal(streams.fallback);
    expect(element.primaryType).to.equal('hls');
    expect(element.fallbackType).to.equal('hls');
    expect(element.poster).to.equal(posterUrl);
    expect(element.muted).to.equal(true);
    expect(element.controls).to.equal(true);
    expect(element.preferPrimary).to.equal(true);
    expect(element.thresholds).to.equal(thresholds);
    expect(element.primaryToken).to.equal('not-a-real-token');
    expect(element.className).to.equal('stage');
    await element.updateComplete;
    // Reflected attributes, as CSS and the element's own render see them.
    expect(element.hasAttribute('muted')).to.equal(true);
    expect(element.hasAttribute('controls')).to.equal(true);
    // The token is a property only: never an attribute.
    expect(element.outerHTML).not.to.contain('not-a-real-token');

    // A re-render with changed props updates the same element.
    const again = render({ ref, primary: streams.primary, fallback: streams.fallback, muted: false, preferPrimary: false });
    expect(again).to.equal(element);
    expect(element.muted).to.equal(false);
    expect(element.preferPrimary).to.equal(false);
    await element.updateComplete;
    expect(element.hasAttribute('muted')).to.equal(false);
  });

  it('calls onStateChange with the real detail as the player goes live, and shows the primary', async () => {
    const { streams } = await origin();
    const changes: StateChangeDetail[] = [];
    const element = render({
      primary: streams.primary,
      fallback: streams.fallback,
      muted: true,
      onStateChange: (event) => changes.push(event.detail),
    });
    await waitForState(element, 'primary', 30000);
    await waitForSeen('red', 30000);
    expect(changes[0]).to.include({ state: 'prelive', previous: 'idle', reason: 'start' });
    const live = changes.find((change) => change.state === 'primary');
    expect(live).to.include({ previous: 'prelive', reason: 'primary-live' });
    expect(changes.map((change) => change.state)).to.deep.equal(
      changes.map((change) => change.state).filter((state, i, all) => i === 0 || state !== all[i - 1]),
      'every call is a change',
    );
  });

  it('calls onError with the code and message of a configuration the element refuses', async () => {
    const errors: PlayerErrorDetail[] = [];
    const element = render({ primary: 'javascript:alert(1)//.m3u8', onError: (event) => errors.push(event.detail) });
    await waitForState(element, 'error', 10000);
    expect(errors).to.have.length(1);
    expect(errors[0].code).to.equal('unsupported-scheme');
    expect(errors[0].message).to.be.a('string').and.not.empty;
  });

  it('calls onWarning when the fallback is the primary, and plays the primary alone', async () => {
    const { streams } = await origin();
    const warnings: PlayerWarningDetail[] = [];
    const element = render({
      primary: streams.primary,
      fallback: streams.primary,
      muted: true,
      onWarning: (event) => warnings.push(event.detail),
    });
    await waitForState(element, 'primary', 20000);
    await waitForSeen('red', 20000);
    expect(warnings).to.deep.equal([
      { code: 'fallback-same-as-primary', source: 'fallback', message: 'The fallback is the same URL as the primary; it is ignored.' },
    ]);
  });
});
