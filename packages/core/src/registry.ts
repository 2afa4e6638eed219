import type { z } from 'zod';
import { PrunelabError, unknownNameError, type ErrorDetails } from './errors.js';

/**
 * A plug-in: a name, the schema of its options (kept in the same file as the
 * implementation), and a factory. After timm's `_registry.py`: entries register
 * themselves, a duplicate name is an error, and an unknown name lists the valid
 * ones.
 */
export interface RegistryEntry<Schema extends z.ZodType = z.ZodType, Product = unknown> {
  readonly name: string;
  readonly description: string;
  readonly schema: Schema;
  // Method syntax on purpose: entries narrow `options` to their own schema's type.
  create(options: z.output<Schema>): Product;
}

export class Registry<Entry extends RegistryEntry> {
  private readonly entries = new Map<string, Entry>();

  constructor(readonly kind: string) {}

  register<E extends Entry>(entry: E): E {
    if (this.entries.has(entry.name)) {
      throw new PrunelabError('E_INTERNAL', `${this.kind} ${JSON.stringify(entry.name)} is registered twice`);
    }
    this.entries.set(entry.name, entry);
    return entry;
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  get(name: string, details: ErrorDetails = {}): Entry {
    const e = this.entries.get(name);
    if (!e) throw unknownNameError(this.kind, name, this.names(), { ...details, value: undefined });
    return e;
  }

  /** Parses `options` with the entry's schema and builds the product. */
  create(name: string, options: unknown = {}, details: ErrorDetails = {}): ReturnType<Entry['create']> {
    const entry = this.get(name, details);
    const parsed = entry.schema.safeParse(options);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const sub = issue?.path.length ? `.${issue.path.join('.')}` : '';
      throw new PrunelabError('E_CONFIG_INVALID', `invalid options for ${this.kind} ${JSON.stringify(name)}: ${issue?.message ?? 'invalid'}`, {
        ...details,
        path: `${details.path ?? this.kind}${sub}`,
      });
    }
    return entry.create(parsed.data) as ReturnType<Entry['create']>;
  }

  names(): string[] {
    return [...this.entries.keys()].sort();
  }

  list(): Entry[] {
    return this.names().map((n) => this.entries.get(n)!);
  }
}
