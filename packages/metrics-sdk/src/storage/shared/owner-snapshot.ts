import type { SharedFamilyDescriptor } from './shared-catalog-storage.js';

// A consistent copy of one thread's slab of a shared catalog, for a reader in another thread. That
// thread's records are plain writes, so a reader summing its live slab can see one metric before an
// event and another after it. Copied by the thread itself, between two of its events, the snapshot
// holds all its metrics as of one instant. Each part keeps one spare slab for it (index `threads`,
// which no instance claims), so the copy of a part is one typed-array `set`: a memcpy of the slab,
// and nothing changes on the record path.

/**
 * The right of one thread to copy its slab of every family into the catalog's snapshot slab, held
 * from `SharedCatalogStorage.ownerSnapshot()` until {@link release}: one owner per catalog, so
 * two copies never write the snapshot at once.
 *
 * @internal
 */
export class OwnerSnapshot {
  /** The slab copied: the owner's own. */
  readonly slab: number;
  readonly #claims: Int32Array;
  /** Per part (and per family's stats), the owner's live slab and the snapshot slab, as bytes. */
  readonly #copies: readonly { readonly from: Uint8Array; readonly to: Uint8Array }[];
  #released = false;

  /**
   * @param claims - the catalog's claim words; [1] is this snapshot's, already taken
   * @param slab - the owner's slab
   * @param threads - claimable slabs; the snapshot slab is the one after them
   * @param families - every family's parts
   */
  constructor(claims: SharedArrayBuffer, slab: number, threads: number, families: readonly SharedFamilyDescriptor[]) {
    this.slab = slab;
    this.#claims = new Int32Array(claims);
    const buffers = families.flatMap((family) => [...Object.values(family.slabs).map((p) => p.buffer), family.stats]);
    this.#copies = buffers.map((buffer) => {
      // Every slab of a part has the same size, a multiple of 8 bytes (see SharedFamilyStorage.typedSlabs).
      const bytes = buffer.byteLength / (threads + 1);
      return {
        from: new Uint8Array(buffer, slab * bytes, bytes),
        to: new Uint8Array(buffer, threads * bytes, bytes),
      };
    });
  }

  /**
   * Copies the owner's slab of every part (values, histogram counts, native-histogram schemas,
   * windows and zero counts) and its stats into the snapshot slab: one typed-array `set` per part.
   * Run on the owner's thread only, between two of its events, so the copy is consistent by
   * construction; a reader must not read the snapshot meanwhile (worker-server.ts hands it over).
   */
  take(): void {
    for (const { from, to } of this.#copies) to.set(from);
  }

  /** Gives the snapshot slab back, for another owner; {@link take} must not be called after. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    Atomics.store(this.#claims, 1, 0);
  }
}
