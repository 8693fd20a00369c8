import { FloeError } from '../errors.js';

/**
 * `${VAR}` and `${VAR:-default}` in the config text. An unset variable without a default is
 * refused with its name and line, never silently replaced by an empty string. `$${` escapes.
 */
export function interpolateEnv(text: string, env: NodeJS.ProcessEnv, source: string): string {
  const lines = text.split('\n');
  const missing: string[] = [];
  const out = lines.map((line, i) =>
    line.replace(/\$(\$)?\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (whole, esc: string | undefined, name: string, dflt: string | undefined) => {
      if (esc) return whole.slice(1);
      const v = env[name];
      if (v !== undefined && v !== '') return v;
      if (dflt !== undefined) return dflt;
      missing.push(`${source}:${i + 1}: environment variable ${name} is not set; set it or write \${${name}:-default}`);
      return '';
    }),
  );
  if (missing.length) throw new FloeError('CONFIG_INVALID', missing.join('\n'));
  return out.join('\n');
}
