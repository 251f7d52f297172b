// The option table (src/options.ts) is the one list of the element's options: its Lit
// properties (declared with decorators, for the manifest) must say the same, and so must the
// derived lists.
import { expect } from '@open-wc/testing';
import '../../src/define.js';
import { LivePlayer } from '../../src/live-player.js';
import { ATTRIBUTE_OPTIONS, OPTIONS, RESTARTING_OPTIONS, type OptionName } from '../../src/options.js';

const names = Object.keys(OPTIONS) as OptionName[];

describe('option table', () => {
  it("matches the element's Lit properties: attribute, type, reflection", () => {
    for (const name of names) {
      const spec = OPTIONS[name];
      const declared = LivePlayer.elementProperties.get(name);
      expect(declared, `${name} is a Lit property`).to.not.equal(undefined);
      const attribute = declared!.attribute === true || declared!.attribute === undefined ? name.toLowerCase() : declared!.attribute;
      expect(attribute, `${name}: its attribute`).to.equal(spec.attribute ?? false);
      expect(declared!.type === Boolean, `${name}: a boolean attribute`).to.equal(spec.kind === 'boolean');
      expect(Boolean(declared!.reflect), `${name}: reflected`).to.equal('reflect' in spec && spec.reflect === true);
    }
  });

  it('gives the element its defaults', () => {
    const player = new LivePlayer();
    for (const name of names) expect(player[name], name).to.equal(OPTIONS[name].default);
  });

  it('lists every option: no Lit property of the element is missing from it (state is not an option)', () => {
    const declared = [...LivePlayer.elementProperties.keys()].map(String).sort();
    expect(declared).to.deep.equal([...names].sort());
  });

  it('derives the restart list and the attributes', () => {
    expect(RESTARTING_OPTIONS).to.deep.equal([
      'primary',
      'fallback',
      'primaryType',
      'fallbackType',
      'primaryStatus',
      'preferPrimary',
      'standby',
    ]);
    expect(ATTRIBUTE_OPTIONS.map((option) => option.attribute)).to.deep.equal([
      'primary',
      'fallback',
      'primary-type',
      'fallback-type',
      'primary-status',
      'poster',
      'muted',
      'controls',
      'prefer-primary',
      'standby',
    ]);
  });
});
