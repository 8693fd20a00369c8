import { FloeError } from '../errors.js';

const REF = /\$(\$)?\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Where a YAML comment starts on this line (a `#` at the start or after blanks, outside quotes), or -1. */
function commentStart(line: string): number {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) {
        // '' is an escaped quote inside a single-quoted scalar.
        if (quote === "'" && line[i + 1] === "'") i++;
        else quote = undefined;
      } else if (c === '\\' && quote === '"') i++;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '#' && (i === 0 || line[i - 1] === ' ' || line[i - 1] === '\t')) {
      return i;
    }
  }
  return -1;
}

/**
 * `${VAR}` and `${VAR:-default}` in the config text, as a shell expands them: a variable set
 * to the empty string is empty under `${VAR}` and takes the default under `${VAR:-d}`. An unset
 * variable without a default is refused with its name and line, never replaced by nothing.
 * `$${` writes a literal `${`. Comments are left alone, so they may show the syntax.
 * Substitution is textual: quote a value that may contain YAML syntax (`"${PASSWORD}"`).
 */
export function interpolateEnv(text: string, env: NodeJS.ProcessEnv, source: string): string {
  const missing: string[] = [];
  const out = text.split('\n').map((line, i) => {
    const cut = commentStart(line);
    const body = cut < 0 ? line : line.slice(0, cut);
    const expanded = body.replace(REF, (whole, esc: string | undefined, name: string, dflt: string | undefined) => {
      if (esc) return whole.slice(1);
      const v = env[name];
      if (dflt !== undefined) return v === undefined || v === '' ? dflt : v;
      if (v !== undefined) return v;
      const key = /^\s*(?:-\s+)?([^\s:#][^:#]*?)\s*:(?:\s|$)/.exec(body)?.[1];
      missing.push(`${source}:${i + 1}: ${key ? `${key}: ` : ''}environment variable ${name} is not set; set it or write \${${name}:-default}`);
      return '';
    });
    return cut < 0 ? expanded : expanded + line.slice(cut);
  });
  if (missing.length) throw new FloeError('CONFIG_INVALID', missing.join('\n'));
  return out.join('\n');
}
