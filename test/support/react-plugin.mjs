// Serves React and ReactDOM (CommonJS) to the browser tests as ES modules.
import { execFileSync } from 'node:child_process';
import { build as esbuild } from 'esbuild';

/**
 * React and ReactDOM are CommonJS: the React tests import them as ES modules from one esbuild
 * bundle (built once per run, shared chunk, so both use the same React).
 */
export function reactPlugin() {
  const modules = { react: 'react', 'react-dom': 'react-dom', 'react-dom/client': 'react-dom-client' };
  let files = null;
  const build = async () => {
    const entries = Object.fromEntries(
      Object.entries(modules).map(([specifier, name]) => {
        // The export names, read in a child process (React's CommonJS must not run in this one).
        const keys = JSON.parse(
          execFileSync(process.execPath, ['-p', `JSON.stringify(Object.keys(require(${JSON.stringify(specifier)})))`], {
            env: { ...process.env, NODE_ENV: 'production' },
            encoding: 'utf8',
          }),
        );
        const names = keys.filter((key) => /^[A-Za-z_$][\w$]*$/.test(key) && key !== 'default');
        return [name, `import m from '${specifier}'; export default m; export const { ${names.join(', ')} } = m;`];
      }),
    );
    const result = await esbuild({
      entryPoints: Object.keys(entries),
      bundle: true,
      splitting: true,
      format: 'esm',
      write: false,
      outdir: '/__react',
      define: { 'process.env.NODE_ENV': '"production"' },
      logLevel: 'warning',
      plugins: [
        {
          name: 'entries',
          setup(build) {
            build.onResolve({ filter: /.*/ }, (args) =>
              args.kind === 'entry-point' ? { path: args.path, namespace: 'entry' } : undefined,
            );
            build.onLoad({ filter: /.*/, namespace: 'entry' }, (args) => ({
              contents: entries[args.path],
              resolveDir: process.cwd(),
            }));
          },
        },
      ],
    });
    return new Map(result.outputFiles.map((file) => [file.path, file.text]));
  };
  return {
    name: 'live-player-react',
    resolveImport({ source }) {
      return modules[source] ? `/__react/${modules[source]}.js` : undefined;
    },
    async serve(context) {
      if (!context.path.startsWith('/__react/')) return undefined;
      files ??= build();
      const body = (await files).get(context.path);
      return body === undefined ? undefined : { body, type: 'js' };
    },
  };
}
