// A first-in first-out queue with O(1) push and shift. For bounded "remember the last N" structures:
// evicting the oldest from a Set or Map costs more as the collection grows (iteration from the start
// walks past deleted slots), this does not.

/**
 * A FIFO queue backed by an array and a head index; the consumed prefix is dropped once it is the
 * larger half, so memory stays proportional to the items held.
 *
 * @example
 * ```ts
 * const q = new Fifo<string>();
 * q.push('a');
 * q.push('b');
 * q.shift(); // 'a'
 * ```
 */
export class Fifo<T> {
  #items: (T | undefined)[] = [];
  #head = 0;

  /** Items held. */
  get size(): number {
    return this.#items.length - this.#head;
  }

  /**
   * Adds an item at the tail.
   *
   * @param item - the item
   */
  push(item: T): void {
    this.#items.push(item);
  }

  /**
   * Takes the oldest item.
   *
   * @returns it, or undefined when empty
   */
  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head] as T;
    this.#items[this.#head] = undefined; // let it be collected before the prefix is dropped
    this.#head++;
    if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  /** The items, oldest first. */
  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = this.#head; i < this.#items.length; i++) yield this.#items[i] as T;
  }
}
