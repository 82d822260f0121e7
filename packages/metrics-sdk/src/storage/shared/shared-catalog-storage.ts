import type { FamilyStats } from '../series-reader.js';
import { OwnerSnapshot } from './owner-snapshot.js';
import { type SharedInternerDescriptor, SharedOpenLabelInterner } from './shared-interner.js';
import { type SharedSeriesDescriptor, SharedSeriesTable } from './shared-series-table.js';

// The storage of a catalog shared across worker threads. The thread that creates the catalog
// allocates every part in SharedArrayBuffers; another thread attaches them from the descriptor.
// Each attached instance (one per thread) claims a slab of its own in every family: its records are
// plain typed-array writes into its slab, with no atomics and no locks, so two threads never write
// the same memory. A reader sums the slabs into its merged view when it collects. Series and open
// label values are shared tables (shared-series-table.ts, shared-interner.ts), so budgets and the
// overflow series are global, and a slab outlives the thread that wrote it: counts survive its exit.
//
// Every part holds one more slab than `threads`, at index `threads`, which no instance claims: the
// owner snapshot (owner-snapshot.ts). The thread that serves the catalog from a metrics worker with
// `collect: 'onScrape'` copies its own slab there at each scrape, and that worker's instance, attached
// with `readsSnapshotOf`, reads the copy in place of the owner's live slab.

/** Default number of slabs, i.e. how many instances (threads) may attach one shared catalog. */
export const DEFAULT_SHARED_THREADS = 8;

/** Default bytes for the values of each open label, per label. */
export const DEFAULT_ARENA_BYTES_PER_VALUE = 64;

/** The parts of one family, as another thread attaches them. */
export interface SharedFamilyDescriptor {
  readonly name: string;
  readonly table: SharedSeriesDescriptor;
  /** Open label name → its interner. */
  readonly interners: Readonly<Record<string, SharedInternerDescriptor>>;
  /** Part name (`values`, `counts`) → `threads + 1` slabs of `length` elements each (the last: the snapshot). */
  readonly slabs: Readonly<Record<string, { readonly buffer: SharedArrayBuffer; readonly length: number }>>;
  /** `threads + 1` slabs of the family's stats, 3 doubles each (the last: the snapshot). */
  readonly stats: SharedArrayBuffer;
}

/**
 * What another thread passes to a catalog class to attach a shared catalog: post it in a message or
 * `workerData` (SharedArrayBuffers are shared, not copied).
 */
export interface SharedCatalogDescriptor {
  readonly kind: 'ttquant-shared-catalog';
  readonly threads: number;
  /** Int32 [0]: slabs claimed so far; [1]: 1 while a thread owns the snapshot slab. */
  readonly claims: SharedArrayBuffer;
  /** Catalog key → budgets in force (the creating instance's overrides included). */
  readonly budgets: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly families: readonly SharedFamilyDescriptor[];
  /**
   * The slab whose owner's snapshot this instance reads in place of the live slab: set by the
   * metrics worker of `serveMetricsFromWorker({ collect: 'onScrape' })`, never by `share()`.
   *
   * @internal
   */
  readonly readsSnapshotOf?: number | undefined;
}

const STATS = ['dropped', 'overflowed', 'exemplarsDropped'] as const;

/**
 * One instance's share of a shared catalog: creates the parts (first instance) or attaches them
 * (every other), and knows its slab.
 *
 * @internal
 */
export class SharedCatalogStorage {
  readonly threads: number;
  /** This instance's slab in every family. */
  readonly slab: number;
  /** The slab this instance reads from the snapshot slab instead (see `readsSnapshotOf`), or -1. */
  readonly readsSnapshotOf: number;
  readonly #creating: boolean;
  readonly #claims: SharedArrayBuffer;
  readonly #budgets: Record<string, Readonly<Record<string, number>>>;
  readonly #families: SharedFamilyDescriptor[];
  readonly #attaching: ReadonlyMap<string, SharedFamilyDescriptor>;

  /**
   * @param from - `{ threads }` to create the shared parts, or a descriptor to attach them
   * @throws Error when every slab of the descriptor is claimed already, or its `readsSnapshotOf` is
   *   not one of them
   */
  constructor(from: { readonly threads: number } | SharedCatalogDescriptor) {
    this.#creating = !('kind' in from);
    this.threads = from.threads;
    this.#claims = 'kind' in from ? from.claims : new SharedArrayBuffer(8);
    this.#budgets = 'kind' in from ? { ...from.budgets } : {};
    this.#families = 'kind' in from ? [...from.families] : [];
    this.#attaching = new Map(this.#families.map((family) => [family.name, family]));
    // Checked before claiming: a refused instance must not keep a slab.
    const substitute = ('kind' in from ? from.readsSnapshotOf : undefined) ?? -1;
    if (substitute !== -1 && !(Number.isInteger(substitute) && substitute >= 0 && substitute < this.threads)) {
      throw new Error(`shared catalog: readsSnapshotOf ${substitute} is not a slab of this catalog`);
    }
    const claims = new Int32Array(this.#claims);
    const slab = Atomics.add(claims, 0, 1);
    if (slab >= this.threads) {
      Atomics.sub(claims, 0, 1);
      throw new Error(
        `shared catalog: all ${this.threads} slabs are claimed (one per attached instance); create it with shared: { threads } larger`,
      );
    }
    this.slab = slab;
    this.readsSnapshotOf = substitute;
  }

  /**
   * Takes the snapshot slab for this instance's thread: see {@link OwnerSnapshot}. Call once every
   * family was built.
   *
   * @throws Error when another thread (or another server of this one) holds it
   */
  ownerSnapshot(): OwnerSnapshot {
    if (Atomics.compareExchange(new Int32Array(this.#claims), 1, 0, 1) !== 0) {
      throw new Error('shared catalog: its snapshot slab is taken (served by another worker with collect: onScrape)');
    }
    return new OwnerSnapshot(this.#claims, this.slab, this.threads, this.#families);
  }

  /** The budgets of a family when attaching (the creator's); `undefined` when creating. */
  budgetsOf(key: string): Readonly<Record<string, number>> | undefined {
    return this.#creating ? undefined : (this.#budgets[key] ?? {});
  }

  /** The parts of one family, created or attached. */
  family(key: string, name: string, budgets: Readonly<Record<string, number>>): SharedFamilyStorage {
    if (this.#creating) {
      this.#budgets[key] = budgets;
      const descriptor: MutableFamilyDescriptor = {
        name,
        table: undefined,
        interners: {},
        slabs: {},
        stats: new SharedArrayBuffer((this.threads + 1) * STATS.length * 8),
      };
      this.#families.push(descriptor as SharedFamilyDescriptor);
      return new SharedFamilyStorage(this, descriptor, true);
    }
    const descriptor = this.#attaching.get(name);
    if (descriptor === undefined) throw new Error(`shared catalog: the descriptor has no metric ${name}`);
    return new SharedFamilyStorage(this, descriptor as MutableFamilyDescriptor, false);
  }

  /** What another thread needs to attach: complete once every family was built. */
  get descriptor(): SharedCatalogDescriptor {
    return {
      kind: 'ttquant-shared-catalog',
      threads: this.threads,
      claims: this.#claims,
      budgets: this.#budgets,
      families: this.#families,
    };
  }
}

type MutableFamilyDescriptor = {
  name: string;
  table: SharedSeriesDescriptor | undefined;
  interners: Record<string, SharedInternerDescriptor>;
  slabs: Record<string, { buffer: SharedArrayBuffer; length: number }>;
  stats: SharedArrayBuffer;
};

/**
 * One family's shared parts, seen by one instance.
 *
 * @internal
 */
export class SharedFamilyStorage {
  readonly #catalog: SharedCatalogStorage;
  readonly #descriptor: MutableFamilyDescriptor;
  readonly #creating: boolean;
  readonly #allSlabs = new Map<string, readonly Float64Array[]>();

  constructor(catalog: SharedCatalogStorage, descriptor: MutableFamilyDescriptor, creating: boolean) {
    this.#catalog = catalog;
    this.#descriptor = descriptor;
    this.#creating = creating;
  }

  /** The interner of an open label, shared by every instance. */
  interner(label: string, budget: number): SharedOpenLabelInterner {
    if (this.#creating) {
      const interner = SharedOpenLabelInterner.create(budget, budget * DEFAULT_ARENA_BYTES_PER_VALUE);
      this.#descriptor.interners[label] = interner.descriptor;
      return interner;
    }
    const descriptor = this.#descriptor.interners[label];
    if (descriptor === undefined || descriptor.budget !== budget) {
      throw new Error(`shared catalog: ${this.#descriptor.name}.${label} does not match the descriptor`);
    }
    return new SharedOpenLabelInterner(descriptor);
  }

  /** The series table, shared by every instance. */
  table(capacity: number): SharedSeriesTable {
    if (this.#creating) {
      const table = SharedSeriesTable.create(capacity);
      this.#descriptor.table = table.descriptor;
      return table;
    }
    const descriptor = this.#descriptor.table;
    if (descriptor === undefined || descriptor.capacity !== capacity) {
      throw new Error(`shared catalog: ${this.#descriptor.name}'s series do not match the descriptor`);
    }
    return new SharedSeriesTable(descriptor);
  }

  /**
   * This instance's slab of one part (`values`, `counts`): where its records go.
   *
   * @param part - the part's name
   * @param length - doubles per slab
   */
  slab(part: string, length: number): Float64Array {
    return this.slabs(part, length)[this.#catalog.slab] as Float64Array;
  }

  /**
   * Every instance's slab of one part, for the reader that sums them (kept: read every collection);
   * see {@link typedSlabs} for the owner's snapshot.
   */
  slabs(part: string, length: number): readonly Float64Array[] {
    let views = this.#allSlabs.get(part);
    if (views === undefined) {
      views = this.typedSlabs(part, length, Float64Array);
      this.#allSlabs.set(part, views);
    }
    return views;
  }

  /**
   * Every instance's slab of one part of any element type, e.g. a native histogram's schemas. An
   * instance that reads an owner's snapshot gets the snapshot slab at the owner's index, so whatever
   * sums the slabs reads the owner as of its last snapshot and every other thread live.
   *
   * @param part - the part's name
   * @param length - elements per slab
   * @param view - the typed-array constructor
   */
  typedSlabs<T>(
    part: string,
    length: number,
    view: {
      readonly BYTES_PER_ELEMENT: number;
      new (buffer: SharedArrayBuffer, byteOffset: number, length: number): T;
    },
  ): readonly T[] {
    const threads = this.#catalog.threads;
    // Each slab starts on an 8-byte boundary, whatever the element size.
    const slabBytes = Math.ceil((length * view.BYTES_PER_ELEMENT) / 8) * 8;
    let entry = this.#descriptor.slabs[part];
    if (entry === undefined) {
      if (!this.#creating) throw new Error(`shared catalog: ${this.#descriptor.name} has no ${part} in the descriptor`);
      entry = { buffer: new SharedArrayBuffer((threads + 1) * slabBytes), length };
      this.#descriptor.slabs[part] = entry;
    }
    if (entry.length !== length) throw new Error(`shared catalog: ${this.#descriptor.name}.${part} does not match`);
    const { buffer } = entry;
    const substitute = this.#catalog.readsSnapshotOf;
    return Array.from(
      { length: threads },
      (_, k) => new view(buffer, (k === substitute ? threads : k) * slabBytes, length),
    );
  }

  /** This instance's slab index. */
  get slabIndex(): number {
    return this.#catalog.slab;
  }

  /** This instance's stats, kept in its slab of the shared stats so a reader can sum them. */
  stats(): FamilyStats {
    return new SlabStats(new Float64Array(this.#descriptor.stats, this.#catalog.slab * STATS.length * 8, STATS.length));
  }

  /** Sums every instance's stats into `into` (an owner's snapshot in place of it, as {@link typedSlabs}). */
  sumStats(into: FamilyStats): void {
    const all = new Float64Array(this.#descriptor.stats);
    const { threads, readsSnapshotOf } = this.#catalog;
    for (let s = 0; s < STATS.length; s++) {
      let total = 0;
      for (let k = 0; k < threads; k++) {
        const slab = k === readsSnapshotOf ? threads : k;
        total += all[slab * STATS.length + s] as number;
      }
      into[STATS[s] as (typeof STATS)[number]] = total;
    }
  }
}

// FamilyStats over one slab of shared doubles: `stats.dropped++` writes shared memory.
class SlabStats implements FamilyStats {
  readonly #slab: Float64Array;

  constructor(slab: Float64Array) {
    this.#slab = slab;
  }

  get dropped(): number {
    return this.#slab[0] as number;
  }
  set dropped(value: number) {
    this.#slab[0] = value;
  }
  get overflowed(): number {
    return this.#slab[1] as number;
  }
  set overflowed(value: number) {
    this.#slab[1] = value;
  }
  get exemplarsDropped(): number {
    return this.#slab[2] as number;
  }
  set exemplarsDropped(value: number) {
    this.#slab[2] = value;
  }
}
