// custom-elements.json is generated from the JSDoc of src/ (the single source of the public API).
export default {
  // The public modules only: internals (machine, sources, controller) are not API.
  globs: ['src/index.ts', 'src/define.ts', 'src/live-player.ts', 'src/constants.ts'],
  litelement: true,
  packagejson: false,
};
