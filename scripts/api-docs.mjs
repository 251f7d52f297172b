// Renders docs/api.md from custom-elements.json (itself generated from the JSDoc of src/ by
// `npm run analyze`), so the API reference cannot drift from the code: every custom element's
// attributes, properties, methods, events, slots, CSS parts and CSS custom properties with
// their descriptions and defaults, then the exported constants, then the `thresholds` keys
// with their defaults (read from src/policy/thresholds.ts, the one table of policy numbers).
//
//   node scripts/api-docs.mjs           writes docs/api.md
//   node scripts/api-docs.mjs --check   exits 1 when docs/api.md differs from what it would write
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

const MANIFEST = 'custom-elements.json';
const OUT = 'docs/api.md';

/** Text for a Markdown table cell: one line, pipes escaped, `<` outside code spans escaped. */
function cell(text) {
  if (text === undefined || text === null || text === '') return '';
  return inline(text).replaceAll('|', '\\|');
}

/**
 * JSDoc prose as Markdown: wrapped lines joined, paragraphs kept (as <br><br>, which also works
 * in a table cell), and `<tag>` outside code spans escaped so it shows instead of vanishing as HTML.
 */
function inline(text) {
  return String(text)
    .trim()
    .split(/\n\s*\n/)
    .map((paragraph) => paragraph.replace(/\s*\n\s*/g, ' '))
    .join('<br><br>')
    .split(/(`[^`]*`)/)
    .map((part, i) => (i % 2 ? part : part.replaceAll('<', '&lt;').replace(/&lt;br>/g, '<br>')))
    .join('');
}

const code = (text) => (text === undefined || text === null || text === '' ? '' : `\`${String(text).replace(/\s*\n\s*/g, ' ')}\``);

function table(headers, rows) {
  if (!rows.length) return '';
  return [
    `| ${headers.join(' | ')} |`,
    `|${headers.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
}

/** Public, instance-visible members only: no private or protected ones, no `#names`. */
const isPublic = (member) => !member.privacy || member.privacy === 'public';
const publicMember = (member) => isPublic(member) && !member.name.startsWith('#');

const flags = (member) =>
  [
    member.static && 'static',
    member.readonly && 'read-only',
    member.reflects && 'reflects',
    member.inheritedFrom && `from ${member.inheritedFrom.name}`,
  ]
    .filter(Boolean)
    .map((flag) => `_${flag}_`)
    .join(', ');

function signature(method) {
  const params = (method.parameters ?? [])
    .map((p) => `${p.rest ? '...' : ''}${p.name}${p.optional ? '?' : ''}${p.type?.text ? `: ${p.type.text}` : ''}`)
    .join(', ');
  const returns = method.return?.type?.text;
  return `${method.name}(${params})${returns ? `: ${returns}` : ''}`;
}

function renderElement(declaration, modulePath, definitions) {
  const out = [];
  const title = declaration.tagName ? `\`<${declaration.tagName}>\`` : `\`${declaration.name}\``;
  out.push(`## ${title}`);
  out.push('');
  const about = [`Class \`${declaration.name}\``];
  if (declaration.superclass?.name) {
    const from = declaration.superclass.package ?? declaration.superclass.module;
    about.push(`extends \`${declaration.superclass.name}\`${from ? ` (from ${code(from)})` : ''}`);
  }
  about.push(`declared in ${code(modulePath)}`);
  const definedIn = definitions.filter((d) => d.className === declaration.name).map((d) => code(d.module));
  if (definedIn.length) about.push(`defined (\`customElements.define\`) by importing ${definedIn.join(' or ')}`);
  out.push(`${about.join(', ')}.`);
  if (declaration.summary) out.push('', inline(declaration.summary));
  if (declaration.description) out.push('', inline(declaration.description));

  const members = (declaration.members ?? []).filter(publicMember);
  const fields = members.filter((m) => m.kind === 'field');
  const methods = members.filter((m) => m.kind === 'method');
  const attributes = declaration.attributes ?? [];

  const sections = [
    [
      'Attributes',
      table(
        ['Attribute', 'Property', 'Type', 'Default', 'Description'],
        attributes.map((a) => [code(a.name), code(a.fieldName), cell(code(a.type?.text)), cell(code(a.default)), cell(a.description)]),
      ),
    ],
    [
      'Properties',
      table(
        ['Property', 'Attribute', 'Type', 'Default', 'Description'],
        fields.map((f) => [
          code(f.name),
          code(f.attribute),
          cell(code(f.type?.text)),
          cell(code(f.default)),
          cell([f.description, flags(f)].filter(Boolean).join(' ')),
        ]),
      ),
    ],
    [
      'Methods',
      table(
        ['Method', 'Description'],
        methods.map((m) => [cell(code(signature(m))), cell([m.description, flags(m)].filter(Boolean).join(' '))]),
      ),
    ],
    [
      'Events',
      table(
        ['Event', 'Type', 'Description'],
        (declaration.events ?? []).map((e) => [code(e.name), cell(code(e.type?.text)), cell(e.description)]),
      ),
    ],
    [
      'Slots',
      table(
        ['Slot', 'Description'],
        (declaration.slots ?? []).map((s) => [s.name ? code(s.name) : '(default)', cell(s.description)]),
      ),
    ],
    [
      'CSS parts',
      table(
        ['Part', 'Description'],
        (declaration.cssParts ?? []).map((p) => [code(p.name), cell(p.description)]),
      ),
    ],
    [
      'CSS custom properties',
      table(
        ['Property', 'Default', 'Description'],
        (declaration.cssProperties ?? []).map((p) => [code(p.name), cell(code(p.default)), cell(p.description)]),
      ),
    ],
    [
      'CSS states',
      table(
        ['State', 'Description'],
        (declaration.cssStates ?? []).map((s) => [code(s.name), cell(s.description)]),
      ),
    ],
  ];
  for (const [heading, body] of sections) {
    if (!body) continue;
    out.push('', `### ${heading}`, '', body);
  }
  return out.join('\n');
}

/**
 * The entries of an object-literal constant, read from the type text the analyzer keeps
 * (`{ KEY: 'value', /** doc *\/ OTHER: 'x' }`); null when it is not one.
 */
function objectEntries(typeText) {
  if (!typeText || !/^\s*\{[\s\S]*\}\s*$/.test(typeText)) return null;
  const entries = [];
  const pattern = /(?:\/\*\*([\s\S]*?)\*\/\s*)?([A-Za-z_$][\w$]*)\s*:\s*('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[^,\n}]+)\s*,?/g;
  for (const match of typeText.matchAll(pattern)) {
    const doc = match[1]?.replace(/^\s*\*\s?/gm, '').trim();
    entries.push({ key: match[2], value: match[3].trim(), description: doc ?? '' });
  }
  return entries.length ? entries : null;
}

function renderVariables(modules) {
  const out = [];
  for (const mod of modules) {
    const variables = (mod.declarations ?? []).filter((d) => d.kind === 'variable' && isPublic(d));
    if (!variables.length) continue;
    out.push('', `## Constants (${code(mod.path)})`);
    for (const variable of variables) {
      out.push('', `### \`${variable.name}\``);
      if (variable.description) out.push('', inline(variable.description));
      const entries = objectEntries(variable.type?.text);
      if (entries) {
        out.push(
          '',
          table(
            ['Name', 'Value', 'Description'],
            entries.map((e) => [code(`${variable.name}.${e.key}`), cell(code(e.value)), cell(e.description)]),
          ),
        );
      } else {
        const value = variable.default ?? variable.type?.text;
        if (value) out.push('', `Value: ${code(value)}`);
      }
    }
  }
  return out.join('\n');
}

const THRESHOLDS = 'src/policy/thresholds.ts';

/**
 * The `thresholds` keys: each member of `HealthThresholds` with its JSDoc, and its value in
 * `DEFAULT_THRESHOLDS` (the defaults are written there only). Read from the source text: the
 * module is one interface and one object literal of numbers.
 */
export function renderThresholds(source = readFileSync(THRESHOLDS, 'utf8')) {
  const body = (pattern) => source.match(pattern)?.[1] ?? '';
  const members = [...body(/interface HealthThresholds \{([\s\S]*?)\n\}/).matchAll(/\/\*\*([\s\S]*?)\*\/\s*(\w+):/g)];
  const defaults = Object.fromEntries(
    [...body(/DEFAULT_THRESHOLDS[^=]*=\s*Object\.freeze\(\{([\s\S]*?)\}\)/).matchAll(/(\w+):\s*([\d_.]+)/g)].map((m) => [m[1], m[2]]),
  );
  const rows = members.map(([, doc, key]) => {
    if (!(key in defaults)) throw new Error(`${THRESHOLDS}: ${key} has no value in DEFAULT_THRESHOLDS`);
    return [code(key), code(defaults[key]), cell(doc.replace(/^\s*\*\s?/gm, ''))];
  });
  if (!rows.length || rows.length !== Object.keys(defaults).length)
    throw new Error(`${THRESHOLDS}: cannot read HealthThresholds and DEFAULT_THRESHOLDS`);
  return [
    '',
    `## Thresholds (${code(THRESHOLDS)})`,
    '',
    'The keys of the `thresholds` property (also exported as `DEFAULT_THRESHOLDS`). Detection limits in target durations scale with the stream; the retry pacing is sized for a crowd of viewers (lower it only for small audiences).',
    '',
    table(['Key', 'Default', 'Meaning'], rows),
  ].join('\n');
}

/** Which modules register which class as a custom element. */
const definitionsOf = (modules) =>
  modules.flatMap((mod) =>
    (mod.exports ?? [])
      .filter((e) => e.kind === 'custom-element-definition')
      .map((e) => ({ module: mod.path, className: e.declaration?.name })),
  );

export function render(manifest) {
  const modules = manifest.modules ?? [];
  const out = [
    '<!-- Generated from custom-elements.json by scripts/api-docs.mjs: do not edit by hand.',
    '     After changing the JSDoc in src/: `npm run analyze && npm run docs:api`. -->',
    '',
    '# API reference',
    '',
    'Generated from `custom-elements.json` (the JSDoc of `src/`). The README explains the behaviour.',
  ];
  for (const mod of modules) {
    for (const declaration of mod.declarations ?? []) {
      if (declaration.customElement || declaration.tagName) out.push('', renderElement(declaration, mod.path, definitionsOf(modules)));
    }
  }
  out.push(renderVariables(modules));
  out.push(renderThresholds());
  return `${out
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trimEnd()}\n`;
}

function main() {
  const check = process.argv.includes('--check');
  const manifest = JSON.parse(readFileSync(MANIFEST, 'utf8'));
  const fresh = render(manifest);
  if (check) {
    let committed = '';
    try {
      committed = readFileSync(OUT, 'utf8').replace(/\r\n/g, '\n');
    } catch {
      // Missing counts as stale.
    }
    if (committed !== fresh) {
      console.error(`${OUT} is stale: run \`npm run docs:api\` and commit the result.`);
      process.exit(1);
    }
    console.log(`${OUT} is up to date.`);
    return;
  }
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, fresh);
  console.log(`wrote ${OUT}`);
}

main();
