// resolveConfig / sourceTypeOf: attributes → source descriptors, or one clear error.
import { expect } from '@open-wc/testing';
import { resolveConfig, sourceTypeOf, type ResolvedConfig, type SourceAttributes } from '../../src/config.js';
import { ErrorCodes } from '../../src/constants.js';

const BASE = 'https://player.example.com/events/page.html';

function resolved(attrs: SourceAttributes, base = BASE) {
  const result = resolveConfig(attrs, base);
  if (!result.ok) throw new Error(`expected ok, got ${result.error.code}: ${result.error.message}`);
  return result;
}

function failed(attrs: SourceAttributes, base = BASE) {
  const result: ResolvedConfig = resolveConfig(attrs, base);
  if (result.ok) throw new Error(`expected an error, got ${JSON.stringify(result)}`);
  return result.error;
}

describe('resolveConfig', () => {
  describe('primary', () => {
    for (const primary of [null, undefined, '']) {
      it(`is required (${JSON.stringify(primary)})`, () => {
        const error = failed({ primary, fallback: 'https://backup.example.com/live.m3u8' });
        expect(error.code).to.equal(ErrorCodes.MISSING_PRIMARY);
        expect(error.source).to.equal('primary');
        expect(error.message).to.be.a('string').and.not.empty;
      });
    }

    it('treats a whitespace-only value as missing', () => {
      expect(failed({ primary: ' \t\n ', fallback: null }).code).to.equal(ErrorCodes.MISSING_PRIMARY);
    });

    it('trims surrounding whitespace of a valid URL', () => {
      const result = resolved({ primary: '  https://origin.example.com/live/index.m3u8\n', fallback: null });
      expect(result.primary).to.deep.equal([{ url: 'https://origin.example.com/live/index.m3u8', kind: 'hls' }]);
      expect(result.fallback).to.deep.equal([]);
      expect(result.warnings).to.deep.equal([]);
    });

    it('resolves a relative URL against the base', () => {
      expect(resolved({ primary: 'live/stream.m3u8', fallback: null }).primary).to.deep.equal([
        { url: 'https://player.example.com/events/live/stream.m3u8', kind: 'hls' },
      ]);
      expect(resolved({ primary: '/whep/endpoint/abc', fallback: null }).primary).to.deep.equal([
        { url: 'https://player.example.com/whep/endpoint/abc', kind: 'whep' },
      ]);
      expect(resolved({ primary: '//cdn.example.net/a.m3u8', fallback: null }, 'http://x.test/').primary[0]!.url).to.equal(
        'http://cdn.example.net/a.m3u8',
      );
    });

    for (const bad of ['http://[::1', 'https://origin.example.com:99999/live.m3u8', 'http://']) {
      it(`refuses an unparseable URL: ${bad}`, () => {
        const error = failed({ primary: bad, fallback: null });
        expect(error.code).to.equal(ErrorCodes.INVALID_URL);
        expect(error.source).to.equal('primary');
        expect(error.message).to.contain('primary');
      });
    }

    it('refuses a relative URL when the base itself is not a usable base', () => {
      expect(failed({ primary: 'live.m3u8', fallback: null }, 'about:blank').code).to.equal(ErrorCodes.INVALID_URL);
    });

    const schemes: [string, string][] = [
      ['javascript:alert(1)', 'javascript'],
      ['JavaScript:alert(1)//.m3u8', 'javascript'],
      ['  javascript:alert(1)', 'javascript'],
      ['data:application/vnd.apple.mpegurl;base64,I0VYVE0zVQ==', 'data'],
      ['ftp://files.example.com/live.m3u8', 'ftp'],
      ['file:///etc/passwd', 'file'],
      ['blob:https://player.example.com/1234', 'blob'],
    ];
    for (const [url, scheme] of schemes) {
      it(`refuses the ${scheme}: scheme (${url.trim().slice(0, 24)}…)`, () => {
        const error = failed({ primary: url, fallback: null });
        expect(error.code).to.equal(ErrorCodes.UNSUPPORTED_SCHEME);
        expect(error.source).to.equal('primary');
        expect(error.message).to.contain(`"${scheme}"`);
      });
    }

    it('accepts plain http as well as https', () => {
      expect(resolved({ primary: 'http://origin.example.com/live.m3u8', fallback: null }).primary[0]!.kind).to.equal('hls');
    });
  });

  describe('types', () => {
    it('infers hls from .m3u8 and whep otherwise', () => {
      expect(resolved({ primary: 'https://o.test/live.m3u8', fallback: null }).primary[0]!.kind).to.equal('hls');
      expect(resolved({ primary: 'https://o.test/whep/live', fallback: null }).primary[0]!.kind).to.equal('whep');
    });

    it('honours an explicit type, case-insensitively and trimmed', () => {
      const result = resolved({
        primary: 'https://o.test/whep/endpoint',
        primaryType: 'HLS',
        fallback: 'https://b.test/live.m3u8',
        fallbackType: ' Whep ',
      });
      expect(result.primary[0]!.kind).to.equal('hls');
      expect(result.fallback[0]?.kind).to.equal('whep');
    });

    it('falls back to inference when the explicit type is empty or blank', () => {
      expect(resolved({ primary: 'https://o.test/a.m3u8', primaryType: '', fallback: null }).primary[0]!.kind).to.equal('hls');
      expect(resolved({ primary: 'https://o.test/a.m3u8', primaryType: '  ', fallback: null }).primary[0]!.kind).to.equal('hls');
      expect(resolved({ primary: 'https://o.test/a', primaryType: null, fallback: null }).primary[0]!.kind).to.equal('whep');
    });

    it('refuses an unknown explicit type, naming the attribute at fault', () => {
      const primaryError = failed({ primary: 'https://o.test/a.m3u8', primaryType: 'dash', fallback: null });
      expect(primaryError.code).to.equal(ErrorCodes.UNSUPPORTED_SOURCE_TYPE);
      expect(primaryError.source).to.equal('primary');

      const fallbackError = failed({
        primary: 'https://o.test/a.m3u8',
        fallback: 'https://b.test/b.m3u8',
        fallbackType: 'webrtc',
      });
      expect(fallbackError.code).to.equal(ErrorCodes.UNSUPPORTED_SOURCE_TYPE);
      expect(fallbackError.source).to.equal('fallback');
    });
  });

  describe('fallback', () => {
    it('is optional: null, undefined, empty and blank all mean none, without warnings', () => {
      for (const fallback of [null, undefined, '', '   ']) {
        const result = resolved({ primary: 'https://o.test/a.m3u8', fallback });
        expect(result.fallback, JSON.stringify(fallback)).to.deep.equal([]);
        expect(result.warnings).to.deep.equal([]);
      }
    });

    it('is resolved like the primary', () => {
      const result = resolved({ primary: 'https://o.test/a.m3u8', fallback: 'backup/b.m3u8' });
      expect(result.fallback).to.deep.equal([{ url: 'https://player.example.com/events/backup/b.m3u8', kind: 'hls' }]);
      expect(result.warnings).to.deep.equal([]);
    });

    it('reports its own errors with source "fallback"', () => {
      const invalid = failed({ primary: 'https://o.test/a.m3u8', fallback: 'http://[::1' });
      expect(invalid.code).to.equal(ErrorCodes.INVALID_URL);
      expect(invalid.source).to.equal('fallback');
      expect(invalid.message).to.contain('fallback');

      const scheme = failed({ primary: 'https://o.test/a.m3u8', fallback: 'javascript:alert(1)' });
      expect(scheme.code).to.equal(ErrorCodes.UNSUPPORTED_SCHEME);
      expect(scheme.source).to.equal('fallback');
    });

    it('reports the primary first when both are wrong', () => {
      const error = failed({ primary: 'ftp://o.test/a.m3u8', fallback: 'http://[::1' });
      expect(error.source).to.equal('primary');
      expect(error.code).to.equal(ErrorCodes.UNSUPPORTED_SCHEME);
    });

    it('is ignored, with a warning, when it is the same URL as the primary', () => {
      const result = resolved({ primary: 'https://o.test/a.m3u8', fallback: 'https://o.test/a.m3u8' });
      expect(result.primary[0]!.url).to.equal('https://o.test/a.m3u8');
      expect(result.fallback).to.deep.equal([]);
      expect(result.warnings).to.have.length(1);
      expect(result.warnings[0]).to.deep.include({ code: 'fallback-same-as-primary', source: 'fallback' });
      expect(result.warnings[0]!.message).to.match(/same URL/i);
    });

    it('compares the resolved URLs (relative vs absolute, host case, whitespace)', () => {
      const result = resolved({
        primary: 'live/a.m3u8',
        fallback: ' https://PLAYER.example.com/events/live/a.m3u8 ',
      });
      expect(result.fallback).to.deep.equal([]);
      expect(result.warnings).to.have.length(1);
    });
  });
});

describe('resolveConfig: primary-status', () => {
  it('resolves the status endpoint against the page and attaches it to the primary only', () => {
    const result = resolved({
      primary: 'https://origin.example.com/whep/main',
      fallback: 'https://b.example.com/x.m3u8',
      primaryStatus: '/status/main',
    });
    expect(result.primary[0]!.statusUrl).to.equal('https://player.example.com/status/main');
    expect(result.fallback[0]?.statusUrl).to.equal(undefined);
  });

  it('is left out when empty', () => {
    expect(
      resolved({ primary: 'https://origin.example.com/whep/main', fallback: null, primaryStatus: '  ' }).primary[0],
    ).to.not.have.property('statusUrl');
  });

  it('refuses a status endpoint that is not http(s)', () => {
    const error = failed({ primary: 'https://origin.example.com/whep/main', fallback: null, primaryStatus: 'javascript:alert(1)' });
    expect(error.code).to.equal(ErrorCodes.UNSUPPORTED_SCHEME);
    expect(error.source).to.equal('primary');
    expect(error.message).to.contain('primary-status');
  });

  it('refuses an unparsable status endpoint', () => {
    expect(failed({ primary: 'https://origin.example.com/whep/main', fallback: null, primaryStatus: 'https://[nope' }).code).to.equal(
      ErrorCodes.INVALID_URL,
    );
  });
});

describe('resolveConfig: ladders', () => {
  const WHEP = 'https://a.example.com/whep/main';
  const CDN_A = 'https://cdn-a.example.com/main/index.m3u8';
  const CDN_B = 'https://cdn-b.example.com/main/index.m3u8';

  it('reads a space-separated list (any whitespace) as an ordered ladder; one URL is a one-step ladder', () => {
    const result = resolved({ primary: `  ${WHEP}\n\t${CDN_A}  ${CDN_B} `, fallback: null });
    expect(result.primary).to.deep.equal([
      { url: WHEP, kind: 'whep' },
      { url: CDN_A, kind: 'hls' },
      { url: CDN_B, kind: 'hls' },
    ]);
  });

  it('takes an array as well (a property set from JS or React)', () => {
    const result = resolved({ primary: [WHEP, ` ${CDN_A} `, ''], fallback: ['backup.m3u8'] });
    expect(result.primary.map((endpoint) => endpoint.url)).to.deep.equal([WHEP, CDN_A]);
    expect(result.fallback).to.deep.equal([{ url: 'https://player.example.com/events/backup.m3u8', kind: 'hls' }]);
  });

  it('takes one type for every endpoint, or one per endpoint (`auto`: from the URL)', () => {
    expect(
      resolved({ primary: 'https://a.test/x https://b.test/y', primaryType: 'hls', fallback: null }).primary.map((e) => e.kind),
    ).to.deep.equal(['hls', 'hls']);
    expect(
      resolved({
        primary: 'https://a.test/x https://b.test/y.m3u8 https://c.test/z',
        primaryType: 'whep auto hls',
        fallback: null,
      }).primary.map((e) => e.kind),
    ).to.deep.equal(['whep', 'hls', 'hls']);
    expect(
      resolved({ primary: [WHEP, CDN_A], primaryType: ['auto', 'whep'], fallback: null }).primary.map((e) => e.kind),
    ).to.deep.equal(['whep', 'whep']);
  });

  it('refuses a type list that does not match the endpoints, naming the attribute', () => {
    const error = failed({ primary: `${WHEP} ${CDN_A} ${CDN_B}`, primaryType: 'whep hls', fallback: null });
    expect(error.code).to.equal(ErrorCodes.UNSUPPORTED_SOURCE_TYPE);
    expect(error.source).to.equal('primary');
    expect(error.message).to.contain('2 types for 3 endpoints');
    expect(failed({ primary: CDN_A, fallback: `${WHEP} ${CDN_B}`, fallbackType: 'whep dash' }).source).to.equal('fallback');
  });

  it('names the entry at fault in a list', () => {
    const error = failed({ primary: `${WHEP} javascript:alert(1)`, fallback: null });
    expect(error.code).to.equal(ErrorCodes.UNSUPPORTED_SCHEME);
    expect(error.message).to.contain('#2');
  });

  it('refuses more than 8 endpoints in one list', () => {
    const nine = Array.from({ length: 9 }, (_, i) => `https://cdn${i}.test/a.m3u8`);
    const error = failed({ primary: nine, fallback: null });
    expect(error.code).to.equal(ErrorCodes.TOO_MANY_ENDPOINTS);
    expect(resolved({ primary: nine.slice(0, 8), fallback: null }).primary).to.have.length(8);
  });

  it('drops a URL listed twice in one ladder, with a warning', () => {
    const result = resolved({ primary: `${CDN_A} ${CDN_B} ${CDN_A}`, fallback: null });
    expect(result.primary.map((e) => e.url)).to.deep.equal([CDN_A, CDN_B]);
    expect(result.warnings.map((w) => w.code)).to.deep.equal(['duplicate-endpoint']);
  });

  it('drops a fallback endpoint that is also a primary endpoint, keeping the others', () => {
    const result = resolved({ primary: `${WHEP} ${CDN_A}`, fallback: `${CDN_A} https://backup.test/b.m3u8` });
    expect(result.fallback.map((e) => e.url)).to.deep.equal(['https://backup.test/b.m3u8']);
    expect(result.warnings).to.have.length(1);
    expect(result.warnings[0]).to.deep.include({ code: 'fallback-same-as-primary', source: 'fallback' });
  });

  it("gives the primary's status endpoint to each of its WebRTC endpoints", () => {
    const result = resolved({ primary: `${WHEP} ${CDN_A}`, primaryStatus: 'https://a.example.com/status', fallback: null });
    expect(result.primary[0]!.statusUrl).to.equal('https://a.example.com/status');
    expect(result.primary[1]).to.not.have.property('statusUrl');
  });
});

describe('sourceTypeOf', () => {
  const type = (url: string, explicit?: string | null) => sourceTypeOf(new URL(url), explicit);

  it('looks at the path only: a query string or fragment does not hide .m3u8', () => {
    expect(type('https://o.test/live/index.m3u8?token=abc.def&x=1')).to.equal('hls');
    expect(type('https://o.test/live/index.m3u8#t=10')).to.equal('hls');
  });

  it('is case-insensitive on the extension', () => {
    expect(type('https://o.test/LIVE/INDEX.M3U8')).to.equal('hls');
    expect(type('https://o.test/live/index.M3u8?a=b')).to.equal('hls');
  });

  it('does not take .m3u8 elsewhere in the URL for an HLS playlist', () => {
    expect(type('https://o.test/play?file=live.m3u8')).to.equal('whep');
    expect(type('https://o.test/live.m3u8/whep')).to.equal('whep');
    expect(type('https://o.test/live.m3u8.json')).to.equal('whep');
    expect(type('https://o.test/live.m3u')).to.equal('whep');
  });

  it('returns the explicit type, lower-cased, or null for an unknown one', () => {
    expect(type('https://o.test/a.m3u8', 'WHEP')).to.equal('whep');
    expect(type('https://o.test/whep', 'hls')).to.equal('hls');
    expect(type('https://o.test/a.m3u8', 'dash')).to.equal(null);
    expect(type('https://o.test/a.m3u8', 'hls whep')).to.equal(null);
  });
});
