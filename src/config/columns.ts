/**
 * Declared column types in Iceberg's (and Spark's) spelling: `long`, `decimal(12, 2)`,
 * `fixed[16]`, `list<string>`, `map<string, long>`, `struct<name: string not null, tier: int>`.
 * Parsed to a tree first, then given ids as Iceberg assigns them: a struct's own fields before
 * their children, list element and map key/value ids before what they contain.
 */
import type { IcebergType, NestedField, PrimitiveType } from '../spec/types.js';

const SIMPLE = new Set(['boolean', 'int', 'long', 'float', 'double', 'date', 'time', 'timestamp', 'timestamptz', 'timestamp_ns', 'timestamptz_ns', 'string', 'uuid', 'binary']);
const ALIASES: Record<string, string> = { integer: 'int', bigint: 'long', bool: 'boolean', bytes: 'binary', text: 'string', varchar: 'string', real: 'float', array: 'list' };

type Ast =
  | { k: 'prim'; t: PrimitiveType }
  | { k: 'list'; el: Ast }
  | { k: 'map'; key: Ast; value: Ast }
  | { k: 'struct'; fields: Array<{ name: string; required: boolean; t: Ast }> };

class Parser {
  private i = 0;
  constructor(private readonly s: string) {}

  private ws(): void {
    while (this.s[this.i] === ' ' || this.s[this.i] === '\t') this.i++;
  }

  private peek(c: string): boolean {
    this.ws();
    return this.s[this.i] === c;
  }

  private eat(c: string): void {
    if (!this.peek(c)) throw new Error(`expected '${c}' at position ${this.i + 1}`);
    this.i++;
  }

  private match(re: RegExp, what: string): string {
    this.ws();
    const m = re.exec(this.s.slice(this.i));
    if (!m) throw new Error(`expected ${what} at position ${this.i + 1}`);
    this.i += m[0].length;
    return m[0];
  }

  type(): Ast {
    const w = this.match(/^[A-Za-z_]\w*/, 'a type name').toLowerCase();
    const name = ALIASES[w] ?? w;
    if (SIMPLE.has(name)) return { k: 'prim', t: { type: name } as PrimitiveType };
    if (name === 'decimal') {
      this.eat('(');
      const precision = Number(this.match(/^\d+/, 'a precision'));
      this.eat(',');
      const scale = Number(this.match(/^\d+/, 'a scale'));
      this.eat(')');
      if (precision < 1 || precision > 38) throw new Error(`decimal precision ${precision} is outside 1..38`);
      if (scale > precision) throw new Error(`decimal scale ${scale} is larger than its precision ${precision}`);
      return { k: 'prim', t: { type: 'decimal', precision, scale } };
    }
    if (name === 'fixed') {
      this.eat('[');
      const length = Number(this.match(/^\d+/, 'a length'));
      this.eat(']');
      if (length < 1) throw new Error('a fixed length must be at least 1');
      return { k: 'prim', t: { type: 'fixed', length } };
    }
    if (name === 'list') {
      this.eat('<');
      const el = this.type();
      this.eat('>');
      return { k: 'list', el };
    }
    if (name === 'map') {
      this.eat('<');
      const key = this.type();
      this.eat(',');
      const value = this.type();
      this.eat('>');
      return { k: 'map', key, value };
    }
    if (name === 'struct') {
      this.eat('<');
      const fields: Array<{ name: string; required: boolean; t: Ast }> = [];
      for (;;) {
        const fname = this.match(/^[A-Za-z_][\w-]*/, 'a field name');
        this.eat(':');
        const t = this.type();
        this.ws();
        const nn = /^not\s+null\b/i.exec(this.s.slice(this.i));
        if (nn) this.i += nn[0].length;
        if (fields.some((f) => f.name === fname)) throw new Error(`field '${fname}' appears twice in the struct`);
        fields.push({ name: fname, required: !!nn, t });
        if (!this.peek(',')) break;
        this.i++;
      }
      this.eat('>');
      return { k: 'struct', fields };
    }
    throw new Error(`unknown type '${w}'`);
  }

  end(): void {
    this.ws();
    if (this.i !== this.s.length) throw new Error(`unexpected '${this.s.slice(this.i)}' after the type`);
  }
}

function assign(a: Ast, next: () => number): IcebergType {
  switch (a.k) {
    case 'prim':
      return a.t;
    case 'list': {
      const elementId = next();
      return { type: 'list', elementId, elementRequired: false, element: assign(a.el, next) };
    }
    case 'map': {
      const keyId = next();
      const valueId = next();
      if (a.key.k !== 'prim') throw new Error('map keys must be a primitive type');
      return { type: 'map', keyId, key: assign(a.key, next), valueId, valueRequired: false, value: assign(a.value, next) };
    }
    case 'struct': {
      const ids = a.fields.map(() => next());
      return { type: 'struct', fields: a.fields.map((f, i) => ({ id: ids[i] as number, name: f.name, required: f.required, type: assign(f.t, next) })) };
    }
  }
}

/** Parses a type string; throws an Error that says what is wrong (callers name the key). */
export function parseColumnType(s: string, next: () => number = () => 0): IcebergType {
  const p = new Parser(s);
  const ast = p.type();
  p.end();
  return assign(ast, next);
}

export interface DeclaredColumn {
  name: string;
  type: string;
  required: boolean;
  doc?: string | undefined;
}

/** A declared column list as Iceberg fields: top-level ids 1..n, nested ids after them. */
export function columnsToFields(cols: readonly DeclaredColumn[]): NestedField[] {
  let id = cols.length;
  const next = () => ++id;
  return cols.map((c, i) => ({ id: i + 1, name: c.name, required: c.required, type: parseColumnType(c.type, next), ...(c.doc ? { doc: c.doc } : {}) }));
}
